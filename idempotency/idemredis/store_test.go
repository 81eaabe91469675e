package idemredis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/redis/go-redis/v9"
)

const (
	lease     = 10 * time.Second
	retention = time.Hour
)

func newStore(t testing.TB) (*idemredis.Store, *redis.Client) {
	t.Helper()
	c := newClient(t)
	return mustNew(c, idemredis.WithPrefix(testPrefix(t, c))), c
}

func TestClaimOutcomes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   func(t *testing.T, s *idemredis.Store)
		fp      string
		want    idempotency.Outcome
		wantRes string
	}{
		{name: "new key acquired", setup: func(*testing.T, *idemredis.Store) {}, fp: "f1", want: idempotency.Acquired},
		{name: "in progress", setup: func(t *testing.T, s *idemredis.Store) { mustClaim(t, s, "f1", "o1", idempotency.Acquired) }, fp: "f1", want: idempotency.InProgress},
		{name: "in progress other fingerprint is a mismatch", setup: func(t *testing.T, s *idemredis.Store) { mustClaim(t, s, "f1", "o1", idempotency.Acquired) }, fp: "f2", want: idempotency.Mismatch},
		{name: "completed replays", setup: func(t *testing.T, s *idemredis.Store) {
			mustClaim(t, s, "f1", "o1", idempotency.Acquired)
			mustNil(t, s.Complete(ctx, "k", "o1", []byte("resp\x00\xff"), retention))
		}, fp: "f1", want: idempotency.Completed, wantRes: "resp\x00\xff"},
		{name: "completed empty response replays", setup: func(t *testing.T, s *idemredis.Store) {
			mustClaim(t, s, "f1", "o1", idempotency.Acquired)
			mustNil(t, s.Complete(ctx, "k", "o1", nil, retention))
		}, fp: "f1", want: idempotency.Completed, wantRes: ""},
		{name: "completed other fingerprint is a mismatch", setup: func(t *testing.T, s *idemredis.Store) {
			mustClaim(t, s, "f1", "o1", idempotency.Acquired)
			mustNil(t, s.Complete(ctx, "k", "o1", []byte("r"), retention))
		}, fp: "f2", want: idempotency.Mismatch},
		{name: "released key acquired again", setup: func(t *testing.T, s *idemredis.Store) {
			mustClaim(t, s, "f1", "o1", idempotency.Acquired)
			mustNil(t, s.Release(ctx, "k", "o1"))
		}, fp: "f2", want: idempotency.Acquired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			tt.setup(t, s)
			got, err := s.Claim(ctx, "k", tt.fp, "o2", lease)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want {
				t.Fatalf("outcome = %v, want %v", got.Outcome, tt.want)
			}
			if string(got.Response) != tt.wantRes {
				t.Errorf("response = %q, want %q", got.Response, tt.wantRes)
			}
			if tt.want == idempotency.InProgress && (got.RetryAfter <= 0 || got.RetryAfter > lease) {
				t.Errorf("RetryAfter = %v, want in (0, %v]", got.RetryAfter, lease)
			}
		})
	}
}

func TestOwnerChecks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, s *idemredis.Store)
		op    func(s *idemredis.Store) error
	}{
		{name: "complete by other owner", setup: claimed, op: func(s *idemredis.Store) error { return s.Complete(ctx, "k", "o2", []byte("x"), retention) }},
		{name: "extend by other owner", setup: claimed, op: func(s *idemredis.Store) error { return s.Extend(ctx, "k", "o2", lease) }},
		{name: "release by other owner", setup: claimed, op: func(s *idemredis.Store) error { return s.Release(ctx, "k", "o2") }},
		{name: "complete missing key", setup: func(*testing.T, *idemredis.Store) {}, op: func(s *idemredis.Store) error { return s.Complete(ctx, "k", "o1", []byte("x"), retention) }},
		{name: "extend missing key", setup: func(*testing.T, *idemredis.Store) {}, op: func(s *idemredis.Store) error { return s.Extend(ctx, "k", "o1", lease) }},
		{name: "release missing key", setup: func(*testing.T, *idemredis.Store) {}, op: func(s *idemredis.Store) error { return s.Release(ctx, "k", "o1") }},
		{name: "complete twice", setup: completed, op: func(s *idemredis.Store) error { return s.Complete(ctx, "k", "o1", []byte("y"), retention) }},
		{name: "extend completed", setup: completed, op: func(s *idemredis.Store) error { return s.Extend(ctx, "k", "o1", lease) }},
		{name: "release completed", setup: completed, op: func(s *idemredis.Store) error { return s.Release(ctx, "k", "o1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			tt.setup(t, s)
			before, err := s.Claim(ctx, "k", "f1", "probe", lease)
			mustNil(t, err)
			if before.Outcome == idempotency.Acquired {
				mustNil(t, s.Release(ctx, "k", "probe"))
			}
			if err := tt.op(s); !errors.Is(err, idempotency.ErrNotOwner) {
				t.Fatalf("err = %v, want ErrNotOwner", err)
			}
			after, err := s.Claim(ctx, "k", "f1", "probe", lease)
			mustNil(t, err)
			if after.Outcome != before.Outcome || string(after.Response) != string(before.Response) {
				t.Errorf("record changed: before %v %q, after %v %q", before.Outcome, before.Response, after.Outcome, after.Response)
			}
		})
	}
}

