package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/rateredis"
	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/signature/sigpg"
	"github.com/apikit-go/apikit/signature/sigredis"
	"github.com/apikit-go/apikit/version"
)

// The v1 patient list's deprecation and sunset dates, and how many patients
// and referrals each partner may keep, unless flags say otherwise.
const (
	defaultV1Deprecated = "2026-06-01"
	defaultV1Sunset     = "2027-06-30"
	defaultMaxPatients  = 10_000
	defaultMaxReferrals = 10_000
	defaultMaxPartners  = 1_000
)

// config is what the flags set.
type config struct {
	Addr          string
	BaseURL       string // absolute URLs (url, Link) start with it; "" writes relative ones
	Rate          string // N/DURATION
	SigningSecret string // whsec_…
	RedisURL      string
	Replicas      int // processes sharing the Redis rate limits; 0 means 1
	PostgresURL   string
	V1Deprecated  time.Time // the v1 patient list is deprecated from then on
	V1Sunset      time.Time // and answers 410 from then on
	// MaxPatients and MaxReferrals bound what each partner keeps in
	// memory; 0 means defaultMaxPatients, defaultMaxReferrals. A create
	// beyond them is a 409 patients/limit-reached or referrals/limit-reached.
	MaxPatients  int
	MaxReferrals int
	// MaxPartners bounds the partners holding data at a time; 0 means
	// defaultMaxPartners. Any valid token names a partner, so without it
	// a caller inventing names could fill the memory; a create by a new
	// partner beyond it is a 409 partners/limit-reached.
	MaxPartners int
	Logger      *slog.Logger
	Now         func() time.Time // nil means time.Now
	hookConfig                   // callbacks.go
}

// server is the demo API: one http.Handler over every route, and the
// resources to release on shutdown.
type server struct {
	http.Handler
	now     func() time.Time
	store   *store
	baseURL string // "" or scheme://host[/prefix] without a trailing slash

	// One envelope.Writer per wire style: it decides what every response,
	// success or error, of its routes looks like.
	std, records, meta, ack *envelope.Writer

	pager, recordsPager *pagination.Paginator
	hooks               hooks // callbacks.go
	closers             []func()
}

