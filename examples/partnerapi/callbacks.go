package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
	"github.com/apikit-go/apikit/webhook/hookredis"
)

// hookConfig is what the delivery flags set.
type hookConfig struct {
	CallbackURL      string // -callback-url: final prescription acks go there
	WebhookURL       string // -webhook-url: referral status webhooks go there
	DeliverySchedule string // -delivery-schedule: "0s,1s,2s"; empty means the default
	// HookNamespace names the queues' tables (PostgreSQL) and key prefixes
	// (Redis); empty means "partnerapi". Tests give each run its own.
	HookNamespace string
}

// hooks are the dispatchers that deliver the demo's outbound messages; a
// nil dispatcher means its flag is not set.
type hooks struct {
	callbacks   *webhook.Dispatcher // Standard Webhooks headers
	callbackURL string
	referrals   *webhook.Dispatcher // X-ICP-Signature
	webhookURL  string
}

// sharedStores are the connections the demo opened for -postgres and
// -redis; the webhook queues live there too.
type sharedStores struct {
	pool  *pgxpool.Pool
	redis *redis.Client
}

// Event types, sent in the Webhook-Event header.
const (
	eventPrescription    = "prescription.acknowledged"
	eventReferralCreated = "referral.created"
)

// startHooks starts a dispatcher for each of -callback-url and
// -webhook-url, and registers their graceful shutdown with the server's
// closers.
func (s *server) startHooks(ctx context.Context, cfg config, shared sharedStores) error {
	if cfg.CallbackURL == "" && cfg.WebhookURL == "" {
		if cfg.DeliverySchedule != "" {
			return errors.New("-delivery-schedule needs -callback-url or -webhook-url")
		}
		return nil
	}
	ns := cfg.HookNamespace
	if ns == "" {
		ns = "partnerapi"
	}
	opts := []webhook.Option{
		// The operator configured these URLs: they may be on loopback or a
		// private network. A URL a partner supplies never may.
		webhook.WithAllowedURLs(nonEmpty(cfg.CallbackURL, cfg.WebhookURL)...),
		webhook.WithObserver(logDelivery(cfg.Logger)),
	}
	if cfg.DeliverySchedule != "" {
		waits, err := parseSchedule(cfg.DeliverySchedule)
		if err != nil {
			return fmt.Errorf("-delivery-schedule: %w", err)
		}
		opts = append(opts, webhook.WithSchedule(waits...))
	}

	// One store per signing setup: every dispatcher over a store may
	// attempt any of its messages, so the two must not share one.
	start := func(flag, name, endpoint string, extra ...webhook.Option) (*webhook.Dispatcher, error) {
		st, err := newHookStore(ctx, shared, ns+"_"+name, ns+":"+name+":")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		d, err := webhook.New(st, []string{cfg.SigningSecret}, append(opts[:len(opts):len(opts)], extra...)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		if err := d.CheckEndpoint(endpoint); err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		if err := d.Start(); err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() {
			// Finish the attempts in flight; past the deadline they are
			// cancelled and their messages released for the next start.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.Shutdown(ctx); err != nil {
				cfg.Logger.Warn("delivery shutdown", "queue", name, "error", err)
			}
		})
		return d, nil
	}
	var err error
	if cfg.CallbackURL != "" {
		if s.hooks.callbacks, err = start("-callback-url", "callbacks", cfg.CallbackURL); err != nil {
			return err
		}
		s.hooks.callbackURL = cfg.CallbackURL
	}
	if cfg.WebhookURL != "" {
		if s.hooks.referrals, err = start("-webhook-url", "webhooks", cfg.WebhookURL,
			webhook.WithSignatureHeader("X-ICP-Signature")); err != nil {
			return err
		}
		s.hooks.webhookURL = cfg.WebhookURL
	}
	return nil
}

// newHookStore returns the queue named name: a PostgreSQL table with
// -postgres, Redis keys under prefix with -redis, else memory.
func newHookStore(ctx context.Context, shared sharedStores, table, prefix string) (webhook.Store, error) {
	switch {
	case shared.pool != nil:
		st, err := hookpg.New(shared.pool, hookpg.WithTable(table))
		if err != nil {
			return nil, err
		}
		if err := st.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		return st, nil
	case shared.redis != nil:
		return hookredis.New(shared.redis, hookredis.WithPrefix(prefix))
	}
	return webhook.NewMemoryStore()
}

