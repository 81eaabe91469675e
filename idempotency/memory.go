package idempotency

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrStoreFull reports that a [MemoryStore] is at its size cap: it refuses
// new keys rather than evict records that are in progress or kept for
// replay. The middleware answers such a claim like any store failure: 503
// with Retry-After (or runs the handler unprotected under [FailOpen]).
var ErrStoreFull = errors.New("idempotency: memory store is full")

// Defaults of [NewMemoryStore].
const (
	DefaultMemoryMaxEntries    = 100_000
	DefaultMemoryMaxBytes      = 128 << 20
	DefaultMemorySweepInterval = time.Minute
)

// entryOverhead approximates the bytes a record costs beyond its strings:
// the map slot, the entry struct and the heap slot.
const entryOverhead = 160

// MemoryStore is a [Store] in this process's memory: the default for a
// single replica, with no set-up. It is safe for concurrent use.
//
// It is bounded: at most MaxEntries records and about MaxBytes of keys,
// fingerprints and responses. When full it refuses new keys with
// [ErrStoreFull]; it never evicts a live record, so a key in progress or kept
// for replay always keeps its promise. Records whose lease or retention ran
// out are removed by a background sweep every SweepInterval and, when the
// store is full, before a new key is refused. [MemoryStore.Close] stops the
// sweep.
type MemoryStore struct {
	now        func() time.Time
	maxEntries int
	maxBytes   int64
	sweepEvery time.Duration

	mu      sync.Mutex
	entries map[string]*memEntry
	byTime  expiryHeap
	bytes   int64

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type memEntry struct {
	key, fingerprint, owner string
	completed               bool
	response                []byte
	expires                 time.Time
	size                    int64
	index                   int // in the expiry heap
}

// MemoryOption configures a [MemoryStore].
type MemoryOption func(*MemoryStore)

// MemoryMaxEntries caps the number of records (default
// [DefaultMemoryMaxEntries]). n ≤ 0 keeps the default.
func MemoryMaxEntries(n int) MemoryOption {
	return func(s *MemoryStore) {
		if n > 0 {
			s.maxEntries = n
		}
	}
}

// MemoryMaxBytes caps the approximate memory held by records (default
// [DefaultMemoryMaxBytes]). The cap is checked when a key is claimed, so it
// can be passed by the responses of requests already running. n ≤ 0 keeps
// the default.
func MemoryMaxBytes(n int64) MemoryOption {
	return func(s *MemoryStore) {
		if n > 0 {
			s.maxBytes = n
		}
	}
}

// MemorySweepInterval sets how often expired records are removed (default
// [DefaultMemorySweepInterval]). d ≤ 0 keeps the default.
func MemorySweepInterval(d time.Duration) MemoryOption {
	return func(s *MemoryStore) {
		if d > 0 {
			s.sweepEvery = d
		}
	}
}

// MemoryClock sets the clock leases and retentions are measured with
// (default time.Now), for tests.
func MemoryClock(now func() time.Time) MemoryOption {
	return func(s *MemoryStore) {
		if now != nil {
			s.now = now
		}
	}
}

// NewMemoryStore returns an empty MemoryStore and starts its sweep. Call
// Close when done with it.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	s := &MemoryStore{
		now:        time.Now,
		maxEntries: DefaultMemoryMaxEntries,
		maxBytes:   DefaultMemoryMaxBytes,
		sweepEvery: DefaultMemorySweepInterval,
		entries:    make(map[string]*memEntry),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	go s.sweepLoop()
	return s
}

// Close stops the background sweep and waits for it to end. The store stays
// usable (expired records are then removed only when it is full). Close is
// idempotent and always returns nil.
func (s *MemoryStore) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
	})
	return nil
}

// Len returns the number of records held, including expired ones not yet
// swept.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

func (s *MemoryStore) sweepLoop() {
	defer close(s.done)
	t := time.NewTicker(s.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			s.sweepLocked(s.now())
			s.mu.Unlock()
		}
	}
}

