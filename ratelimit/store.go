package ratelimit

import "context"

// Item is one GCRA check of a decision: the key of one policy and its
// parameters, in nanoseconds.
//
// GCRA keeps one number per key, the theoretical arrival time (TAT). A
// request of cost n at time now is admitted when
//
//	newTAT := max(TAT, now) + n*Interval
//	newTAT - now <= Tolerance
//
// and then TAT becomes newTAT; a denied request writes nothing. A key whose
// TAT is in the past is the same as a key never seen.
type Item struct {
	// Key identifies the bucket (policy and caller).
	Key string
	// Interval is the emission interval: the policy's period divided by
	// its limit.
	Interval int64
	// Tolerance is how far ahead of now the TAT may run: Burst*Interval.
	Tolerance int64
	// Cost is the number of requests this decision counts for (n ≥ 1; 0
	// only inspects).
	Cost int64
}

// Result is the store's answer for one Item.
type Result struct {
	// Allowed reports whether this item alone would admit the request.
	Allowed bool
	// TAT is the key's theoretical arrival time after the decision: newTAT
	// when the whole decision was admitted and written, the unchanged TAT
	// otherwise (max(TAT, now) for an idle or new key), in Unix
	// nanoseconds on the store's clock.
	TAT int64
}

// Store holds TATs. Take decides all items against one instant of the
// store's clock and writes the new TATs only if every item admits
// (all-or-nothing: a request denied by one policy consumes no other
// policy's quota). results has len(items) and is filled in; now is the
// instant used, in Unix nanoseconds. Implementations are safe for
// concurrent use.
type Store interface {
	Take(ctx context.Context, items []Item, results []Result) (now int64, err error)
}

// GCRA is the decision every Store makes for one item at instant now, given
// the stored TAT (0 or any past value for a new key): whether it admits,
// and the TAT to store if the whole decision is admitted.
func GCRA(now, tat int64, it Item) (allowed bool, newTAT int64) {
	if tat < now {
		tat = now
	}
	newTAT = tat + it.Cost*it.Interval
	if newTAT-now > it.Tolerance {
		return false, tat
	}
	return true, newTAT
}
