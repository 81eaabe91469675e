// Package ratelimit limits request rates exactly, with GCRA, and tells
// callers when to come back.
//
// A [Limiter] enforces one to four [Policy] values (100 per minute, 10 per
// second and 1000 per hour, …) per caller key over a [Store]: the
// in-memory [MemoryStore] for one process, ratelimit/rateredis for
// replicas that share a limit. GCRA keeps one number per key and policy,
// admits a request only when every policy admits it, never double-bursts
// at window edges, and writes nothing on a denial.
//
// The Limiter is also the HTTP middleware: [Limiter.Handler] keys each
// request by partner, API key, user or client address, writes the
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset fields
// and the IETF RateLimit-Policy and RateLimit fields, and on a 429
// Retry-After and a [problem.RateLimitExceeded] problem, written in the
// API's dialect (the error writer in the request's context, see
// [problem.WriteTo]). Every setting is an [Option] given to [New]:
//
//	package main
//
//	import (
//		"io"
//		"log"
//		"net/http"
//
//		"github.com/apikit-go/apikit/ratelimit"
//	)
//
//	func main() {
//		store, err := ratelimit.NewMemoryStore() // or rateredis.New(client) for several replicas
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer store.Close()
//		limiter, err := ratelimit.New(store, []ratelimit.Policy{
//			ratelimit.PerSecond(10),
//			ratelimit.PerHour(1000).WithName("hourly"),
//		}, ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") })) // authenticate it first
//		if err != nil {
//			log.Fatal(err)
//		}
//		api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
//		// X-RateLimit-* and RateLimit fields on every answer; 429 with Retry-After past the limit.
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", limiter.Handler(api)))
//	}
//
// # Requests in flight
//
// [WithConcurrency] also limits the requests of one caller in flight at
// once. On a shared store each slot is a lease, renewed while the handler
// runs: a slow handler keeps its slot, and the slots of a replica that
// crashed come back when their leases end.
//
// # The IETF fields
//
// RateLimit-Policy and RateLimit follow draft-ietf-httpapi-ratelimit-headers-11
// (checked against its text and examples): one list member per policy,
// named by a token where the name is one (default;q=100;w=60) and a string
// otherwise ("100/1m";q=100;w=60); q and w are the limit and the period in
// whole seconds (a period under a second that divides one is scaled: 5
// per 100ms is q=50;w=1; any other period that is not whole seconds is
// refused by [New] rather than misstated); qu appears when a policy counts
// another unit ([Policy].Unit), pk with [WithPartitionKey]. r is the
// requests remaining and t the seconds until the policy's quota is whole
// again, except on a 429: there a policy that denied says when the request
// would be admitted, the instant Retry-After names, and so does
// X-RateLimit-Reset (UTC epoch seconds), so that all fields tell one story.
//
// On the client side, [ParseResponse] reads either family of fields into a
// [Quota], for callers that pace themselves, and also the
// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset fields of the
// earlier drafts.
//
// Stores implement [Store] with the pure [GCRA] function; the suite in
// ratelimit/ratetest checks that a store keeps the contract.
package ratelimit
