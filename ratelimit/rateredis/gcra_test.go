package rateredis

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
)

// fixedClockScript is the production script with TIME replaced by an
// instant given in two extra trailing arguments (seconds, microseconds), so
// that exact boundaries can be checked against the Go decision.
var fixedClockScript = redis.NewScript(strings.Replace(gcraScript,
	"redis.call('TIME')", "{table.remove(ARGV, #ARGV - 1), table.remove(ARGV)}", 1))

// expectation is what ratelimit.GCRA says a decision must do.
type expectation struct {
	results []ratelimit.Result
	stored  []int64 // value of each key afterwards; 0 when absent
	written []bool
}

// expect computes the decision of items at now, given the stored TATs (0
// for a missing key), with the Go reference.
func expect(now int64, stored []int64, items []ratelimit.Item) expectation {
	e := expectation{
		results: make([]ratelimit.Result, len(items)),
		stored:  append([]int64(nil), stored...),
		written: make([]bool, len(items)),
	}
	all := true
	for i, it := range items {
		ok, tat := ratelimit.GCRA(now, stored[i], it)
		e.results[i] = ratelimit.Result{Allowed: ok, TAT: tat}
		all = all && ok
	}
	for i := range items {
		old := max(stored[i], now)
		if !all {
			e.results[i].TAT = old
			continue
		}
		if e.results[i].TAT != old {
			e.stored[i] = e.results[i].TAT
			e.written[i] = true
		}
	}
	return e
}

// randomDecision makes 1–3 items with random parameters and stored TATs
// around now.
func randomDecision(r *rand.Rand, now int64) ([]ratelimit.Item, []int64) {
	n := 1 + r.IntN(3)
	items := make([]ratelimit.Item, n)
	stored := make([]int64, n)
	for i := range items {
		interval := 1 + r.Int64N(int64(10*time.Second))
		if r.IntN(4) == 0 {
			interval = 1 + r.Int64N(1000) // sub-microsecond intervals
		}
		tol := (r.Int64N(10)) * interval
		if r.IntN(3) == 0 {
			tol += r.Int64N(interval) // tolerances that are not a multiple
		}
		items[i] = ratelimit.Item{Key: "k" + strconv.Itoa(i), Interval: interval, Tolerance: tol, Cost: r.Int64N(4)}
		switch r.IntN(5) {
		case 0: // new key
		case 1: // exactly on the boundary: newTAT - now == tolerance
			stored[i] = now + tol - items[i].Cost*interval
			if stored[i] <= now {
				stored[i] = now + 1 + r.Int64N(1000)
			}
		case 2: // one nanosecond past the boundary
			stored[i] = now + tol - items[i].Cost*interval + 1
			if stored[i] <= now {
				stored[i] = now - r.Int64N(int64(time.Hour))
			}
		default:
			stored[i] = now + r.Int64N(2*tol+2*interval+1) - tol - interval
		}
		if stored[i] < 0 {
			stored[i] = 0
		}
	}
	return items, stored
}

