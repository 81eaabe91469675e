// Command partnerapi is a small clinic partner API that shows every apikit
// package working together. It serves the same patients in every wire style
// apikit speaks:
//
//	/api/v1/...       the standard envelope (success/statusCode/data/…)
//	/v2/patients      the records list style (records/has_more/…)
//	/functions/v1/... the meta envelope (data + meta), signed requests
//	/partner/...      the ack style (requestID echoed, responseType)
//
// Run it with no set-up (in-memory stores):
//
//	go run ./examples/partnerapi
//
// Flags:
//
//	-addr            listen address (default 127.0.0.1:8080)
//	-base-url URL    the API's public address, such as https://api.example.com:
//	                 the url of a created patient and the Link headers of lists
//	                 are absolute under it; without it (the default) they are
//	                 relative ("/api/v1/patients/pat_…"). The Host header is
//	                 never used: the caller controls it.
//	-rate            requests per partner per window, N/DURATION (default 100/1m)
//	-signing-secret  Standard Webhooks secret for POST /functions/v1/referrals
//	                 (default DemoSigningSecret)
//	-redis URL       keep idempotency keys, rate limits and the ids of accepted
//	                 signed messages in Redis, so several replicas share them
//	-postgres URL    keep idempotency keys and accepted message ids in PostgreSQL
//	                 (takes precedence over -redis for both; rate limits stay in
//	                 Redis or memory)
//	-v1-deprecated   date from which GET /api/v1/patients is deprecated in favour
//	                 of GET /v2/patients (default 2026-06-01)
//	-v1-sunset       date from which GET /api/v1/patients answers 410 Gone
//	                 (default 2027-06-30)
//	-max-patients    patients each partner may keep (default 10000); one more
//	                 is a 409 patients/limit-reached until some are deleted
//	-max-referrals   referrals each partner may keep (default 10000); one more
//	                 is a 409 referrals/limit-reached
//	-max-partners    partners that may keep data at a time (default 1000):
//	                 any valid token names a partner, so a create by a new
//	                 partner beyond it is a 409 partners/limit-reached until
//	                 a partner's last patient is deleted
//	-callback-url URL
//	                 answer POST /partner/prescriptions RECEIVED at once and
//	                 deliver the final CONFIRMED or ERROR acknowledgement (same
//	                 requestID and referenceID) to URL, signed with Standard
//	                 Webhooks headers under -signing-secret
//	-webhook-url URL deliver a referral status webhook for each created
//	                 referral to URL: the event in the meta envelope, signed
//	                 with X-ICP-Signature (t=…,v1=…) under -signing-secret
//	-delivery-schedule WAITS
//	                 comma-separated waits before each delivery attempt, such
//	                 as 0s,1s,2s (default 0s,5s,5m,30m,2h,5h,10h,10h); each
//	                 non-zero wait varies by ±20 %; a message whose last
//	                 attempt fails is a dead letter
//
// Every free-text field is bounded (names 100 characters, reasons and
// instructions 1000, ids 64 or 128): a longer one is a 422 validation
// failure naming the field. Request bodies are limited to 1 MiB (413) and
// request headers to 32 KiB (431).
//
// Without -callback-url, prescriptions are answered CONFIRMED (or ERROR) at
// once. The callback and webhook URLs are the operator's, so they may be on
// loopback or a private network. Each has its own queue: in PostgreSQL with
// -postgres (tables partnerapi_callbacks and partnerapi_webhooks), in Redis
// with -redis (keys partnerapi:callbacks: and partnerapi:webhooks:), else in
// memory (PostgreSQL when both are given); queued messages survive a
// restart with the first two. Every
// attempt is logged ("delivery", with its outcome); on shutdown the attempts
// in flight finish, or after 10 s are released for the next start.
// examples/partnerapi/receiver plays the partner's side: it verifies and
// prints every delivery.
//
// Referrals negotiate their API version: an API-Version request header of
// 2025-01-01 (the default) or 2025-06-01, echoed in the response header and
// in meta.version.
//
// Every route but GET /healthz needs "Authorization: Bearer <partner>",
// where the token (1–128 of [A-Za-z0-9._-]) names the partner. The partner
// scopes data, idempotency keys, rate limits and cursors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// DemoSigningSecret is the default Standard Webhooks secret of the demo. It
// is public: never use it outside the demo.
const DemoSigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "partnerapi:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("partnerapi", flag.ContinueOnError)
	var cfg config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public base URL of absolute links, e.g. https://api.example.com (default: relative links)")
	fs.StringVar(&cfg.Rate, "rate", "100/1m", "requests per partner per window, N/DURATION")
	fs.StringVar(&cfg.SigningSecret, "signing-secret", DemoSigningSecret, "Standard Webhooks secret (whsec_…) for signed referral requests")
	fs.StringVar(&cfg.RedisURL, "redis", "", "Redis URL for idempotency keys and rate limits (optional)")
	fs.IntVar(&cfg.Replicas, "replicas", 1, "number of replicas sharing the -redis rate limits (each enforces its share while Redis fails)")
	fs.StringVar(&cfg.PostgresURL, "postgres", "", "PostgreSQL URL for idempotency keys (optional)")
	fs.StringVar(&cfg.CallbackURL, "callback-url", "", "deliver final prescription acknowledgements to this URL; answer RECEIVED at once (optional)")
	fs.StringVar(&cfg.WebhookURL, "webhook-url", "", "deliver referral status webhooks to this URL (optional)")
	fs.StringVar(&cfg.DeliverySchedule, "delivery-schedule", "", "comma-separated waits before each delivery attempt, such as 0s,1s,2s (default: the Standard Webhooks schedule)")
	v1Deprecated := fs.String("v1-deprecated", defaultV1Deprecated, "date (YYYY-MM-DD) from which GET /api/v1/patients is deprecated")
	v1Sunset := fs.String("v1-sunset", defaultV1Sunset, "date (YYYY-MM-DD) from which GET /api/v1/patients answers 410 Gone")
	fs.IntVar(&cfg.MaxPatients, "max-patients", defaultMaxPatients, "patients each partner may keep in memory")
	fs.IntVar(&cfg.MaxReferrals, "max-referrals", defaultMaxReferrals, "referrals each partner may keep in memory")
	fs.IntVar(&cfg.MaxPartners, "max-partners", defaultMaxPartners, "partners that may keep data in memory at a time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.V1Deprecated, err = time.Parse(time.DateOnly, *v1Deprecated); err != nil {
		return fmt.Errorf("-v1-deprecated: %w", err)
	}
	if cfg.V1Sunset, err = time.Parse(time.DateOnly, *v1Sunset); err != nil {
		return fmt.Errorf("-v1-sunset: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	srv, err := newServer(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	hs := newHTTPServer(srv, cfg.Logger)
	cfg.Logger.Info("partnerapi listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	cfg.Logger.Info("partnerapi shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// maxHeaderBytes bounds the request line and headers the server reads
// (net/http allows 4 KiB more); a bigger request is a 431. The demo's
// largest headers (a bearer token, signatures, an idempotency key) need
// well under 2 KiB.
const maxHeaderBytes = 32 << 10

// newHTTPServer returns the server that serves h: timeouts for slow
// clients and bounded headers.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
