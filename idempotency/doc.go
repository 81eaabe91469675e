// Package idempotency makes retried POST and PATCH requests safe: a client
// sends an Idempotency-Key header, and however many times the request
// arrives, the handler runs once and every retry gets the first response
// back, as draft-ietf-httpapi-idempotency-key-header and Stripe define it.
//
//	package main
//
//	import (
//		"fmt"
//		"log"
//		"net/http"
//		"sync/atomic"
//
//		"github.com/apikit-go/apikit/idempotency"
//	)
//
//	func main() {
//		store, err := idempotency.NewMemoryStore() // or idemredis / idempg for several replicas
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer store.Close()
//		m, err := idempotency.New(store, idempotency.WithRequireKey())
//		if err != nil {
//			log.Fatal(err)
//		}
//
//		var orders atomic.Int64
//		createOrder := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			w.WriteHeader(http.StatusCreated)
//			fmt.Fprintf(w, "order %d\n", orders.Add(1)) // runs once per Idempotency-Key
//		})
//		// curl -i -X POST localhost:8080/orders -H 'Authorization: Bearer me' -H 'Idempotency-Key: k1'
//		// twice: "order 1" both times, the second with Idempotent-Replayed: true.
//		http.Handle("POST /orders", m.Handler(createOrder))
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
//
// The middleware ([New]) keys records by caller ([WithScope]; by default a
// digest of the request's credentials, see [DefaultScope]), route and key,
// and fingerprints each request by method, path, query and the SHA-256 of
// its body. With the default scope, a request that carries a key but no
// credentials (Authorization, Cookie, X-Api-Key or a TLS client
// certificate) is refused with 400 [AnonymousCaller]: its address could be
// a proxy's, shared by many callers, so nothing safe identifies it.
// Services with anonymous endpoints pass [WithScope]. One atomic
// [Store.Claim] decides each request:
//
//   - a new key runs the handler, under a short lease renewed while it
//     runs; its response (status, the listed headers, body) is kept for 24
//     hours (4xx answers for a minute, see [WithClientErrorRetention]), and
//     5xx responses and panics release the key instead;
//   - a completed key replays the response verbatim, plus
//     Idempotent-Replayed: true;
//   - a key still running answers 409 with Retry-After (or waits, see
//     [WithWait]);
//   - a key reused for a different request answers 422, before anything
//     else.
//
// Errors are *problem.Problem values ([MissingKey], [InvalidKey],
// [AnonymousCaller], [KeyInProgress], [KeyMismatch], [ResponseNotStored],
// [ScopeFull], [StoreUnavailable]) written in the API's dialect: through
// [WithErrorWriter] if given, else the error writer the envelope middleware
// put in the request's context, else plain RFC 9457. When the store is
// down, or does not answer the claim within the store timeout
// ([WithStoreTimeout]), the request gets 503 and its handler does not run,
// unless [WithFailOpen] is set. [WithObserver] reports decisions and store
// latencies.
//
// A [Store] holds the records; [MemoryStore] is the in-process one, and the
// idemredis and idempg subpackages share records between replicas. Every
// Store passes the conformance suite in idempotency/idemtest. Every store
// bounds what one caller's scope may hold, so one caller that floods it
// with keys evicts only its own answers and cannot lock the others out.
//
// # What each store guarantees, and what it needs
//
// A key's promise (the handler runs once; retries get its response) holds
// as long as the record does. What can lose a record:
//
//   - [MemoryStore]: a process restart or crash loses every record, and
//     each replica has its own. Use it with one replica, where a retry
//     after a restart may run again.
//   - idemredis: Redis must keep what it acknowledged. Without persistence
//     (the default of many deployments: no AOF, RDB snapshots minutes
//     apart, or none) a Redis restart loses every record, and retries after
//     it run again; a record written since the last RDB snapshot is lost on
//     a crash. For the guarantee across restarts, run Redis with
//     appendonly yes and appendfsync everysec (at most about a second of
//     claims lost on a crash of the host) or always (none lost, slower).
//     With replicas, a failover can lose the writes the replica had not
//     received. maxmemory-policy must be noeviction: every evicting policy
//     may drop records, in progress or completed, and each one dropped can
//     run twice. Never FLUSHDB a Redis that holds records.
//   - idempg: PostgreSQL keeps committed records across restarts and
//     crashes with its default settings (fsync on, synchronous_commit on).
//     With synchronous_commit off, the last few hundred milliseconds of
//     claims can be lost on a crash; with asynchronous replication, a
//     failover can lose the writes the standby had not received. Rows
//     expire by time; run Store.Cleanup (or WithCleanup) to delete them.
//
// In every store, a record is kept only for its retention (24 hours by
// default): a retry after that runs again, as the IETF draft allows.
package idempotency