// seed writes stored TATs (without TTL) under the Redis keys of items, in
// the current or (for even TATs) the earlier format.
func seed(t *testing.T, c *redis.Client, s *Store, items []ratelimit.Item, stored []int64) []string {
	t.Helper()
	ctx := context.Background()
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = string(s.appendKey(nil, it.Key))
		c.Del(ctx, keys[i])
		if stored[i] != 0 {
			// Half the keys in the format of earlier versions (decimal
			// nanoseconds), which the script must keep reading.
			v := encodeTAT(stored[i])
			if stored[i]%2 == 0 {
				v = strconv.FormatInt(stored[i], 10)
			}
			if err := c.Set(ctx, keys[i], v, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return keys
}

// check compares Redis's state and the results with e.
func check(t *testing.T, c *redis.Client, keys []string, got []ratelimit.Result, e expectation, now int64, items []ratelimit.Item) {
	t.Helper()
	ctx := context.Background()
	for i, k := range keys {
		if got[i] != e.results[i] {
			t.Fatalf("item %d %+v: result %+v, Go's GCRA says %+v", i, items[i], got[i], e.results[i])
		}
		v, err := c.Get(ctx, k).Result()
		var val int64
		if err == nil {
			val = decodeTAT(t, v)
			if e.written[i] && len(v) != instantLen {
				t.Fatalf("item %d: written as %q, want the 12-byte format", i, v)
			}
		} else if err != redis.Nil {
			t.Fatal(err)
		}
		shortTTL := e.written[i] && e.stored[i]-now <= int64(100*time.Millisecond)
		if val == 0 && shortTTL {
			continue // written with a TTL of a few ms, already expired
		}
		if val != e.stored[i] {
			t.Fatalf("item %d %+v: stored %d, want %d", i, items[i], val, e.stored[i])
		}
		if !e.written[i] {
			continue
		}
		// PTTL is in whole milliseconds and counts down from the write: a
		// key of a very short TTL may already be gone (-2) or at 0.
		pttl, err := c.Do(ctx, "PTTL", k).Int64()
		if err != nil {
			t.Fatal(err)
		}
		maxTTL := max((e.stored[i]-now+999_999)/1_000_000, 1)
		if pttl == -1 || pttl > maxTTL || (pttl == -2 && maxTTL > 100) {
			t.Fatalf("item %d: PTTL %d ms, want a TTL of at most %d ms", i, pttl, maxTTL)
		}
	}
}

func TestScriptMatchesGoGCRA(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	r := rand.New(rand.NewPCG(1, 2))

	t.Run("fixed clock", func(t *testing.T) {
		for n := range 400 {
			now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano() + r.Int64N(int64(24*time.Hour))
			now -= now % 1000 // TIME has microseconds
			items, stored := randomDecision(r, now)
			keys := seed(t, c, s, items, stored)
			b := new(buffers)
			if err := s.encode(b, items); err != nil {
				t.Fatal(err)
			}
			reply, err := fixedClockScript.Run(ctx, c, b.keys,
				append(b.args, now/1e9, now%1e9/1000)...).Text()
			if err != nil {
				t.Fatalf("decision %d: %v", n, err)
			}
			got := make([]ratelimit.Result, len(items))
			gotNow, err := parseReply(reply, got)
			if err != nil || gotNow != now {
				t.Fatalf("decision %d: now %d (%v), want %d", n, gotNow, err, now)
			}
			check(t, c, keys, got, expect(now, stored, items), now, items)
		}
	})

	t.Run("server clock", func(t *testing.T) {
		for range 200 {
			srv, err := c.Time(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			items, stored := randomDecision(r, srv.UnixNano())
			keys := seed(t, c, s, items, stored)
			got := make([]ratelimit.Result, len(items))
			now, err := s.Take(ctx, items, got)
			if err != nil {
				t.Fatal(err)
			}
			if now < srv.UnixNano() || now%1000 != 0 {
				t.Fatalf("now %d is before the server's time %d or finer than a microsecond", now, srv.UnixNano())
			}
			check(t, c, keys, got, expect(now, stored, items), now, items)
		}
	})
}

func TestScriptIgnoresMalformedValues(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	item := ratelimit.Item{Key: "bad", Interval: int64(time.Hour), Tolerance: int64(time.Hour), Cost: 1}
	key := string(s.appendKey(nil, item.Key))
	for _, v := range []string{"", "abc", "-5", "1e30", "12.5", "99999999999999999999999", " 1"} {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			c.Set(ctx, key, v, time.Minute)
			res := make([]ratelimit.Result, 1)
			now, err := s.Take(ctx, []ratelimit.Item{item}, res)
			if err != nil {
				t.Fatal(err)
			}
			if want := (ratelimit.Result{Allowed: true, TAT: now + item.Interval}); res[0] != want {
				t.Fatalf("got %+v, want %+v (a malformed value is a new key)", res[0], want)
			}
		})
	}
}

// TestScriptReadsEarlierFormat checks that TATs stored by earlier versions
// (decimal Unix nanoseconds) keep their limits after an upgrade and are
// rewritten in the current format on the next admitted decision.
func TestScriptReadsEarlierFormat(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	item := ratelimit.Item{Key: "old:caller", Interval: int64(time.Hour), Tolerance: int64(time.Hour), Cost: 1}
	key := string(s.appendKey(nil, item.Key))
	tests := []struct {
		name    string
		ahead   time.Duration // stored TAT minus the server's time
		allowed bool
	}{
		{"limit in force", 30 * time.Minute, false},
		{"room left", -time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := c.Time(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			old := srv.UnixNano() + int64(tt.ahead)
			if err := c.Set(ctx, key, strconv.FormatInt(old, 10), time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			res := make([]ratelimit.Result, 1)
			now, err := s.Take(ctx, []ratelimit.Item{item}, res)
			if err != nil {
				t.Fatal(err)
			}
			want := expect(now, []int64{old}, []ratelimit.Item{item})
			if res[0] != want.results[0] || res[0].Allowed != tt.allowed {
				t.Fatalf("got %+v, want %+v", res[0], want.results[0])
			}
			v, err := c.Get(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeTAT(t, v); got != want.stored[0] {
				t.Fatalf("stored %d, want %d", got, want.stored[0])
			}
			if tt.allowed && v != encodeTAT(want.stored[0]) {
				t.Fatalf("stored %q after an admitted decision, want the 12-byte format", v)
			}
		})
	}
}
