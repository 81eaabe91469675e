package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore is the in-memory Store: safe for concurrent use, bounded,
// for one process (tests, development, a single replica that may lose its
// queue on restart). Delivered messages are dropped oldest first to make
// room; when only pending messages and dead letters remain, Enqueue fails
// with ErrStoreFull.
type MemoryStore struct {
	mu        sync.Mutex
	max       int
	seq       int64
	msgs      map[string]*memRecord
	pending   map[string]*memRecord
	delivered []string     // oldest first; may hold ids already dropped
	dead      []*memRecord // the dead letters by NextAt, then ID
	disabled  map[string]bool
}

type memRecord struct {
	m        Message
	seq      int64
	token    string
	attempts []Attempt
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store. Its options: WithMaxEntries.
func NewMemoryStore(opts ...Option) (*MemoryStore, error) {
	c, err := newConfig(forMemory, opts)
	if err != nil {
		return nil, err
	}
	return &MemoryStore{
		max:      c.maxEntries,
		msgs:     make(map[string]*memRecord),
		pending:  make(map[string]*memRecord),
		disabled: make(map[string]bool),
	}, nil
}

// Len returns the number of messages kept, in every state.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Enqueue implements Store.
func (s *MemoryStore) Enqueue(ctx context.Context, m Message) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.msgs[m.ID]; ok {
		return false, nil
	}
	for len(s.msgs) >= s.max && len(s.delivered) > 0 {
		id := s.delivered[0]
		s.delivered = s.delivered[1:]
		if r, ok := s.msgs[id]; ok && r.m.State == Delivered {
			delete(s.msgs, id)
		}
	}
	if len(s.msgs) >= s.max {
		return false, ErrStoreFull
	}
	s.seq++
	m.Payload = slices.Clone(m.Payload)
	m.State, m.Attempts, m.Failures = Pending, 0, 0
	r := &memRecord{m: m, seq: s.seq}
	s.msgs[m.ID] = r
	s.pending[m.ID] = r
	return true, nil
}

// Lease implements Store. It scans the pending messages: fine for the
// queues one process keeps.
func (s *MemoryStore) Lease(ctx context.Context, req LeaseRequest) (Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var heads map[string]int64
	if req.Ordered {
		heads = make(map[string]int64)
		for _, r := range s.pending {
			if h, ok := heads[r.m.Endpoint]; !ok || r.seq < h {
				heads[r.m.Endpoint] = r.seq
			}
		}
	}
	var best *memRecord
	for _, r := range s.pending {
		if r.m.NextAt.After(req.Now) || s.disabled[r.m.Endpoint] || slices.Contains(req.Skip, r.m.Endpoint) {
			continue
		}
		if req.Ordered && heads[r.m.Endpoint] != r.seq {
			continue
		}
		if best == nil || r.m.NextAt.Before(best.m.NextAt) || (r.m.NextAt.Equal(best.m.NextAt) && r.seq < best.seq) {
			best = r
		}
	}
	if best == nil {
		return Message{}, false, nil
	}
	m := best.m
	m.Payload = slices.Clone(m.Payload)
	best.token = req.Token
	best.m.NextAt = req.Until
	return m, true, nil
}

// Finish implements Store.
func (s *MemoryStore) Finish(ctx context.Context, id, token string, res Result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.msgs[id]
	if !ok || r.token != token {
		return ErrLeaseLost
	}
	if r.m.Attempts == res.Attempt.Number {
		return nil // repeated
	}
	if r.m.State != Pending || r.m.Attempts != res.Attempt.Number-1 {
		return ErrLeaseLost
	}
	r.m.Attempts = res.Attempt.Number
	r.attempts = append(r.attempts, res.Attempt)
	next := res.NextAt
	if next.IsZero() {
		next = res.Attempt.At
	}
	// Without a monotonic reading, times compare the same way whichever
	// clock made them.
	r.m.State, r.m.NextAt, r.m.Failures = res.State, next.Round(0), res.Failures
	if res.State != Pending {
		delete(s.pending, id)
	}
	switch res.State {
	case Delivered:
		s.delivered = append(s.delivered, id)
	case Dead:
		i, _ := s.deadIndex(r)
		s.dead = slices.Insert(s.dead, i, r)
	}
	if res.DisableEndpoint {
		s.disabled[r.m.Endpoint] = true
	}
	return nil
}

// Release implements Store.
func (s *MemoryStore) Release(ctx context.Context, id, token string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.msgs[id]
	if !ok || r.token != token || r.m.State != Pending {
		return ErrLeaseLost
	}
	r.m.NextAt = at
	return nil
}

// Message implements Store.
func (s *MemoryStore) Message(ctx context.Context, id string) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.msgs[id]
	if !ok {
		return Message{}, ErrNotFound
	}
	m := r.m
	m.Payload = slices.Clone(m.Payload)
	return m, nil
}

// Attempts implements Store.
func (s *MemoryStore) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.msgs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]Attempt{}, r.attempts...), nil
}

// Replay implements Store.
func (s *MemoryStore) Replay(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.msgs[id]
	switch {
	case !ok:
		return ErrNotFound
	case r.m.State == Pending:
		return nil
	case r.m.State != Dead:
		return ErrNotDead
	}
	if i, ok := s.deadIndex(r); ok {
		s.dead = slices.Delete(s.dead, i, i+1)
	}
	r.m.State, r.m.NextAt, r.m.Failures = Pending, at, 0
	r.token = ""
	s.pending[id] = r
	return nil
}

// deadIndex finds r's place in the index of dead letters, and whether it
// is there.
func (s *MemoryStore) deadIndex(r *memRecord) (int, bool) {
	return slices.BinarySearchFunc(s.dead, r, func(e, r *memRecord) int { return deadCmp(e, r.m.NextAt, r.m.ID) })
}

// deadCmp orders dead letter r against the place (at, id).
func deadCmp(r *memRecord, at time.Time, id string) int {
	if c := r.m.NextAt.Compare(at); c != 0 {
		return c
	}
	return strings.Compare(r.m.ID, id)
}

// DeadLetters implements Store. It finds q.After by binary search in its
// index of dead letters, then walks the index (past other endpoints' dead
// letters, with q.Endpoint).
func (s *MemoryStore) DeadLetters(ctx context.Context, q DeadQuery) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if q.Limit < 1 || q.Limit > MaxDeadLimit {
		return nil, fmt.Errorf("webhook: dead letters: limit %d: want 1 to %d", q.Limit, MaxDeadLimit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := 0
	if q.After != nil {
		var found bool
		i, found = slices.BinarySearchFunc(s.dead, *q.After, func(e *memRecord, c DeadCursor) int { return deadCmp(e, c.At, c.ID) })
		if found {
			i++
		}
	}
	out := []Message{}
	for _, r := range s.dead[i:] {
		if len(out) == q.Limit {
			break
		}
		if q.Endpoint != "" && r.m.Endpoint != q.Endpoint {
			continue
		}
		m := r.m
		m.Payload = slices.Clone(m.Payload)
		out = append(out, m)
	}
	return out, nil
}

// SetEndpointDisabled implements Store.
func (s *MemoryStore) SetEndpointDisabled(ctx context.Context, endpoint string, disabled bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if disabled {
		s.disabled[endpoint] = true
	} else {
		delete(s.disabled, endpoint)
	}
	return nil
}

// EndpointDisabled implements Store.
func (s *MemoryStore) EndpointDisabled(ctx context.Context, endpoint string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disabled[endpoint], nil
}
