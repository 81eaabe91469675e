// Package idempotency makes retried POST and PATCH requests safe: a client
// sends an Idempotency-Key header, and however many times the request
// arrives, the handler runs once and every retry gets the first response
// back, as draft-ietf-httpapi-idempotency-key-header and Stripe define it.
//
//	store := idempotency.NewMemoryStore() // or redisstore / pgstore for several replicas
//	defer store.Close()
//	mux.Handle("POST /referrals", idempotency.New(store,
//		idempotency.WithValidator(idempotency.ValidateUUIDv4),
//		idempotency.RequireKey(),
//	)(createReferral))
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
//     hours and 5xx responses and panics release the key instead;
//   - a completed key replays the response verbatim, plus
//     Idempotent-Replayed: true;
//   - a key still running answers 409 with Retry-After (or waits, see
//     [WithWait]);
//   - a key reused for a different request answers 422, before anything
//     else.
//
// Errors are *problem.Problem values ([MissingKey], [InvalidKey],
// [AnonymousCaller], [KeyInProgress], [KeyMismatch], [ResponseNotStored],
// [StoreUnavailable]) written through a problem.ErrorWriter, plain RFC 9457
// by default. When the store is down the request gets 503 unless
// [FailOpen] is set. An [Observer] reports decisions and store latencies.
//
// A [Store] holds the records; [MemoryStore] is the in-process one, and the
// redisstore and pgstore subpackages share records between replicas. Every
// Store passes the conformance suite in idempotency/storetest.
package idempotency
