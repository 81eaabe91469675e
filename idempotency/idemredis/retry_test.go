package idemredis_test

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/apikit-go/apikit/internal/faultproxy"
	"github.com/redis/go-redis/v9"
)

// proxiedClient returns a client that reaches APIKIT_REDIS_URL through a
// fault proxy, with go-redis' default retries and a short read timeout.
func proxiedClient(t *testing.T, delay time.Duration) (*redis.Client, *faultproxy.Proxy) {
	t.Helper()
	raw := os.Getenv("APIKIT_REDIS_URL")
	if raw == "" {
		t.Skip(howTo)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	p := faultproxy.New(t, u.Host, delay)
	opts.Addr = p.Addr()
	opts.ReadTimeout = 200 * time.Millisecond
	opts.MaxRetries = 3
	opts.MinRetryBackoff, opts.MaxRetryBackoff = time.Millisecond, 2*time.Millisecond
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c, p
}

// TestClaimRetriedAfterReadTimeout reproduces go-redis resending the claim
// script after a read timeout: the server ran the first claim, its reply
// came too late, and the resent claim comes from the same owner. It must
// be granted; before, it answered "in progress" and the key's first
// request got a 409 and the key stayed blocked for the lease.
func TestClaimRetriedAfterReadTimeout(t *testing.T) {
	c, p := proxiedClient(t, 400*time.Millisecond)
	direct := newClient(t)
	prefix := testPrefix(t, direct)
	s := mustNew(c, idemredis.WithPrefix(prefix))
	ctx := context.Background()
	for i, key := range []string{"unscoped-key", "0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		p.Stall.Store(true)
		claim, err := s.Claim(ctx, key, "fp", "owner-1", 10*time.Second)
		if err != nil || claim.Outcome != idempotency.Acquired {
			t.Fatalf("key %d: claim whose reply timed out and was retried: %v, %v; want acquired", i, claim.Outcome, err)
		}
		if p.Stall.Load() {
			t.Fatal("the proxy never stalled a reply: the test did not exercise the retry")
		}
		if err := s.Complete(ctx, key, "owner-1", []byte("r"), time.Minute); err != nil {
			t.Fatalf("key %d: Complete by the owner: %v", i, err)
		}
	}
}

// TestFrozenServer: a server that stops answering fails each call within
// the store's timeout.
func TestFrozenServer(t *testing.T) {
	c, p := proxiedClient(t, 0)
	direct := newClient(t)
	s := mustNew(c, idemredis.WithPrefix(testPrefix(t, direct)), idemredis.WithTimeout(100*time.Millisecond))
	p.Freeze.Store(true)
	defer p.Freeze.Store(false)
	start := time.Now()
	_, err := s.Claim(context.Background(), "k", "fp", "o", time.Second)
	if err == nil {
		t.Fatal("claim on a frozen server: no error")
	}
	// go-redis applies ReadTimeout (200 ms) per attempt when the context
	// deadline is not enabled; with it, the store timeout bounds the call.
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("claim on a frozen server took %v", d)
	}
}

// TestMiddlewareOnFrozenServer: with Redis frozen (a proxy that forwards
// nothing), a keyed request gets 503 with Retry-After within about the
// middleware's store timeout, and its handler never runs.
func TestMiddlewareOnFrozenServer(t *testing.T) {
	c, p := proxiedClient(t, 0)
	direct := newClient(t)
	// Without the claim's deadline, go-redis would wait for its read
	// timeout (200ms here, 3s by default) on each of its 4 attempts.
	idemtest.RunFrozenServer(t, mustNew(c, idemredis.WithPrefix(testPrefix(t, direct))), p.Freeze.Store)
}
