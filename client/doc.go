// Package client is the caller's side of a partner API: an
// http.RoundTripper that retries safely and paces itself, and a small
// [Client] that decodes any apikit dialect and turns every error answer
// into a *problem.Problem.
//
//	package main
//
//	import (
//		"context"
//		"errors"
//		"fmt"
//		"log"
//		"os"
//
//		"github.com/apikit-go/apikit/client"
//		"github.com/apikit-go/apikit/problem"
//	)
//
//	type Order struct {
//		ID   string `json:"id"`
//		Item string `json:"item"`
//	}
//
//	func main() {
//		ctx := context.Background()
//		c, err := client.New(
//			client.WithBaseURL("https://api.example.com"),
//			client.WithHeader("Authorization", "Bearer "+os.Getenv("API_TOKEN")),
//		)
//		if err != nil {
//			log.Fatal(err)
//		}
//		// Retried safely with one Idempotency-Key; paced by the rate-limit headers.
//		created, err := client.Call[Order](ctx, c, "POST", "/orders", Order{Item: "pen"})
//		var p *problem.Problem
//		if errors.As(err, &p) {
//			log.Fatalf("%s (%d): %s", p.Code, p.Status, p.Detail) // any dialect's error body
//		} else if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Println(created.Data.ID, created.RequestID, created.Attempts)
//
//		for o, err := range client.All[Order](ctx, c, "/orders", "lastKey") { // every page
//			if err != nil {
//				log.Fatal(err)
//			}
//			fmt.Println(o.ID, o.Item)
//		}
//	}
//
// Or wrap any http.Client: &http.Client{Transport: t} with t from
// [NewTransport].
//
// # Retries
//
// One logical request is sent at most [WithMaxAttempts] times, waiting
// between attempts with exponential backoff and full jitter ([WithBackoff]),
// within [WithMaxElapsed] and the context's deadline. It is repeated after:
//
//   - a connection failure before any byte of the request was sent (any
//     method);
//   - 429 and 503 (any method: the server refused before acting);
//   - 408, 500, 502, 504 and other 5xx problems whose definition is
//     retryable (the internal/* class), only when repeating is safe: an
//     idempotent method (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) or an
//     idempotency key on the request; the same holds for a connection that
//     failed after the request was sent;
//   - 409 idempotency/in-progress (a request with the same key is still
//     running), with the same key.
//
// Other 4xx are never retried. When the server says how long to wait —
// Retry-After in seconds or as an HTTP date, X-RateLimit-Reset or the IETF
// RateLimit fields when nothing remains — that wait is used instead of the
// backoff. A wait that would end after the context's deadline or the
// elapsed-time bound is not started: the last answer is returned.
//
// A POST or PATCH without an idempotency key gets one, a UUID v4 generated
// once per logical request and sent on every attempt
// ([WithIdempotencyKeys], [WithIdempotencyHeader]).
//
// Retries are limited by a budget shared by every request of the transport:
// floor plus share of the logical requests of the last 10 seconds
// ([WithRetryBudget]), so an outage does not multiply the load on the
// server. A request body is replayed with GetBody, or buffered up to
// [WithMaxBufferedBytes]; a larger body is sent once and not retried
// ([ErrBodyNotReplayable]).
//
// # Pacing
//
// The transport remembers the rate-limit state each answer reports, per
// host or per key chosen with [WithPaceKey], and counts the requests it
// sends against it. When nothing remains it holds new requests until the
// reset, instead of sending them to be refused; all goroutines using the
// transport share this state. When the reset comes after the context's
// deadline, a new request fails at once with [ErrQuotaExhausted] and a
// retry returns the previous answer.
//
// # Observability
//
// [WithLogger] logs one debug line per attempt (method, path, attempt,
// status, wait, request id); [WithObserver] receives each [Attempt].
package client
