package idempotency

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/apikit-go/apikit/problem"
)

// inProgressRetryAfter is the Retry-After of a 409 for a key in progress:
// the first request usually finishes well within its lease, so clients are
// told to come back soon rather than when the lease would run out.
const inProgressRetryAfter = time.Second

// Middleware makes requests carrying an idempotency key safe to retry. Make
// one with [New] and wrap handlers with [Middleware.Handler]; it is safe for
// concurrent use, and one Middleware may wrap any number of handlers.
type Middleware struct {
	store  Store
	local  bool      // store is a *MemoryStore: no deadlines, no goroutines
	states sync.Pool // *requestState
	renew  renewer
	config
}

// New returns middleware that keeps its records in store (a [MemoryStore]
// for a single replica; a shared store for several). It returns an error
// if store is nil or an option is invalid.
//
// For each request whose method it acts on (POST and PATCH by default) and
// that carries a valid key, the handler it returns reads the body (up to a
// limit), claims the key for the caller's scope and route in one store
// call, and then:
//
//   - runs the handler if the key is new, renewing its lease while the
//     handler runs, and stores the response (status, listed headers, body)
//     for the retention period (4xx for a shorter one); 5xx responses and
//     panics release the key instead, so a retry runs again;
//   - replays a stored response verbatim, with Idempotent-Replayed: true;
//   - answers 409 [KeyInProgress] with Retry-After while the first request
//     runs (or waits, see [WithWait]);
//   - answers 422 [KeyMismatch] if the key came with a different method,
//     path, query or body, whatever state the key is in;
//   - answers 503 [StoreUnavailable] with Retry-After, without running the
//     handler, if the store fails or does not answer the claim within the
//     store timeout ([WithStoreTimeout]), unless [WithFailOpen] is given.
//
// By default ([DefaultScope]) records are scoped by the request's
// credentials, and a request that carries a key but no credentials is
// refused with 400 [AnonymousCaller] without running the handler: no
// address or other guess could keep anonymous callers apart. Services with
// anonymous endpoints pass [WithScope].
//
// Errors are written with problem.WriteTo: the writer given with
// [WithErrorWriter], else the one in the request's context (the envelope
// middleware puts the API's writer there), else plain RFC 9457.
func New(store Store, opts ...Option) (*Middleware, error) {
	if store == nil {
		return nil, errors.New("idempotency: New: nil Store")
	}
	m := &Middleware{store: store, config: defaultConfig()}
	_, m.local = store.(*MemoryStore)
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("idempotency: New: nil Option")
		}
		if err := o.apply(&m.config, nil); err != nil {
			return nil, err
		}
	}
	if m.lease >= m.retention {
		return nil, fmt.Errorf("idempotency: New: lease %v must be shorter than retention %v", m.lease, m.retention)
	}
	m.errRetention = min(m.errRetention, m.retention)
	return m, nil
}

// nextOwner returns an owner token for the memory store, unique within it
// (whichever middleware asks), or 0 for other stores.
func (m *Middleware) nextOwner() uint64 {
	if mem, ok := m.store.(*MemoryStore); ok {
		return mem.owners.Add(1)
	}
	return 0
}

// Handler returns next wrapped by the middleware.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, next)
	})
}

func (m *Middleware) writeError(w http.ResponseWriter, r *http.Request, err error) {
	problem.WriteTo(m.errorWriter, w, r, err)
}

func (m *Middleware) fail(w http.ResponseWriter, r *http.Request, name string, err error) {
	m.event(r, name)
	m.writeError(w, r, err)
}

