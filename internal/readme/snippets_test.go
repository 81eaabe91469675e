package readme_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/client"
	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/rateredis"
	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/version"
	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
)

// What the snippets assume a service has.
type Patient struct {
	ID         string    `json:"patient_id"`
	FamilyName string    `json:"family_name"`
	CreatedAt  time.Time `json:"-"`
}

type CreatePatient struct {
	FamilyName string `json:"family_name"`
}

type db struct{}

func (db) Create(ctx context.Context, in CreatePatient) (Patient, error) {
	return Patient{ID: "pat_1"}, nil
}
func (db) Get(ctx context.Context, id string) (Patient, error) { return Patient{}, errNoRows }
func (db) List(ctx context.Context, after []any, backward bool, n int) []Patient {
	return nil
}

var (
	store     db
	errNoRows = errors.New("db: no rows")
	mux       = http.NewServeMux()
	token     = "an API token"
)

func tenantOf(r *http.Request) string { return r.Header.Get("X-Tenant") }

func Example_problem() {
	// snippet: problem
	// Define each kind of error once; codes are class/reason.
	var UnknownAccount = problem.MustDefine("billing/unknown-account", 422, "Unknown account")

	mux.HandleFunc("POST /invoices", func(w http.ResponseWriter, r *http.Request) {
		err := UnknownAccount.Newf("Account %q does not exist", "acc_1").WithInstance(r.URL.Path)
		problem.Write(w, r, err) // the API's dialect behind wr.Handler, else application/problem+json
	})

	// Any Go error becomes a problem; 5xx never show the error's text.
	p := problem.From(fmt.Errorf("query: %w", context.DeadlineExceeded)) // 504 internal/timeout

	// Client side: any dialect's error body back into a *problem.Problem.
	resp, err := http.Get("https://api.example.com/orders/ord_404")
	if err == nil && resp.StatusCode >= 400 {
		p = problem.Parse(resp)
		fmt.Println(errors.Is(p, problem.ResourceNotFound), p.Code, p.Detail)
	}
	// end snippet
}

func Example_envelope() {
	// snippet: envelope
	catalog, err := problem.NewCatalog("https://api.example.com/errors/")
	if err != nil {
		log.Fatal(err)
	}
	wr := envelope.New(envelope.Standard(), // or Meta("2025-01-01"), Ack(), Records(), Plain()
		envelope.WithCatalog(catalog))

	mux.HandleFunc("POST /patients", func(w http.ResponseWriter, r *http.Request) {
		in, err := envelope.Decode[CreatePatient](r) // 400, 413, 415 or 422 naming the field
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		p, err := store.Create(r.Context(), in)
		if err != nil {
			wr.WriteError(w, r, err) // any Go error, in the dialect's error format
			return
		}
		wr.Created(w, r, "/patients/"+p.ID, p, envelope.WithMessage("Patient created"))
	})
	mux.Handle("GET /patients/{id}", envelope.Handle(wr, func(r *http.Request) (Patient, error) {
		return store.Get(r.Context(), r.PathValue("id"))
	}))
	// Request IDs, the writer in every request's context (so middleware
	// errors use the dialect), panics as 500s, unknown routes as 404s and
	// wrong methods as 405s with Allow: one middleware.
	handler := wr.Handler(mux)
	// end snippet
	_ = handler
}

func Example_pagination() {
	wr := envelope.New(envelope.Standard())
	secret := bytes.Repeat([]byte{7}, 32)
	// snippet: pagination
	keys, err := pagination.NewKeyring(pagination.Key{ID: "2025-01", Secret: secret}) // ≥ 32 random bytes
	if err != nil {
		log.Fatal(err)
	}
	pager, err := pagination.New(keys, pagination.WithScope(tenantOf), pagination.WithBind("status"),
		pagination.WithBaseURL("https://api.example.com")) // absolute Link URLs; never from the Host header
	if err != nil {
		log.Fatal(err)
	}

	mux.HandleFunc("GET /patients", func(w http.ResponseWriter, r *http.Request) {
		params, err := pager.Parse(r) // every mistake is a 400 naming the parameter
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		// WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3 (reversed when Backward)
		rows := store.List(r.Context(), params.After(), params.Backward, params.Fetch())
		items, page, err := pagination.Build(params, rows, func(p Patient) pagination.Keyset {
			return pagination.Keyset{ID: p.ID, Values: []any{p.CreatedAt, p.ID}}
		})
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		pager.SetLink(w, r, page)            // RFC 8288 next/prev/first
		envelope.List(wr, w, r, items, page) // "pagination":{count,hasNext,limit,offset,lastKey}
	})

	// Client side: every patient, page after page.
	req, _ := http.NewRequest("GET", "https://api.example.com/patients?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+token)                                           // sent with every page
	fetch := pagination.HTTPFetch(http.DefaultClient, req, pagination.DecodeStandard[Patient]) // or DecodeRecords, DecodeLink (Link: rel="next")
	for p, err := range pagination.All(context.Background(), fetch) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.ID)
	}
	// end snippet
}

