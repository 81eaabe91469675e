package webhook

import (
	"errors"
	"fmt"
	"time"
)

// State is where a message is in its life.
type State int

const (
	// Pending: waiting for its next attempt, or being attempted.
	Pending State = iota
	// Delivered: an attempt was answered with a 2xx status.
	Delivered
	// Dead: every attempt of the schedule failed, or an attempt failed in
	// a way that retrying cannot fix; Dispatcher.Replay sends it again.
	Dead
)

// String returns "pending", "delivered" or "dead".
func (s State) String() string {
	switch s {
	case Pending:
		return "pending"
	case Delivered:
		return "delivered"
	case Dead:
		return "dead"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Message is one callback or webhook to deliver. Enqueue reads ID,
// Endpoint, Type and Payload; the store keeps the rest.
type Message struct {
	// ID names the message on every attempt (the webhook-id header), so
	// the receiver can drop duplicates. Enqueue is idempotent by ID;
	// empty means a new random id. At most 255 bytes of letters, digits
	// and "_-:/+=".
	ID string
	// Endpoint is the absolute http or https URL the payload is POSTed to.
	Endpoint string
	// Type is the event type, sent in the Webhook-Event header (optional).
	Type string
	// Payload is the request body, sent as application/json.
	Payload []byte

	// State is set by the store.
	State State
	// Attempts is the number of attempts made, replays included.
	Attempts int
	// Failures is the number of failed attempts since the message was
	// enqueued or last replayed: the position in the retry schedule.
	Failures int
	// CreatedAt is when the message was enqueued.
	CreatedAt time.Time
	// NextAt is when a pending message is due (or its lease ends); for a
	// delivered message or a dead letter, when its last attempt was made.
	NextAt time.Time
}

// Attempt is the record of one delivery attempt.
type Attempt struct {
	// Number counts the message's attempts from 1.
	Number int
	// At is when the request was sent.
	At time.Time
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Latency is the time from sending the request to reading the answer.
	Latency time.Duration
	// Error describes the failure; empty when the message was delivered.
	Error string
}

// Expected conditions, checked with errors.Is.
var (
	// ErrNotFound: no message has that id.
	ErrNotFound = errors.New("webhook: message not found")
	// ErrLeaseLost: the lease named by a token has ended and the message
	// may belong to another worker now.
	ErrLeaseLost = errors.New("webhook: lease lost")
	// ErrNotDead: only a dead letter can be replayed.
	ErrNotDead = errors.New("webhook: message is not a dead letter")
	// ErrStoreFull: a bounded store has no room for another message.
	ErrStoreFull = errors.New("webhook: store full")
)

// EndpointError reports an endpoint that may not be delivered to: not an
// absolute http or https URL, or one whose host is a loopback, private,
// link-local or otherwise internal address that the dispatcher was not
// told to allow.
type EndpointError struct {
	Endpoint string // the URL as it was given
	Reason   string // why it is refused
}

// Error says which endpoint was refused and why.
func (e *EndpointError) Error() string {
	return fmt.Sprintf("webhook: endpoint %q refused: %s", e.Endpoint, e.Reason)
}

// validID reports whether id may name a message: it travels in a header
// and in Standard Webhooks' signed content, where '.' and ',' are
// separators.
func validID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_' || c == '-' || c == ':' || c == '/' || c == '+' || c == '=':
		default:
			return false
		}
	}
	return true
}
