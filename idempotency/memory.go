package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// ErrStoreFull reports that a [MemoryStore] has no room for a new key even
// after evicting every completed record: all it holds is in progress. The
// middleware answers such a claim like any store failure: 503 with
// Retry-After (or runs the handler unprotected under [WithFailOpen]).
var ErrStoreFull = errors.New("idempotency: store is full")

// ErrScopeFull reports that a caller's scope holds as many records as the
// store allows one scope, none of which can be evicted. The middleware
// answers 429 [ScopeFull] to that caller only.
var ErrScopeFull = errors.New("idempotency: scope is full")

// recordOverhead is what a record costs the memory store beyond its stored
// response, as counted against WithMaxBytes: the record (96 bytes), its map
// slot and its two queue slots, rounded up. TestMemoryStoreBytesPerRecord
// measures the real figure.
const recordOverhead = 192

// MemoryStore is a [Store] in this process's memory: the default for a
// single replica, with no set-up. It is safe for concurrent use.
//
// It is bounded by the memory the operator chooses ([WithMaxBytes]) and
// never refuses a caller because it is full of answers: when a new key
// needs room it first removes expired records and then evicts the oldest
// completed records (so their retries would run again), never one in
// progress. One caller's scope (see [WithScope]) may hold at most its
// share of the store ([WithMaxScopeBytes]); beyond it the scope's own
// oldest completed records make room, so a caller that floods the store
// evicts only its own answers. Keys the middleware makes carry their scope
// (see [Store]); keys without "/" belong to no scope and have no share.
//
// Records whose lease or retention ran out are removed by a background
// sweep every sweep interval and whenever room is needed.
// [MemoryStore.Close] stops the sweep.
type MemoryStore struct {
	now           func() time.Time
	maxEntries    int
	maxBytes      int64
	maxScopeBytes int64
	sweepEvery    time.Duration

	owners atomic.Uint64 // owner tokens handed to middleware; never 0

	mu         sync.Mutex
	records    map[recordID]*memRecord
	scopes     map[scopeID]*memScope
	completed  []*retentionList // one per retention, usually one or two
	inProgress recordList       // claim order
	bytes      int64

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type (
	recordID [16]byte // the first half of a SHA-256 digest
	scopeID  [16]byte
	token    [16]byte
)

// memRecord is one key's record: 112 bytes. It is in progress while owner
// is not zero (and then in the store's in-progress list), completed once it
// is (and then in its retention's list and its scope's list).
type memRecord struct {
	id           recordID
	fingerprint  token
	owner        token
	expires      int64  // unix nanoseconds
	response     string // completed records only: the stored bytes, never modified
	scope        *memScope
	prev, next   *memRecord // in the in-progress list or a retention list
	sprev, snext *memRecord // in the scope's list of completed records
}

func (e *memRecord) size() int64 { return recordOverhead + int64(len(e.response)) }

type memScope struct {
	id        scopeID
	bytes     int64
	n         int
	completed recordList // the scope's completed records, oldest first (scope links)
}

// retentionList holds the completed records of one retention in
// completion order, which is also their expiry order.
type retentionList struct {
	retention time.Duration
	recordList
}

// recordList is a circular doubly linked list of records through one pair
// of their links; head is its sentinel. Records are unlinked in O(1) when
// they go, so no list ever holds a record that is gone.
type recordList struct {
	head memRecord
}

func (l *recordList) init() {
	l.head.next, l.head.prev = &l.head, &l.head
	l.head.snext, l.head.sprev = &l.head, &l.head
}

// first returns the oldest record, or nil; scope selects the scope links.
func (l *recordList) first(scope bool) *memRecord {
	e := l.head.next
	if scope {
		e = l.head.snext
	}
	if e == &l.head {
		return nil
	}
	return e
}

func (l *recordList) pushBack(e *memRecord) {
	if l.head.next == nil {
		l.init()
	}
	e.prev, e.next = l.head.prev, &l.head
	l.head.prev.next = e
	l.head.prev = e
}

func (l *recordList) pushBackScope(e *memRecord) {
	if l.head.snext == nil {
		l.init()
	}
	e.sprev, e.snext = l.head.sprev, &l.head
	l.head.sprev.snext = e
	l.head.sprev = e
}

func unlink(e *memRecord) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func unlinkScope(e *memRecord) {
	e.sprev.snext, e.snext.sprev = e.snext, e.sprev
	e.sprev, e.snext = nil, nil
}

// WithMaxBytes caps the memory the store's records take, responses
// included, counting each record's overhead as 192 bytes. Memory store
// option. Default: 64 MiB.
func WithMaxBytes(n int64) Option {
	return option{name: "WithMaxBytes", mem: func(s *MemoryStore) error {
		if n <= 0 {
			return fmt.Errorf("idempotency: WithMaxBytes(%d): want a positive size", n)
		}
		s.maxBytes = n
		return nil
	}}
}

// WithMaxScopeBytes caps the memory one caller's scope may take (see
// [MemoryStore]). Memory store option. Default: a quarter of WithMaxBytes.
func WithMaxScopeBytes(n int64) Option {
	return option{name: "WithMaxScopeBytes", mem: func(s *MemoryStore) error {
		if n <= 0 {
			return fmt.Errorf("idempotency: WithMaxScopeBytes(%d): want a positive size", n)
		}
		s.maxScopeBytes = n
		return nil
	}}
}

// WithMaxEntries caps the number of records. Memory store option. Default:
// no cap other than WithMaxBytes.
func WithMaxEntries(n int) Option {
	return option{name: "WithMaxEntries", mem: func(s *MemoryStore) error {
		if n <= 0 {
			return fmt.Errorf("idempotency: WithMaxEntries(%d): want a positive count", n)
		}
		s.maxEntries = n
		return nil
	}}
}

// WithSweepInterval sets how often expired records are removed in the
// background. Memory store option. Default: 1 minute.
func WithSweepInterval(d time.Duration) Option {
	return option{name: "WithSweepInterval", mem: func(s *MemoryStore) error {
		s.sweepEvery = d
		return positive("WithSweepInterval", d)
	}}
}

// WithClock sets the clock leases and retentions are measured with, for
// tests. Memory store option. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return option{name: "WithClock", mem: func(s *MemoryStore) error {
		if now == nil {
			return errors.New("idempotency: WithClock: nil function")
		}
		s.now = now
		return nil
	}}
}

