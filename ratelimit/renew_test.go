package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// leaseStore is a store whose concurrency slots are leases, as on a
// shared store, kept in memory: GCRA by the memory store, slots by token
// with an expiry.
type leaseStore struct {
	*ratelimit.MemoryStore
	mu     sync.Mutex
	leases map[string]time.Time // token → end of its lease
	n      int

	renewals atomic.Int64
	renew    func(ctx context.Context) (held bool, err error) // nil: renew a held slot
}

func newLeaseStore(t testing.TB) *leaseStore {
	t.Helper()
	m := must(ratelimit.NewMemoryStore())
	t.Cleanup(func() { m.Close() })
	return &leaseStore{MemoryStore: m, leases: map[string]time.Time{}}
}

// dropExpired removes the ended leases; s.mu is held.
func (s *leaseStore) dropExpired(now time.Time) {
	for tok, end := range s.leases {
		if !now.Before(end) {
			delete(s.leases, tok)
		}
	}
}

func (s *leaseStore) Acquire(_ context.Context, _ string, limit int64, lease time.Duration) (string, int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.dropExpired(now)
	if n := int64(len(s.leases)); n >= limit {
		return "", n, false, nil
	}
	s.n++
	tok := strconv.Itoa(s.n)
	s.leases[tok] = now.Add(lease)
	return tok, int64(len(s.leases)), true, nil
}

func (s *leaseStore) Release(_ context.Context, _, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leases, token)
	return nil
}

func (s *leaseStore) Renew(ctx context.Context, _, token string, lease time.Duration) (bool, error) {
	s.renewals.Add(1)
	if s.renew != nil {
		return s.renew(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.dropExpired(now)
	if _, ok := s.leases[token]; !ok {
		return false, nil
	}
	s.leases[token] = now.Add(lease)
	return true, nil
}

func (s *leaseStore) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(time.Now())
	return len(s.leases)
}

// noRenew is a lease store without the Renew method.
type noRenew struct{ s *leaseStore }

func (n noRenew) Take(ctx context.Context, items []ratelimit.Item, results []ratelimit.Result) (int64, error) {
	return n.s.Take(ctx, items, results)
}
func (n noRenew) Acquire(ctx context.Context, key string, limit int64, lease time.Duration) (string, int64, bool, error) {
	return n.s.Acquire(ctx, key, limit, lease)
}
func (n noRenew) Release(ctx context.Context, key, token string) error {
	return n.s.Release(ctx, key, token)
}

// events collects the events of an observer.
type events struct {
	mu sync.Mutex
	ev []ratelimit.Event
}

func (e *events) observe(ev ratelimit.Event) {
	e.mu.Lock()
	e.ev = append(e.ev, ev)
	e.mu.Unlock()
}

func (e *events) count(kind ratelimit.EventKind, errText string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.ev {
		if ev.Kind == kind && (errText == "" || ev.Err != nil && strings.Contains(ev.Err.Error(), errText)) {
			n++
		}
	}
	return n
}

// TestConcurrencyRenewal: a handler that runs for several leases keeps
// its slot (a second request is refused until it returns), renewals stop
// when it returns or panics, and the slot is free at once.
func TestConcurrencyRenewal(t *testing.T) {
	const lease = 60 * time.Millisecond
	for _, path := range []string{"/", "/panic"} {
		s := newLeaseStore(t)
		lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(1000)},
			ratelimit.WithKey(func(*http.Request) string { return "acme" }),
			ratelimit.WithConcurrency(1, lease)))
		h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Has("slow") {
				time.Sleep(5 * lease)
				if r.URL.Path == "/panic" {
					panic("handler failed")
				}
			}
		}))
		done := make(chan int)
		go func() {
			defer func() { _ = recover() }()
			rec := httptest.NewRecorder()
			defer func() { done <- rec.Code }()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path+"?slow", nil))
		}()
		time.Sleep(3 * lease)
		if code := serve(h, httptest.NewRequest(http.MethodGet, "/", nil)).Code; code != http.StatusTooManyRequests {
			t.Errorf("%s: a second request after three leases: %d, want 429", path, code)
		}
		<-done
		if n := s.held(); n != 0 {
			t.Errorf("%s: %d slots held after the handler returned", path, n)
		}
		renewals := s.renewals.Load()
		if renewals < 4 {
			t.Errorf("%s: %d renewals over five leases, want at least 4", path, renewals)
		}
		time.Sleep(2 * lease)
		if n := s.renewals.Load(); n != renewals {
			t.Errorf("%s: %d renewals after the handler returned", path, n-renewals)
		}
	}
}

