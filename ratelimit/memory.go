package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"runtime"
	"sync"
	"time"
)

// MemoryStore is the in-memory [Store]: GCRA state for one process, safe
// for concurrent use. It is the default choice for a single replica; use a
// shared store (ratelimit/redisstore) when several replicas must share one
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
// The number of keys is capped ([MaxKeys]). When a new key arrives and its
// shard is full, idle keys are evicted first; if none is idle the new key
// is denied, reported as an exhausted bucket (Remaining 0, retry after one
// emission interval), while existing keys keep working. This is the safe
// choice: admitting it would mean evicting a key whose quota is in use and
// so giving its owner a fresh quota, which is what a caller flooding the
// store with new keys would want.
//
// Call [MemoryStore.Close] to stop the sweeper.
type MemoryStore struct {
	seed        maphash.Seed
	shards      []shard
	mask        uint64
	clock       func() time.Time
	maxPerShard int
	sweepEvery  time.Duration

	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

type shard struct {
	mu sync.Mutex
	m  map[uint64]int64
	// peak is the largest len(m) since the map was last rebuilt: Go maps
	// never shrink, so a shard whose keys mostly went away is rebuilt.
	peak int
	// earliest is a lower bound of the TATs in m: before it, no key is
	// idle and a sweep would find nothing.
	earliest int64
	_        [24]byte // keep shards on separate cache lines
}

// MemoryOption configures a [MemoryStore].
type MemoryOption interface{ applyMemory(*MemoryStore) }

type memoryOptionFunc func(*MemoryStore)

func (f memoryOptionFunc) applyMemory(s *MemoryStore) { f(s) }

// MemoryClock makes the store read time from now instead of [time.Now];
// tests pass a fake clock.
func MemoryClock(now func() time.Time) MemoryOption {
	return memoryOptionFunc(func(s *MemoryStore) {
		if now != nil {
			s.clock = now
		}
	})
}

// MaxKeys caps the number of keys the store holds (default 1,000,000;
// values below 1 keep the default). The cap is enforced per shard, so a
// new key may be refused slightly before the store as a whole is full.
func MaxKeys(n int) MemoryOption {
	return memoryOptionFunc(func(s *MemoryStore) {
		if n > 0 {
			s.maxPerShard = n
		}
	})
}

// SweepEvery sets how often the background sweeper passes over every
// shard (default one minute); each tick of the sweeper visits one shard.
// Zero or less disables the sweeper: idle keys are then evicted only when a
// shard is full or [MemoryStore.Sweep] is called.
func SweepEvery(d time.Duration) MemoryOption {
	return memoryOptionFunc(func(s *MemoryStore) { s.sweepEvery = d })
}

// Shards sets the number of shards, rounded up to a power of two (default:
// 16 per CPU, at least 64).
func Shards(n int) MemoryOption {
	return memoryOptionFunc(func(s *MemoryStore) {
		if n > 0 {
			s.shards = make([]shard, ceilPow2(n))
		}
	})
}

const defaultMaxKeys = 1_000_000

// NewMemoryStore returns a memory store and starts its sweeper.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	s := &MemoryStore{
		seed:        maphash.MakeSeed(),
		clock:       time.Now,
		maxPerShard: defaultMaxKeys,
		sweepEvery:  time.Minute,
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	for _, o := range opts {
		o.applyMemory(s)
	}
	if s.shards == nil {
		s.shards = make([]shard, ceilPow2(max(64, 16*runtime.GOMAXPROCS(0))))
	}
	s.mask = uint64(len(s.shards) - 1)
	total := s.maxPerShard
	s.maxPerShard = max(1, (total+len(s.shards)-1)/len(s.shards))
	for i := range s.shards {
		s.shards[i].m = make(map[uint64]int64)
	}
	if s.sweepEvery > 0 {
		go s.sweeper(max(time.Millisecond, s.sweepEvery/time.Duration(len(s.shards))))
	} else {
		close(s.done)
	}
	return s
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
			sh := &s.shards[next]
			now := s.clock().UnixNano()
			sh.mu.Lock()
			sh.sweep(now)
			sh.mu.Unlock()
			next = (next + 1) % len(s.shards)
		}
	}
}

