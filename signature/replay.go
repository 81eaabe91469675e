package signature

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// ReplayStore remembers the ids of accepted messages for replay
// protection ([WithReplayStore]). Implementations must be safe for
// concurrent use; a shared store (Redis SET NX PX, a table with a unique
// key) lets several processes reject each other's replays.
type ReplayStore interface {
	// Claim records id as accepted until the time until and reports
	// whether it is new: true when no unexpired record of id exists. It is
	// atomic: of concurrent calls with the same id, exactly one returns
	// true. An error makes the verifier answer 503.
	Claim(ctx context.Context, id string, until time.Time) (bool, error)
}

// MemoryStore is the in-memory [ReplayStore]: safe for concurrent use,
// bounded (when full, the id closest to expiry is dropped first), with
// expired ids dropped on every claim and by a background sweep that
// [MemoryStore.Close] stops. It suits a single process.
type MemoryStore struct {
	now   func() time.Time
	max   int
	every time.Duration

	mu      sync.Mutex
	entries map[string]*replayEntry
	byTime  expiryHeap

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewMemoryStore returns an empty store and starts its background sweep.
// Options that apply: [WithMaxEntries], [WithSweepInterval], [WithClock]
// (which should be the verifier's clock).
func NewMemoryStore(opts ...Option) (*MemoryStore, error) {
	c := newConfig()
	if err := c.apply(forStore, opts); err != nil {
		return nil, err
	}
	return newMemoryStore(c), nil
}

func newMemoryStore(c config) *MemoryStore {
	m := &MemoryStore{
		now:     c.now,
		max:     c.maxEntries,
		every:   c.sweepEvery,
		entries: map[string]*replayEntry{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if m.every > 0 {
		go m.sweepLoop()
	} else {
		close(m.done)
	}
	return m
}

// Claim implements [ReplayStore].
func (m *MemoryStore) Claim(ctx context.Context, id string, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if _, ok := m.entries[id]; ok {
		return false, nil
	}
	if !until.After(now) {
		return true, nil
	}
	e := &replayEntry{id: id, until: until}
	heap.Push(&m.byTime, e)
	m.entries[id] = e
	for len(m.entries) > m.max {
		old := heap.Pop(&m.byTime).(*replayEntry)
		delete(m.entries, old.id)
	}
	return true, nil
}

// Len returns the number of ids kept, expired ones not yet dropped
// included.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// sweep drops the expired ids now.
func (m *MemoryStore) sweep() {
	now := m.now()
	m.mu.Lock()
	m.expire(now)
	m.mu.Unlock()
}

// Close stops the background sweep and waits for it to end. The store
// keeps working; it is safe to call Close more than once.
func (m *MemoryStore) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}

func (m *MemoryStore) sweepLoop() {
	defer close(m.done)
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// expire drops the ids whose time has come. m.mu must be held.
func (m *MemoryStore) expire(now time.Time) {
	for len(m.byTime) > 0 && !m.byTime[0].until.After(now) {
		e := heap.Pop(&m.byTime).(*replayEntry)
		delete(m.entries, e.id)
	}
}

type replayEntry struct {
	id    string
	until time.Time
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []*replayEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(*replayEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}