// TestConcurrencyRenewalFailures: a renewal that fails is reported and
// tried again, one that finds the slot lost is reported once and not
// repeated, one that hangs is cut off at its deadline; the request runs
// on and succeeds in every case.
func TestConcurrencyRenewalFailures(t *testing.T) {
	const lease = 90 * time.Millisecond
	for _, tc := range []struct {
		name       string
		renew      func(ctx context.Context) (bool, error)
		kind       ratelimit.EventKind
		errText    string
		minEvents  int
		maxEvents  int
		maxRenewal int64
	}{
		{"store down", func(context.Context) (bool, error) { return false, errors.New("connection refused") },
			ratelimit.EventStoreError, "ratelimit: concurrency renew: connection refused", 3, 100, 100},
		{"slot lost", func(context.Context) (bool, error) { return false, nil },
			ratelimit.EventLeaseLost, "", 1, 1, 1},
		{"store hangs", func(ctx context.Context) (bool, error) {
			if _, ok := ctx.Deadline(); !ok {
				return false, errors.New("no deadline")
			}
			<-ctx.Done()
			return false, ctx.Err()
		}, ratelimit.EventStoreError, "deadline exceeded", 2, 100, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newLeaseStore(t)
			s.renew = tc.renew
			var ev events
			lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(1000)},
				ratelimit.WithConcurrency(1, lease), ratelimit.WithObserver(ev.observe)))
			h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(4 * lease)
				_, _ = w.Write([]byte("done"))
			}))
			start := time.Now()
			rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
			if took := time.Since(start); rec.Code != 200 || rec.Body.String() != "done" || took > 4*lease+lease/2 {
				t.Errorf("the request: %d %q in %v, want 200 done in about %v", rec.Code, rec.Body, took, 4*lease)
			}
			time.Sleep(lease / 3) // a renewal under way ends
			if n := ev.count(tc.kind, tc.errText); n < tc.minEvents || n > tc.maxEvents {
				t.Errorf("%d events %q (%q), want %d to %d: %v", n, tc.kind, tc.errText, tc.minEvents, tc.maxEvents, ev.ev)
			}
			if n := s.renewals.Load(); n > tc.maxRenewal {
				t.Errorf("%d renewals, want at most %d", n, tc.maxRenewal)
			}
		})
	}
}

// TestConcurrencyRenewalAllocs: renewing costs a request three
// allocations (its renewal, timer and timer function), and a store
// without Renew none.
func TestConcurrencyRenewalAllocs(t *testing.T) {
	s := newLeaseStore(t)
	allocs := func(store ratelimit.Store) float64 {
		lim := must(ratelimit.New(store, []ratelimit.Policy{{Limit: 1e9, Period: time.Second}},
			ratelimit.WithKey(func(*http.Request) string { return "partner-1" }),
			ratelimit.WithConcurrency(1000, time.Minute)))
		h := lim.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		w := &discard{h: http.Header{}}
		return testing.AllocsPerRun(200, func() {
			clear(w.h)
			h.ServeHTTP(w, r)
		})
	}
	with, without := allocs(s), allocs(noRenew{s})
	if with-without > 3 {
		t.Errorf("renewal costs %v allocations per request (%v with Renew, %v without), want at most 3", with-without, with, without)
	}
	if s.renewals.Load() != 0 {
		t.Errorf("%d renewals of requests shorter than a lease", s.renewals.Load())
	}
}
