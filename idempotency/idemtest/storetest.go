// Package idemtest is the conformance suite for [idempotency.Store]
// implementations. Every Store (the in-memory one, Redis, PostgreSQL, or
// your own) must pass it:
//
//	func TestConformance(t *testing.T) {
//		idemtest.Run(t, func(t *testing.T) idempotency.Store {
//			s := mystore.New(...)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite uses the real clock with short leases and retentions
// (100–200 ms) and polls for expiry, so it works for stores whose clock is
// a server's (Redis, PostgreSQL). It takes a few seconds. Keys are random
// per run, so stores backed by a shared server need no cleaning between
// runs.
//
// Beyond the contract, a store's own tests can reuse the checks every store
// shares: [RunScopeFlood] (one caller fills only its own share),
// [RunMiddlewareRace] (three middleware instances, 200 concurrent
// identical requests, exactly one run), [RunRoundTrips] (what each step of
// a request costs, by counts the store's test measures), [RunBenchmarks],
// [RunInvalidDurations] and [SkipExamplesWithout].
package idemtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
)

// Durations used by the suite. Short ones expire during a test; long ones
// never do.
const (
	shortLease = 100 * time.Millisecond
	longLease  = time.Minute
	retention  = time.Hour
	// expiryDeadline bounds the wait for a short lease or retention to run
	// out; it is generous because the machine may be slow.
	expiryDeadline = 5 * time.Second
	pollEvery      = 10 * time.Millisecond
)

// Run runs the conformance suite against stores made by newStore. newStore
// is called once per subtest; it may return the same backend each time
// (keys never repeat) and should register its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	t.Helper()
	prefix := "idemtest:" + rand.Text() + ":"
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("idemtest: newStore returned nil")
			}
			h := &harness{t: t, s: s, prefix: prefix + tc.name + ":"}
			tc.run(h)
		})
	}
}

type testCase struct {
	name string
	run  func(h *harness)
}

func cases() []testCase {
	return []testCase{
		{"AcquireNewKey", testAcquire},
		{"InProgressWhileLeaseLive", testInProgress},
		{"MismatchBeforeInProgress", testMismatchInProgress},
		{"MismatchBeforeCompleted", testMismatchCompleted},
		{"MismatchWritesNothing", testMismatchWritesNothing},
		{"CompletedReplaysResponse", testCompleted},
		{"CompleteTwiceIsNotOwner", testCompleteTwice},
		{"ExtendRenewsLease", testExtend},
		{"ExtendCompletedIsNotOwner", testExtendCompleted},
		{"UnknownKeyIsNotOwner", testUnknownKey},
		{"WrongOwnerChangesNothing", testWrongOwner},
		{"LeaseExpiryFreesKey", testLeaseExpiry},
		{"ExpiredLeaseWithOtherFingerprintIsAcquired", testLeaseExpiryOtherFingerprint},
		{"StaleOwnerCannotTouchNewOwner", testStaleOwner},
		{"ExpiredLeaseCannotComplete", testExpiredLeaseComplete},
		{"RetentionExpiryFreesKey", testRetentionExpiry},
		{"ReleaseThenReacquire", testRelease},
		{"ReleaseCompletedIsNotOwner", testReleaseCompleted},
		{"ConcurrentClaimsOneWinner", testRace},
		{"ConcurrentCompleteAndClaim", testRaceComplete},
		{"KeysAreIsolated", testIsolation},
		{"ResponseBytesRoundTrip", testRoundTrip},
		{"RepeatedClaimBySameOwnerIsAcquired", testRepeatedClaim},
		{"ScopedKeyLifecycle", testScopedKey},
	}
}

type harness struct {
	t      *testing.T
	s      idempotency.Store
	prefix string
}

func (h *harness) key(name string) string { return h.prefix + name }

func owner() string { return rand.Text() }

