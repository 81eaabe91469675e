package ratelimit

import "time"

// Sweep evicts every idle key now.
func (s *MemoryStore) Sweep() { s.sweepAll() }

// DecisionTime returns the store's instant of d.
func DecisionTime(d *Decision) time.Time { return time.Unix(0, d.now) }