// NewMemoryStore returns an empty MemoryStore and starts its sweep. Call
// Close when done with it. It returns an error if an option is invalid or
// is not a memory store option.
func NewMemoryStore(opts ...Option) (*MemoryStore, error) {
	s := &MemoryStore{
		now:        time.Now,
		maxBytes:   64 << 20,
		sweepEvery: time.Minute,
		records:    make(map[recordID]*memRecord),
		scopes:     make(map[scopeID]*memScope),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("idempotency: NewMemoryStore: nil Option")
		}
		if err := o.apply(nil, s); err != nil {
			return nil, err
		}
	}
	if s.maxScopeBytes == 0 {
		s.maxScopeBytes = s.maxBytes / 4
	}
	s.maxScopeBytes = min(s.maxScopeBytes, s.maxBytes)
	go s.sweepLoop()
	return s, nil
}

// Close stops the background sweep and waits for it to end. The store stays
// usable (expired records are then removed only when room is needed).
// Close is idempotent and always returns nil.
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
	return len(s.records)
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
			s.sweepLocked(s.now().UnixNano())
			s.mu.Unlock()
		}
	}
}

// sweepLocked removes every record expired at now: the heads of the
// retention lists, and any claim in progress whose lease ran out.
func (s *MemoryStore) sweepLocked(now int64) {
	for _, l := range s.completed {
		for e := l.first(false); e != nil && e.expires <= now; e = l.first(false) {
			s.removeLocked(e)
		}
	}
	for e := s.inProgress.first(false); e != nil; {
		next := e.next
		if e.expires <= now {
			s.removeLocked(e)
		}
		if next == &s.inProgress.head {
			break
		}
		e = next
	}
}