func TestKeyTTLs(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	key := s.Key("k")
	mustClaim(t, s, "f1", "o1", idempotency.Acquired)
	if ttl := c.PTTL(ctx, key).Val(); ttl <= 0 || ttl > lease {
		t.Errorf("in-progress TTL = %v, want in (0, %v]", ttl, lease)
	}
	mustNil(t, s.Extend(ctx, "k", "o1", 3*lease))
	if ttl := c.PTTL(ctx, key).Val(); ttl <= lease || ttl > 3*lease {
		t.Errorf("extended TTL = %v, want in (%v, %v]", ttl, lease, 3*lease)
	}
	mustNil(t, s.Complete(ctx, "k", "o1", []byte("r"), retention))
	if ttl := c.PTTL(ctx, key).Val(); ttl <= 3*lease || ttl > retention {
		t.Errorf("completed TTL = %v, want in (%v, %v]", ttl, 3*lease, retention)
	}

	mustClaim(t, s, "f1", "o2", idempotency.Completed)
	if ttl := c.PTTL(ctx, key).Val(); ttl <= 3*lease {
		t.Errorf("a replay changed the TTL to %v", ttl)
	}
}

// TestLeaseRunsOut relies on Redis expiring the record: after the lease the
// key is free, even for a different fingerprint, and the stale owner can no
// longer complete it.
func TestLeaseRunsOut(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	if _, err := s.Claim(ctx, "k", "f1", "o1", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for c.Exists(ctx, s.Key("k")).Val() == 1 {
		time.Sleep(time.Millisecond)
	}
	mustClaim(t, s, "f2", "o2", idempotency.Acquired)
	if err := s.Complete(ctx, "k", "o1", []byte("stale"), retention); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("stale complete: err = %v, want ErrNotOwner", err)
	}
}

func TestScriptFlushSurvived(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	mustClaim(t, s, "f1", "o1", idempotency.Acquired)
	steps := []struct {
		name string
		op   func() error
	}{
		{"extend", func() error { return s.Extend(ctx, "k", "o1", lease) }},
		{"complete", func() error { return s.Complete(ctx, "k", "o1", []byte("r"), retention) }},
		{"claim", func() error {
			got, err := s.Claim(ctx, "k", "f1", "o2", lease)
			if err == nil && got.Outcome != idempotency.Completed {
				err = fmt.Errorf("outcome %v", got.Outcome)
			}
			return err
		}},
		{"release", func() error {
			if _, err := s.Claim(ctx, "k2", "f1", "o3", lease); err != nil {
				return err
			}
			c.ScriptFlush(ctx)
			return s.Release(ctx, "k2", "o3")
		}},
	}
	for _, st := range steps {
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := st.op(); err != nil {
			t.Fatalf("%s after SCRIPT FLUSH: %v", st.name, err)
		}
	}
}

func TestInvalidDurations(t *testing.T) {
	idemtest.RunInvalidDurations(t, mustNew(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})), "idemredis: ")
}

// ops calls each Store method once and returns the errors by name.
func ops(ctx context.Context, s *idemredis.Store) map[string]error {
	_, claimErr := s.Claim(ctx, "k", "f", "o", lease)
	return map[string]error{
		"claim":    claimErr,
		"extend":   s.Extend(ctx, "k", "o", lease),
		"complete": s.Complete(ctx, "k", "o", []byte("r"), retention),
		"release":  s.Release(ctx, "k", "o"),
	}
}

func TestServerDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	defer c.Close()
	s := mustNew(c)
	for name, err := range ops(context.Background(), s) {
		if err == nil || errors.Is(err, idempotency.ErrNotOwner) || !strings.HasPrefix(err.Error(), "idemredis: "+name) {
			t.Errorf("%s: err = %v, want a idemredis connection error", name, err)
		}
	}
}

func TestContextDeadline(t *testing.T) {
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	c := redis.NewClient(&redis.Options{
		Addr: ln.Addr().String(), MaxRetries: -1, Protocol: 2,
		ContextTimeoutEnabled: true, ReadTimeout: time.Hour, WriteTimeout: time.Hour,
		DisableIdentity: true,
	})
	defer c.Close()
	s := mustNew(c)

	t.Run("deadline passes during the call", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		for name, err := range ops(ctx, s) {
			if !isTimeout(err) {
				t.Errorf("%s: err = %v, want a deadline error", name, err)
			}
		}
	})
	t.Run("context already done", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for name, err := range ops(ctx, s) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", name, err)
			}
		}
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func TestConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	const n = 64
	var wg sync.WaitGroup
	results := make([]idempotency.Outcome, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.Claim(ctx, "k", "f", fmt.Sprintf("o%d", i), lease)
			results[i], errs[i] = got.Outcome, err
		}()
	}
	wg.Wait()
	acquired := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch results[i] {
		case idempotency.Acquired:
			acquired++
		case idempotency.InProgress:
		default:
			t.Errorf("claim %d: outcome %v", i, results[i])
		}
	}
	if acquired != 1 {
		t.Fatalf("%d claims acquired the key, want 1", acquired)
	}
}

func mustClaim(t *testing.T, s *idemredis.Store, fp, owner string, want idempotency.Outcome) {
	t.Helper()
	got, err := s.Claim(context.Background(), "k", fp, owner, lease)
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != want {
		t.Fatalf("claim outcome = %v, want %v", got.Outcome, want)
	}
}

func claimed(t *testing.T, s *idemredis.Store) { mustClaim(t, s, "f1", "o1", idempotency.Acquired) }

func completed(t *testing.T, s *idemredis.Store) {
	claimed(t, s)
	mustNil(t, s.Complete(context.Background(), "k", "o1", []byte("r"), retention))
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestScopeFlood(t *testing.T) {
	c := newClient(t)
	idemtest.RunScopeFlood(t, mustNew(c, idemredis.WithPrefix(testPrefix(t, c)), idemredis.WithMaxScopeEntries(20)), 20)
}