// sweepLocked removes every record expired at now.
func (s *MemoryStore) sweepLocked(now time.Time) {
	for len(s.byTime) > 0 && !s.byTime[0].expires.After(now) {
		s.removeLocked(s.byTime[0])
	}
}

func (s *MemoryStore) removeLocked(e *memEntry) {
	heap.Remove(&s.byTime, e.index)
	delete(s.entries, e.key)
	s.bytes -= e.size
}

// liveLocked returns key's record unless it is absent or expired at now.
func (s *MemoryStore) liveLocked(key string, now time.Time) *memEntry {
	e := s.entries[key]
	if e == nil || !e.expires.After(now) {
		return nil
	}
	return e
}

// Claim implements [Store].
func (s *MemoryStore) Claim(_ context.Context, key, fingerprint, owner string, lease time.Duration) (Claim, error) {
	if lease <= 0 {
		return Claim{}, fmt.Errorf("idempotency: lease must be positive, got %v", lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.entries[key]
	if e != nil && !e.expires.After(now) {
		s.removeLocked(e)
		e = nil
	}
	if e == nil {
		if len(s.entries) >= s.maxEntries || s.bytes >= s.maxBytes {
			s.sweepLocked(now)
			if len(s.entries) >= s.maxEntries || s.bytes >= s.maxBytes {
				return Claim{}, fmt.Errorf("%w (%d records, about %d bytes)", ErrStoreFull, len(s.entries), s.bytes)
			}
		}
		e = &memEntry{key: key, fingerprint: fingerprint, owner: owner, expires: now.Add(lease)}
		e.size = int64(len(key)+len(fingerprint)+len(owner)) + entryOverhead
		s.entries[key] = e
		heap.Push(&s.byTime, e)
		s.bytes += e.size
		return Claim{Outcome: Acquired}, nil
	}
	switch {
	case e.fingerprint != fingerprint:
		return Claim{Outcome: Mismatch}, nil
	case !e.completed:
		return Claim{Outcome: InProgress, RetryAfter: e.expires.Sub(now)}, nil
	}
	return Claim{Outcome: Completed, Response: append([]byte{}, e.response...)}, nil
}

// heldLocked returns key's record if owner holds it in progress.
func (s *MemoryStore) heldLocked(key, owner string) (*memEntry, time.Time, error) {
	now := s.now()
	e := s.liveLocked(key, now)
	if e == nil || e.completed || e.owner != owner {
		return nil, now, ErrNotOwner
	}
	return e, now, nil
}

// Extend implements [Store].
func (s *MemoryStore) Extend(_ context.Context, key, owner string, lease time.Duration) error {
	if lease <= 0 {
		return fmt.Errorf("idempotency: lease must be positive, got %v", lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, now, err := s.heldLocked(key, owner)
	if err != nil {
		return err
	}
	e.expires = now.Add(lease)
	heap.Fix(&s.byTime, e.index)
	return nil
}

// Complete implements [Store].
func (s *MemoryStore) Complete(_ context.Context, key, owner string, response []byte, retention time.Duration) error {
	if retention <= 0 {
		return fmt.Errorf("idempotency: retention must be positive, got %v", retention)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, now, err := s.heldLocked(key, owner)
	if err != nil {
		return err
	}
	e.completed = true
	e.response = append([]byte{}, response...)
	e.expires = now.Add(retention)
	heap.Fix(&s.byTime, e.index)
	s.bytes += int64(len(response))
	e.size += int64(len(response))
	return nil
}

// Release implements [Store].
func (s *MemoryStore) Release(_ context.Context, key, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, _, err := s.heldLocked(key, owner)
	if err != nil {
		return err
	}
	s.removeLocked(e)
	return nil
}

// expiryHeap orders records by expiry, soonest first.
type expiryHeap []*memEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *expiryHeap) Push(x any) {
	e := x.(*memEntry)
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
