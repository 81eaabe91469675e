package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryStore is the in-memory [Store]: GCRA state for one process, safe
// for concurrent use. It is the default choice for a single replica; use a
// shared store (ratelimit/rateredis) when several replicas must share one
// limit.
//
// Keys are spread over shards, each with its own mutex, so goroutines
// working on different keys rarely contend. A key is kept as a 64-bit hash
// with a random per-store seed, next to its TAT: about 40 bytes per key
// whatever the key's length, and nothing allocated when a decision is made.
// (Two distinct keys share a bucket only if their hashes collide, with
// probability about n²/2⁶⁵ for n live keys; the seed is secret, so callers
// cannot aim for a collision.)
//
// A key whose TAT is in the past is the same as a key never seen, so idle
// keys are removed without changing any decision: by a background sweep
// that visits one shard at a time, and on demand when a shard is full.
// Shards give memory back to the runtime when most of their keys are gone.
//
// The number of keys is capped ([WithMaxEntries]), for the store as a
// whole. When a new key arrives and the store is full, idle keys are
// evicted first (of the key's shard, then of the others); if none is idle
// the new key is denied, reported as an exhausted bucket (Remaining 0, retry after one
// emission interval), while existing keys keep working. This is the safe
// choice: admitting it would mean evicting a key whose quota is in use and
// so giving its owner a fresh quota, which is what a caller flooding the
// store with new keys would want.
//
// A [Limiter] that uses the store directly (not through a wrapper) files
// its keys by a hash of the caller key combined with the policy's, which
// saves building the key; [MemoryStore.Take] files Item.Key itself. The
// two never share buckets, so limiters that must share buckets should all
// be given the store itself.
//
// Call [MemoryStore.Close] to stop the sweeper.
type MemoryStore struct {
	seed       maphash.Seed
	shards     []shard
	mask       uint64
	clock      func() time.Time // nil: the monotonic wall clock below
	base       time.Time        // an instant with a monotonic reading
	baseWall   int64            // base's wall time, Unix ns
	skew       atomic.Int64     // wall-clock correction, refreshed by the sweeper
	maxEntries int64
	count      atomic.Int64 // keys held in all shards
	sweepEvery time.Duration

	conc      concurrency // slots of WithConcurrency
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

type shard struct {
	mu    sync.Mutex
	t     table
	count *atomic.Int64 // the store's count of keys
	// earliest is a lower bound of the TATs in t: before it, no key is
	// idle and a sweep would find nothing.
	earliest int64
	_        [8]byte // keep shards on separate cache lines
}

const defaultMaxEntries = 1_000_000

// NewMemoryStore returns a memory store configured by opts ([WithMaxEntries],
// [WithSweepInterval], [WithClock], [WithShards]) and starts its sweeper.
// It fails only on invalid options.
func NewMemoryStore(opts ...Option) (*MemoryStore, error) {
	cfg := settings{target: forMemory, maxEntries: defaultMaxEntries, sweepEvery: time.Minute,
		shards: max(64, 16*runtime.GOMAXPROCS(0))}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("ratelimit: nil option")
		}
		o.apply(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	s := &MemoryStore{
		seed:       maphash.MakeSeed(),
		clock:      cfg.clock,
		maxEntries: int64(cfg.maxEntries),
		sweepEvery: cfg.sweepEvery,
		shards:     make([]shard, ceilPow2(cfg.shards)),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	s.base = time.Now()
	s.baseWall = s.base.UnixNano()
	s.mask = uint64(len(s.shards) - 1)
	for i := range s.shards {
		s.shards[i].t = newTable(minTableSize)
		s.shards[i].count = &s.count
	}
	if s.sweepEvery > 0 {
		go s.sweeper(max(time.Millisecond, s.sweepEvery/time.Duration(len(s.shards))))
	} else {
		close(s.done)
	}
	return s, nil
}

// now returns the store's instant in Unix nanoseconds. Without an injected
// clock it is derived from the monotonic clock, one clock read instead of
// the two of time.Now, and realigned with the wall clock by the sweeper.
func (s *MemoryStore) now() int64 {
	if s.clock != nil {
		return s.clock().UnixNano()
	}
	return s.baseWall + int64(time.Since(s.base)) + s.skew.Load()
}

func ceilPow2(n int) int {
	p := 1
	for p < n && p < 1<<20 {
		p <<= 1
	}
	return p
}

// Close stops the sweeper and waits for it to return. The store still
// answers afterwards; Close is idempotent.
func (s *MemoryStore) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
	})
	<-s.done
	return nil
}