func (h *harness) claim(key, fp, owner string, lease time.Duration) idempotency.Claim {
	h.t.Helper()
	c, err := h.s.Claim(context.Background(), key, fp, owner, lease)
	if err != nil {
		h.t.Fatalf("Claim(%q): unexpected error: %v", key, err)
	}
	return c
}

func (h *harness) wantOutcome(c idempotency.Claim, want idempotency.Outcome, what string) {
	h.t.Helper()
	if c.Outcome != want {
		h.t.Fatalf("%s: Claim outcome = %v, want %v", what, c.Outcome, want)
	}
}

func (h *harness) acquire(key, fp string, lease time.Duration) string {
	h.t.Helper()
	o := owner()
	h.wantOutcome(h.claim(key, fp, o, lease), idempotency.Acquired, "first claim of "+key)
	return o
}

func (h *harness) complete(key, owner string, resp []byte, ret time.Duration) {
	h.t.Helper()
	if err := h.s.Complete(context.Background(), key, owner, resp, ret); err != nil {
		h.t.Fatalf("Complete(%q) by its owner: %v", key, err)
	}
}

func (h *harness) wantNotOwner(err error, what string) {
	h.t.Helper()
	if !errors.Is(err, idempotency.ErrNotOwner) {
		h.t.Fatalf("%s: error = %v, want ErrNotOwner", what, err)
	}
}

// waitAcquired polls Claim until it returns Acquired (the lease or retention
// ran out) and returns the new owner. Any outcome other than want before
// that fails the test.
func (h *harness) waitAcquired(key, fp string, before idempotency.Outcome) string {
	h.t.Helper()
	deadline := time.Now().Add(expiryDeadline)
	for {
		o := owner()
		c := h.claim(key, fp, o, longLease)
		switch c.Outcome {
		case idempotency.Acquired:
			return o
		case before:
		default:
			h.t.Fatalf("while waiting for expiry: outcome %v, want %v or acquired", c.Outcome, before)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("key %q still %v after %v: expiry does not free the key", key, before, expiryDeadline)
		}
		time.Sleep(pollEvery)
	}
}

func testAcquire(h *harness) {
	h.acquire(h.key("k"), "fp", longLease)
}

func testInProgress(h *harness) {
	k := h.key("k")
	h.acquire(k, "fp", longLease)
	c := h.claim(k, "fp", owner(), longLease)
	h.wantOutcome(c, idempotency.InProgress, "second claim")
	if c.RetryAfter <= 0 || c.RetryAfter > longLease {
		h.t.Fatalf("RetryAfter = %v, want in (0, %v]", c.RetryAfter, longLease)
	}
	if c.Response != nil {
		h.t.Fatalf("in-progress claim has a response: %q", c.Response)
	}
}

func testMismatchInProgress(h *harness) {
	k := h.key("k")
	h.acquire(k, "fp-a", longLease)
	h.wantOutcome(h.claim(k, "fp-b", owner(), longLease), idempotency.Mismatch, "other fingerprint while in progress")
}

func testMismatchCompleted(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp-a", longLease)
	h.complete(k, o, []byte("done"), retention)
	c := h.claim(k, "fp-b", owner(), longLease)
	h.wantOutcome(c, idempotency.Mismatch, "other fingerprint after completion")
	if c.Response != nil {
		h.t.Fatalf("mismatch claim carries the stored response %q", c.Response)
	}
}

func testMismatchWritesNothing(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp-a", longLease)
	h.wantOutcome(h.claim(k, "fp-b", owner(), longLease), idempotency.Mismatch, "other fingerprint")
	// The first owner still holds the key and can finish it.
	if err := h.s.Extend(context.Background(), k, o, longLease); err != nil {
		h.t.Fatalf("Extend by the owner after a mismatch: %v", err)
	}
	h.complete(k, o, []byte("first"), retention)
	c := h.claim(k, "fp-a", owner(), longLease)
	h.wantOutcome(c, idempotency.Completed, "original fingerprint")
	if string(c.Response) != "first" {
		h.t.Fatalf("Response = %q, want %q", c.Response, "first")
	}
}