func (s *MemoryStore) removeLocked(e *memRecord) {
	sc := e.scope
	unlink(e)
	if e.owner == (token{}) {
		unlinkScope(e)
	}
	delete(s.records, e.id)
	size := e.size()
	s.bytes -= size
	sc.bytes -= size
	sc.n--
	if sc.n == 0 {
		delete(s.scopes, sc.id)
	}
	e.scope, e.response = nil, ""
}

// evictOldestLocked evicts the completed record that was completed first
// and reports whether there was one.
func (s *MemoryStore) evictOldestLocked() bool {
	var oldest *memRecord
	var at int64
	for _, l := range s.completed {
		if e := l.first(false); e != nil {
			if done := e.expires - int64(l.retention); oldest == nil || done < at {
				oldest, at = e, done
			}
		}
	}
	if oldest == nil {
		return false
	}
	s.removeLocked(oldest)
	return true
}

// Claim implements [Store].
func (s *MemoryStore) Claim(_ context.Context, key, fingerprint, owner string, lease time.Duration) (Claim, error) {
	if lease <= 0 {
		return Claim{}, fmt.Errorf("idempotency: lease must be positive, got %v", lease)
	}
	sc, id := parseStoreKey(key)
	return s.claim(sc, id, digestToken(fingerprint), ownerToken(owner), lease)
}

// Extend implements [Store].
func (s *MemoryStore) Extend(_ context.Context, key, owner string, lease time.Duration) error {
	if lease <= 0 {
		return fmt.Errorf("idempotency: lease must be positive, got %v", lease)
	}
	_, id := parseStoreKey(key)
	return s.extend(&id, ownerToken(owner), lease)
}

// Complete implements [Store]. The store keeps its own copy of response.
func (s *MemoryStore) Complete(_ context.Context, key, owner string, response []byte, retention time.Duration) error {
	if retention <= 0 {
		return fmt.Errorf("idempotency: retention must be positive, got %v", retention)
	}
	_, id := parseStoreKey(key)
	return s.complete(&id, ownerToken(owner), append([]byte{}, response...), retention)
}

// Release implements [Store].
func (s *MemoryStore) Release(_ context.Context, key, owner string) error {
	_, id := parseStoreKey(key)
	return s.release(&id, ownerToken(owner))
}

// claim is Claim on parsed arguments; the middleware calls it directly.
// A completed record's Response is the store's own slice: read-only.
func (s *MemoryStore) claim(sid scopeID, id recordID, fp, owner token, lease time.Duration) (Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixNano()
	e := s.records[id]
	if e != nil && e.expires <= now {
		s.removeLocked(e)
		e = nil
	}
	if e != nil {
		switch {
		case e.fingerprint != fp:
			return Claim{Outcome: Mismatch}, nil
		case e.owner == owner:
			// The same claim again (a client retried it): granted again.
			e.expires = max(e.expires, now+int64(lease))
			return Claim{Outcome: Acquired}, nil
		case e.owner != token{}:
			return Claim{Outcome: InProgress, RetryAfter: time.Duration(e.expires - now)}, nil
		}
		if e.response == "" {
			return Claim{Outcome: Completed, Response: []byte{}}, nil
		}
		return Claim{Outcome: Completed, Response: unsafe.Slice(unsafe.StringData(e.response), len(e.response))}, nil
	}
	sc := s.scopes[sid]
	for sc != nil && sid != (scopeID{}) && sc.bytes+recordOverhead > s.maxScopeBytes {
		// The scope is at its share: its own oldest answers make room.
		old := sc.completed.first(true)
		if old == nil {
			return Claim{}, fmt.Errorf("%w (%d records in progress)", ErrScopeFull, sc.n)
		}
		s.removeLocked(old)
		sc = s.scopes[sid]
	}
	if s.full() {
		s.sweepLocked(now)
		for s.full() {
			if !s.evictOldestLocked() {
				return Claim{}, fmt.Errorf("%w (%d records in progress, about %d bytes)", ErrStoreFull, len(s.records), s.bytes)
			}
		}
		sc = s.scopes[sid]
	}
	if sc == nil {
		sc = &memScope{id: sid}
		s.scopes[sid] = sc
	}
	e = &memRecord{id: id, fingerprint: fp, owner: owner, expires: now + int64(lease), scope: sc}
	s.records[id] = e
	s.inProgress.pushBack(e)
	sc.n++
	sc.bytes += recordOverhead
	s.bytes += recordOverhead
	return Claim{Outcome: Acquired}, nil
}