// Sweep evicts every idle key now, one shard at a time. The sweeper does
// the same in the background; Sweep is for tests and for callers that
// disabled it.
func (s *MemoryStore) Sweep() {
	now := s.clock().UnixNano()
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
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// sweep deletes the idle keys of sh (locked), recomputes earliest and
// rebuilds the map when it has shrunk to a quarter of its peak.
func (sh *shard) sweep(now int64) {
	if now < sh.earliest {
		return
	}
	earliest := int64(1<<63 - 1)
	for k, tat := range sh.m {
		if tat <= now {
			delete(sh.m, k)
		} else if tat < earliest {
			earliest = tat
		}
	}
	sh.earliest = earliest
	if n := len(sh.m); sh.peak >= 64 && n < sh.peak/4 {
		m := make(map[uint64]int64, n)
		for k, v := range sh.m {
			m[k] = v
		}
		sh.m = m
		sh.peak = n
	}
}

// store writes tat for key h (locked shard), reporting false when the key
// is new and the shard is full of live keys.
func (sh *shard) store(h uint64, tat, now int64, exists bool, maxKeys int) bool {
	if tat <= now { // as good as a new key
		if exists {
			delete(sh.m, h)
		}
		return true
	}
	if !exists && len(sh.m) >= maxKeys {
		sh.sweep(now)
		if len(sh.m) >= maxKeys {
			return false
		}
	}
	sh.m[h] = tat
	if n := len(sh.m); n > sh.peak {
		sh.peak = n
	}
	if tat < sh.earliest || len(sh.m) == 1 {
		sh.earliest = tat
	}
	return true
}

// hasRoom reports whether key h may be inserted into sh (locked).
func (sh *shard) hasRoom(now int64, maxKeys int) bool {
	if len(sh.m) < maxKeys {
		return true
	}
	sh.sweep(now)
	return len(sh.m) < maxKeys
}

// Hash returns the hash the store files key under; the Limiter's fast path
// computes the same value without building the key.
func (s *MemoryStore) hash(key string) uint64 { return maphash.String(s.seed, key) }

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
		return s.clock().UnixNano(), errTooManyItems
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
		idx := uint32(h & s.mask)
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
	now := s.clock().UnixNano()
	for _, idx := range order[:n] {
		s.shards[idx].mu.Lock()
	}
	all := true
	var exists [maxItems]bool
	for i := range items {
		sh := &s.shards[hs[i]&s.mask]
		tat, ok := sh.m[hs[i]]
		// A key named twice sees the earlier item's outcome.
		for j := i - 1; j >= 0; j-- {
			if hs[j] == hs[i] {
				tat, ok = results[j].TAT, true
				break
			}
		}
		exists[i] = ok
		allowed, newTAT := GCRA(now, tat, items[i])
		results[i] = Result{Allowed: allowed, TAT: newTAT}
		all = all && allowed
	}
	if all {
		// Check room for the new keys before writing anything.
		for i := range items {
			if !exists[i] && results[i].TAT > now {
				sh := &s.shards[hs[i]&s.mask]
				if !sh.hasRoom(now, s.maxPerShard) {
					results[i] = Result{Allowed: false, TAT: now + items[i].Tolerance}
					all = false
				}
			}
		}
	}
	if all {
		for i := range items {
			sh := &s.shards[hs[i]&s.mask]
			_, ok := sh.m[hs[i]]
			sh.store(hs[i], results[i].TAT, now, ok, s.maxPerShard+maxItems)
		}
	} else {
		for i := range items {
			if results[i].Allowed {
				// Nothing is written: report the unchanged TAT.
				sh := &s.shards[hs[i]&s.mask]
				tat := sh.m[hs[i]]
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
	sh := &s.shards[h&s.mask]
	now := s.clock().UnixNano() // read outside the lock: a late now only makes GCRA stricter
	sh.mu.Lock()
	tat, ok := sh.m[h]
	allowed, newTAT := GCRA(now, tat, *it)
	if allowed && !sh.store(h, newTAT, now, ok, s.maxPerShard) {
		allowed, newTAT = false, now+it.Tolerance
	}
	sh.mu.Unlock()
	*res = Result{Allowed: allowed, TAT: newTAT}
	return now
}
