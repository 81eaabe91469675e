package rateredis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

// tripAfter is the number of consecutive failures that start a cooldown:
// one slow reply alone does not.
const tripAfter = 3

// maxIncrement bounds Cost*Interval (about 146 years), so that no sum the
// store makes overflows an int64 of Unix nanoseconds.
const maxIncrement = 1 << 62

// Store is a [ratelimit.Store] kept in Redis, shared by every process that
// uses the same Redis and prefix. It is safe for concurrent use. Make one
// with [New].
type Store struct {
	client   redis.UniversalClient
	script   *redis.Script
	cfg      config
	guarded  bool
	now      func() int64
	downTill atomic.Int64 // local Unix ns until which Redis is not asked
	fails    atomic.Int64 // consecutive failed batches
	bufs     sync.Pool
	calls    sync.Pool
	batches  sync.Pool

	mu       sync.Mutex
	queue    []*call // decisions waiting for a batch
	flushers int     // batches being sent or about to be
}

type buffers struct {
	keys []string
	key  []byte
	arg  []byte // the script's argument: four doubles per item
	args []any
}

// New returns a store that keeps its TATs in the Redis that client talks
// to (a *redis.Client, *redis.ClusterClient or *redis.Ring). New does no
// I/O: it succeeds while Redis is down, and the script is loaded on first
// use. It fails only on invalid options.
//
// Each decision is bounded by [WithTimeout]. go-redis applies a context's
// deadline to its reads only when the client was made with
// ContextTimeoutEnabled; for other clients the store sends on a separate
// goroutine so that a decision still returns by its deadline. Enable
// ContextTimeoutEnabled for the cheaper path.
//
// Decisions made at the same moment share round trips: while a few
// batches are on their way to Redis, further decisions queue and go
// together in the next one (a pipeline of script calls), so that a burst
// of concurrent requests needs a few connections, not one each, and does
// not wait for the connection pool past its deadline. go-redis's default
// pool (10 connections per CPU) is then ample.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("rateredis: nil redis client")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{
		client:  client,
		script:  redis.NewScript(gcraScript),
		cfg:     cfg,
		guarded: !contextTimeouts(client),
		now:     func() int64 { return time.Now().UnixNano() },
	}
	s.bufs.New = func() any { return new(buffers) }
	s.calls.New = func() any { return &call{done: make(chan struct{}, 1)} }
	s.batches.New = func() any { return new(batch) }
	return s, nil
}

