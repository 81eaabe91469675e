package sigredis_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/signature/internal/replaytest"
	"github.com/apikit-go/apikit/signature/sigredis"
	"github.com/redis/go-redis/v9"
)

// client connects to APIKIT_REDIS_URL, or skips the test.
func client(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("APIKIT_REDIS_URL")
	if url == "" {
		t.Skip("set APIKIT_REDIS_URL (for example redis://127.0.0.1:6379/0) to run the Redis tests; " +
			"they write only keys under a unique prefix and delete them")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newStore returns a store under a prefix of its own and deletes its keys
// at the end.
func newStore(t *testing.T, c *redis.Client) (*sigredis.Store, string) {
	t.Helper()
	prefix := "apikit:test:sig:" + rand.Text() + ":"
	s, err := sigredis.New(c, sigredis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return s, prefix
}

func TestConformance(t *testing.T) {
	c := client(t)
	replaytest.Run(t, func(t *testing.T) signature.ReplayStore {
		s, _ := newStore(t, c)
		return s
	})
}

// A record is a key of fixed length whatever the message id, expiring with
// the tolerance window.
func TestRecordSize(t *testing.T) {
	c := client(t)
	s, prefix := newStore(t, c)
	secret := signature.NewSecret()
	v, err := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(s))
	if err != nil {
		t.Fatal(err)
	}
	sg, _ := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
	for _, id := range []string{"m", strings.Repeat("x", 256)} {
		h := map[string][]string{}
		if err := sg.Sign(h, id, time.Now(), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), h, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := c.Keys(context.Background(), prefix+"*").Result()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	for _, k := range keys {
		if len(k) != len(prefix)+43 {
			t.Fatalf("key %q: want the prefix and a 43-character digest", k)
		}
		ttl, _ := c.PTTL(context.Background(), k).Result()
		if ttl <= 4*time.Minute || ttl > 5*time.Minute {
			t.Fatalf("TTL %v, want the 5-minute tolerance", ttl)
		}
		val, _ := c.Get(context.Background(), k).Result()
		if len(val) != 26 {
			t.Fatalf("value %q, want a 26-character token", val)
		}
	}
}

func TestOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, o := range []sigredis.Option{sigredis.WithPrefix(""), sigredis.WithTimeout(0)} {
		if _, err := sigredis.New(c, o); err == nil {
			t.Fatal("bad option accepted")
		}
	}
	if _, err := sigredis.New(nil); err == nil {
		t.Fatal("nil client accepted")
	}
	// A Redis that does not answer: the error comes back within the timeout.
	s, err := sigredis.New(c, sigredis.WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Reserve(context.Background(), "k", "t", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("no error from a closed port")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}
