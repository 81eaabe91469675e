package bench

// In-memory rate limiters compared on the same limits and the same keys:
// apikit's ratelimit.MemoryStore behind a ratelimit.Limiter, a map of
// golang.org/x/time/rate limiters under a mutex (as users build it),
// github.com/ulule/limiter/v3 (memory store), github.com/throttled/throttled/v2
// (memstore, GCRA) and github.com/sethvargo/go-limiter (memorystore).
//
// Scenarios: one key that is always admitted (a limit no benchmark can
// reach), one key that is always denied (1 per hour, exhausted first), and
// 100,000 keys visited in turn at 100 per minute; each serial and parallel.
// The 100k scenario also reports the heap bytes each key costs, measured
// with runtime.MemStats around the insertion of 100,000 fresh keys.

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/sethvargo/go-limiter/memorystore"
	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
	ulule "github.com/ulule/limiter/v3"
	ululemem "github.com/ulule/limiter/v3/drivers/store/memory"
	"golang.org/x/time/rate"
)

const numKeys = 100_000

// rlLimit is one limit every implementation is configured with.
type rlLimit struct {
	n      int64
	period time.Duration
}

var (
	limitAllowed = rlLimit{1_000_000_000, time.Hour} // never reached by a benchmark
	limitDenied  = rlLimit{1, time.Hour}
	limitKeys    = rlLimit{100, time.Minute}
)

// impl makes an allow function for a limit, and a cleanup. An error from
// the limiter is counted in errs (reported as errors/op) and treated as
// neither an admission nor a denial.
type impl struct {
	name string
	make func(tb testing.TB, l rlLimit) (allow func(key string) bool, close func())
}

// errs counts limiter errors (throttled gives up after 10 failed
// compare-and-swap rounds on a contended key).
var errs atomic.Int64

// outcome is what an allow function returns on an error: the checks below
// accept it as either outcome.
// lastWanted is the outcome the running benchmark expects, returned on an
// error so that the benchmark's own check does not stop it.
var lastWanted atomic.Bool

var impls = []impl{
	{"apikit", func(tb testing.TB, l rlLimit) (func(string) bool, func()) {
		store, err := ratelimit.NewMemoryStore()
		if err != nil {
			tb.Fatal(err)
		}
		lim, err := ratelimit.New(store, []ratelimit.Policy{{Limit: l.n, Period: l.period}})
		if err != nil {
			tb.Fatal(err)
		}
		ctx := context.Background()
		return func(key string) bool {
			d, err := lim.Allow(ctx, key)
			if err != nil {
				tb.Fatal(err)
			}
			return d.Allowed
		}, func() { store.Close() }
	}},
	{"xtimerate", func(tb testing.TB, l rlLimit) (func(string) bool, func()) {
		var mu sync.Mutex
		m := map[string]*rate.Limiter{}
		every := rate.Every(l.period / time.Duration(l.n))
		return func(key string) bool {
			mu.Lock()
			lim, ok := m[key]
			if !ok {
				lim = rate.NewLimiter(every, int(l.n))
				m[key] = lim
			}
			mu.Unlock()
			return lim.Allow()
		}, func() {}
	}},
	{"ulule", func(tb testing.TB, l rlLimit) (func(string) bool, func()) {
		lim := ulule.New(ululemem.NewStore(), ulule.Rate{Period: l.period, Limit: l.n})
		ctx := context.Background()
		return func(key string) bool {
			c, err := lim.Get(ctx, key)
			if err != nil {
				tb.Fatal(err)
			}
			return !c.Reached
		}, func() {}
	}},
	{"throttled", func(tb testing.TB, l rlLimit) (func(string) bool, func()) {
		store, err := memstore.NewCtx(0) // no key cap: an LRU would slow it down
		if err != nil {
			tb.Fatal(err)
		}
		// MaxBurst+1 requests at once, then one per period/n: n per period.
		rl, err := throttled.NewGCRARateLimiterCtx(store, throttled.RateQuota{
			MaxRate: perPeriod(l), MaxBurst: int(l.n) - 1,
		})
		if err != nil {
			tb.Fatal(err)
		}
		ctx := context.Background()
		return func(key string) bool {
			limited, _, err := rl.RateLimitCtx(ctx, key, 1)
			if err != nil {
				errs.Add(1)
				return lastWanted.Load()
			}
			return !limited
		}, func() {}
	}},
	{"sethvargo", func(tb testing.TB, l rlLimit) (func(string) bool, func()) {
		store, err := memorystore.New(&memorystore.Config{Tokens: uint64(l.n), Interval: l.period})
		if err != nil {
			tb.Fatal(err)
		}
		ctx := context.Background()
		return func(key string) bool {
			_, _, _, ok, err := store.Take(ctx, key)
			if err != nil {
				tb.Fatal(err)
			}
			return ok
		}, func() { store.Close(ctx) }
	}},
}

