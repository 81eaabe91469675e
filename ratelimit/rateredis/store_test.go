package rateredis

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
)

// hourly returns an item of limit requests per hour, burst limit.
func hourly(key string, limit int64) ratelimit.Item {
	interval := int64(time.Hour) / limit
	return ratelimit.Item{Key: key, Interval: interval, Tolerance: limit * interval, Cost: 1}
}

func TestTakeAdmitsExactlyNConcurrently(t *testing.T) {
	const limit, goroutines, attempts = 50, 16, 20
	c := testClient(t)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	var allowed, denied atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items := []ratelimit.Item{hourly("p:caller", limit)}
			res := make([]ratelimit.Result, 1)
			for range attempts {
				if _, err := s.Take(context.Background(), items, res); err != nil {
					errs <- err
					return
				}
				if res[0].Allowed {
					allowed.Add(1)
				} else {
					denied.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if allowed.Load() != limit || denied.Load() != goroutines*attempts-limit {
		t.Fatalf("allowed %d, denied %d; want exactly %d allowed of %d", allowed.Load(), denied.Load(), limit, goroutines*attempts)
	}
}

func TestTakeIsAllOrNothing(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	prefix := testPrefix(t, c)
	s := mustNew(t, c, WithPrefix(prefix))
	wide, narrow := hourly("wide:caller", 100), hourly("narrow:caller", 2)
	res := make([]ratelimit.Result, 2)
	var tats []int64
	for i := range 3 {
		if _, err := s.Take(ctx, []ratelimit.Item{wide, narrow}, res); err != nil {
			t.Fatal(err)
		}
		want := i < 2
		if res[0].Allowed != true || res[1].Allowed != want {
			t.Fatalf("take %d: %+v, want wide allowed and narrow allowed=%v", i, res, want)
		}
		tats = append(tats, res[0].TAT)
	}
	// The third decision was denied by narrow: wide's TAT must not move.
	v, err := c.Get(ctx, string(s.appendKey(nil, wide.Key))).Result()
	if err != nil {
		t.Fatal(err)
	}
	stored := decodeTAT(t, v)
	if stored != tats[1] {
		t.Fatalf("wide's stored TAT %d, want %d (unchanged by the denied decision)", stored, tats[1])
	}
	if tats[2] > tats[1] {
		t.Fatalf("denied decision reported wide's TAT %d beyond the stored %d", tats[2], tats[1])
	}
}

func TestTakeSetsTTLOnEveryKey(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	prefix := testPrefix(t, c)
	s := mustNew(t, c, WithPrefix(prefix))
	items := []ratelimit.Item{
		hourly("hour:caller", 10),
		{Key: "second:caller", Interval: int64(100 * time.Millisecond), Tolerance: int64(time.Second), Cost: 3},
		{Key: "nano:caller", Interval: 1, Tolerance: 10, Cost: 1},
	}
	res := make([]ratelimit.Result, len(items))
	if _, err := s.Take(ctx, items, res); err != nil {
		t.Fatal(err)
	}
	keys := scanKeys(t, c, prefix)
	if len(keys) < 2 {
		t.Fatalf("found keys %q, want at least the hour and second keys", keys)
	}
	for _, k := range keys {
		pttl, err := c.Do(ctx, "PTTL", k).Int64()
		if err != nil {
			t.Fatal(err)
		}
		if pttl == -1 || pttl > int64(time.Hour/10/time.Millisecond) {
			t.Errorf("key %s: PTTL %d ms, want a TTL no longer than its TAT's distance", k, pttl)
		}
	}
}

func TestKeyIsPrefixAndLimiterKey(t *testing.T) {
	s := mustNew(t, redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), WithPrefix("app:"))
	if got := string(s.appendKey(nil, "10/1s:{partner-1}")); got != "app:10/1s:{partner-1}" {
		t.Fatalf("key %q", got)
	}
}

func TestTakeSurvivesScriptFlush(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	var n counter
	c.AddHook(&n)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	items := []ratelimit.Item{hourly("p:caller", 10)}
	res := make([]ratelimit.Result, 1)
	for i := range 3 {
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		n.reset()
		if _, err := s.Take(ctx, items, res); err != nil {
			t.Fatalf("take %d after SCRIPT FLUSH: %v", i, err)
		}
		if !res[0].Allowed {
			t.Fatalf("take %d denied", i)
		}
		if got := strings.Join(n.commands(), ","); got != "evalsha,eval" {
			t.Fatalf("commands after a flush: %s, want evalsha,eval", got)
		}
		n.reset()
		if _, err := s.Take(ctx, items, res); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(n.commands(), ","); got != "evalsha" {
			t.Fatalf("commands once loaded: %s, want one evalsha", got)
		}
	}
}

func TestTakeEmptyAndInvalid(t *testing.T) {
	c := testClient(t)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	ctx := context.Background()
	if now, err := s.Take(ctx, nil, nil); err != nil || now <= 0 {
		t.Fatalf("empty decision: now %d, err %v; want the server's time", now, err)
	}
	tests := []struct {
		name string
		item ratelimit.Item
		res  int
	}{
		{"negative cost", ratelimit.Item{Key: "k", Interval: 1, Tolerance: 1, Cost: -1}, 1},
		{"negative interval", ratelimit.Item{Key: "k", Interval: -1, Tolerance: 1, Cost: 1}, 1},
		{"negative tolerance", ratelimit.Item{Key: "k", Interval: 1, Tolerance: -1, Cost: 1}, 1},
		{"overflowing increment", ratelimit.Item{Key: "k", Interval: 1 << 40, Tolerance: 1, Cost: 1 << 30}, 1},
		{"short results", ratelimit.Item{Key: "k", Interval: 1, Tolerance: 1, Cost: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Take(ctx, []ratelimit.Item{tt.item}, make([]ratelimit.Result, tt.res))
			if err == nil || !strings.HasPrefix(err.Error(), "rateredis: ") {
				t.Fatalf("err %v, want a rateredis error", err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []Option
		want   string
	}{
		{"nil client", nil, nil, "nil redis client"},
		{"brace in prefix", c, []Option{WithPrefix("a{b}:")}, "prefix"},
		{"zero timeout", c, []Option{WithTimeout(0)}, "timeout"},
		{"negative cooldown", c, []Option{WithCooldown(-time.Second)}, "cooldown"},
		{"nil option", c, []Option{nil}, "nil option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.client, tt.opts...)
			if err == nil || s != nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "rateredis: ") {
				t.Fatalf("New: %v, %v; want an error about %q", s, err, tt.want)
			}
		})
	}
}
