// Package ratelimit limits request rates exactly, with GCRA, and tells
// callers when to come back.
//
// A [Limiter] enforces one or more [Policy] values (100 per minute, 10 per
// second and 1000 per hour, …) per caller key over a [Store]: the
// in-memory [MemoryStore] for one process, ratelimit/redisstore for
// replicas that share a limit. GCRA keeps one number per key and policy,
// admits a request only when every policy admits it, never double-bursts
// at window edges, and writes nothing on a denial.
//
// [Middleware] applies a limiter to an http.Handler, keyed by partner, API
// key, user or client address, and writes the X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset fields, the IETF
// RateLimit-Policy and RateLimit fields, and on a 429 Retry-After and a
// problem body through the service's [problem.ErrorWriter].
//
//	store := ratelimit.NewMemoryStore()
//	defer store.Close()
//	lim := ratelimit.MustNew(store, []ratelimit.Policy{
//		ratelimit.PerSecond(10),
//		ratelimit.PerHour(1000).WithName("hourly"),
//	})
//	mux := http.NewServeMux()
//	handler := ratelimit.Middleware(lim, ratelimit.Key(partnerID))(mux)
package ratelimit
