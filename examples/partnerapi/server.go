package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/pgstore"
	idemredis "github.com/apikit-go/apikit/idempotency/redisstore"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/rateredis"
	"github.com/apikit-go/apikit/signature"
)

// config is what the flags set.
type config struct {
	Addr          string
	Rate          string // N/DURATION
	SigningSecret string // whsec_…
	RedisURL      string
	Replicas      int // processes sharing the Redis rate limits; 0 means 1
	PostgresURL   string
	Logger        *slog.Logger
	Now           func() time.Time // nil means time.Now
}

// server is the demo API: one http.Handler over every route, and the
// resources to release on shutdown.
type server struct {
	http.Handler
	now   func() time.Time
	store *store

	// One envelope.Writer per wire style: it decides what every response,
	// success or error, of its routes looks like.
	std, records, meta, ack *envelope.Writer

	pager, recordsPager *pagination.Paginator
	closers             []func()
}

// newServer builds the API from cfg: writers, stores, middleware, routes.
func newServer(ctx context.Context, cfg config) (*server, error) {
	s := &server{now: cfg.Now, store: newStore()}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	// Problems: the standard catalog plus the demo's own, with the type
	// URIs of seeds/001.
	catalog := problem.MustNewCatalog("https://parchment.health/errors/")
	if err := catalog.Register(UnknownPatient, ReferralNotFound, InvalidPrescription); err != nil {
		return nil, err
	}
	writer := func(d envelope.Dialect) *envelope.Writer {
		return envelope.New(d, envelope.WithCatalog(catalog), envelope.WithLogger(cfg.Logger), envelope.WithClock(s.now))
	}
	s.std = writer(envelope.Standard())
	s.records = writer(envelope.Records())
	s.meta = writer(envelope.Meta("2025-01-01"))
	s.ack = writer(envelope.Ack())

	// Stores: in memory by default; Redis and PostgreSQL when asked.
	var idemStore idempotency.Store
	var rlStore ratelimit.Store
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
		s.closers = append(s.closers, func() { client.Close() })
		idemStore = idemredis.New(client)
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
		pg, err := pgstore.New(pool, pgstore.WithCleanup(time.Minute, 1000))
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { pg.Close() })
		if err := pg.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("-postgres: migrate: %w", err)
		}
		idemStore = pg
	}
	if idemStore == nil {
		mem := idempotency.NewMemoryStore()
		s.closers = append(s.closers, func() { mem.Close() })
		idemStore = mem
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
	s.pager = pagination.MustNew(keys, scope, pagination.WithLimits(50, 100), pagination.WithOffset(1_000_000))
	s.recordsPager = pagination.MustNew(keys, scope, pagination.WithStyle(pagination.RecordsStyle), pagination.WithLimits(10, 100))

	// Signed referral requests (Standard Webhooks headers), each message
	// accepted once.
	verifier, err := signature.NewVerifier(signature.StandardWebhooks(), []string{cfg.SigningSecret},
		signature.WithReplayProtection(), signature.WithErrorWriter(s.meta))
	if err != nil {
		return nil, fmt.Errorf("-signing-secret: %w", err)
	}
	s.closers = append(s.closers, func() { verifier.Close() })

	// Idempotency keys, scoped per partner (and per route by default).
	partnerScope := idempotency.WithScope(func(r *http.Request) (string, error) { return partnerOf(r.Context()), nil })
	idemStd := idempotency.New(idemStore, partnerScope, idempotency.WithErrorWriter(s.std))
	idemMeta := idempotency.New(idemStore, partnerScope, idempotency.WithErrorWriter(s.meta),
		idempotency.RequireKey(), idempotency.WithValidator(idempotency.ValidateUUIDv4))

	// Routes, one mux per wire style.
	std := http.NewServeMux()
	std.Handle("POST /api/v1/patients", idemStd(http.HandlerFunc(s.createPatient)))
	std.HandleFunc("GET /api/v1/patients", s.listPatients)
	std.HandleFunc("GET /api/v1/patients/{id}", s.getPatient)
	std.HandleFunc("DELETE /api/v1/patients/{id}", s.deletePatient)
	std.Handle("/", notFound(s.std))

	rec := http.NewServeMux()
	rec.HandleFunc("GET /v2/patients", s.listPatientRecords)
	rec.Handle("/", notFound(s.records))

	meta := http.NewServeMux()
	meta.Handle("POST /functions/v1/referrals", verifier.Middleware(idemMeta(http.HandlerFunc(s.createReferral))))
	meta.HandleFunc("GET /functions/v1/referrals/{id}", s.getReferral)
	meta.Handle("/", notFound(s.meta))

	ack := http.NewServeMux()
	ack.HandleFunc("POST /partner/prescriptions", s.createPrescription)
	ack.Handle("/", notFound(s.ack))

	// Every group: panics become the dialect's 500, then the partner is
	// authenticated and rate limited, all answering in the group's dialect.
	// The groups' limiters share the store and the policy, so they share
	// each partner's buckets.
	var limitErr error
	group := func(wr *envelope.Writer, h http.Handler) http.Handler {
		limiter, err := ratelimit.New(rlStore, []ratelimit.Policy{policy}, append(rlOpts,
			ratelimit.WithKey(func(r *http.Request) string { return partnerOf(r.Context()) }),
			ratelimit.WithErrorWriter(wr))...)
		if err != nil {
			limitErr = err
			return h
		}
		return wr.Recover(authenticate(wr, limiter.Handler(h)))
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		s.std.OK(w, r, map[string]string{"status": "ok"})
	})
	root.Handle("/api/v1/", group(s.std, std))
	root.Handle("/v2/", group(s.records, rec))
	root.Handle("/functions/v1/", group(s.meta, meta))
	root.Handle("/partner/", group(s.ack, ack))
	root.Handle("/", s.std.Recover(notFound(s.std)))
	if limitErr != nil {
		return nil, fmt.Errorf("-rate: %w", limitErr)
	}

	// Outermost: every response gets an X-Request-Id, every request a log
	// line carrying it.
	s.Handler = s.std.RequestID(logRequests(cfg.Logger, root))
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

// notFound answers every request with a 404 in wr's dialect.
func notFound(wr *envelope.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, problem.ResourceNotFound.New("No such route").WithInstance(r.URL.Path))
	})
}
