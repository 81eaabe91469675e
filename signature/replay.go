package signature

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"hash/maphash"
	"sync"
	"time"
)

// ReplayStore remembers the messages a verifier accepted, for replay
// protection ([WithReplayStore]). A verifier holds a message's id while
// the request runs ([ReplayStore.Reserve]) and gives it back when the
// request fails ([ReplayStore.Release]); a record held by no one expires
// at its time. Implementations must be safe for concurrent use, and every
// call safe to repeat (clients retry after timeouts); a shared store
// (Redis, a table with a unique key) lets several processes reject each
// other's replays.
//
// Keys are fixed-size digests of message ids (43 URL-safe base64
// characters), never the ids themselves; tokens are 26 base32 characters
// unique to one request.
type ReplayStore interface {
	// Reserve records key as held by token until the time until and
	// reports whether it was free: true when no unexpired record of key
	// exists, or when token already holds it (a repeated call). Of
	// concurrent calls with the same key and different tokens, at most one
	// returns true. An error makes the verifier answer 503.
	Reserve(ctx context.Context, key, token string, until time.Time) (bool, error)
	// Release drops the record of key if token holds it, so the message
	// may be accepted again; it does nothing otherwise.
	Release(ctx context.Context, key, token string) error
}

// replayKey is the store key of a message id: the SHA-256 of the id in
// unpadded URL-safe base64, so a store keeps a fixed size per message
// whatever the id.
func replayKey(id string) string {
	d := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(d[:])
}

// MemoryStore is the in-memory [ReplayStore]: safe for concurrent use,
// bounded (when full, the record closest to expiry is dropped first), with
// a constant size per record (a digest of the key and of the token, never
// the key itself), expired records dropped on every reservation and by a
// background sweep that [MemoryStore.Close] stops. It suits a single
// process.
type MemoryStore struct {
	now   func() time.Time
	max   int
	every time.Duration
	seed  maphash.Seed

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*replayEntry
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
		seed:    maphash.MakeSeed(),
		entries: map[[sha256.Size]byte]*replayEntry{},
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

// Reserve implements [ReplayStore].
func (m *MemoryStore) Reserve(ctx context.Context, key, token string, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	k := sha256.Sum256([]byte(key))
	tok := maphash.String(m.seed, token)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if e, ok := m.entries[k]; ok {
		return e.token == tok, nil
	}
	if !until.After(now) {
		return true, nil
	}
	e := &replayEntry{key: k, token: tok, until: until.UnixNano()}
	heap.Push(&m.byTime, e)
	m.entries[k] = e
	for len(m.entries) > m.max {
		old := heap.Pop(&m.byTime).(*replayEntry)
		delete(m.entries, old.key)
	}
	return true, nil
}

// Release implements [ReplayStore].
func (m *MemoryStore) Release(ctx context.Context, key, token string) error {
	k := sha256.Sum256([]byte(key))
	tok := maphash.String(m.seed, token)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[k]; ok && e.token == tok {
		heap.Remove(&m.byTime, e.index)
		delete(m.entries, k)
	}
	return nil
}

// Len returns the number of records kept, expired ones not yet dropped
// included.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
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
			now := m.now()
			m.mu.Lock()
			m.expire(now)
			m.mu.Unlock()
		}
	}
}

// expire drops the records whose time has come. m.mu must be held.
func (m *MemoryStore) expire(now time.Time) {
	n := now.UnixNano()
	for len(m.byTime) > 0 && m.byTime[0].until <= n {
		e := heap.Pop(&m.byTime).(*replayEntry)
		delete(m.entries, e.key)
	}
}

// replayEntry is one record: a fixed 56 bytes whatever the id.
type replayEntry struct {
	key   [sha256.Size]byte
	token uint64 // maphash of the holder's token
	until int64  // Unix nanoseconds
	index int    // in the heap
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []*replayEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until < h[j].until }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*replayEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}