func (m *Middleware) storeUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	m.writeError(w, r, StoreUnavailable.Wrap(err,
		"Duplicate requests cannot be detected right now; try again later").WithRetryAfter(m.storeRetryAfter))
}

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if !m.methods[r.Method] {
		next.ServeHTTP(w, r)
		return
	}
	values := r.Header[m.header] // m.header is canonical
	if len(values) == 0 {
		if m.required {
			m.fail(w, r, "missing-key", MissingKey.Newf("The %s header is required for %s requests", m.header, r.Method))
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	key, p := parseKey(m.header, values)
	if p != nil {
		m.fail(w, r, "invalid-key", p)
		return
	}
	if m.validator != nil {
		if err := m.validator(key); err != nil {
			m.fail(w, r, "invalid-key", validatorProblem(m.header, err))
			return
		}
	}
	st := m.getState()
	defer m.putState(st)
	hasBody, err := m.readBody(r, st)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			m.fail(w, r, "body-too-large", problem.RequestTooLarge.Wrap(err,
				"The request body exceeds the limit of "+strconv.FormatInt(mbe.Limit, 10)+" bytes"))
		} else {
			m.writeError(w, r, problem.InvalidRequest.Wrap(err, "The request body could not be read"))
		}
		return
	}
	var body []byte
	if hasBody {
		body = st.body
	}
	if err := st.derive(r, m.scope, m.route, key, body, !m.local, m.nextOwner()); err != nil {
		if errors.Is(err, AnonymousCaller) {
			m.fail(w, r, "anonymous-caller", err)
		} else {
			m.writeError(w, r, err)
		}
		return
	}

	claim, err := m.claim(r, st)
	if err == nil && claim.Outcome == InProgress && m.wait > 0 {
		claim, err = m.waitForKey(r, st, claim)
	}
	if errors.Is(err, ErrScopeFull) {
		m.fail(w, r, "scope-full", ScopeFull.Wrap(err,
			"This caller holds as many idempotency keys as it may; retry later").WithRetryAfter(m.storeRetryAfter))
		return
	}
	if err != nil && r.Context().Err() != nil {
		// The client went away while the claim was made: no one to
		// answer, nothing to run, and no server error to report.
		m.event(r, "client-gone")
		return
	}
	if err != nil {
		m.event(r, "store-error")
		if m.failOpen {
			m.event(r, "fail-open")
			if hasBody {
				st.restoreBody(r)
			}
			next.ServeHTTP(w, r)
			return
		}
		m.storeUnavailable(w, r, err)
		return
	}
	switch claim.Outcome {
	case Acquired:
		m.event(r, "acquired")
		st.hasBody = hasBody
		m.run(w, r, next, st.key, st.ownerStr, st)
	case Completed:
		m.replay(w, r, claim.Response)
	case InProgress:
		m.fail(w, r, "in-progress", KeyInProgress.Newf(
			"A request with this %s is still being processed; retry later", m.header).WithRetryAfter(inProgressRetryAfter))
	case Mismatch:
		m.fail(w, r, "mismatch", KeyMismatch.Newf(
			"This %s was already used with a different request (method, path, query or body)", m.header))
	default:
		m.event(r, "store-error")
		m.storeUnavailable(w, r, errors.New("idempotency: store returned outcome "+claim.Outcome.String()))
	}
}

// claim makes one claim of a request, within the store timeout.
func (m *Middleware) claim(r *http.Request, st *requestState) (Claim, error) {
	var start time.Time
	if m.observer != nil {
		start = time.Now()
	}
	var c Claim
	var err error
	if mem, ok := m.store.(*MemoryStore); ok {
		c, err = mem.claim(st.sid, recordID(st.id[:16]), token(st.fp[:16]), st.owner, m.lease)
	} else {
		c, err = m.claimBounded(r, st.key, st.fpStr, st.ownerStr)
	}
	m.storeCall(r, "claim", start, err)
	return c, err
}

// claimBounded makes a claim on a store that may stall (a network store)
// and stops waiting for it when the store timeout runs out, even if the
// store does not honour its context's deadline. A claim that is granted
// after the request gave up on it is released, so the key is not blocked
// for a whole lease.
func (m *Middleware) claimBounded(r *http.Request, key, fp, owner string) (Claim, error) {
	ctx, cancel := context.WithTimeout(r.Context(), m.storeTimeout)
	type result struct {
		c   Claim
		err error
	}
	done := make(chan result, 1)
	var abandoned atomic.Bool
	go func() {
		c, err := m.store.Claim(ctx, key, fp, owner, m.lease)
		done <- result{c, err}
		if abandoned.Load() && err == nil && c.Outcome == Acquired {
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), m.storeTimeout)
			_ = m.store.Release(rctx, key, owner)
			rcancel()
		}
	}()
	timer := time.NewTimer(m.storeTimeout)
	defer timer.Stop()
	select {
	case res := <-done:
		cancel()
		return res.c, res.err
	case <-timer.C:
	case <-ctx.Done():
	}
	abandoned.Store(true)
	cancel()
	select {
	case res := <-done: // answered just in time
		return res.c, res.err
	default:
	}
	if err := r.Context().Err(); err != nil {
		return Claim{}, fmt.Errorf("idempotency: claim: %w", err)
	}
	return Claim{}, fmt.Errorf("idempotency: claim: no answer within %v: %w", m.storeTimeout, context.DeadlineExceeded)
}

// detached returns a context for store calls that must happen even if the
// client has gone away: bounded by the store timeout, except for the
// memory store, which never waits.
func (m *Middleware) detached(r *http.Request) (context.Context, context.CancelFunc) {
	if m.local {
		return context.Background(), func() {}
	}
	return context.WithTimeout(context.WithoutCancel(r.Context()), m.storeTimeout)
}

// waitForKey polls the key while it is in progress, up to the wait bound.
func (m *Middleware) waitForKey(r *http.Request, st *requestState, c Claim) (Claim, error) {
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
		if c, err = m.claim(r, st); err != nil {
			return c, err
		}
	}
	return c, nil
}

