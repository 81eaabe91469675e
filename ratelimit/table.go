package ratelimit

// table maps key hashes to TATs: open addressing with linear probing and
// backward-shift deletion, 16 bytes a slot, kept between 3/16 and 3/4
// full, so a key costs 21 to 85 bytes (about 40 on average). Hash 0 marks
// an empty slot; a key that hashes to 0 is filed under 1. The slot index
// comes from the low bits of the hash; the shard from higher ones.
type table struct {
	slots []slot
	n     int
}

type slot struct {
	h   uint64
	tat int64
}

const minTableSize = 8

func newTable(size int) table {
	return table{slots: make([]slot, max(size, minTableSize))}
}

// fixHash keeps 0 free for empty slots.
func fixHash(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// find returns the slot of h, or the empty slot where h belongs.
func (t *table) find(h uint64) (int, bool) {
	mask := len(t.slots) - 1
	i := int(h) & mask
	for {
		s := &t.slots[i]
		if s.h == h {
			return i, true
		}
		if s.h == 0 {
			return i, false
		}
		i = (i + 1) & mask
	}
}

// insert files h at the empty slot i found by find, growing the table
// when it gets more than 3/4 full.
func (t *table) insert(i int, h uint64, tat int64) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.resize(2 * len(t.slots))
		i, _ = t.find(h)
	}
	t.slots[i] = slot{h, tat}
	t.n++
}

// remove empties slot i, shifting back the entries of its probe run.
func (t *table) remove(i int) {
	mask := len(t.slots) - 1
	j := i
	for {
		j = (j + 1) & mask
		s := t.slots[j]
		if s.h == 0 {
			break
		}
		k := int(s.h) & mask // where s would like to be
		// s stays when its home is cyclically within (i, j].
		if i <= j {
			if i < k && k <= j {
				continue
			}
		} else if i < k || k <= j {
			continue
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = slot{}
	t.n--
}

// resize moves every entry into a table of size slots.
func (t *table) resize(size int) {
	old := t.slots
	t.slots = make([]slot, size)
	mask := size - 1
	for _, s := range old {
		if s.h == 0 {
			continue
		}
		i := int(s.h) & mask
		for t.slots[i].h != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// evict removes the entries whose TAT is at or before now and returns the
// smallest TAT left (MaxInt64 when empty). The table shrinks when it is
// less than 3/16 full.
func (t *table) evict(now int64) int64 {
	earliest := int64(1<<63 - 1)
	for i := 0; i < len(t.slots); {
		s := t.slots[i]
		if s.h != 0 && s.tat <= now {
			t.remove(i) // another entry may move into i: look at it again
			continue
		}
		if s.h != 0 && s.tat < earliest {
			earliest = s.tat
		}
		i++
	}
	if size := len(t.slots); size > minTableSize && 16*t.n < 3*size {
		for size > minTableSize && 16*t.n < 3*size {
			size /= 2
		}
		t.resize(size)
	}
	return earliest
}