// parseSchedule parses comma-separated waits, such as "0s,1s,2s".
func parseSchedule(s string) ([]time.Duration, error) {
	var waits []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		if d < 0 {
			return nil, fmt.Errorf("negative wait %s", d)
		}
		waits = append(waits, d)
	}
	return waits, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// logDelivery logs every attempt: delivered at Info, anything else at Warn.
func logDelivery(log *slog.Logger) func(webhook.Event) {
	return func(e webhook.Event) {
		level := slog.LevelWarn
		if e.Outcome == webhook.OutcomeDelivered {
			level = slog.LevelInfo
		}
		attrs := []slog.Attr{
			slog.String("id", e.Message.ID), slog.String("type", e.Message.Type),
			slog.String("endpoint", e.Message.Endpoint), slog.String("outcome", e.Outcome.String()),
		}
		if e.Outcome != webhook.OutcomeReleased {
			attrs = append(attrs, slog.Int("attempt", e.Attempt.Number), slog.Int("status", e.Attempt.Status),
				slog.Duration("latency", e.Attempt.Latency))
		}
		if e.Attempt.Error != "" {
			attrs = append(attrs, slog.String("error", e.Attempt.Error))
		}
		if !e.NextAt.IsZero() {
			attrs = append(attrs, slog.Time("next", e.NextAt))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("store_error", e.Err.Error()))
		}
		log.LogAttrs(context.Background(), level, "delivery", attrs...)
	}
}

// acknowledgeLater answers a prescription RECEIVED, with the reference the
// final acknowledgement will carry, after queueing that final ack (final)
// for delivery to -callback-url. The callback is the ack dialect's body
// with the request's requestID and the same referenceID; its webhook-id is
// "msg_" + the reference. If the queue fails the answer is a 503: nothing
// was received, and the caller sends the request again.
func (s *server) acknowledgeLater(w http.ResponseWriter, r *http.Request, final envelope.Acknowledgement) {
	if final.ReferenceID == "" { // an ERROR ack carries the reference too
		final.ReferenceID = newID("rx_")
	}
	id := "msg_" + final.ReferenceID
	final.ResponseID = id
	body, err := render(s.ack, r, final)
	if err == nil {
		_, err = s.hooks.callbacks.Enqueue(r.Context(), webhook.Message{
			ID: id, Endpoint: s.hooks.callbackURL, Type: eventPrescription, Payload: body,
		})
	}
	if err != nil {
		s.ack.WriteError(w, r, problem.ServiceUnavailable.Wrap(err, "The prescription could not be queued; send it again"))
		return
	}
	s.ack.OK(w, r, envelope.Acknowledgement{ReferenceID: final.ReferenceID, Type: envelope.AckReceived})
}

// referralEvent is the data of a referral status webhook.
type referralEvent struct {
	ID         string    `json:"id"` // the webhook-id: evt_<referral id>
	Type       string    `json:"type"`
	ReferralID string    `json:"referral_id"`
	PatientID  string    `json:"patient_id"`
	Status     string    `json:"status"`
	OccurredAt time.Time `json:"occurred_at"`
}

// notifyReferral queues the referral status webhook of a new referral for
// -webhook-url: the event in the meta envelope (data + meta with the
// request's version, requestId and timestamp), signed with X-ICP-Signature.
// An idempotent replay of the POST is answered from the idempotency store
// and queues nothing; the same id would be refused anyway.
func (s *server) notifyReferral(r *http.Request, ref Referral) error {
	ev := referralEvent{
		ID: "evt_" + ref.ReferralID, Type: eventReferralCreated,
		ReferralID: ref.ReferralID, PatientID: ref.PatientID, Status: ref.Status, OccurredAt: ref.ReceivedAt,
	}
	body, err := render(s.meta, r, ev)
	if err == nil {
		_, err = s.hooks.referrals.Enqueue(r.Context(), webhook.Message{
			ID: ev.ID, Endpoint: s.hooks.webhookURL, Type: ev.Type, Payload: body,
		})
	}
	if err != nil {
		return problem.ServiceUnavailable.Wrap(err, "The referral webhook could not be queued")
	}
	return nil
}

// render returns the body wr writes for a 200 with data, as the answer to r
// would carry it.
func render(wr *envelope.Writer, r *http.Request, data any) ([]byte, error) {
	var rec bodyRecorder
	wr.OK(&rec, r, data)
	if rec.status != 0 && rec.status != http.StatusOK {
		return nil, fmt.Errorf("partnerapi: rendering a webhook body: status %d", rec.status)
	}
	return rec.body.Bytes(), nil
}

// bodyRecorder is the http.ResponseWriter render writes into.
type bodyRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bodyRecorder) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

func (b *bodyRecorder) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bodyRecorder) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
