package idempotency

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// renewal is one running handler's claim, renewed every third of the
// lease while the handler runs. Renewals are driven by one goroutine per
// Middleware (the renewer), which runs only while some handler does and
// wakes every twelfth of the lease, so a handler costs no timer and no
// goroutine of its own; a claim is renewed at most half a lease after its
// claim or its last renewal.
type renewal struct {
	r          *http.Request
	st         *requestState // the claim's key and owner; valid until stop returns
	renewed    time.Time     // zero until the renewer first sees the claim
	prev, next *renewal
	inFlight   bool // an Extend is running
	stopped    bool
	done       chan struct{} // closed when an in-flight Extend ends after stop
}

// renewer keeps the running claims of a Middleware.
type renewer struct {
	mu      sync.Mutex
	head    renewal // sentinel of the list of running claims
	running bool    // the loop goroutine is running
}

func (m *Middleware) startRenewal(ren *renewal, r *http.Request, st *requestState) {
	ren.r, ren.st = r, st
	rw := &m.renew
	rw.mu.Lock()
	if rw.head.next == nil {
		rw.head.next, rw.head.prev = &rw.head, &rw.head
	}
	ren.prev, ren.next = rw.head.prev, &rw.head
	rw.head.prev.next = ren
	rw.head.prev = ren
	if !rw.running {
		rw.running = true
		go m.renewLoop()
	}
	rw.mu.Unlock()
}

// stopRenewal removes ren from the running claims and waits for an Extend
// in flight. It may be called more than once.
func (m *Middleware) stopRenewal(ren *renewal) {
	rw := &m.renew
	rw.mu.Lock()
	if ren.stopped {
		rw.mu.Unlock()
		return
	}
	ren.stopped = true
	ren.prev.next, ren.next.prev = ren.next, ren.prev
	var wait chan struct{}
	if ren.inFlight {
		ren.done = make(chan struct{})
		wait = ren.done
	}
	rw.mu.Unlock()
	if wait != nil {
		<-wait
	}
}

func (m *Middleware) renewLoop() {
	every := max(m.lease/3, time.Millisecond)
	t := time.NewTicker(max(every/4, time.Millisecond))
	defer t.Stop()
	rw := &m.renew
	for range t.C {
		now := time.Now()
		rw.mu.Lock()
		if rw.head.next == &rw.head {
			rw.running = false
			rw.mu.Unlock()
			return
		}
		for ren := rw.head.next; ren != &rw.head; ren = ren.next {
			if ren.renewed.IsZero() {
				// Claimed since the last tick: counted from now, which
				// saves each request a clock read.
				ren.renewed = now
				continue
			}
			if ren.inFlight || now.Sub(ren.renewed) < every {
				continue
			}
			ren.inFlight = true
			go m.extend(ren)
		}
		rw.mu.Unlock()
	}
}

// extend renews one claim, on its own goroutine so a slow store call does
// not hold up the others.
func (m *Middleware) extend(ren *renewal) {
	var start time.Time
	if m.observer != nil {
		start = time.Now()
	}
	var err error
	if mem, ok := m.store.(*MemoryStore); ok {
		err = mem.extend((*recordID)(ren.st.id[:16]), ren.st.owner, m.lease)
	} else {
		ctx, cancel := m.detached(ren.r)
		err = m.store.Extend(ctx, ren.st.key, ren.st.ownerStr, m.lease)
		cancel()
	}
	m.storeCall(ren.r, "extend", start, err)
	if err != nil && !errors.Is(err, ErrNotOwner) {
		// ErrNotOwner: the key was taken over; Complete will report it.
		m.event(ren.r, "store-error")
	}
	rw := &m.renew
	rw.mu.Lock()
	ren.inFlight = false
	if err == nil || errors.Is(err, ErrNotOwner) {
		ren.renewed = time.Now() // a failed call is retried at the next tick
	}
	if ren.done != nil {
		close(ren.done)
	}
	rw.mu.Unlock()
}
