package idempotency

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// inProgressRetryAfter is the Retry-After of a 409 for a key in progress:
// the first request usually finishes well within its lease, so clients are
// told to come back soon rather than when the lease would run out.
const inProgressRetryAfter = time.Second

// New returns middleware that makes requests carrying an idempotency key
// safe to retry, keeping its records in store (a [MemoryStore] for a single
// replica; a shared store for several). It panics if store is nil.
//
// For each request whose method it acts on (POST and PATCH by default) and
// that carries a valid key, it reads the body (up to a limit), claims the
// key for the caller's scope and route in one store call, and then:
//
//   - runs the handler if the key is new, renewing its lease while the
//     handler runs, and stores the response (status, listed headers, body)
//     for the retention period; 5xx responses and panics release the key
//     instead, so a retry runs again;
//   - replays a stored response verbatim, with Idempotent-Replayed: true;
//   - answers 409 [KeyInProgress] with Retry-After while the first request
//     runs (or waits, see [WithWait]);
//   - answers 422 [KeyMismatch] if the key came with a different method,
//     path, query or body, whatever state the key is in.
//
// By default ([DefaultScope]) records are scoped by the request's
// credentials, and a request that carries a key but no credentials is
// refused with 400 [AnonymousCaller] without running the handler: no
// address or other guess could keep anonymous callers apart. Services with
// anonymous endpoints pass [WithScope].
//
// Errors are written through the error writer ([WithErrorWriter]).
func New(store Store, opts ...Option) func(http.Handler) http.Handler {
	if store == nil {
		panic("idempotency: New called with a nil Store")
	}
	m := &middleware{store: store, config: defaultConfig()}
	for _, o := range opts {
		if o != nil {
			o(&m.config)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next)
		})
	}
}

type middleware struct {
	store  Store
	states sync.Pool // *requestState
	config
}

func (m *middleware) fail(w http.ResponseWriter, r *http.Request, e Event, err error) {
	m.observer.event(r, e)
	m.errorWriter.WriteError(w, r, err)
}

func (m *middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if !m.methods[r.Method] {
		next.ServeHTTP(w, r)
		return
	}
	values := r.Header[m.header] // m.header is canonical
	if len(values) == 0 {
		if m.required {
			m.fail(w, r, EventMissingKey, MissingKey.Newf("The %s header is required for %s requests", m.header, r.Method))
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	key, p := parseKey(m.header, values)
	if p != nil {
		m.fail(w, r, EventInvalidKey, p)
		return
	}
	if m.validator != nil {
		if err := m.validator(key); err != nil {
			m.fail(w, r, EventInvalidKey, validatorProblem(m.header, err))
			return
		}
	}
	st := m.getState()
	defer m.putState(st)
	hasBody, err := m.readBody(r, st)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			m.fail(w, r, EventBodyTooLarge, problem.RequestTooLarge.Wrap(err,
				"The request body exceeds the limit of "+strconv.FormatInt(mbe.Limit, 10)+" bytes"))
		} else {
			m.errorWriter.WriteError(w, r, problem.InvalidRequest.Wrap(err, "The request body could not be read"))
		}
		return
	}
	var body []byte
	if hasBody {
		body = st.body
	}
	d, err := st.derive(r, m.scope, m.route, key, body)
	if err != nil {
		if errors.Is(err, AnonymousCaller) {
			m.fail(w, r, EventAnonymousCaller, err)
		} else {
			m.errorWriter.WriteError(w, r, err)
		}
		return
	}
	skey, fp, owner := d.key, d.fingerprint, d.owner

	claim, err := m.claim(r, skey, fp, owner)
	if err == nil && claim.Outcome == InProgress && m.wait > 0 {
		claim, err = m.waitForKey(r, skey, fp, owner, claim)
	}
	if err != nil {
		m.observer.event(r, EventStoreError)
		if m.failOpen {
			m.observer.event(r, EventFailOpen)
			if hasBody {
				restoreBody(r, st)
			}
			next.ServeHTTP(w, r)
			return
		}
		m.errorWriter.WriteError(w, r, StoreUnavailable.Wrap(err,
			"Duplicate requests cannot be detected right now; try again later").WithRetryAfter(m.storeRetryAfter))
		return
	}
	switch claim.Outcome {
	case Acquired:
		m.observer.event(r, EventAcquired)
		if hasBody {
			restoreBody(r, st)
		}
		m.run(w, r, next, skey, owner)
	case Completed:
		m.replay(w, r, claim.Response, st)
	case InProgress:
		m.fail(w, r, EventInProgress, KeyInProgress.Newf(
			"A request with this %s is still being processed; retry later", m.header).WithRetryAfter(inProgressRetryAfter))
	case Mismatch:
		m.fail(w, r, EventMismatch, KeyMismatch.Newf(
			"This %s was already used with a different request (method, path, query or body)", m.header))
	default:
		m.observer.event(r, EventStoreError)
		m.errorWriter.WriteError(w, r, StoreUnavailable.Wrap(
			errors.New("idempotency: store returned outcome "+claim.Outcome.String()),
			"Duplicate requests cannot be detected right now; try again later").WithRetryAfter(m.storeRetryAfter))
	}
}

// claim makes the one claim of a request.
func (m *middleware) claim(r *http.Request, key, fp, owner string) (Claim, error) {
	start := time.Now()
	c, err := m.store.Claim(r.Context(), key, fp, owner, m.lease)
	m.storeCall(r, OpClaim, start, err)
	return c, err
}

