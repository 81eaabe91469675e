// Command e2ebaseline is the hand-written net/http server that the
// end-to-end benchmark (BenchmarkE2E) measures the demo against. It does the
// same work as examples/partnerapi on the measured routes, with the best
// plain code we could write: request IDs, bearer authentication, a GCRA rate
// limit with the X-RateLimit-* headers, one slog line per request, strict
// JSON decoding and validation, an in-memory idempotency map that replays
// stored responses, and the standard envelope written from a pooled buffer.
// It serves only the routes the benchmark uses.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s := &server{log: logger, patients: map[string]*patient{}, idem: map[string]*stored{}, limits: map[string]int64{}}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	logger.Info("e2ebaseline listening", "addr", ln.Addr().String())
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	if err := hs.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type patient struct {
	PatientID        string `json:"patient_id"`
	FamilyName       string `json:"family_name"`
	GivenName        string `json:"given_name"`
	DateOfBirth      string `json:"date_of_birth"`
	Sex              string `json:"sex"`
	PartnerPatientID string `json:"partner_patient_id,omitempty"`
	partner          string
}

type stored struct {
	done   bool
	fp     [32]byte
	status int
	loc    string
	body   []byte
}

type server struct {
	log *slog.Logger

	mu       sync.RWMutex
	patients map[string]*patient // partner + "\x00" + id

	idemMu sync.Mutex
	idem   map[string]*stored

	limMu  sync.Mutex
	limits map[string]int64 // partner → TAT in ns
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const (
	limit    = 1_000_000_000
	period   = time.Second
	interval = int64(period) / limit
)

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(c int) { r.status = c; r.ResponseWriter.WriteHeader(c) }
func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !validID(id) {
		id = newReqID(start)
	}
	w.Header().Set("X-Request-Id", id)
	rec := &recorder{ResponseWriter: w, status: 200}
	s.route(rec, r, id, start)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes), slog.Duration("duration", time.Since(start)))
}

func (s *server) route(w http.ResponseWriter, r *http.Request, id string, now time.Time) {
	auth := r.Header.Get("Authorization")
	scheme, partner, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !validID(partner) {
		s.fail(w, id, now, 401, "authentication-required", "Authentication required", "Valid authentication token is required")
		return
	}
	s.rateLimit(w, partner, now)
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/patients/"):
		s.get(w, r, id, now, partner, strings.TrimPrefix(r.URL.Path, "/api/v1/patients/"))
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/patients":
		s.create(w, r, id, now, partner)
	default:
		s.fail(w, id, now, 404, "resource-not-found", "Resource not found", "No such route")
	}
}

func (s *server) rateLimit(w http.ResponseWriter, partner string, now time.Time) {
	t := now.UnixNano()
	s.limMu.Lock()
	tat := max(s.limits[partner], t)
	tat += interval
	s.limits[partner] = tat
	s.limMu.Unlock()
	remaining := limit - (tat-t+interval-1)/interval
	h := w.Header()
	h["X-Ratelimit-Limit"] = []string{strconv.Itoa(limit)}
	h["X-Ratelimit-Remaining"] = []string{strconv.FormatInt(max(remaining, 0), 10)}
	h["X-Ratelimit-Reset"] = []string{strconv.FormatInt((tat+int64(time.Second)-1)/int64(time.Second), 10)}
}

func (s *server) get(w http.ResponseWriter, r *http.Request, id string, now time.Time, partner, pid string) {
	s.mu.RLock()
	p := s.patients[partner+"\x00"+pid]
	s.mu.RUnlock()
	if p == nil {
		s.fail(w, id, now, 404, "patient-not-found", "Patient not found", "Patient with ID '"+pid+"' does not exist")
		return
	}
	s.success(w, r, id, now, 200, "Success", p, "")
}

type createReq struct {
	FamilyName       string `json:"family_name"`
	GivenName        string `json:"given_name"`
	DateOfBirth      string `json:"date_of_birth"`
	Sex              string `json:"sex"`
	PartnerPatientID string `json:"partner_patient_id"`
	IHINumber        string `json:"ihi_number"`
	MedicareNumber   string `json:"medicare_number"`
}