// run executes the handler as the key's owner and stores or releases its
// outcome.
func (m *Middleware) run(w http.ResponseWriter, r *http.Request, next http.Handler, key, owner string, st *requestState) {
	// The recorder, the renewal and the body are allocated together. None
	// is reused: the handler could hold on to them.
	rs := &struct {
		rec  recorder
		ren  renewal
		body bufferedBody
	}{rec: recorder{ResponseWriter: w, names: m.replayHeaders, limit: m.maxResponse, buf: st.record[:0]}}
	rec, ren := &rs.rec, &rs.ren
	if st.hasBody {
		rs.body.b = st.handOverBody()
		rs.body.Reset(rs.body.b)
		r.Body = &rs.body
		r.ContentLength = int64(len(rs.body.b))
	}
	m.startRenewal(ren, r, st)
	returned := false
	defer func() {
		if !returned {
			// The handler panicked (or called runtime.Goexit): free the key
			// so a retry runs, and let the panic go on.
			m.stopRenewal(ren)
			rec.finish()
			m.release(r, key, owner, st)
		}
	}()
	next.ServeHTTP(rec, r)
	returned = true
	m.stopRenewal(ren)

	status, record := rec.result()
	st.record = rec.buf[:0]
	switch {
	case rec.hijacked, status < 200, status >= 500 && !m.storeServerErrs:
		m.release(r, key, owner, st)
		return
	}
	retention := m.retention
	if status >= 400 && status < 500 {
		retention = m.errRetention
	}
	var start time.Time
	if m.observer != nil {
		start = time.Now()
	}
	var err error
	if mem, ok := m.store.(*MemoryStore); ok {
		err = mem.complete((*recordID)(st.id[:16]), st.owner, record, retention)
	} else {
		ctx, cancel := m.detached(r)
		err = m.store.Complete(ctx, key, owner, record, retention)
		cancel()
	}
	m.storeCall(r, "complete", start, err)
	switch {
	case err == nil:
		m.event(r, "stored")
	case errors.Is(err, ErrNotOwner):
		m.event(r, "lost-ownership")
	default:
		m.event(r, "store-error")
	}
}

func (m *Middleware) release(r *http.Request, key, owner string, st *requestState) {
	var start time.Time
	if m.observer != nil {
		start = time.Now()
	}
	var err error
	if mem, ok := m.store.(*MemoryStore); ok {
		err = mem.release((*recordID)(st.id[:16]), st.owner)
	} else {
		ctx, cancel := m.detached(r)
		err = m.store.Release(ctx, key, owner)
		cancel()
	}
	m.storeCall(r, "release", start, err)
	switch {
	case err == nil:
		m.event(r, "released")
	case errors.Is(err, ErrNotOwner):
		m.event(r, "lost-ownership")
	default:
		m.event(r, "store-error")
	}
}

// replay writes a stored response. The header values are strings over the
// stored bytes, which no one modifies (see [Claim]); they share one slice.
func (m *Middleware) replay(w http.ResponseWriter, r *http.Request, b []byte) {
	v, err := parseRecord(b)
	if err != nil {
		m.fail(w, r, "corrupt-record", CorruptRecord.Wrap(err, "The stored response for this request could not be read"))
		return
	}
	if v.notStored {
		m.fail(w, r, "not-stored", ResponseNotStored.Newf(
			"The request with this %s was completed, but its response was too large to keep; it will not be run again", m.header))
		return
	}
	m.event(r, "replayed")
	withBody := bodyAllowed(v.status)

	h := w.Header()
	// The header values and the Content-Length digits in one allocation
	// for the usual few headers.
	var vals []string
	var digits []byte
	if n := v.nvalues + 2; n <= len(replayValues{}.vals) {
		rv := new(replayValues)
		vals, digits = rv.vals[:n:n], rv.digits[:0]
	} else {
		vals = make([]string, n)
	}
	i := 0
	v.eachHeader(func(name, values []byte) {
		nv, values, _ := uvarint(values)
		first := i
		for range nv {
			var val []byte
			val, values, _ = field(values)
			vals[i] = bytesString(val)
			i++
		}
		h[m.headerName(name)] = vals[first:i:i]
	})
	vals[i] = "true"
	h[ReplayedHeader] = vals[i : i+1 : i+1]
	if withBody {
		if digits != nil {
			digits = strconv.AppendInt(digits, int64(len(v.body)), 10)
			vals[i+1] = unsafe.String(&digits[0], len(digits)) // never written again
		} else {
			vals[i+1] = strconv.Itoa(len(v.body))
		}
		h["Content-Length"] = vals[i+1 : i+2 : i+2]
	}
	w.WriteHeader(v.status)
	if r.Method != http.MethodHead && withBody && len(v.body) > 0 {
		_, _ = w.Write(v.body)
	}
}

// replayValues holds the header values of a replayed response with up to
// six stored values (and the two the replay adds), and the digits of its
// Content-Length.
type replayValues struct {
	vals   [8]string
	digits [20]byte
}

// bytesString returns b as a string without copying; b must never be
// modified afterwards.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// headerName returns name as a string, without allocating when it is one
// of the replayed headers.
func (m *Middleware) headerName(name []byte) string {
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