func (m *middleware) storeCall(r *http.Request, op StoreOp, start time.Time, err error) {
	if m.observer.StoreCall != nil {
		m.observer.StoreCall(r, op, time.Since(start), err)
	}
}

// detached returns a context for store calls that must happen even if the
// client has gone away.
func (m *middleware) detached(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), m.storeTimeout)
}

// waitForKey polls the key while it is in progress, up to the wait bound.
func (m *middleware) waitForKey(r *http.Request, key, fp, owner string, c Claim) (Claim, error) {
	deadline := time.Now().Add(m.wait)
	delay := 10 * time.Millisecond
	for c.Outcome == InProgress {
		left := time.Until(deadline)
		if left <= 0 {
			return c, nil
		}
		t := time.NewTimer(min(delay, left, max(c.RetryAfter, time.Millisecond)))
		select {
		case <-r.Context().Done():
			t.Stop()
			return c, nil
		case <-t.C:
		}
		delay = min(2*delay, 250*time.Millisecond)
		var err error
		if c, err = m.claim(r, key, fp, owner); err != nil {
			return c, err
		}
	}
	return c, nil
}

// run executes the handler as the key's owner and stores or releases its
// outcome.
func (m *middleware) run(w http.ResponseWriter, r *http.Request, next http.Handler, key, owner string) {
	// The recorder and the renewal are allocated together. Neither is
	// reused: the handler could hold on to its ResponseWriter, and a
	// renewal tick could still be starting after stop.
	rs := &struct {
		rec recorder
		ren renewal
	}{rec: recorder{ResponseWriter: w, names: m.replayHeaders, limit: m.maxResponse}}
	rec, ren := &rs.rec, &rs.ren
	m.startRenewal(ren, r, key, owner)
	returned := false
	defer func() {
		if !returned {
			// The handler panicked (or called runtime.Goexit): free the key
			// so a retry runs, and let the panic go on.
			ren.stop()
			m.release(r, key, owner)
		}
	}()
	next.ServeHTTP(rec, r)
	returned = true
	ren.stop()

	status, record := rec.result()
	switch {
	case rec.hijacked, status < 200, status >= 500 && !m.storeServerErrs:
		m.release(r, key, owner)
		return
	}
	ctx, cancel := m.detached(r)
	defer cancel()
	start := time.Now()
	err := m.store.Complete(ctx, key, owner, record, m.retention)
	m.storeCall(r, OpComplete, start, err)
	switch {
	case err == nil:
		m.observer.event(r, EventStored)
	case errors.Is(err, ErrNotOwner):
		m.observer.event(r, EventLostOwnership)
	default:
		m.observer.event(r, EventStoreError)
	}
}

func (m *middleware) release(r *http.Request, key, owner string) {
	ctx, cancel := m.detached(r)
	defer cancel()
	start := time.Now()
	err := m.store.Release(ctx, key, owner)
	m.storeCall(r, OpRelease, start, err)
	switch {
	case err == nil:
		m.observer.event(r, EventReleased)
	case errors.Is(err, ErrNotOwner):
		m.observer.event(r, EventLostOwnership)
	default:
		m.observer.event(r, EventStoreError)
	}
}

// replay writes a stored response. The headers' values share one string
// and one slice; names are the configured ones where they match.
func (m *middleware) replay(w http.ResponseWriter, r *http.Request, b []byte, st *requestState) {
	v, err := parseRecord(b)
	if err != nil {
		m.fail(w, r, EventCorruptRecord, CorruptRecord.Wrap(err, "The stored response for this request could not be read"))
		return
	}
	if v.notStored {
		m.fail(w, r, EventNotStored, ResponseNotStored.Newf(
			"The request with this %s was completed, but its response was too large to keep; it will not be run again", m.header))
		return
	}
	m.observer.event(r, EventReplayed)
	withBody := bodyAllowed(v.status)

	text := st.text[:0]
	v.eachHeader(func(_, values []byte) {
		nv, values, _ := uvarint(values)
		for range nv {
			var val []byte
			val, values, _ = field(values)
			text = append(text, val...)
		}
	})
	text = append(text, "true"...)
	if withBody {
		text = strconv.AppendInt(text, int64(len(v.body)), 10)
	}
	all := string(text)
	st.text = text[:0]

	h := w.Header()
	vals := make([]string, v.nvalues+2)
	i := 0
	v.eachHeader(func(name, values []byte) {
		nv, values, _ := uvarint(values)
		first := i
		for range nv {
			var val []byte
			val, values, _ = field(values)
			vals[i], all = all[:len(val)], all[len(val):]
			i++
		}
		h[m.headerName(name)] = vals[first:i:i]
	})
	vals[i], all = all[:len("true")], all[len("true"):]
	h[ReplayedHeader] = vals[i : i+1 : i+1]
	if withBody {
		vals[i+1] = all
		h["Content-Length"] = vals[i+1 : i+2 : i+2]
	}
	w.WriteHeader(v.status)
	if r.Method != http.MethodHead && withBody && len(v.body) > 0 {
		_, _ = w.Write(v.body)
	}
}

// headerName returns name as a string, without allocating when it is one
// of the replayed headers.
func (m *middleware) headerName(name []byte) string {
	for _, n := range m.replayHeaders {
		if string(name) == n {
			return n
		}
	}
	return string(name)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
