package idempotency_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
)

// TestMemoryStoreBytesPerRecord measures what a completed record costs the
// memory store beyond its response: the heap grown by 200,000 records of
// 50 callers, divided by the count, less the response. Goal: at most 200
// bytes.
func TestMemoryStoreBytesPerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 50 MB")
	}
	for _, n := range []int{100_000, 140_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) { bytesPerRecord(t, n) })
	}
}

func bytesPerRecord(t *testing.T, n int) {
	const response = 128 // a size class, so no rounding counts against the store
	keys := make([]string, n)
	for i := range keys {
		sc := sha256.Sum256([]byte("scope" + strconv.Itoa(i%50)))
		id := sha256.Sum256([]byte(strconv.Itoa(i)))
		keys[i] = hex.EncodeToString(sc[:16]) + "/" + hex.EncodeToString(id[:])
	}
	resp := make([]byte, response)
	ctx := context.Background()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newMemoryStore(idempotency.WithMaxBytes(1 << 30))
	for _, k := range keys {
		if _, err := s.Claim(ctx, k, "fp", "owner", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, k, "owner", resp, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := s.Len(); got != n {
		t.Fatalf("Len = %d, want %d", got, n)
	}
	perRecord := float64(after.HeapAlloc-before.HeapAlloc)/float64(n) - response
	t.Logf("%.0f bytes per record beyond its %d-byte response (%d records)", perRecord, response, n)
	if perRecord > 200 {
		t.Fatalf("%.0f bytes per record beyond the response, want at most 200", perRecord)
	}
	runtime.KeepAlive(s)
	runtime.KeepAlive(keys)
	_ = s.Close()
}

// TestMemoryStoreFloodKeepsMemoryBounded: a scope that keeps evicting its
// own answers, behind another scope's older record, leaves nothing behind:
// the heap stays within the store's cap (plus slack), however long the
// flood goes on.
func TestMemoryStoreFloodKeepsMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("300,000 records")
	}
	ctx := context.Background()
	s := newMemoryStore(idempotency.WithMaxBytes(1<<20), idempotency.WithMaxScopeBytes(256<<10))
	defer s.Close()
	resp := make([]byte, 64)
	put := func(scope string, i int) {
		k := scope + "/" + strconv.Itoa(i)
		if _, err := s.Claim(ctx, k, "fp", "o", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, k, "o", resp, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	put("quiet", 0) // the oldest record of the store, for the whole test
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 300_000 {
		put("flood", i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew %d KiB over 300,000 flood records (store cap 1 MiB, scope share 256 KiB)", grown>>10)
	if grown > 8<<20 {
		t.Fatalf("heap grew %d KiB: evicted records are kept somewhere", grown>>10)
	}
}