// newServer builds the API from cfg: writers, stores, middleware, routes.
func newServer(ctx context.Context, cfg config) (*server, error) {
	if cfg.MaxPatients == 0 {
		cfg.MaxPatients = defaultMaxPatients
	}
	if cfg.MaxReferrals == 0 {
		cfg.MaxReferrals = defaultMaxReferrals
	}
	if cfg.MaxPartners == 0 {
		cfg.MaxPartners = defaultMaxPartners
	}
	if cfg.MaxPatients < 0 || cfg.MaxReferrals < 0 || cfg.MaxPartners < 0 {
		return nil, fmt.Errorf("-max-patients %d, -max-referrals %d, -max-partners %d: want a positive number", cfg.MaxPatients, cfg.MaxReferrals, cfg.MaxPartners)
	}
	baseURL, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	s := &server{now: cfg.Now, store: newStore(cfg.MaxPatients, cfg.MaxReferrals, cfg.MaxPartners), baseURL: baseURL}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.V1Deprecated.IsZero() {
		cfg.V1Deprecated, _ = time.Parse(time.DateOnly, defaultV1Deprecated)
	}
	if cfg.V1Sunset.IsZero() {
		cfg.V1Sunset, _ = time.Parse(time.DateOnly, defaultV1Sunset)
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	// Problems: the standard catalog plus the demo's own, with the type
	// URIs of seeds/001.
	catalog, err := problem.NewCatalog("https://parchment.health/errors/")
	if err != nil {
		return nil, err
	}
	if err := catalog.Register(PatientNotFound, PartnerPatientIDConflict, UnknownPatient, ReferralNotFound, InvalidPrescription, PatientLimitReached, ReferralLimitReached, PartnerLimitReached); err != nil {
		return nil, err
	}
	writer := func(d envelope.Dialect, opts ...envelope.Option) *envelope.Writer {
		return envelope.New(d, append([]envelope.Option{envelope.WithCatalog(catalog), envelope.WithLogger(cfg.Logger), envelope.WithClock(s.now)}, opts...)...)
	}
	s.std = writer(envelope.Standard())
	s.records = writer(envelope.Records())
	// The meta dialect writes each request's negotiated API version.
	s.meta = writer(envelope.Meta("2025-01-01"), envelope.WithVersion(version.Of))
	s.ack = writer(envelope.Ack())

	// Stores: in memory by default; Redis and PostgreSQL when asked.
	var idemStore idempotency.Store
	var rlStore ratelimit.Store
	// The webhook queues use the same connections (callbacks.go).
	var shared sharedStores
	replay := signature.WithReplayProtection() // this process only
	var rlOpts []ratelimit.Option
	memRL, err := ratelimit.NewMemoryStore()
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { memRL.Close() })
	rlStore = memRL
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("-redis: %w", err)
		}
		opts.ContextTimeoutEnabled = true // honour per-call deadlines
		// A burst does not wait for dials (see rateredis).
		opts.MinIdleConns = max(opts.MinIdleConns, 4)
		client := redis.NewClient(opts)
		shared.redis = client
		s.closers = append(s.closers, func() { client.Close() })
		idemStore, err = idemredis.New(client)
		if err != nil {
			return nil, err
		}
		replayStore, err := sigredis.New(client)
		if err != nil {
			return nil, err
		}
		replay = signature.WithReplayStore(replayStore) // every replica
		// Limits shared by every replica; while Redis fails, each replica
		// falls back to its own memory store with its share of the limit
		// rather than refusing traffic.
		shared, err := rateredis.New(client)
		if err != nil {
			return nil, err
		}
		rlStore = shared
		rlOpts = append(rlOpts, ratelimit.WithFallback(memRL, max(cfg.Replicas, 1)))
	}
	if cfg.PostgresURL != "" {
		pool, err := pgxpool.New(ctx, cfg.PostgresURL)
		if err != nil {
			return nil, fmt.Errorf("-postgres: %w", err)
		}
		s.closers = append(s.closers, pool.Close)
		shared.pool = pool
		pg, err := idempg.New(pool, idempg.WithCleanup(time.Minute, 1000))
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { pg.Close() })
		if err := pg.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("-postgres: migrate: %w", err)
		}
		idemStore = pg
		replayStore, err := sigpg.New(pool)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { replayStore.Close() })
		if err := replayStore.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("-postgres: migrate: %w", err)
		}
		replay = signature.WithReplayStore(replayStore)
	}
	if idemStore == nil {
		mem, err := idempotency.NewMemoryStore()
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { mem.Close() })
		idemStore = mem
	}

	// Callbacks and webhooks, delivered in the background (-callback-url,
	// -webhook-url). Their dispatchers stop before the stores close.
	if err := s.startHooks(ctx, cfg, shared); err != nil {
		return nil, err
	}

	// Rate limits: one policy per partner over every authenticated route.
	policy, err := ratelimit.ParsePolicy(cfg.Rate)
	if err != nil {
		return nil, fmt.Errorf("-rate: %w", err)
	}

	// Cursors: signed with a key derived from the signing secret, so every
	// replica started with the same secret accepts the others' cursors.
	cursorSecret := sha256.Sum256([]byte("partnerapi cursor key\x00" + cfg.SigningSecret))
	keys, err := pagination.NewKeyring(pagination.Key{ID: "k1", Secret: cursorSecret[:]})
	if err != nil {
		return nil, err
	}
	scope := pagination.WithScope(func(r *http.Request) string { return partnerOf(r.Context()) })
	// Link headers: relative, or under -base-url; never from the Host header.
	common := []pagination.Option{scope}
	if s.baseURL != "" {
		common = append(common, pagination.WithBaseURL(s.baseURL))
	}
	common = slices.Clip(common)
	if s.pager, err = pagination.New(keys, append(common, pagination.WithLimits(50, 100), pagination.WithOffset(1_000_000))...); err != nil {
		return nil, err
	}
	if s.recordsPager, err = pagination.New(keys, append(common, pagination.WithStyle(pagination.RecordsStyle), pagination.WithLimits(10, 100))...); err != nil {
		return nil, err
	}

	// Signed referral requests (Standard Webhooks headers), each message
	// accepted once. Like every middleware below, the verifier answers
	// through the writer its group's envelope middleware puts in the
	// request's context (group, below), so it needs no writer of its own.
	verifier, err := signature.NewVerifier(signature.StandardWebhooks(), []string{cfg.SigningSecret},
		replay)
	if err != nil {
		return nil, fmt.Errorf("-signing-secret: %w", err)
	}
	s.closers = append(s.closers, func() { verifier.Close() })

	// Idempotency keys, scoped per partner (and per route by default). Their
	// errors are written by the API's writer, which the envelope middleware
	// of each group puts in the request's context.
	partnerScope := idempotency.WithScope(func(r *http.Request) string { return partnerOf(r.Context()) })
	idemStd, err := idempotency.New(idemStore, partnerScope)
	if err != nil {
		return nil, err
	}
	idemMeta, err := idempotency.New(idemStore, partnerScope,
		idempotency.WithRequireKey(), idempotency.WithValidator(idempotency.ValidateUUIDv4))
	if err != nil {
		return nil, err
	}

	// Versions: referrals negotiate API-Version; the v1 patient list is
	// deprecated in favour of /v2/patients and gone after its sunset.
	negotiator, err := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"},
		version.WithDefault("2025-01-01"))
	if err != nil {
		return nil, err
	}
	v1List, err := version.NewDeprecation(cfg.V1Deprecated,
		version.WithSunset(cfg.V1Sunset),
		version.WithSuccessor("/v2/patients"),
		version.WithClock(s.now),
		version.WithCaller(func(r *http.Request) string { return partnerOf(r.Context()) }),
		version.WithObserver(func(e version.Event) {
			cfg.Logger.LogAttrs(e.Request.Context(), slog.LevelWarn, "deprecated route called",
				slog.String("partner", e.Caller), slog.String("path", e.Request.URL.Path), slog.Bool("gone", e.Gone))
		}))
	if err != nil {
		return nil, fmt.Errorf("-v1-deprecated/-v1-sunset: %w", err)
	}

	// Routes, one mux per wire style.
	std := http.NewServeMux()
	std.Handle("POST /api/v1/patients", idemStd.Handler(http.HandlerFunc(s.createPatient)))
	std.Handle("GET /api/v1/patients", v1List.Handler(http.HandlerFunc(s.listPatients)))
	std.HandleFunc("GET /api/v1/patients/{id}", s.getPatient)
	std.HandleFunc("DELETE /api/v1/patients/{id}", s.deletePatient)

	rec := http.NewServeMux()
	rec.HandleFunc("GET /v2/patients", s.listPatientRecords)

	meta := http.NewServeMux()
	meta.Handle("POST /functions/v1/referrals", verifier.Handler(idemMeta.Handler(http.HandlerFunc(s.createReferral))))
	meta.HandleFunc("GET /functions/v1/referrals/{id}", s.getReferral)

	ack := http.NewServeMux()
	ack.HandleFunc("POST /partner/prescriptions", s.createPrescription)

	// Every group: the group's writer in the context (every error, also
	// from middleware, in the group's dialect), panics as the dialect's
	// 500, then the partner is authenticated and rate limited. Unknown
	// routes are 404s and known paths with the wrong method 405s with
	// Allow, in the group's dialect (Routes). The groups' limiters share
	// the store and the policy, so they share each partner's buckets.
	var limitErr error
	group := func(wr *envelope.Writer, h http.Handler) http.Handler {
		limiter, err := ratelimit.New(rlStore, []ratelimit.Policy{policy}, append(rlOpts,
			ratelimit.WithKey(func(r *http.Request) string { return partnerOf(r.Context()) }))...)
		if err != nil {
			limitErr = err
			return h
		}
		return wr.Handler(authenticate(wr, limiter.Handler(h)))
	}
	groups := &prefixes{groups: []prefixGroup{
		{"/api/v1/", group(s.std, s.std.Routes(std))},
		{"/v2/", group(s.records, s.records.Routes(rec))},
		{"/functions/v1/", group(s.meta, negotiator.Handler(s.meta.Routes(meta)))},
		{"/partner/", group(s.ack, s.ack.Routes(ack))},
	}}
	if limitErr != nil {
		return nil, fmt.Errorf("-rate: %w", limitErr)
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		s.std.OK(w, r, map[string]string{"status": "ok"})
	})
	for _, g := range groups.groups {
		root.Handle(g.prefix, g.h)
	}
	// Anything outside the groups answers in the standard dialect.
	groups.fallback = s.std.Handler(s.std.Routes(root))

	// Outermost: every request a log line, with the X-Request-Id the
	// group's (or the fallback's) envelope middleware gave it.
	s.Handler = logRequests(cfg.Logger, groups)
	ok = true
	return s, nil
}

