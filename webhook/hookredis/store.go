package hookredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/redis/go-redis/v9"
)

// Store is a webhook.Store in Redis. It is safe for concurrent use; any
// number of processes may share its keys.
type Store struct {
	c         redis.UniversalClient
	prefix    string
	timeout   time.Duration
	retention time.Duration
}

var _ webhook.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix sets the prefix of every key. Default: "apikit:webhook:".
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithTimeout bounds every call, on top of the caller's deadline.
// Default: 5s.
func WithTimeout(d time.Duration) Option { return func(s *Store) { s.timeout = d } }

// WithRetention sets how long a delivered message and its attempts are
// kept (and so how long Enqueue with its id stays a no-op). Default: 7
// days.
func WithRetention(d time.Duration) Option { return func(s *Store) { s.retention = d } }

// walk is how many due entries one lease looks at, at most.
const walk = 256

// park is how far a disabled endpoint's message met by a lease is pushed.
const park = time.Minute

// New returns a Store over client.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	s := &Store{c: client, prefix: "apikit:webhook:", timeout: 5 * time.Second, retention: 7 * 24 * time.Hour}
	for _, o := range opts {
		o(s)
	}
	if client == nil {
		return nil, errors.New("hookredis: nil client")
	}
	if s.timeout <= 0 {
		return nil, fmt.Errorf("hookredis: WithTimeout(%v): want a positive duration", s.timeout)
	}
	if s.retention < time.Millisecond {
		return nil, fmt.Errorf("hookredis: WithRetention(%v): want at least a millisecond", s.retention)
	}
	return s, nil
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) msgKey(id string) string      { return s.prefix + "m:" + id }
func (s *Store) attemptsKey(id string) string { return s.prefix + "a:" + id }
func (s *Store) epKey(ep string) string       { return s.prefix + "ep:" + ep }
func (s *Store) due() string                  { return s.prefix + "due" }
func (s *Store) disabled() string             { return s.prefix + "disabled" }
func (s *Store) dead() string                 { return s.prefix + "dead" }

// deadEntry is a dead letter's entry in the dead index: its death time in
// microseconds, zero-padded so that the entries sort by it (byte-wise,
// the order of ZRANGEBYLEX), then its id.
func deadEntry(at time.Time, id string) string { return deadEntryMicros(micros(at), id) }

func deadEntryMicros(us int64, id string) string { return fmt.Sprintf("%020d:%s", max(us, 0), id) }

// deadWalk is how many stale entries one DeadLetters call removes at most.
const deadWalk = 1000

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.UnixMicro(n).UTC()
}

// Enqueue implements webhook.Store in one script.
func (s *Store) Enqueue(ctx context.Context, m webhook.Message) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := enqueueScript.Run(ctx, s.c,
		[]string{s.msgKey(m.ID), s.due(), s.epKey(m.Endpoint), s.prefix + "seq"},
		m.ID, m.Endpoint, m.Type, m.Payload, micros(m.CreatedAt), micros(m.NextAt)).Int()
	if err != nil {
		return false, fmt.Errorf("hookredis: enqueue: %w", err)
	}
	return n == 1, nil
}

// Lease implements webhook.Store in one script.
func (s *Store) Lease(ctx context.Context, r webhook.LeaseRequest) (webhook.Message, bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ordered := "0"
	if r.Ordered {
		ordered = "1"
	}
	args := make([]any, 0, 7+len(r.Skip))
	args = append(args, s.prefix, micros(r.Now), micros(r.Until), r.Token, ordered, walk, park.Microseconds())
	for _, ep := range r.Skip {
		args = append(args, ep)
	}
	res, err := leaseScript.Run(ctx, s.c, []string{s.due(), s.disabled()}, args...).StringSlice()
	if errors.Is(err, redis.Nil) {
		return webhook.Message{}, false, nil
	}
	if err != nil {
		return webhook.Message{}, false, fmt.Errorf("hookredis: lease: %w", err)
	}
	if len(res) != 8 {
		return webhook.Message{}, false, fmt.Errorf("hookredis: lease: unexpected reply of %d items", len(res))
	}
	attempts, _ := strconv.Atoi(res[4])
	failures, _ := strconv.Atoi(res[5])
	return webhook.Message{
		ID: res[0], Endpoint: res[1], Type: res[2], Payload: []byte(res[3]),
		State: webhook.Pending, Attempts: attempts, Failures: failures,
		CreatedAt: fromMicros(res[6]), NextAt: fromMicros(res[7]),
	}, true, nil
}

// attempt is an Attempt as stored in the attempts list.
type attempt struct {
	N int    `json:"n"`
	A int64  `json:"at"`
	S int    `json:"s"`
	L int64  `json:"l"`
	E string `json:"e,omitempty"`
}

// Finish implements webhook.Store in one script.
func (s *Store) Finish(ctx context.Context, id, token string, r webhook.Result) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	a := r.Attempt
	enc, err := json.Marshal(attempt{N: a.Number, A: micros(a.At), S: a.Status, L: a.Latency.Microseconds(), E: a.Error})
	if err != nil {
		return fmt.Errorf("hookredis: finish: %w", err)
	}
	next := r.NextAt
	if next.IsZero() {
		next = a.At
	}
	disable := "0"
	if r.DisableEndpoint {
		disable = "1"
	}
	n, err := finishScript.Run(ctx, s.c,
		[]string{s.msgKey(id), s.due(), s.attemptsKey(id), s.disabled(), s.dead()},
		id, token, a.Number, int(r.State), micros(next), r.Failures, enc, disable, s.prefix, s.retention.Milliseconds(),
		deadEntry(next, id)).Int()
	if err != nil {
		return fmt.Errorf("hookredis: finish: %w", err)
	}
	if n < 0 {
		return webhook.ErrLeaseLost
	}
	return nil
}