func Example_idempotency() {
	createReferral := http.NotFoundHandler()
	// snippet: idempotency
	store, err := idempotency.NewMemoryStore() // or idemredis / idempg for several replicas
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	guard, err := idempotency.New(store,
		idempotency.WithRequireKey(),
		idempotency.WithValidator(idempotency.ValidateUUIDv4),
		idempotency.WithScope(tenantOf), // the same function as pagination.WithScope
	)
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("POST /referrals", guard.Handler(createReferral))
	// end snippet
}

func Example_idempotencyStores() {
	ctx := context.Background()
	createOrder := http.NotFoundHandler()
	// snippet: idempotency-stores
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	shared, err := idemredis.New(rdb, idemredis.WithPrefix("orders:idem:"))
	if err != nil {
		log.Fatal(err)
	}
	mw, err := idempotency.New(shared)
	if err != nil {
		log.Fatal(err)
	}

	// or, for keys that must survive a Redis flush:
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	pg, err := idempg.New(pool, idempg.WithCleanup(time.Minute, 1000))
	if err != nil {
		log.Fatal(err)
	}
	defer pg.Close()
	if err := pg.Migrate(ctx); err != nil { // CREATE TABLE IF NOT EXISTS …
		log.Fatal(err)
	}
	if mw, err = idempotency.New(pg); err != nil {
		log.Fatal(err)
	}

	mux.Handle("POST /orders", mw.Handler(createOrder))
	// end snippet
}

func Example_ratelimit() {
	// snippet: ratelimit
	policy, err := ratelimit.ParsePolicy("100/1m") // e.g. from a -rate flag
	if err != nil {
		log.Fatal(err)
	}
	store, err := ratelimit.NewMemoryStore()
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	limiter, err := ratelimit.New(store, []ratelimit.Policy{policy, ratelimit.PerHour(2000).WithName("hourly")},
		ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") }),
		ratelimit.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8")))
	if err != nil {
		log.Fatal(err)
	}
	handler := limiter.Handler(mux)

	// Client side: pace yourself.
	resp, err := http.Get("https://api.example.com/patients")
	if err == nil {
		if q, ok := ratelimit.ParseResponse(resp); ok && q.Remaining == 0 {
			time.Sleep(q.Wait(time.Now()))
		}
	}
	// end snippet
	_ = handler
}

func Example_ratelimitRedis() {
	// snippet: ratelimit-redis
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	shared, err := rateredis.New(client, rateredis.WithPrefix("myapi:rl:"))
	if err != nil {
		log.Fatal(err)
	}
	local, err := ratelimit.NewMemoryStore() // used only while Redis fails
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	limiter, err := ratelimit.New(shared, []ratelimit.Policy{ratelimit.PerSecond(10)},
		ratelimit.WithKey(tenantOf),
		ratelimit.WithFallback(local, 3)) // 3 replicas: each enforces a third while Redis fails
	if err != nil {
		log.Fatal(err)
	}
	handler := limiter.Handler(mux)
	// end snippet
	_ = handler
}

func Example_signature() {
	referrals := http.NotFoundHandler()
	event := []byte(`{"type":"referral.accepted"}`)
	// snippet: signature
	// Receiving signed requests (Standard Webhooks headers; Stripe("X-ICP-Signature") for t=…,v1=…).
	verifier, err := signature.NewVerifier(signature.StandardWebhooks(),
		[]string{os.Getenv("WEBHOOK_SECRET")}, // whsec_…; list the previous secret too while rotating
		signature.WithReplayProtection())
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()
	mux.Handle("POST /referrals", verifier.Handler(referrals)) // 401 auth/* problems

	// Delivering webhooks signed the same way.
	signer, err := signature.NewSigner(signature.StandardWebhooks(), []string{os.Getenv("WEBHOOK_SECRET")})
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: signer.Transport(nil), Timeout: 15 * time.Second}
	resp, err := client.Post("https://partner.example.com/webhooks", "application/json", bytes.NewReader(event))
	// end snippet
	_, _ = resp, err
}