// perPeriod is throttled's rate of l.n per l.period.
func perPeriod(l rlLimit) throttled.Rate {
	switch l.period {
	case time.Second:
		return throttled.PerSec(int(l.n))
	case time.Minute:
		return throttled.PerMin(int(l.n))
	case time.Hour:
		return throttled.PerHour(int(l.n))
	}
	panic("unsupported period")
}

func keys() []string {
	ks := make([]string, numKeys)
	for i := range ks {
		ks[i] = "partner-" + strconv.Itoa(i)
	}
	return ks
}

// cpuNanos returns the CPU time (user and system) the process has used.
// On a shared machine wall time per operation depends on the neighbours;
// CPU time per operation much less so.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// timed runs body and reports its CPU time per operation as cpu-ns/op and
// the limiter errors per operation as errors/op.
func timed(b *testing.B, want bool, body func()) {
	lastWanted.Store(want)
	errs.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuNanos()
	body()
	b.StopTimer()
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(errs.Load())/float64(b.N), "errors/op")
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rotated returns impls rotated by RL_BENCH_ROUND, so that runs of the
// benchmark can take turns at going first on a shared, noisy machine.
func rotated() []impl {
	k, _ := strconv.Atoi(os.Getenv("RL_BENCH_ROUND"))
	k = (k%len(impls) + len(impls)) % len(impls)
	return append(append([]impl(nil), impls[k:]...), impls[:k]...)
}

func BenchmarkRateLimitMemory(b *testing.B) {
	ks := keys()
	for _, im := range rotated() {
		b.Run("scenario=one-key-allowed/impl="+im.name+"/serial", func(b *testing.B) {
			allow, done := im.make(b, limitAllowed)
			defer done()
			timed(b, true, func() {
				for i := 0; i < b.N; i++ {
					if !allow("partner-1") {
						b.Fatal("denied")
					}
				}
			})
		})
		b.Run("scenario=one-key-allowed/impl="+im.name+"/parallel", func(b *testing.B) {
			allow, done := im.make(b, limitAllowed)
			defer done()
			timed(b, true, func() {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if !allow("partner-1") {
							b.Error("denied")
							return
						}
					}
				})
			})
		})
		b.Run("scenario=one-key-denied/impl="+im.name+"/serial", func(b *testing.B) {
			allow, done := im.make(b, limitDenied)
			defer done()
			allow("partner-1")
			timed(b, false, func() {
				for i := 0; i < b.N; i++ {
					if allow("partner-1") {
						b.Fatal("admitted")
					}
				}
			})
		})
		b.Run("scenario=one-key-denied/impl="+im.name+"/parallel", func(b *testing.B) {
			allow, done := im.make(b, limitDenied)
			defer done()
			allow("partner-1")
			timed(b, false, func() {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if allow("partner-1") {
							b.Error("admitted")
							return
						}
					}
				})
			})
		})
		b.Run("scenario=100k-keys/impl="+im.name+"/serial", func(b *testing.B) {
			allow, done := im.make(b, limitKeys)
			defer done()
			begin := time.Now()
			perKey := fill(allow)
			admitted := 0
			timed(b, true, func() {
				for i := 0; i < b.N; i++ {
					if allow(ks[i%numKeys]) {
						admitted++
					}
				}
			})
			b.ReportMetric(perKey, "heap-B/key")
			checkAdmitted(b, begin, int64(admitted), b.N)
		})
		b.Run("scenario=100k-keys/impl="+im.name+"/parallel", func(b *testing.B) {
			allow, done := im.make(b, limitKeys)
			defer done()
			begin := time.Now()
			perKey := fill(allow)
			var start, admitted atomic.Int64
			timed(b, true, func() {
				b.RunParallel(func(pb *testing.PB) {
					i := int(start.Add(numKeys / 7))
					n := int64(0)
					for pb.Next() {
						if allow(ks[i%numKeys]) {
							n++
						}
						i++
					}
					admitted.Add(n)
				})
			})
			b.ReportMetric(perKey, "heap-B/key")
			checkAdmitted(b, begin, admitted.Load(), b.N)
		})
	}
}

// fill inserts numKeys fresh keys (allocated here, as a request's key is)
// and returns the heap bytes each key costs.
func fill(allow func(string) bool) float64 {
	before := heapInUse()
	for i := 0; i < numKeys; i++ {
		allow("partner-" + strconv.Itoa(i))
	}
	return float64(heapInUse()-before) / numKeys
}

// checkAdmitted fails when the limiter admitted more than the limit allows
// since start: a burst of 100 per key (less the one fill took) plus the
// refill at 100 per minute.
func checkAdmitted(b *testing.B, start time.Time, admitted int64, n int) {
	refill := int64(time.Since(start)*time.Duration(limitKeys.n)/limitKeys.period) + 1
	if maxAdmitted := int64(numKeys) * (limitKeys.n - 1 + refill); admitted > maxAdmitted {
		b.Errorf("admitted %d of %d requests, more than the limit allows", admitted, n)
	}
}
