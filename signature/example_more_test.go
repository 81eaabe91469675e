package signature_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/apikit-go/apikit/signature"
)

// When the store is full, the id closest to expiry is dropped first.
func ExampleWithMaxEntries() {
	now := exTime
	store, _ := signature.NewMemoryStore(signature.WithMaxEntries(2), signature.WithClock(func() time.Time { return now }))
	defer store.Close()
	ctx := context.Background()
	_, _ = store.Reserve(ctx, "msg_1", "request-a", now.Add(5*time.Minute))
	_, _ = store.Reserve(ctx, "msg_2", "request-a", now.Add(time.Minute))
	_, _ = store.Reserve(ctx, "msg_3", "request-a", now.Add(5*time.Minute)) // msg_2 is dropped
	fmt.Println(store.Len())
	again1, _ := store.Reserve(ctx, "msg_1", "request-b", now.Add(5*time.Minute))
	again2, _ := store.Reserve(ctx, "msg_2", "request-b", now.Add(time.Minute))
	fmt.Println("msg_1 accepted again:", again1, "msg_2 accepted again:", again2)
	// Output:
	// 2
	// msg_1 accepted again: false msg_2 accepted again: true
}

func ExampleNewMemoryStore_clock() {
	now := exTime
	store, _ := signature.NewMemoryStore(signature.WithClock(func() time.Time { return now }))
	defer store.Close()
	ctx := context.Background()
	until := now.Add(5 * time.Minute) // the verifier's tolerance
	for _, step := range []time.Duration{0, 4 * time.Minute, time.Minute} {
		now = now.Add(step)
		ok, _ := store.Reserve(ctx, "msg_1", "request-"+now.Format("150405"), until)
		fmt.Println(now.Sub(exTime), ok)
	}
	// Output:
	// 0s true
	// 4m0s false
	// 5m0s true
}

func ExampleWithSweepInterval() {
	var offset atomic.Int64 // read by the sweep goroutine
	clock := func() time.Time { return exTime.Add(time.Duration(offset.Load())) }
	manual, _ := signature.NewMemoryStore(signature.WithSweepInterval(0), signature.WithClock(clock)) // no background sweep
	defer manual.Close()
	swept, _ := signature.NewMemoryStore(signature.WithSweepInterval(time.Millisecond), signature.WithClock(clock))
	defer swept.Close()
	for _, store := range []*signature.MemoryStore{manual, swept} {
		_, _ = store.Reserve(context.Background(), "msg_1", "request-a", clock().Add(time.Minute))
	}
	offset.Store(int64(2 * time.Minute)) // msg_1 has expired
	for i := 0; i < 1000 && swept.Len() > 0; i++ {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("no sweep:", manual.Len(), "swept:", swept.Len())
	// Output: no sweep: 1 swept: 0
}
