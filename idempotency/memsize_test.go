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