// contextTimeouts reports whether client applies context deadlines to its
// network reads and writes.
func contextTimeouts(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// Take implements [ratelimit.Store] with one round trip to Redis: a Lua
// script (EVALSHA, loaded again with EVAL when the server has lost it)
// that reads the server's clock, decides every item with [ratelimit.GCRA]
// and writes the new TATs, each with a TTL, only if all items admit.
//
// When Redis fails or does not answer within the timeout (see
// [WithTimeout] and [WithCooldown]), Take returns an error that is a 503
// *problem.Problem ([problem.ServiceUnavailable]) with RetryAfter set,
// wrapping the cause (errors.Is(err, context.DeadlineExceeded) reports a
// missed deadline); the limiter then lets its fallback decide
// ([ratelimit.WithFallback]) or applies its failure policy. Invalid items
// (negative cost, interval or tolerance, or an increment beyond about 146
// years) are always an error.
func (s *Store) Take(ctx context.Context, items []ratelimit.Item, results []ratelimit.Result) (int64, error) {
	if len(results) < len(items) {
		return 0, fmt.Errorf("rateredis: %d results for %d items", len(results), len(items))
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b := s.bufs.Get().(*buffers)
	if err := s.encode(b, items); err != nil {
		s.bufs.Put(b)
		return 0, err
	}
	if until := s.downTill.Load(); until != 0 && s.now() < until {
		s.bufs.Put(b)
		return s.fail(errCoolingDown)
	}
	var reply string
	var err error
	if s.guarded {
		// The client may not honour the batch's deadline: wait no longer.
		ctx2, cancel := context.WithTimeout(ctx, s.cfg.timeout)
		reply, err = s.run(ctx2, b)
		if err != nil && ctx.Err() == nil && ctx2.Err() != nil && !errors.Is(err, ctx2.Err()) {
			err = fmt.Errorf("%w: %w", ctx2.Err(), err)
		}
		cancel()
		if ctx.Err() == nil {
			s.countFailure(err)
		}
	} else {
		reply, err = s.run(ctx, b)
	}
	if err == nil {
		var now int64
		if now, err = parseReply(reply, results[:len(items)]); err == nil {
			return now, nil
		}
	}
	if ctx.Err() != nil {
		// The caller gave up; that says nothing about Redis.
		return 0, ctx.Err()
	}
	return s.fail(err)
}

// errCoolingDown is the cause of decisions made without asking Redis
// because it failed moments ago.
var errCoolingDown = errors.New("redis failed recently; not asked during the cooldown")

// encode fills b with the Redis keys and the script argument of items:
// for each item its increment and its tolerance, each as whole seconds and
// the nanoseconds beyond them, as big-endian float64s (exact: all are
// integers below 2^53).
func (s *Store) encode(b *buffers, items []ratelimit.Item) error {
	b.keys = b.keys[:0]
	b.args = b.args[:0]
	b.arg = b.arg[:0]
	for i := range items {
		it := &items[i]
		if it.Cost < 0 || it.Interval < 0 || it.Tolerance < 0 {
			return fmt.Errorf("rateredis: item %q has a negative cost, interval or tolerance", it.Key)
		}
		if it.Cost > 0 && it.Interval > maxIncrement/it.Cost {
			return fmt.Errorf("rateredis: item %q: cost*interval exceeds %d ns", it.Key, int64(maxIncrement))
		}
		b.key = s.appendKey(b.key[:0], it.Key)
		b.keys = append(b.keys, string(b.key))
		inc := it.Cost * it.Interval
		for _, v := range [4]int64{inc / 1e9, inc % 1e9, it.Tolerance / 1e9, it.Tolerance % 1e9} {
			b.arg = binary.BigEndian.AppendUint64(b.arg, math.Float64bits(float64(v)))
		}
	}
	b.args = append(b.args, b.arg)
	return nil
}

// fail answers a decision Redis could not make.
func (s *Store) fail(cause error) (int64, error) {
	retry := max(s.cfg.cooldown, time.Second)
	return 0, problem.ServiceUnavailable.
		Wrap(fmt.Errorf("rateredis: %w", cause), "The rate limit store is unavailable").
		WithRetryAfter(retry)
}

// parseReply reads the script's reply into results and returns now. The
// reply is now as an instant (see [instant]), then for each item one byte,
// 1 if allowed and 0 if not, and the TAT as an instant.
func parseReply(reply string, results []ratelimit.Result) (int64, error) {
	if len(reply) != instantLen+(1+instantLen)*len(results) {
		return 0, fmt.Errorf("rateredis: script reply has %d bytes for %d items", len(reply), len(results))
	}
	now, ok := instant(reply)
	for i := range results {
		r := reply[instantLen+(1+instantLen)*i:]
		tat, ok1 := instant(r[1:])
		ok = ok && ok1 && (r[0] == 0 || r[0] == 1)
		results[i] = ratelimit.Result{Allowed: r[0] == 1, TAT: tat}
	}
	if !ok {
		return 0, fmt.Errorf("rateredis: malformed script reply %q", reply)
	}
	return now, nil
}

// instantLen is the length of an encoded instant.
const instantLen = 12

// instant reads the instant at the start of b, as the script writes
// instants in replies and stored TATs (struct.pack('>i8i4', seconds,
// nanoseconds)): a big-endian int64 of Unix seconds and a big-endian int32
// of the nanoseconds beyond them, 0 <= ns < 1e9. It returns Unix
// nanoseconds.
func instant(b string) (int64, bool) {
	if len(b) < instantLen {
		return 0, false
	}
	var u uint64
	for i := range 8 {
		u = u<<8 | uint64(b[i])
	}
	sec := int64(u)
	nsec := int64(int32(uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])))
	if nsec < 0 || nsec >= 1e9 ||
		sec > math.MaxInt64/int64(time.Second)-1 || sec < math.MinInt64/int64(time.Second) {
		return 0, false
	}
	return sec*1e9 + nsec, true
}

// Reset deletes the state of keys (one round trip), for
// [ratelimit.Limiter.Reset]. The keys of one call share a hash tag when
// they come from a Limiter, as Redis Cluster requires of a multi-key DEL.
func (s *Store) Reset(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = string(s.appendKey(nil, k))
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	if err := s.client.Del(ctx, full...).Err(); err != nil {
		return fmt.Errorf("rateredis: reset: %w", err)
	}
	return nil
}
