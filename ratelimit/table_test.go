package ratelimit

import (
	"math/rand/v2"
	"testing"
)

// TestTableModel checks the open-addressing table against a Go map under
// random inserts, updates, removals and evictions, with hashes drawn from
// a small range so that probe runs collide and wrap around.
func TestTableModel(t *testing.T) {
	tests := []struct {
		name  string
		space uint64 // hashes are drawn from [1, space]
		ops   int
	}{
		{"dense collisions", 64, 20000},
		{"sparse", 1 << 40, 20000},
		{"wrap-around", 16, 5000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			tb := newTable(minTableSize)
			model := map[uint64]int64{}
			for op := 0; op < tc.ops; op++ {
				h := 1 + rng.Uint64N(tc.space)
				// Spread small hashes over the high bits too, as real ones are.
				if tc.space <= 64 {
					h |= h << 58
				}
				switch r := rng.IntN(10); {
				case r < 6: // upsert
					v := rng.Int64N(1000) + 1
					i, ok := tb.find(h)
					if ok {
						tb.slots[i].tat = v
					} else {
						tb.insert(i, h, v)
					}
					model[h] = v
				case r < 9: // remove
					if i, ok := tb.find(h); ok {
						tb.remove(i)
					}
					delete(model, h)
				default: // evict
					now := rng.Int64N(1000)
					tb.evict(now)
					for k, v := range model {
						if v <= now {
							delete(model, k)
						}
					}
				}
				if tb.n != len(model) {
					t.Fatalf("op %d: table has %d keys, model %d", op, tb.n, len(model))
				}
			}
			for k, v := range model {
				i, ok := tb.find(k)
				if !ok || tb.slots[i].tat != v {
					t.Fatalf("key %x: found=%v, want %d", k, ok, v)
				}
			}
			count := 0
			for _, s := range tb.slots {
				if s.h != 0 {
					count++
					if model[s.h] != s.tat {
						t.Fatalf("stray entry %x", s.h)
					}
				}
			}
			if count != len(model) || 4*count > 3*len(tb.slots) {
				t.Fatalf("%d entries in %d slots, model %d", count, len(tb.slots), len(model))
			}
		})
	}
}
