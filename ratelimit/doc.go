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
//	store, err := ratelimit.NewMemoryStore()
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	lim, err := ratelimit.New(store, []ratelimit.Policy{
//		ratelimit.PerSecond(10),
//		ratelimit.PerHour(1000).WithName("hourly"),
//	}, ratelimit.WithKey(partnerID))
//	if err != nil {
//		return err
//	}
//	mux.Handle("/", lim.Handler(api))
//
// On the client side, [ParseResponse] reads either family of fields into a
// [Quota], for callers that pace themselves.
//
// Stores implement [Store] with the pure [GCRA] function; the suite in
// ratelimit/ratetest checks that a store keeps the contract.
package ratelimit