func testCompleted(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	h.complete(k, o, []byte("response-1"), retention)
	for i := range 3 {
		c := h.claim(k, "fp", owner(), longLease)
		h.wantOutcome(c, idempotency.Completed, fmt.Sprintf("claim %d after completion", i))
		if string(c.Response) != "response-1" {
			h.t.Fatalf("Response = %q, want %q", c.Response, "response-1")
		}
	}
}

func testCompleteTwice(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	h.complete(k, o, []byte("one"), retention)
	h.wantNotOwner(h.s.Complete(context.Background(), k, o, []byte("two"), retention), "second Complete")
	c := h.claim(k, "fp", owner(), longLease)
	h.wantOutcome(c, idempotency.Completed, "after second Complete")
	if string(c.Response) != "one" {
		h.t.Fatalf("second Complete overwrote the response: %q", c.Response)
	}
}

func testExtend(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", shortLease)
	if err := h.s.Extend(context.Background(), k, o, longLease); err != nil {
		h.t.Fatalf("Extend by the owner: %v", err)
	}
	time.Sleep(3 * shortLease)
	c := h.claim(k, "fp", owner(), longLease)
	h.wantOutcome(c, idempotency.InProgress, "after the original lease would have run out")
	if c.RetryAfter <= shortLease {
		h.t.Fatalf("RetryAfter = %v after extending to %v", c.RetryAfter, longLease)
	}
	h.complete(k, o, []byte("ok"), retention)
}

func testExtendCompleted(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	h.complete(k, o, []byte("ok"), retention)
	h.wantNotOwner(h.s.Extend(context.Background(), k, o, longLease), "Extend of a completed record")
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.Completed, "after Extend")
}

func testUnknownKey(h *harness) {
	ctx := context.Background()
	k := h.key("never-claimed")
	o := owner()
	h.wantNotOwner(h.s.Extend(ctx, k, o, longLease), "Extend of an unknown key")
	h.wantNotOwner(h.s.Complete(ctx, k, o, []byte("x"), retention), "Complete of an unknown key")
	h.wantNotOwner(h.s.Release(ctx, k, o), "Release of an unknown key")
	// Nothing was written by those calls.
	h.acquire(k, "fp", longLease)
}

func testWrongOwner(h *harness) {
	ctx := context.Background()
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	other := owner()
	h.wantNotOwner(h.s.Extend(ctx, k, other, longLease), "Extend by another owner")
	h.wantNotOwner(h.s.Complete(ctx, k, other, []byte("x"), retention), "Complete by another owner")
	h.wantNotOwner(h.s.Release(ctx, k, other), "Release by another owner")
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.InProgress, "after foreign calls")
	h.complete(k, o, []byte("mine"), retention)
	if c := h.claim(k, "fp", owner(), longLease); string(c.Response) != "mine" {
		h.t.Fatalf("Response = %q, want %q", c.Response, "mine")
	}
}

func testLeaseExpiry(h *harness) {
	k := h.key("k")
	h.acquire(k, "fp", shortLease)
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.InProgress, "before the lease runs out")
	h.waitAcquired(k, "fp", idempotency.InProgress)
}

func testLeaseExpiryOtherFingerprint(h *harness) {
	k := h.key("k")
	h.acquire(k, "fp-a", shortLease)
	// An expired in-progress record is exactly no record: a different
	// fingerprint acquires it instead of being a mismatch.
	deadline := time.Now().Add(expiryDeadline)
	for {
		c := h.claim(k, "fp-b", owner(), longLease)
		if c.Outcome == idempotency.Acquired {
			break
		}
		h.wantOutcome(c, idempotency.Mismatch, "other fingerprint before the lease runs out")
		if time.Now().After(deadline) {
			h.t.Fatalf("expired lease still answers mismatch after %v", expiryDeadline)
		}
		time.Sleep(pollEvery)
	}
	h.wantOutcome(h.claim(k, "fp-a", owner(), longLease), idempotency.Mismatch, "old fingerprint after takeover")
}

