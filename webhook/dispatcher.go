package webhook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Dispatcher delivers the messages of a Store: Enqueue adds one, Start
// runs workers that lease due messages and attempt them, Shutdown stops
// them. Run a Dispatcher in every replica of a service: the store's leases
// see that each message is attempted by one worker at a time. It is safe
// for concurrent use.
type Dispatcher struct {
	store  Store
	c      *config
	signer Signer
	client *http.Client // guarded: public addresses only
	open   *http.Client // for endpoints allowed to be internal
	eps    *endpoints
	wake   chan struct{}

	mu       sync.Mutex
	started  bool
	stopping bool
	stop     chan struct{}
	abort    context.CancelFunc // cancels attempts in flight
	attemptC context.Context
	wg       sync.WaitGroup
}

// New returns a Dispatcher for store that signs every attempt with
// secrets ("whsec_<base64>" Standard Webhooks secrets by default; the
// secret's own bytes with WithSignatureHeader). It fails on a nil store, a
// bad secret or an invalid option.
//
// Every Dispatcher over one store may attempt any of its messages, so
// Dispatchers that share a store must be configured alike (secrets,
// signature format, schedule, WithOrdered): give each configuration its
// own store (hookpg.WithTable, hookredis.WithPrefix).
func New(store Store, secrets []string, opts ...Option) (*Dispatcher, error) {
	if store == nil {
		return nil, errors.New("webhook: nil store")
	}
	c, err := newConfig(forDispatcher, opts)
	if err != nil {
		return nil, err
	}
	signer, err := newSigner(c, secrets)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	d := &Dispatcher{
		store:  store,
		c:      c,
		signer: signer,
		client: newClient(c, !c.allowPrivate),
		open:   newClient(c, false),
		eps:    newEndpoints(c),
		wake:   make(chan struct{}, 1),
	}
	return d, nil
}

// Enqueue stores a message to deliver to m.Endpoint and returns its id:
// m.ID, or a new one when it is empty. Only m's ID, Endpoint, Type and
// Payload are read. Enqueue is idempotent by id: a second Enqueue with the
// same id stores nothing and returns the id. An endpoint that is not an
// http or https URL, or that names an internal address, is refused with an
// *EndpointError. With hookpg, Enqueue can run inside the caller's
// transaction (hookpg.WithTx).
func (d *Dispatcher) Enqueue(ctx context.Context, m Message) (string, error) {
	if m.ID == "" {
		m.ID = newMessageID()
	} else if !validID(m.ID) {
		return "", fmt.Errorf("webhook: invalid message id %q: want 1 to 255 letters, digits or \"_-:/+=\"", m.ID)
	}
	if err := d.checkEndpoint(m.Endpoint); err != nil {
		return "", err
	}
	if len(m.Payload) > d.c.maxPayload {
		return "", fmt.Errorf("webhook: payload of %d bytes over the limit of %d", len(m.Payload), d.c.maxPayload)
	}
	now := d.c.now()
	m.State, m.Attempts, m.Failures = Pending, 0, 0
	m.CreatedAt = now
	m.NextAt = now.Add(d.c.schedule[0])
	ctx, cancel := context.WithTimeout(ctx, d.c.storeTimeout)
	defer cancel()
	if _, err := d.store.Enqueue(ctx, m); err != nil {
		return "", err
	}
	d.notify()
	return m.ID, nil
}

// notify wakes one idle worker, if any.
func (d *Dispatcher) notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Start starts the workers (WithWorkers) in the background. It fails if
// the Dispatcher was started before.
func (d *Dispatcher) Start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return errors.New("webhook: dispatcher already started")
	}
	d.started = true
	d.stop = make(chan struct{})
	d.attemptC, d.abort = context.WithCancel(context.Background())
	for range d.c.workers {
		d.wg.Add(1)
		go d.work()
	}
	return nil
}

// Shutdown stops leasing messages and waits for the attempts in flight to
// end and be recorded. If ctx ends first, the attempts in flight are
// cancelled and their messages released, due at once, for another worker;
// Shutdown then returns ctx's error. It is safe to call more than once.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	if !d.started {
		d.mu.Unlock()
		return nil
	}
	if !d.stopping {
		d.stopping = true
		close(d.stop)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.abort()
		return nil
	case <-ctx.Done():
		d.abort()
		<-done
		return ctx.Err()
	}
}

// work is one worker's loop.
func (d *Dispatcher) work() {
	defer d.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-d.stop:
			return
		default:
		}
		if d.step() {
			continue
		}
		timer.Reset(d.c.poll)
		select {
		case <-d.stop:
			return
		case <-d.wake:
		case <-timer.C:
		}
	}
}

