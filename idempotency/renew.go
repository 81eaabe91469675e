package idempotency

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// renewal extends a claim's lease every third of it while the handler
// runs. It uses a timer rather than a goroutine, so a handler that finishes
// within the first interval costs no extra goroutine.
type renewal struct {
	m          *middleware
	r          *http.Request
	key, owner string
	every      time.Duration

	mu      sync.Mutex
	stopped bool
	timer   *time.Timer
	running sync.WaitGroup
}

// startRenewal starts renewing the claim; ren must be unused.
func (m *middleware) startRenewal(ren *renewal, r *http.Request, key, owner string) {
	ren.m, ren.r, ren.key, ren.owner = m, r, key, owner
	ren.every = max(m.lease/3, time.Millisecond)
	ren.mu.Lock()
	ren.timer = time.AfterFunc(ren.every, ren.tick)
	ren.mu.Unlock()
}

func (ren *renewal) tick() {
	ren.mu.Lock()
	if ren.stopped {
		ren.mu.Unlock()
		return
	}
	ren.running.Add(1)
	ren.mu.Unlock()
	defer ren.running.Done()

	m := ren.m
	ctx, cancel := m.detached(ren.r)
	start := time.Now()
	err := m.store.Extend(ctx, ren.key, ren.owner, m.lease)
	cancel()
	m.storeCall(ren.r, OpExtend, start, err)
	if errors.Is(err, ErrNotOwner) {
		// The key was taken over; Complete will report it.
		return
	}
	if err != nil {
		m.observer.event(ren.r, EventStoreError)
	}
	ren.mu.Lock()
	if !ren.stopped {
		ren.timer.Reset(ren.every)
	}
	ren.mu.Unlock()
}

// stop cancels further renewals and waits for one in flight. It may be
// called more than once.
func (ren *renewal) stop() {
	ren.mu.Lock()
	ren.stopped = true
	ren.timer.Stop()
	ren.mu.Unlock()
	ren.running.Wait()
}
