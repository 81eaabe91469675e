package idemredis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/redis/go-redis/v9"
)

const howTo = "set APIKIT_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the Redis store tests"

// TestMain skips the examples, which talk to a real Redis, when
// APIKIT_REDIS_URL is unset, the same way the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	idemtest.SkipExamplesWithout("APIKIT_REDIS_URL", "idemredis: examples skipped: "+howTo)
	os.Exit(m.Run())
}

// newClient returns a client for APIKIT_REDIS_URL with per-call context
// deadlines enabled, or skips the test.
func newClient(t testing.TB, hooks ...redis.Hook) *redis.Client {
	t.Helper()
	url := os.Getenv("APIKIT_REDIS_URL")
	if url == "" {
		t.Skip(howTo)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("APIKIT_REDIS_URL: %v", err)
	}
	opts.ContextTimeoutEnabled = true
	c := redis.NewClient(opts)
	for _, h := range hooks {
		c.AddHook(h)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix unique to this run and test, and deletes
// every key under it when the test ends.
func testPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := fmt.Sprintf("apikit-test:idem:%s:", hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// counter is a go-redis hook that counts round trips: each command sent on
// its own and each pipeline count one. NOSCRIPT replies (after which
// go-redis resends the script with EVAL) are counted apart.
type counter struct {
	mu        sync.Mutex
	trips     int
	noScripts int
	names     []string
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		c.mu.Lock()
		c.trips++
		c.names = append(c.names, cmd.Name())
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			c.noScripts++
		}
		c.mu.Unlock()
		return err
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.mu.Lock()
		c.trips++
		c.mu.Unlock()
		return next(ctx, cmds)
	}
}

// take returns the round trips since the last call, not counting the
// EVALSHA attempts answered with NOSCRIPT, and resets the counter.
func (c *counter) take() (trips, noScripts int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	trips, noScripts = c.trips-c.noScripts, c.noScripts
	c.trips, c.noScripts, c.names = 0, 0, nil
	return trips, noScripts
}

// mustNew is idemredis.New for options known to be valid.
func mustNew(c redis.Scripter, opts ...idemredis.Option) *idemredis.Store {
	s, err := idemredis.New(c, opts...)
	if err != nil {
		panic(err)
	}
	return s
}