func (s *MemoryStore) sweeper(tick time.Duration) {
	defer close(s.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	next := 0
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.clock == nil {
				s.skew.Store(time.Now().UnixNano() - s.baseWall - int64(time.Since(s.base)))
			}
			sh := &s.shards[next]
			now := s.now()
			sh.mu.Lock()
			sh.sweep(now)
			sh.mu.Unlock()
			next = (next + 1) % len(s.shards)
		}
	}
}

// sweepAll evicts every idle key now, one shard at a time.
func (s *MemoryStore) sweepAll() {
	now := s.now()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.sweep(now)
		sh.mu.Unlock()
	}
}

// Len returns the number of keys held, idle ones included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.t.n
		sh.mu.Unlock()
	}
	return n
}

// sweep deletes the idle keys of sh (locked) and recomputes earliest;
// the table shrinks when most of its keys are gone.
func (sh *shard) sweep(now int64) {
	if now < sh.earliest {
		return
	}
	n := sh.t.n
	sh.earliest = sh.t.evict(now)
	sh.count.Add(int64(sh.t.n - n))
}

// write stores tat for the key at slot i (locked shard; found tells
// whether the key exists). A new key needs a place reserved with
// [MemoryStore.reserve] (reserved), or write reserves it and reports false
// when the store is full of live keys.
func (s *MemoryStore) write(sh *shard, i int, found, reserved bool, h uint64, tat, now int64) bool {
	switch {
	case tat <= now: // as good as a new key
		if found {
			sh.t.remove(i)
			sh.count.Add(-1)
		}
		if reserved {
			s.count.Add(-1)
		}
		return true
	case found:
		sh.t.slots[i].tat = tat
		if reserved {
			s.count.Add(-1)
		}
		return true
	}
	if !reserved {
		n := sh.t.n
		if !s.reserve(sh, now) {
			return false
		}
		if sh.t.n != n { // the sweep moved entries
			i, _ = sh.t.find(h)
		}
	}
	sh.t.insert(i, h, tat)
	if tat < sh.earliest || sh.t.n == 1 {
		sh.earliest = tat
	}
	return true
}

// reserve counts one more key against the store's cap, evicting idle keys
// when the store is full: first those of sh (locked), then those of the
// other shards that are not locked at the moment. It reports false when
// every key is live.
func (s *MemoryStore) reserve(sh *shard, now int64) bool {
	if s.count.Add(1) <= s.maxEntries {
		return true
	}
	s.count.Add(-1)
	sh.sweep(now)
	for i := 0; ; i++ {
		if s.count.Add(1) <= s.maxEntries {
			return true
		}
		s.count.Add(-1)
		if i == len(s.shards) {
			return false
		}
		if o := &s.shards[i]; o != sh && o.mu.TryLock() {
			o.sweep(now)
			o.mu.Unlock()
		}
	}
}

// hash returns the hash the store files key under when it comes through
// Take.
func (s *MemoryStore) hash(key string) uint64 { return fixHash(maphash.String(s.seed, key)) }

// shardOf picks the shard of a hash from bits the table does not index by.
func (s *MemoryStore) shardOf(h uint64) uint64 { return (h >> 40) & s.mask }

// errTooManyItems is returned when a Take names more items than the store
// handles in one call.
var errTooManyItems = errors.New("ratelimit: memory store: more than 16 items in one decision")

// maxItems bounds the items of one decision in the memory store.
const maxItems = 16

