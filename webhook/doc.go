// Package webhook delivers callbacks and webhooks durably: Enqueue a
// message (endpoint URL, event type, payload, optional id) and workers in
// every replica of the service deliver it, signed, retried on a schedule,
// and set aside as a dead letter when every attempt has failed.
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"os"
//		"os/signal"
//
//		"github.com/apikit-go/apikit/webhook"
//	)
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//		defer stop()
//		store, err := webhook.NewMemoryStore() // or hookpg.New(pool), hookredis.New(client)
//		if err != nil {
//			log.Fatal(err)
//		}
//		d, err := webhook.New(store, []string{os.Getenv("WEBHOOK_SECRET")}) // whsec_…
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := d.Start(); err != nil { // workers: lease, sign, POST, retry
//			log.Fatal(err)
//		}
//		id, err := d.Enqueue(ctx, webhook.Message{
//			Endpoint: "https://partner.example.com/hooks",
//			Type:     "order.shipped",
//			Payload:  []byte(`{"order":"ord_1"}`),
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//		log.Printf("message %s queued", id)
//		<-ctx.Done()
//		if err := d.Shutdown(context.Background()); err != nil { // attempts in flight finish
//			log.Fatal(err)
//		}
//	}
//
// Delivery:
//
//   - Each message is leased to one worker at a time; a worker that dies
//     loses its lease when it runs out and another worker, in any replica,
//     takes the message over. Delivery is at least once; a lease always
//     outlasts an attempt (WithLease), so one message is never attempted
//     twice at the same time.
//   - Every attempt is a POST signed with Standard Webhooks headers
//     (webhook-id, webhook-timestamp, webhook-signature) or, with
//     WithSignatureHeader, "t=…,v1=…" in a header of your choice. The
//     message id is the same on every attempt, so receivers can drop
//     duplicates. Each attempt has a timeout (WithTimeout), follows no
//     redirect and reads at most 4 KiB of the answer.
//   - A 2xx answer delivers the message. 410 Gone disables the endpoint:
//     its messages wait until Dispatcher.EnableEndpoint. 429 and 503 wait
//     for their Retry-After. Other failures are retried on the schedule
//     (WithSchedule; by default Standard Webhooks': at once, 5 s, 5 min,
//     30 min, 2 h, 5 h, 10 h, 10 h, with jitter), then the message is a
//     dead letter that Dispatcher.Replay sends again.
//   - Per endpoint, a circuit breaker (WithBreaker) makes messages wait
//     instead of hammering an endpoint that keeps failing, and a limit
//     (WithEndpointConcurrency) bounds the attempts in flight; WithOrdered
//     delivers each endpoint's messages one at a time, in order.
//
// Safety: endpoint URLs often come from partners, so only http and https
// URLs of at most MaxEndpointLength bytes are accepted and an endpoint that resolves to a loopback, private,
// link-local or other internal address is refused, when enqueued (literal
// addresses) and every time a connection is dialled (names, so DNS
// rebinding is refused too). WithAllowedURLs lets operator-configured URLs
// reach such addresses. Dispatcher.CheckEndpoint checks a partner's URL
// when it is registered; a refusal is an *EndpointError that is also a 422
// problem, webhooks/endpoint-refused (seed 004's webhooks/* class).
//
// Operations: Dispatcher.DeadLetters lists the dead letters, all or one
// endpoint's, a page at a time in the order they died (up to MaxDeadLimit
// a page, resumed with the page's Next cursor without gaps or repeats),
// Dispatcher.Attempts lists a message's attempts (time, status, latency,
// error), Dispatcher.Replay sends a dead letter again (and takes it out
// of the listing), Dispatcher.EnableEndpoint re-enables an endpoint,
// WithObserver reports every attempt for metrics and logs, and
// Dispatcher.Shutdown finishes the attempts in flight or releases their
// messages to other workers.
//
// Stores: the MemoryStore here suits one process; webhook/hookpg
// (PostgreSQL, with Enqueue inside the caller's transaction for the outbox
// pattern) and webhook/hookredis keep the queue across restarts and
// replicas. webhook/hooktest is the suite every Store passes.
package webhook