// Close releases the stores, connections and background goroutines.
func (s *server) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// parseBaseURL checks -base-url: empty, or an http or https URL with a
// host and an optional path prefix, no user info, query or fragment. It
// returns it without a trailing slash.
func parseBaseURL(base string) (string, error) {
	if base == "" {
		return "", nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("-base-url %q: want an http or https URL such as https://api.example.com, without query or fragment", base)
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

// prefixes sends a request whose path starts with a group's prefix straight
// to that group (whose own mux picks the route), and any other request to
// fallback, a mux that holds the same groups and the routes outside them.
// It does what fallback would do for the groups' paths, without a second
// ServeMux lookup per request. A path ServeMux would clean first ("//",
// "/./", "/../") or match in its escaped form (%2F) goes to fallback, which
// redirects or routes it as before.
type prefixes struct {
	groups   []prefixGroup
	fallback http.Handler
}

type prefixGroup struct {
	prefix string
	h      http.Handler
}

func (p *prefixes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if r.URL.RawPath == "" && r.Method != http.MethodConnect &&
		!strings.Contains(path, "//") && !strings.Contains(path, "/.") {
		for _, g := range p.groups {
			if strings.HasPrefix(path, g.prefix) {
				g.h.ServeHTTP(w, r)
				return
			}
		}
	}
	p.fallback.ServeHTTP(w, r)
}
