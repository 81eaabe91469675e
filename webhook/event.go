package webhook

import (
	"fmt"
	"time"
)

// Event is what an observer (WithObserver) learns after each attempt or
// release.
type Event struct {
	// Message is the message as it was leased: its Attempts do not count
	// this attempt yet.
	Message Message
	// Attempt is the attempt made; zero for OutcomeReleased.
	Attempt Attempt
	Outcome Outcome
	// NextAt is when the message is due again (OutcomeRetry,
	// OutcomeReleased).
	NextAt time.Time
	// Err is the store's error for OutcomeUnrecorded, or a failed release.
	Err error
}

// Outcome is what became of a message after an attempt.
type Outcome int

const (
	// OutcomeDelivered: a 2xx answer.
	OutcomeDelivered Outcome = iota
	// OutcomeRetry: the attempt failed; another follows at NextAt.
	OutcomeRetry
	// OutcomeDead: the message is a dead letter.
	OutcomeDead
	// OutcomeEndpointDisabled: a 410 Gone answer disabled the endpoint.
	OutcomeEndpointDisabled
	// OutcomeReleased: the message was given back without an attempt
	// (shutdown, endpoint busy or paused).
	OutcomeReleased
	// OutcomeUnrecorded: the store failed to record the attempt; the
	// message is attempted again when its lease runs out.
	OutcomeUnrecorded
)

// String returns the outcome's name in lower case.
func (o Outcome) String() string {
	switch o {
	case OutcomeDelivered:
		return "delivered"
	case OutcomeRetry:
		return "retry"
	case OutcomeDead:
		return "dead"
	case OutcomeEndpointDisabled:
		return "endpoint-disabled"
	case OutcomeReleased:
		return "released"
	case OutcomeUnrecorded:
		return "unrecorded"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

func outcomeOf(r Result) Outcome {
	switch {
	case r.DisableEndpoint:
		return OutcomeEndpointDisabled
	case r.State == Delivered:
		return OutcomeDelivered
	case r.State == Dead:
		return OutcomeDead
	}
	return OutcomeRetry
}