func testStaleOwner(h *harness) {
	ctx := context.Background()
	k := h.key("k")
	stale := h.acquire(k, "fp", shortLease)
	fresh := h.waitAcquired(k, "fp", idempotency.InProgress)
	h.wantNotOwner(h.s.Extend(ctx, k, stale, longLease), "stale Extend")
	h.wantNotOwner(h.s.Complete(ctx, k, stale, []byte("stale"), retention), "stale Complete")
	h.wantNotOwner(h.s.Release(ctx, k, stale), "stale Release")
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.InProgress, "new owner's record")
	h.complete(k, fresh, []byte("fresh"), retention)
	h.wantNotOwner(h.s.Complete(ctx, k, stale, []byte("stale"), retention), "stale Complete after completion")
	c := h.claim(k, "fp", owner(), longLease)
	h.wantOutcome(c, idempotency.Completed, "after the new owner completed")
	if string(c.Response) != "fresh" {
		h.t.Fatalf("Response = %q, want the new owner's %q", c.Response, "fresh")
	}
}

func testExpiredLeaseComplete(h *harness) {
	ctx := context.Background()
	k := h.key("k")
	o := h.acquire(k, "fp", shortLease)
	time.Sleep(3 * shortLease)
	// The lease ran out: the record counts as absent, so its former owner
	// no longer holds it.
	h.wantNotOwner(h.s.Complete(ctx, k, o, []byte("late"), retention), "Complete after the lease ran out")
	h.wantNotOwner(h.s.Extend(ctx, k, o, longLease), "Extend after the lease ran out")
	h.acquire(k, "fp", longLease)
}

func testRetentionExpiry(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	h.complete(k, o, []byte("short-lived"), 2*shortLease)
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.Completed, "before retention runs out")
	h.waitAcquired(k, "fp", idempotency.Completed)
}

func testRelease(h *harness) {
	ctx := context.Background()
	k := h.key("k")
	first := h.acquire(k, "fp", longLease)
	if err := h.s.Release(ctx, k, first); err != nil {
		h.t.Fatalf("Release by the owner: %v", err)
	}
	h.wantNotOwner(h.s.Release(ctx, k, first), "second Release")
	// After a release the key is free for any request, even a different one.
	second := h.acquire(k, "fp-other", longLease)
	h.wantNotOwner(h.s.Complete(ctx, k, first, []byte("x"), retention), "Complete by the released owner")
	h.complete(k, second, []byte("second"), retention)
}

func testReleaseCompleted(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	h.complete(k, o, []byte("kept"), retention)
	h.wantNotOwner(h.s.Release(context.Background(), k, o), "Release of a completed record")
	c := h.claim(k, "fp", owner(), longLease)
	h.wantOutcome(c, idempotency.Completed, "after Release of a completed record")
	if string(c.Response) != "kept" {
		h.t.Fatalf("Response = %q, want %q", c.Response, "kept")
	}
}

const racers = 64

