package hookredis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookredis"
	"github.com/apikit-go/apikit/webhook/hooktest"
	"github.com/redis/go-redis/v9"
)

const howTo = "set APIKIT_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the Redis store tests"

// newClient returns a client for APIKIT_REDIS_URL, or skips the test.
func newClient(t testing.TB) *redis.Client {
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
	opts.PoolSize = 32
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix unique to the test and deletes its keys
// when the test ends.
func testPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "apikit-test:hook:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func newStore(t testing.TB, c *redis.Client, opts ...hookredis.Option) *hookredis.Store {
	t.Helper()
	s, err := hookredis.New(c, append([]hookredis.Option{hookredis.WithPrefix(testPrefix(t, c))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	c := newClient(t)
	hooktest.Run(t, func(t *testing.T) webhook.Store { return newStore(t, c) })
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	c := newClient(t)
	for _, o := range []hookredis.Option{hookredis.WithTimeout(0), hookredis.WithRetention(0)} {
		if _, err := hookredis.New(c, o); err == nil {
			t.Error("New accepted a bad option")
		}
	}
	if _, err := hookredis.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}

// The dead-letter indexes hold exactly the dead letters: the Finish that
// kills a message adds it, Replay takes it out, with nothing left behind
// for a later read to clean up.
func TestDeadIndexFollowsMoves(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	s, err := hookredis.New(c, hookredis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ep := "https://example.com/hooks"
	now := time.Now()
	if _, err := s.Enqueue(ctx, webhook.Message{ID: "m1", Endpoint: ep, Payload: []byte(`{}`), CreatedAt: now, NextAt: now}); err != nil {
		t.Fatal(err)
	}
	check := func(when string, want int64) {
		t.Helper()
		for _, k := range []string{prefix + "dead", prefix + "dead:" + ep} {
			if n := c.ZCard(ctx, k).Val(); n != want {
				t.Errorf("%s: %s holds %d entries; want %d", when, k, n, want)
			}
		}
	}
	for round := 1; round <= 2; round++ {
		tok := fmt.Sprint("t", round)
		if _, ok, err := s.Lease(ctx, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: tok}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		res := webhook.Result{Attempt: webhook.Attempt{Number: round, At: now.Add(time.Duration(round) * time.Second), Status: 500}, State: webhook.Dead}
		for range 2 { // a repeated Finish adds nothing
			if err := s.Finish(ctx, "m1", tok, res); err != nil {
				t.Fatal(err)
			}
		}
		check(fmt.Sprint("dead, round ", round), 1)
		if err := s.Replay(ctx, "m1", now); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprint("replayed, round ", round), 0)
	}
}