// Release implements webhook.Store in one script.
func (s *Store) Release(ctx context.Context, id, token string, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := releaseScript.Run(ctx, s.c, []string{s.msgKey(id), s.due()}, id, token, micros(at)).Int()
	if err != nil {
		return fmt.Errorf("hookredis: release: %w", err)
	}
	if n != 1 {
		return webhook.ErrLeaseLost
	}
	return nil
}

// Message implements webhook.Store.
func (s *Store) Message(ctx context.Context, id string) (webhook.Message, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	f, err := s.c.HMGet(ctx, s.msgKey(id), "endpoint", "type", "payload", "state", "attempts", "failures", "created", "next").Result()
	if err != nil {
		return webhook.Message{}, fmt.Errorf("hookredis: message: %w", err)
	}
	if f[0] == nil {
		return webhook.Message{}, webhook.ErrNotFound
	}
	str := func(v any) string { s, _ := v.(string); return s }
	num := func(v any) int { n, _ := strconv.Atoi(str(v)); return n }
	return webhook.Message{
		ID: id, Endpoint: str(f[0]), Type: str(f[1]), Payload: []byte(str(f[2])),
		State: webhook.State(num(f[3])), Attempts: num(f[4]), Failures: num(f[5]),
		CreatedAt: fromMicros(str(f[6])), NextAt: fromMicros(str(f[7])),
	}, nil
}

// Attempts implements webhook.Store.
func (s *Store) Attempts(ctx context.Context, id string) ([]webhook.Attempt, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	pipe := s.c.Pipeline()
	list := pipe.LRange(ctx, s.attemptsKey(id), 0, -1)
	exists := pipe.Exists(ctx, s.msgKey(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("hookredis: attempts: %w", err)
	}
	if exists.Val() == 0 {
		return nil, webhook.ErrNotFound
	}
	out := make([]webhook.Attempt, 0, len(list.Val()))
	for _, enc := range list.Val() {
		var a attempt
		if err := json.Unmarshal([]byte(enc), &a); err != nil {
			return nil, fmt.Errorf("hookredis: attempts: %w", err)
		}
		out = append(out, webhook.Attempt{
			Number: a.N, At: time.UnixMicro(a.A).UTC(), Status: a.S,
			Latency: time.Duration(a.L) * time.Microsecond, Error: a.E,
		})
	}
	return out, nil
}

// Replay implements webhook.Store in one script.
func (s *Store) Replay(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := replayScript.Run(ctx, s.c, []string{s.msgKey(id), s.due(), s.dead()}, id, micros(at), s.prefix).Int()
	if err != nil {
		return fmt.Errorf("hookredis: replay: %w", err)
	}
	switch n {
	case -1:
		return webhook.ErrNotFound
	case -2:
		return webhook.ErrNotDead
	}
	return nil
}

// DeadLetters implements webhook.Store in one script over the index of
// dead letters (all of them, or q.Endpoint's): a range by entry from the
// cursor, so its cost grows with the page, not with the queue.
func (s *Store) DeadLetters(ctx context.Context, q webhook.DeadQuery) ([]webhook.Message, error) {
	if q.Limit < 1 || q.Limit > webhook.MaxDeadLimit {
		return nil, fmt.Errorf("hookredis: dead letters: limit %d: want 1 to %d", q.Limit, webhook.MaxDeadLimit)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	index := s.dead()
	if q.Endpoint != "" {
		index += ":" + q.Endpoint
	}
	start := "-"
	if q.After != nil {
		start = "(" + deadEntry(q.After.At, q.After.ID)
	}
	res, err := deadLettersScript.Run(ctx, s.c, []string{index}, start, q.Limit, s.prefix, deadWalk).Slice()
	if err != nil {
		return nil, fmt.Errorf("hookredis: dead letters: %w", err)
	}
	out := make([]webhook.Message, 0, len(res))
	for _, r := range res {
		f, ok := r.([]any)
		if !ok || len(f) != 8 {
			return nil, fmt.Errorf("hookredis: dead letters: unexpected reply %T", r)
		}
		str := func(v any) string { s, _ := v.(string); return s }
		num := func(v any) int { n, _ := strconv.Atoi(str(v)); return n }
		out = append(out, webhook.Message{
			ID: str(f[0]), Endpoint: str(f[1]), Type: str(f[2]), Payload: []byte(str(f[3])),
			State: webhook.Dead, Attempts: num(f[4]), Failures: num(f[5]),
			CreatedAt: fromMicros(str(f[6])), NextAt: fromMicros(str(f[7])),
		})
	}
	return out, nil
}

// SetEndpointDisabled implements webhook.Store in one script.
func (s *Store) SetEndpointDisabled(ctx context.Context, endpoint string, disabled bool) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	flag := "0"
	if disabled {
		flag = "1"
	}
	if err := setEndpointScript.Run(ctx, s.c, []string{s.disabled(), s.due(), s.epKey(endpoint)}, endpoint, flag, s.prefix).Err(); err != nil {
		return fmt.Errorf("hookredis: set endpoint: %w", err)
	}
	return nil
}

// EndpointDisabled implements webhook.Store.
func (s *Store) EndpointDisabled(ctx context.Context, endpoint string) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ok, err := s.c.SIsMember(ctx, s.disabled(), endpoint).Result()
	if err != nil {
		return false, fmt.Errorf("hookredis: endpoint: %w", err)
	}
	return ok, nil
}