// step leases one message and attempts it. It reports whether there was
// one.
func (d *Dispatcher) step() bool {
	now := d.c.now()
	token := rand.Text()
	until := now.Add(d.c.lease)
	ctx, cancel := context.WithTimeout(context.Background(), d.c.storeTimeout)
	m, ok, err := d.store.Lease(ctx, LeaseRequest{
		Now: now, Until: until, Token: token,
		Skip: d.eps.blocked(now), Ordered: d.c.ordered,
	})
	cancel()
	if err != nil || !ok {
		return false
	}
	// Another due message may wait for an idle worker.
	d.notify()
	d.process(m, token, until)
	return true
}

// process attempts a leased message and records the outcome.
func (d *Dispatcher) process(m Message, token string, until time.Time) {
	now := d.c.now()
	// The attempt and its record must end before the lease does, or
	// another worker could attempt the message at the same time.
	if until.Sub(now) < d.c.timeout+d.c.storeTimeout || !d.eps.acquire(m.Endpoint, now) {
		d.release(m, token, now)
		return
	}
	select {
	case <-d.stop:
		d.eps.done(m.Endpoint, now, false, false, 0)
		d.release(m, token, now)
		return
	default:
	}
	a, res, pause := d.attempt(m)
	if a.Status == 0 && d.attemptC.Err() != nil {
		// Cancelled by Shutdown: no answer, so no attempt to count.
		d.eps.done(m.Endpoint, d.c.now(), false, false, 0)
		d.release(m, token, d.c.now())
		return
	}
	d.eps.done(m.Endpoint, d.c.now(), true, res.State == Delivered, pause)
	var err error
	for try := 0; try < 3; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), d.c.storeTimeout)
		err = d.store.Finish(ctx, m.ID, token, res)
		cancel()
		if err == nil || errors.Is(err, ErrLeaseLost) {
			break
		}
	}
	if err != nil {
		// The lease runs out and another worker attempts the message
		// again: at least once.
		d.observe(Event{Message: m, Attempt: a, Outcome: OutcomeUnrecorded, Err: err})
		return
	}
	d.observe(Event{Message: m, Attempt: a, Outcome: outcomeOf(res), NextAt: res.NextAt})
}

// release gives a leased message back, due at at.
func (d *Dispatcher) release(m Message, token string, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), d.c.storeTimeout)
	err := d.store.Release(ctx, m.ID, token, at)
	cancel()
	d.observe(Event{Message: m, Outcome: OutcomeReleased, NextAt: at, Err: err})
}

func (d *Dispatcher) observe(e Event) {
	if d.c.observer != nil {
		d.c.observer(e)
	}
}

func (d *Dispatcher) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.c.storeTimeout)
}

// Message returns the message with id and its state, or ErrNotFound.
func (d *Dispatcher) Message(ctx context.Context, id string) (Message, error) {
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	return d.store.Message(ctx, id)
}

// Attempts returns the attempts of message id, oldest first: when each
// was sent, the status it got, its latency and its error.
func (d *Dispatcher) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	return d.store.Attempts(ctx, id)
}

// Replay sends the dead letter id again, from the start of the schedule.
// Replaying a message that is already pending again does nothing; one
// that was delivered is ErrNotDead.
func (d *Dispatcher) Replay(ctx context.Context, id string) error {
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	if err := d.store.Replay(ctx, id, d.c.now()); err != nil {
		return err
	}
	d.notify()
	return nil
}

// EnableEndpoint re-enables an endpoint that answered 410 Gone (or was
// disabled by DisableEndpoint); its pending messages are delivered again.
func (d *Dispatcher) EnableEndpoint(ctx context.Context, endpoint string) error {
	if err := checkLength(endpoint); err != nil {
		return err
	}
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	if err := d.store.SetEndpointDisabled(ctx, endpoint, false); err != nil {
		return err
	}
	d.notify()
	return nil
}

// DisableEndpoint stops deliveries to endpoint until EnableEndpoint; its
// messages wait, pending.
func (d *Dispatcher) DisableEndpoint(ctx context.Context, endpoint string) error {
	if err := checkLength(endpoint); err != nil {
		return err
	}
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	return d.store.SetEndpointDisabled(ctx, endpoint, true)
}

// EndpointDisabled reports whether endpoint is disabled.
func (d *Dispatcher) EndpointDisabled(ctx context.Context, endpoint string) (bool, error) {
	if err := checkLength(endpoint); err != nil {
		return false, err
	}
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	return d.store.EndpointDisabled(ctx, endpoint)
}