func testRace(h *harness) {
	k := h.key("k")
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		outcomes = make([]idempotency.Outcome, racers)
		owners   = make([]string, racers)
		errs     = make([]error, racers)
	)
	for i := range racers {
		owners[i] = owner()
		wg.Go(func() {
			<-start
			c, err := h.s.Claim(context.Background(), k, "fp", owners[i], longLease)
			outcomes[i], errs[i] = c.Outcome, err
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range racers {
		if errs[i] != nil {
			h.t.Fatalf("racer %d: Claim error: %v", i, errs[i])
		}
		switch outcomes[i] {
		case idempotency.Acquired:
			if winner >= 0 {
				h.t.Fatalf("racers %d and %d both acquired the key", winner, i)
			}
			winner = i
		case idempotency.InProgress:
		default:
			h.t.Fatalf("racer %d: outcome %v, want acquired or in-progress", i, outcomes[i])
		}
	}
	if winner < 0 {
		h.t.Fatal("no racer acquired the key")
	}
	// Only the winner's token works.
	for i := range racers {
		if i != winner {
			h.wantNotOwner(h.s.Complete(context.Background(), k, owners[i], []byte("loser"), retention), "loser's Complete")
		}
	}
	h.complete(k, owners[winner], []byte("winner"), retention)
}

func testRaceComplete(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, racers)
		resps = make([]idempotency.Claim, racers)
	)
	wg.Go(func() {
		<-start
		if err := h.s.Complete(context.Background(), k, o, []byte("done"), retention); err != nil {
			h.t.Errorf("Complete during concurrent claims: %v", err)
		}
	})
	for i := range racers {
		wg.Go(func() {
			<-start
			resps[i], errs[i] = h.s.Claim(context.Background(), k, "fp", owner(), longLease)
		})
	}
	close(start)
	wg.Wait()
	for i := range racers {
		if errs[i] != nil {
			h.t.Fatalf("claim %d: %v", i, errs[i])
		}
		switch c := resps[i]; c.Outcome {
		case idempotency.InProgress:
		case idempotency.Completed:
			if string(c.Response) != "done" {
				h.t.Fatalf("claim %d: Response = %q, want %q", i, c.Response, "done")
			}
		default:
			h.t.Fatalf("claim %d: outcome %v, want in-progress or completed", i, c.Outcome)
		}
	}
}

func testIsolation(h *harness) {
	ctx := context.Background()
	keys := []string{h.key("a"), h.key("a2"), h.key("A"), h.key("a:b"), h.key("a b")}
	owners := make([]string, len(keys))
	for i, k := range keys {
		owners[i] = h.acquire(k, "fp", longLease)
	}
	h.complete(keys[0], owners[0], []byte("zero"), retention)
	if err := h.s.Release(ctx, keys[1], owners[1]); err != nil {
		h.t.Fatalf("Release: %v", err)
	}
	// Tokens are per key.
	h.wantNotOwner(h.s.Complete(ctx, keys[2], owners[3], []byte("x"), retention), "Complete with another key's owner")
	h.wantOutcome(h.claim(keys[0], "fp", owner(), longLease), idempotency.Completed, "completed key")
	h.acquire(keys[1], "fp", longLease)
	for _, k := range keys[2:] {
		h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.InProgress, "untouched key "+k)
	}
}

func testRoundTrip(h *harness) {
	large := make([]byte, 1<<20+7)
	_, _ = rand.Read(large)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	bodies := []struct {
		name string
		b    []byte
	}{
		{"empty", []byte{}},
		{"nul", []byte{0}},
		{"all-bytes", all},
		{"invalid-utf8", []byte{0xff, 0xfe, 0xc3, 0x28, '\r', '\n', 0}},
		{"large-random", large},
	}
	for _, tc := range bodies {
		k := h.key("rt-" + tc.name)
		o := h.acquire(k, "fp", longLease)
		h.complete(k, o, tc.b, retention)
		c := h.claim(k, "fp", owner(), longLease)
		h.wantOutcome(c, idempotency.Completed, tc.name)
		if !bytes.Equal(c.Response, tc.b) {
			h.t.Fatalf("%s: response of %d bytes came back as %d different bytes", tc.name, len(tc.b), len(c.Response))
		}
	}
}