func (s *server) create(w http.ResponseWriter, r *http.Request, id string, now time.Time, partner string) {
	key := r.Header.Get("Idempotency-Key")
	body := bufs.Get().(*bytes.Buffer)
	body.Reset()
	defer bufs.Put(body)
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
		s.fail(w, id, now, 413, "payload-too-large", "Payload too large", "The request body is too large")
		return
	}
	var slot *stored
	var ikey string
	if key != "" {
		ikey = partner + "\x00POST /api/v1/patients\x00" + key
		fp := fingerprint(body.Bytes())
		s.idemMu.Lock()
		st := s.idem[ikey]
		switch {
		case st == nil:
			slot = &stored{fp: fp}
			s.idem[ikey] = slot
			s.idemMu.Unlock()
		case st.fp != fp:
			s.idemMu.Unlock()
			s.fail(w, id, now, 422, "idempotency-key-reused", "Idempotency key reused", "The key was used with a different request")
			return
		case !st.done:
			s.idemMu.Unlock()
			s.fail(w, id, now, 409, "idempotency-key-in-progress", "Request in progress", "A request with this key is in progress")
			return
		default:
			s.idemMu.Unlock()
			h := w.Header()
			h["Content-Type"] = []string{"application/json"}
			h["Content-Length"] = []string{strconv.Itoa(len(st.body))}
			h["Location"] = []string{st.loc}
			h["Idempotent-Replayed"] = []string{"true"}
			w.WriteHeader(st.status)
			_, _ = w.Write(st.body)
			return
		}
	}
	var in createReq
	dec := json.NewDecoder(bytes.NewReader(body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.FamilyName == "" || in.GivenName == "" || in.Sex == "" {
		s.release(ikey)
		s.fail(w, id, now, 422, "validation-error", "Validation failed", "There were some problems with your input.")
		return
	}
	if _, err := time.Parse(time.DateOnly, in.DateOfBirth); err != nil {
		s.release(ikey)
		s.fail(w, id, now, 422, "validation-error", "Validation failed", "There were some problems with your input.")
		return
	}
	p := &patient{PatientID: "pat_" + randomID(16), FamilyName: in.FamilyName, GivenName: in.GivenName,
		DateOfBirth: in.DateOfBirth, Sex: in.Sex, PartnerPatientID: in.PartnerPatientID, partner: partner}
	s.mu.Lock()
	s.patients[partner+"\x00"+p.PatientID] = p
	s.mu.Unlock()
	loc := "/api/v1/patients/" + p.PatientID
	out := struct {
		PatientID        string `json:"patient_id"`
		PartnerPatientID string `json:"partner_patient_id"`
		URL              string `json:"url"`
	}{p.PatientID, p.PartnerPatientID, loc}
	b := s.success(w, r, id, now, 201, "Patient created successfully", out, loc)
	if slot != nil {
		s.idemMu.Lock()
		slot.done, slot.status, slot.loc, slot.body = true, 201, loc, b
		s.idemMu.Unlock()
	}
}

func (s *server) release(ikey string) {
	if ikey != "" {
		s.idemMu.Lock()
		delete(s.idem, ikey)
		s.idemMu.Unlock()
	}
}

// success writes the standard envelope and returns a copy of the body
// (for the idempotency record) when loc is set.
func (s *server) success(w http.ResponseWriter, r *http.Request, id string, now time.Time, status int, msg string, data any, loc string) []byte {
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	buf.WriteString(`{"success":true,"statusCode":`)
	buf.WriteString(strconv.Itoa(status))
	buf.WriteString(`,"message":`)
	writeString(buf, msg)
	buf.WriteString(`,"data":`)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(data)
	buf.Truncate(buf.Len() - 1) // Encode's newline
	buf.WriteString(`,"timestamp":"`)
	buf.Write(now.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z"))
	buf.WriteString(`","requestId":`)
	writeString(buf, id)
	buf.WriteByte('}')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	if loc != "" {
		h["Location"] = []string{loc}
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	if loc == "" {
		return nil
	}
	return bytes.Clone(buf.Bytes())
}

func (s *server) fail(w http.ResponseWriter, id string, now time.Time, status int, slug, title, detail string) {
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	buf.WriteString(`{"success":false,"statusCode":`)
	buf.WriteString(strconv.Itoa(status))
	buf.WriteString(`,"error":{"type":"https://example.com/errors/`)
	buf.WriteString(slug)
	buf.WriteString(`","title":`)
	writeString(buf, title)
	buf.WriteString(`,"detail":`)
	writeString(buf, detail)
	buf.WriteString(`},"timestamp":"`)
	buf.Write(now.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z"))
	buf.WriteString(`","requestId":`)
	writeString(buf, id)
	buf.WriteByte('}')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// fingerprint identifies the request behind a key, as the demo does with
// SHA-256 (there over method, route and body).
func fingerprint(b []byte) [32]byte { return sha256.Sum256(b) }

func validID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func newReqID(now time.Time) string {
	return "req_" + strconv.FormatInt(now.UnixMilli(), 10) + "_" + randomID(12)
}
