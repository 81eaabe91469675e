package client

import (
	"sync"
	"time"
)

// budgetSlots is the number of one-second slots of the retry budget's
// window.
const budgetSlots = 10

// budget allows retries up to floor plus share of the logical requests of
// the last budgetSlots seconds.
type budget struct {
	share float64
	floor int

	mu    sync.Mutex
	slots [budgetSlots]struct {
		sec             int64
		requests, tries int
	}
}

func (b *budget) slot(now time.Time) (*struct {
	sec             int64
	requests, tries int
}, int64) {
	sec := now.Unix()
	s := &b.slots[uint64(sec)%budgetSlots]
	if s.sec != sec {
		s.sec, s.requests, s.tries = sec, 0, 0
	}
	return s, sec
}

func (b *budget) deposit(now time.Time) {
	b.mu.Lock()
	s, _ := b.slot(now)
	s.requests++
	b.mu.Unlock()
}

func (b *budget) withdraw(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, sec := b.slot(now)
	requests, tries := 0, 0
	for i := range b.slots {
		if o := &b.slots[i]; o.sec > sec-budgetSlots && o.sec <= sec {
			requests += o.requests
			tries += o.tries
		}
	}
	if float64(tries) >= float64(b.floor)+b.share*float64(requests) {
		return false
	}
	s.tries++
	return true
}