// testRepeatedClaim: a claim sent again by the same owner (a client that
// retried after losing the reply) is granted again, and the owner still
// holds the key: a retry must not block the key's first request.
func testRepeatedClaim(h *harness) {
	k := h.key("k")
	o := h.acquire(k, "fp", longLease)
	h.wantOutcome(h.claim(k, "fp", o, longLease), idempotency.Acquired, "the same claim repeated by its owner")
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.InProgress, "another owner's claim")
	h.wantOutcome(h.claim(k, "fp-b", o, longLease), idempotency.Mismatch, "the owner with another fingerprint")
	h.complete(k, o, []byte("done"), retention)
	c := h.claim(k, "fp", o, longLease)
	h.wantOutcome(c, idempotency.Completed, "the owner's claim after completion")
}

// testScopedKey runs a key of the middleware's form, scope/id, through its
// whole life.
func testScopedKey(h *harness) {
	k := scopedKey(h.prefix, "k")
	o := h.acquire(k, "fp", longLease)
	h.wantOutcome(h.claim(k, "fp", owner(), longLease), idempotency.InProgress, "scoped key in progress")
	if err := h.s.Extend(context.Background(), k, o, longLease); err != nil {
		h.t.Fatalf("Extend: %v", err)
	}
	h.complete(k, o, []byte("done"), retention)
	c := h.claim(k, "fp", owner(), longLease)
	h.wantOutcome(c, idempotency.Completed, "scoped key completed")
	if string(c.Response) != "done" {
		h.t.Fatalf("response %q", c.Response)
	}
	k2 := scopedKey(h.prefix, "k2")
	o2 := h.acquire(k2, "fp", longLease)
	if err := h.s.Release(context.Background(), k2, o2); err != nil {
		h.t.Fatalf("Release: %v", err)
	}
	h.acquire(k2, "fp", longLease)
}

// scopedKey returns a key of the middleware's form for a scope named
// after seed: 32 hex digits, "/", 64 hex digits.
func scopedKey(seed, name string) string {
	sc := sha256.Sum256([]byte(seed))
	id := sha256.Sum256([]byte(seed + "/" + name))
	return hex.EncodeToString(sc[:16]) + "/" + hex.EncodeToString(id[:])
}

// RunScopeFlood checks that one caller's scope cannot fill s for others: s
// must be configured to let a scope hold at most bound records. One scope
// stores 3×bound responses and is never refused (its own oldest answers
// make room); another scope's records, stored before, are all still
// there, and it can still claim new keys.
func RunScopeFlood(t *testing.T, s idempotency.Store, bound int) {
	t.Helper()
	ctx := context.Background()
	run := rand.Text()
	put := func(scope string, i int) string {
		k := scopedKey(run+scope, fmt.Sprint(i))
		o := owner()
		c, err := s.Claim(ctx, k, "fp", o, longLease)
		if err != nil {
			t.Fatalf("scope %s record %d: Claim: %v", scope, i, err)
		}
		if c.Outcome != idempotency.Acquired {
			t.Fatalf("scope %s record %d: %v", scope, i, c.Outcome)
		}
		if err := s.Complete(ctx, k, o, []byte("resp"), retention); err != nil {
			t.Fatalf("scope %s record %d: Complete: %v", scope, i, err)
		}
		return k
	}
	var quiet []string
	for i := range 3 {
		quiet = append(quiet, put("quiet", i))
	}
	for i := range 3 * bound {
		put("flood", i)
	}
	for i, k := range quiet {
		c, err := s.Claim(ctx, k, "fp", owner(), longLease)
		if err != nil || c.Outcome != idempotency.Completed {
			t.Fatalf("quiet scope's record %d after the flood: %v, %v; want completed", i, c.Outcome, err)
		}
	}
	put("quiet", 3)
	// The flood's first record was evicted to make room: a retry runs again.
	first := scopedKey(run+"flood", "0")
	if c, err := s.Claim(ctx, first, "fp", owner(), longLease); err != nil || c.Outcome != idempotency.Acquired {
		t.Fatalf("flood's oldest record: %v, %v; want evicted (acquired)", c.Outcome, err)
	}
}
