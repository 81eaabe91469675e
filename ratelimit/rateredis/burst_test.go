package rateredis

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestBurstOverReplicasIsExact: three replicas (each an HTTP server with
// its own client, configured as the package doc advises, store, fallback
// and limiter) on one Redis; 500 concurrent requests of one partner at 100
// per minute admit at most 103, in every one of 20 runs, and no decision
// falls back to the local store. Under the race detector, which slows the
// process several times, a few decisions may miss their deadline: a
// request decided by the fallback may then be admitted, and no more.
func TestBurstOverReplicasIsExact(t *testing.T) {
	const (
		replicas = 3
		requests = 500
		limit    = 100
		runs     = 20
		most     = 103
	)
	opt := redisOptions(t)
	opt.ContextTimeoutEnabled = true // as the package doc recommends
	opt.MinIdleConns = 4             // likewise (the store sends at most 4 batches at once): a burst does not wait for dials
	shared := testClient(t)
	// Every request on its own connection, as from 500 clients.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: requests, MaxConnsPerHost: 0}}
	defer client.CloseIdleConnections()
	for run := range runs {
		prefix := testPrefix(t, shared)
		var fallbacks, storeErrors atomic.Int64
		var urls []string
		for range replicas {
			c := redis.NewClient(opt)
			defer c.Close()
			waitIdle(t, c, opt.MinIdleConns)     // a replica that is up has its idle connections
			s, err := New(c, WithPrefix(prefix)) // the default deadline
			if err != nil {
				t.Fatal(err)
			}
			local, err := ratelimit.NewMemoryStore()
			if err != nil {
				t.Fatal(err)
			}
			defer local.Close()
			lim, err := ratelimit.New(s, []ratelimit.Policy{ratelimit.PerMinute(limit)},
				ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Partner") }),
				ratelimit.WithFallback(local, replicas),
				ratelimit.WithObserver(func(ev ratelimit.Event) {
					switch ev.Kind {
					case ratelimit.EventFallback:
						if fallbacks.Add(1) == 1 {
							t.Logf("run %d: first fallback: %v", run+1, ev.Err)
						}
					case ratelimit.EventStoreError:
						storeErrors.Add(1)
					}
				}))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})))
			defer srv.Close()
			urls = append(urls, srv.URL)
		}
		var admitted, denied atomic.Int64
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range requests {
			done.Add(1)
			go func() {
				defer done.Done()
				r, _ := http.NewRequest(http.MethodPost, urls[i%replicas]+"/v1/referrals", nil)
				r.Header.Set("X-Partner", "acme")
				start.Wait()
				resp, err := client.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusNoContent:
					admitted.Add(1)
				case http.StatusTooManyRequests:
					denied.Add(1)
				}
			}()
		}
		began := time.Now()
		start.Done()
		done.Wait()
		t.Logf("run %d: %v, admitted %d, denied %d, fallbacks %d, store errors %d", run+1, time.Since(began), admitted.Load(), denied.Load(), fallbacks.Load(), storeErrors.Load())
		bound := int64(most)
		if raceEnabled {
			// A request decided by the fallback may be admitted, but the
			// replicas together admit at most their shares on top.
			bound = min(most+fallbacks.Load(), most+replicas*(limit/replicas))
		} else if fallbacks.Load() != 0 || storeErrors.Load() != 0 {
			t.Errorf("run %d: %d fallbacks, %d store errors: decisions did not reach Redis", run+1, fallbacks.Load(), storeErrors.Load())
		}
		if admitted.Load() > bound || admitted.Load() < limit || admitted.Load()+denied.Load() != requests {
			t.Errorf("run %d: admitted %d (want %d to %d), denied %d, fallbacks %d, store errors %d",
				run+1, admitted.Load(), limit, bound, denied.Load(), fallbacks.Load(), storeErrors.Load())
		}
	}
}

// waitIdle waits until c holds n idle connections.
func waitIdle(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.PoolStats().IdleConns < uint32(n) {
		if time.Now().After(deadline) {
			t.Fatalf("pool: %+v, want %d idle connections", c.PoolStats(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConcurrentDecisionsShareRoundTrips: 300 decisions made at once go
// in a few pipelines (at most 4 at a time), are exact, and survive a
// server that lost the script.
func TestConcurrentDecisionsShareRoundTrips(t *testing.T) {
	const goroutines, limit = 300, 100
	c := testClient(t)
	var n counter
	c.AddHook(&n)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	for _, flush := range []bool{false, true} {
		if flush {
			if err := c.ScriptFlush(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
		}
		key := fmt.Sprintf("p:{caller-%v}", flush)
		n.trips.Store(0)
		allowed, err := takeAtOnce(s, hourly(key, limit), goroutines)
		if err != nil {
			t.Fatalf("script flushed %v: %v", flush, err)
		}
		trips := n.trips.Load()
		t.Logf("script flushed %v: %d decisions in %d round trips", flush, goroutines, trips)
		if allowed != limit || trips > goroutines/3 {
			t.Errorf("script flushed %v: allowed %d, want %d; %d round trips for %d decisions", flush, allowed, limit, trips, goroutines)
		}
	}
}

// flushMidPipeline is a go-redis hook that, once armed, puts a SCRIPT
// FLUSH in the middle of the next pipeline of EVALSHAs: the calls before
// it run, the calls after it fail with NOSCRIPT.
type flushMidPipeline struct {
	armed, fired atomic.Bool
}

func (f *flushMidPipeline) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *flushMidPipeline) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (f *flushMidPipeline) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) < 2 || cmds[0].Name() != "evalsha" || !f.armed.CompareAndSwap(true, false) {
			return next(ctx, cmds)
		}
		f.fired.Store(true)
		half := len(cmds) / 2
		with := append(append(append([]redis.Cmder{}, cmds[:half]...), redis.NewStatusCmd(ctx, "script", "flush")), cmds[half:]...)
		return next(ctx, with)
	}
}

// TestScriptFlushMidBatchCountsOnce: when the server loses the script in
// the middle of a batch, only the decisions it refused are sent again;
// the ones it made before are not counted a second time. limit
// concurrent decisions of one caller at limit are all admitted.
func TestScriptFlushMidBatchCountsOnce(t *testing.T) {
	const limit = 20
	c := testClient(t)
	var f flushMidPipeline
	c.AddHook(&f)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	for try := 0; try < 50 && !f.fired.Load(); try++ {
		key := fmt.Sprintf("p:{caller-%d}", try)
		f.armed.Store(true)
		allowed, err := takeAtOnce(s, hourly(key, limit), limit)
		f.armed.Store(false)
		if err != nil {
			t.Fatal(err)
		}
		if f.fired.Load() && allowed != limit {
			t.Fatalf("a SCRIPT FLUSH in the middle of a batch: %d of %d decisions at limit %d admitted", allowed, limit, limit)
		}
	}
	if !f.fired.Load() {
		t.Fatal("no batch of two or more decisions in 50 tries")
	}
}

// takeAtOnce makes n decisions of item at once, from n goroutines released
// together, and returns how many were admitted, or the first error.
func takeAtOnce(s *Store, item ratelimit.Item, n int) (int64, error) {
	var allowed atomic.Int64
	var start, done sync.WaitGroup
	start.Add(1)
	errs := make(chan error, n)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			res := make([]ratelimit.Result, 1)
			start.Wait()
			if _, err := s.Take(context.Background(), []ratelimit.Item{item}, res); err != nil {
				errs <- err
			} else if res[0].Allowed {
				allowed.Add(1)
			}
		}()
	}
	start.Done()
	done.Wait()
	close(errs)
	return allowed.Load(), <-errs
}