func Example_client() {
	ctx := context.Background()
	// snippet: client
	c, err := client.New(
		client.WithBaseURL("https://api.example.com"),
		client.WithHeader("Authorization", "Bearer "+os.Getenv("API_TOKEN")),
	)
	if err != nil {
		log.Fatal(err)
	}

	// A POST gets an Idempotency-Key once, sent again on every retry.
	created, err := client.Call[Patient](ctx, c, "POST", "/api/v1/patients", CreatePatient{FamilyName: "Smith"})
	var p *problem.Problem
	switch {
	case err == nil:
		fmt.Println(created.Data.ID, created.RequestID, created.Attempts)
	case errors.Is(err, problem.ValidationFailed) && errors.As(err, &p):
		fmt.Println(p.Fields) // field-level errors, whatever the dialect
	case errors.As(err, &p):
		log.Fatalf("%s (%d): %s, request %v", p.Code, p.Status, p.Detail, p.Extensions["requestId"])
	default:
		log.Fatal(err) // the network, after the retries
	}

	// Every patient, page after page.
	for pt, err := range client.All[Patient](ctx, c, "/api/v1/patients", "lastKey") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(pt.ID)
	}

	// Or keep your http.Client (or another SDK) and wrap its transport.
	t, err := client.NewTransport(http.DefaultTransport)
	if err != nil {
		log.Fatal(err)
	}
	hc := &http.Client{Transport: t}
	// end snippet
	_ = hc
}

func Example_webhook() {
	ctx := context.Background()
	partner := struct{ WebhookURL string }{"https://partner.example.com/webhooks"}
	body := []byte(`{"referral":"ref_1","status":"accepted"}`)
	// snippet: webhook
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := hookpg.New(pool) // or hookredis.New(rdb), webhook.NewMemoryStore()
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	d, err := webhook.New(store, []string{os.Getenv("WEBHOOK_SECRET")}) // whsec_…
	if err != nil {
		log.Fatal(err)
	}
	if err := d.Start(); err != nil { // workers: lease, sign, deliver, retry
		log.Fatal(err)
	}
	defer d.Shutdown(ctx)

	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// … the business write, in tx …
	id, err := d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{
		Endpoint: partner.WebhookURL, Type: "referral.updated", Payload: body,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil { // the webhook commits with the write, or not at all
		log.Fatal(err)
	}
	log.Printf("webhook %s queued", id)
	// end snippet
}

func Example_version() {
	load := func(id string) Referral { return Referral{ID: id, Status: "accepted"} }
	legacyStatus := func(s string) string { return s }
	// snippet: version
	neg, err := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"}) // default: the oldest
	if err != nil {
		log.Fatal(err)
	}
	wr := envelope.New(envelope.Meta("2025-01-01"), envelope.WithVersion(version.Of))

	mux.HandleFunc("GET /referrals/{id}", func(w http.ResponseWriter, r *http.Request) {
		ref := load(r.PathValue("id"))
		if version.FromContext(r.Context()).Before("2025-06-01") {
			ref.Status = legacyStatus(ref.Status) // the 2025-01-01 contract
		}
		wr.OK(w, r, ref) // meta.version is the negotiated version
	})
	// Routes answers the mux's 404 and 405 in the dialect although neg sits between.
	handler := wr.Handler(neg.Handler(wr.Routes(mux)))
	// end snippet
	_ = handler
}

func Example_versionDeprecation() {
	listPatients := http.NotFoundHandler()
	t1 := time.Date(2027, 3, 1, 14, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	partnerID := func(r *http.Request) string { return r.Header.Get("X-Partner-Id") }
	// snippet: version-deprecation
	dep, err := version.NewDeprecation(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		version.WithSunset(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)),
		version.WithSuccessor("/v2/patients"),
		version.WithBrownouts(version.Window{Start: t1, End: t2}),
		version.WithCaller(partnerID),
		version.WithObserver(func(e version.Event) { log.Printf("%s still calls %s", e.Caller, e.Request.URL.Path) }))
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("GET /api/v1/patients", dep.Handler(listPatients))
	// end snippet
}

// Referral is what the version snippet serves.
type Referral struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}
