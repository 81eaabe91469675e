package webhook

import (
	"context"
	"fmt"
	"time"
)

// MaxDeadLimit is the largest page of dead letters DeadQuery.Limit may ask
// for.
const MaxDeadLimit = 1000

// defaultDeadLimit is the page size of a DeadQuery with no Limit.
const defaultDeadLimit = 100

// DeadQuery selects a page of dead letters (Dispatcher.DeadLetters,
// Store.DeadLetters). Dead letters are listed in the order they died
// (their NextAt), then by ID byte-wise: a message that dies while an
// operator pages through the list comes on a later page, and one that is
// replayed and dies again comes again.
type DeadQuery struct {
	// Endpoint lists only the dead letters to this endpoint URL (compared
	// as it was enqueued). Empty lists every endpoint's.
	Endpoint string
	// After resumes the listing after a dead letter: pass the previous
	// page's DeadPage.Next. Nil starts with the dead letter that died
	// first.
	After *DeadCursor
	// Limit is the most dead letters the page holds, from 1 to
	// MaxDeadLimit. Dispatcher.DeadLetters takes 0 as 100 and refuses a
	// negative Limit or one over MaxDeadLimit; a Store is only given
	// Limits from 1 to MaxDeadLimit.
	Limit int
}

// DeadCursor is a place in the listing of dead letters: just after the
// dead letter with ID that died at At (its NextAt). A cursor stays valid
// when that message is replayed or deleted; the listing resumes where it
// would have been.
type DeadCursor struct {
	At time.Time
	ID string
}

// DeadPage is one page of dead letters.
type DeadPage struct {
	// Messages are the page's dead letters, in the order they died;
	// empty, not nil, when there are none.
	Messages []Message
	// Next resumes the listing after the last of Messages: set it as the
	// next DeadQuery's After. It is nil when the page is not full, which
	// ends the listing; a full page may be followed by an empty one.
	Next *DeadCursor
}

// DeadLetters lists the dead letters (of q.Endpoint, if set) a page at a
// time, in the order they died, so an operator can find what to Replay.
// Pass each page's Next as the next query's After until it is nil: every
// message that is a dead letter throughout comes exactly once. A replayed
// message leaves the listing; if it dies again it comes again, after the
// others. A Limit below 0 or over MaxDeadLimit, or an After.ID that no
// message may have, is refused with an error.
func (d *Dispatcher) DeadLetters(ctx context.Context, q DeadQuery) (DeadPage, error) {
	if q.Limit == 0 {
		q.Limit = defaultDeadLimit
	}
	if q.Limit < 1 || q.Limit > MaxDeadLimit {
		return DeadPage{}, fmt.Errorf("webhook: dead letters: limit %d: want 1 to %d (0 means %d)", q.Limit, MaxDeadLimit, defaultDeadLimit)
	}
	if err := checkLength(q.Endpoint); err != nil {
		return DeadPage{}, err
	}
	if q.After != nil && q.After.ID != "" && !validID(q.After.ID) {
		return DeadPage{}, fmt.Errorf("webhook: dead letters: invalid cursor id %.300q", q.After.ID)
	}
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	msgs, err := d.store.DeadLetters(ctx, q)
	if err != nil {
		return DeadPage{}, err
	}
	if len(msgs) > q.Limit {
		return DeadPage{}, fmt.Errorf("webhook: dead letters: the store returned %d messages for a limit of %d", len(msgs), q.Limit)
	}
	page := DeadPage{Messages: msgs}
	if page.Messages == nil {
		page.Messages = []Message{}
	}
	if len(msgs) == q.Limit {
		last := msgs[len(msgs)-1]
		page.Next = &DeadCursor{At: last.NextAt, ID: last.ID}
	}
	return page, nil
}