// Take implements [Store]. It never returns an error for up to 16 items
// with distinct keys; ctx is not consulted (a decision takes well under a
// microsecond).
func (s *MemoryStore) Take(_ context.Context, items []Item, results []Result) (int64, error) {
	if len(items) > maxItems {
		return s.now(), errTooManyItems
	}
	var hs [maxItems]uint64
	for i := range items {
		hs[i] = s.hash(items[i].Key)
	}
	return s.take(hs[:len(items)], items, results), nil
}

// take decides items, filed under the hashes hs, all-or-nothing.
func (s *MemoryStore) take(hs []uint64, items []Item, results []Result) int64 {
	if len(items) == 1 {
		return s.take1(hs[0], &items[0], &results[0])
	}
	// Lock the shards involved in ascending order (no deadlock), once each.
	var order [maxItems]uint32
	n := 0
	for _, h := range hs {
		idx := uint32(s.shardOf(h))
		j := n
		for j > 0 && order[j-1] > idx {
			j--
		}
		if j > 0 && order[j-1] == idx {
			continue
		}
		copy(order[j+1:n+1], order[j:n])
		order[j] = idx
		n++
	}
	now := s.now()
	for _, idx := range order[:n] {
		s.shards[idx].mu.Lock()
	}
	all := true
	var exists [maxItems]bool
	for i := range items {
		sh := &s.shards[s.shardOf(hs[i])]
		j, ok := sh.t.find(hs[i])
		tat := sh.t.slots[j].tat
		if !ok {
			tat = 0
		}
		// A key named twice sees the earlier item's outcome.
		for k := i - 1; k >= 0; k-- {
			if hs[k] == hs[i] {
				tat, ok = results[k].TAT, true
				break
			}
		}
		exists[i] = ok
		allowed, newTAT := GCRA(now, tat, items[i])
		results[i] = Result{Allowed: allowed, TAT: newTAT}
		all = all && allowed
	}
	var reserved [maxItems]bool
	if all {
		// Reserve room for the new keys before writing anything.
		for i := range items {
			if !exists[i] && results[i].TAT > now {
				if !s.reserve(&s.shards[s.shardOf(hs[i])], now) {
					results[i] = Result{Allowed: false, TAT: now + items[i].Tolerance}
					all = false
					break
				}
				reserved[i] = true
			}
		}
		if !all {
			for i := range items {
				if reserved[i] {
					s.count.Add(-1)
				}
			}
		}
	}
	if all {
		for i := range items {
			sh := &s.shards[s.shardOf(hs[i])]
			j, ok := sh.t.find(hs[i])
			s.write(sh, j, ok, reserved[i] && !ok, hs[i], results[i].TAT, now)
			if reserved[i] && ok {
				s.count.Add(-1) // named twice: the earlier item inserted it
			}
		}
	} else {
		for i := range items {
			if results[i].Allowed {
				// Nothing is written: report the unchanged TAT.
				sh := &s.shards[s.shardOf(hs[i])]
				tat := int64(0)
				if j, ok := sh.t.find(hs[i]); ok {
					tat = sh.t.slots[j].tat
				}
				results[i].TAT = max(tat, now)
			}
		}
	}
	for _, idx := range order[:n] {
		s.shards[idx].mu.Unlock()
	}
	return now
}

func (s *MemoryStore) take1(h uint64, it *Item, res *Result) int64 {
	sh := &s.shards[s.shardOf(h)]
	now := s.now() // read outside the lock: a late now only makes GCRA stricter
	sh.mu.Lock()
	i, ok := sh.t.find(h)
	tat := sh.t.slots[i].tat
	if !ok {
		tat = 0
	}
	allowed, newTAT := GCRA(now, tat, *it)
	if allowed && !s.write(sh, i, ok, false, h, newTAT, now) {
		allowed, newTAT = false, now+it.Tolerance
	}
	sh.mu.Unlock()
	*res = Result{Allowed: allowed, TAT: newTAT}
	return now
}