// full reports whether a new record would pass a cap.
func (s *MemoryStore) full() bool {
	return s.bytes+recordOverhead > s.maxBytes || (s.maxEntries > 0 && len(s.records) >= s.maxEntries)
}

// heldLocked returns id's record if owner holds it in progress.
func (s *MemoryStore) heldLocked(id *recordID, owner token) (*memRecord, int64, error) {
	now := s.now().UnixNano()
	e := s.records[*id]
	if e == nil || e.expires <= now || owner == (token{}) || e.owner != owner {
		return nil, now, ErrNotOwner
	}
	return e, now, nil
}

func (s *MemoryStore) extend(id *recordID, owner token, lease time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, now, err := s.heldLocked(id, owner)
	if err != nil {
		return err
	}
	e.expires = now + int64(lease)
	return nil
}

// complete is Complete without the copy: the store keeps response, which
// the caller must not modify afterwards.
func (s *MemoryStore) complete(id *recordID, owner token, response []byte, retention time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, now, err := s.heldLocked(id, owner)
	if err != nil {
		return err
	}
	unlink(e) // from the in-progress list
	e.owner = token{}
	e.response = unsafe.String(unsafe.SliceData(response), len(response))
	e.expires = now + int64(retention)
	n := int64(len(response))
	s.bytes += n
	e.scope.bytes += n
	s.listFor(retention).pushBack(e)
	e.scope.completed.pushBackScope(e)
	return nil
}

func (s *MemoryStore) listFor(retention time.Duration) *retentionList {
	for _, l := range s.completed {
		if l.retention == retention {
			return l
		}
	}
	l := &retentionList{retention: retention}
	s.completed = append(s.completed, l)
	return l
}

func (s *MemoryStore) release(id *recordID, owner token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, _, err := s.heldLocked(id, owner)
	if err != nil {
		return err
	}
	s.removeLocked(e)
	return nil
}

// parseStoreKey splits a store key into its scope and record id. Keys the
// middleware makes are a 32-hex-digit scope, "/" and a 64-hex-digit id,
// decoded as they are (the id's first half is enough to tell records
// apart); any other key is hashed, with the part before its
// first "/" as its scope. Keys without "/" have the zero scope, which no
// share limits.
func parseStoreKey(key string) (scopeID, recordID) {
	var sc scopeID
	var id recordID
	if len(key) == 2*len(sc)+1+64 && key[2*len(sc)] == '/' {
		_, err1 := hex.Decode(sc[:], []byte(key[:2*len(sc)]))
		_, err2 := hex.Decode(id[:], []byte(key[2*len(sc)+1:2*len(sc)+1+2*len(id)]))
		if err1 == nil && err2 == nil {
			return sc, id
		}
	}
	if scope, _, found := strings.Cut(key, "/"); found {
		sum := sha256.Sum256([]byte(scope))
		copy(sc[:], sum[:])
	}
	sum := sha256.Sum256([]byte(key))
	copy(id[:], sum[:])
	return sc, id
}

// digestToken returns the first 16 bytes of a hex SHA-256 fingerprint as
// the middleware makes them, or of the SHA-256 of any other string.
func digestToken(s string) token {
	var t token
	if len(s) == 64 {
		if _, err := hex.Decode(t[:], []byte(s[:32])); err == nil {
			return t
		}
	}
	sum := sha256.Sum256([]byte(s))
	copy(t[:], sum[:])
	return t
}

// ownerToken returns a token for an owner string. It is never zero, the
// value that marks a completed record.
func ownerToken(s string) token {
	sum := sha256.Sum256([]byte(s))
	var t token
	copy(t[:], sum[:])
	if t == (token{}) {
		t[0] = 1
	}
	return t
}
