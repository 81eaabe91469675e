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
//	-rate            requests per partner per window, N/DURATION (default 100/1m)
//	-signing-secret  Standard Webhooks secret for POST /functions/v1/referrals
//	                 (default DemoSigningSecret)
//	-redis URL       keep idempotency keys and rate limits in Redis, so several
//	                 replicas share them
//	-postgres URL    keep idempotency keys in PostgreSQL (takes precedence over
//	                 -redis for idempotency keys; rate limits stay in Redis or memory)
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
	fs.StringVar(&cfg.Rate, "rate", "100/1m", "requests per partner per window, N/DURATION")
	fs.StringVar(&cfg.SigningSecret, "signing-secret", DemoSigningSecret, "Standard Webhooks secret (whsec_…) for signed referral requests")
	fs.StringVar(&cfg.RedisURL, "redis", "", "Redis URL for idempotency keys and rate limits (optional)")
	fs.IntVar(&cfg.Replicas, "replicas", 1, "number of replicas sharing the -redis rate limits (each enforces its share while Redis fails)")
	fs.StringVar(&cfg.PostgresURL, "postgres", "", "PostgreSQL URL for idempotency keys (optional)")
	if err := fs.Parse(args); err != nil {
		return err
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
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
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
