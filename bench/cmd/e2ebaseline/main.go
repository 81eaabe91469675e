// Command e2ebaseline is the hand-written net/http server that the
// end-to-end benchmark (BenchmarkE2E) measures the demo against. It does the
// same work as examples/partnerapi on the measured routes, with the best
// plain code we could write: request IDs, bearer authentication, a GCRA rate
// limit with both header families (X-RateLimit-* and the IETF RateLimit /
// RateLimit-Policy fields), one slog line per request, a recover per
// request, the Content-Type check, strict JSON decoding (unknown fields,
// duplicate keys, invalid UTF-8, trailing data) and the demo's validation
// rules (required fields, length limits, date, sex, digits), per-partner
// patients with the partner_patient_id conflict check and the patient
// limit, an in-memory idempotency map that fingerprints method, route and
// body and replays stored responses, and the standard envelope written from
// a pooled buffer. It serves only the routes the benchmark uses; it routes
// by hand (cheaper than the demo's http.ServeMux patterns) and keeps
// idempotency records without expiry or a size bound (cheaper than the
// demo's memory store).
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s := &server{log: logger, partners: map[string]*partnerData{}, idem: map[string]*stored{}, limits: map[string]int64{}}
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
	IHINumber        string `json:"ihi_number,omitempty"`
	MedicareNumber   string `json:"medicare_number,omitempty"`
	PartnerPatientID string `json:"partner_patient_id,omitempty"`
	createdAt        time.Time
}

// partnerData is one partner's patients, as the demo keeps them: in
// creation order, by id and by partner_patient_id.
type partnerData struct {
	patients  []*patient
	byID      map[string]*patient
	byPartner map[string]*patient
}

const maxPatients = 10000 // the demo's -max-patients default

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
	partners map[string]*partnerData

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
	func() {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", id, "panic", v)
				s.fail(rec, id, start, 500, "internal-error", "Internal server error", "An unexpected error occurred")
			}
		}()
		s.route(rec, r, id, start)
	}()
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
	remaining := strconv.FormatInt(max(limit-(tat-t+interval-1)/interval, 0), 10)
	h := w.Header()
	h["X-Ratelimit-Limit"] = limitValue
	h["X-Ratelimit-Remaining"] = []string{remaining}
	h["X-Ratelimit-Reset"] = []string{strconv.FormatInt((tat+int64(time.Second)-1)/int64(time.Second), 10)}
	h["Ratelimit-Policy"] = policyValue
	h["Ratelimit"] = []string{policyName + ";r=" + remaining + ";t=" + strconv.FormatInt((tat-t+int64(time.Second)-1)/int64(time.Second), 10)}
}

// The rate-limit header values no decision changes, formatted once.
var (
	limitValue  = []string{strconv.Itoa(limit)}
	policyName  = `"` + strconv.Itoa(limit) + `/1s"`
	policyValue = []string{policyName + ";q=" + strconv.Itoa(limit) + ";w=1"}
)

func (s *server) get(w http.ResponseWriter, r *http.Request, id string, now time.Time, partner, pid string) {
	var p patient
	s.mu.RLock()
	d := s.partners[partner]
	found := d != nil && d.byID[pid] != nil
	if found {
		p = *d.byID[pid]
	}
	s.mu.RUnlock()
	if !found {
		s.fail(w, id, now, 404, "patient-not-found", "Patient not found", "Patient with ID '"+pid+"' does not exist")
		return
	}
	s.success(w, r, id, now, 200, "Success", &p, "")
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
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			s.fail(w, id, now, 415, "unsupported-media-type", "Unsupported media type", "The request body must be application/json")
			return
		}
	}
	var slot *stored
	var ikey string
	if key != "" {
		ikey = partner + "\x00POST /api/v1/patients\x00" + key
		fp := fingerprint(r.Method, "/api/v1/patients", body.Bytes())
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
	if status, err := decodeStrict(body.Bytes(), &in); err != nil {
		s.release(ikey)
		s.fail(w, id, now, status, "invalid-request", "Invalid request", err.Error())
		return
	}
	if !in.valid(now) {
		s.release(ikey)
		s.fail(w, id, now, 422, "validation-error", "Validation failed", "There were some problems with your input.")
		return
	}
	p := &patient{FamilyName: in.FamilyName, GivenName: in.GivenName, DateOfBirth: in.DateOfBirth, Sex: in.Sex,
		IHINumber: in.IHINumber, MedicareNumber: in.MedicareNumber, PartnerPatientID: in.PartnerPatientID, createdAt: now}
	if status := s.store(partner, p); status != 0 {
		s.release(ikey)
		s.fail(w, id, now, status, "conflict", "Conflict", "The patient could not be stored")
		return
	}
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

// store keeps p under a new id, unless its partner_patient_id is in use or
// the partner has maxPatients patients (then it returns 409).
func (s *server) store(partner string, p *patient) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.partners[partner]
	if d == nil {
		d = &partnerData{byID: map[string]*patient{}, byPartner: map[string]*patient{}}
		s.partners[partner] = d
	}
	if p.PartnerPatientID != "" && d.byPartner[p.PartnerPatientID] != nil {
		return 409
	}
	if len(d.patients) >= maxPatients {
		return 409
	}
	p.PatientID = "pat_" + randomID(16)
	// In (created, id) order, as the demo's lists need.
	i, _ := slices.BinarySearchFunc(d.patients, p, func(a, b *patient) int {
		if c := a.createdAt.Compare(b.createdAt); c != 0 {
			return c
		}
		return strings.Compare(a.PatientID, b.PatientID)
	})
	d.patients = slices.Insert(d.patients, i, p)
	d.byID[p.PatientID] = p
	if p.PartnerPatientID != "" {
		d.byPartner[p.PartnerPatientID] = p
	}
	return 0
}

// valid applies the demo's rules: required fields, length limits in
// characters, a YYYY-MM-DD date not in the future, the sex codes and the
// digit counts of the two identifiers.
func (c *createReq) valid(today time.Time) bool {
	if c.FamilyName == "" || c.GivenName == "" || c.DateOfBirth == "" || c.Sex == "" {
		return false
	}
	if tooLong(c.FamilyName, 100) || tooLong(c.GivenName, 100) || tooLong(c.PartnerPatientID, 128) {
		return false
	}
	dob, err := time.Parse(time.DateOnly, c.DateOfBirth)
	if err != nil || len(c.DateOfBirth) != len(time.DateOnly) || dob.After(today) {
		return false
	}
	switch c.Sex {
	case "M", "F", "X", "U":
	default:
		return false
	}
	return (c.IHINumber == "" || digits(c.IHINumber, 16)) && (c.MedicareNumber == "" || digits(c.MedicareNumber, 10))
}

func tooLong(s string, n int) bool { return len(s) > n && utf8.RuneCountInString(s) > n }

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeStrict decodes a JSON object into v. It refuses an empty body,
// invalid UTF-8, duplicate keys at the top level (the only level this
// request has), malformed JSON and data after the value with a 400, and
// unknown fields and wrong types with a 422, as the demo does.
func decodeStrict(body []byte, v any) (int, error) {
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return 400, errors.New("the request body is empty")
	}
	if !utf8.Valid(body) {
		return 400, errors.New("the request body is not valid UTF-8")
	}
	if dupKey(body) {
		return 400, errors.New("the request body repeats a member")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 400, errors.New("the request body is not valid JSON")
		}
		return 422, errors.New("the request body does not match the request's fields")
	}
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 {
		return 400, errors.New("the request body has data after the JSON value")
	}
	return 0, nil
}

// dupKey reports whether the top-level object of body names a member
// twice. It looks only at top-level keys (nested values are skipped by
// depth) and does not validate; the decoder does.
func dupKey(body []byte) bool {
	var keys [16][]byte
	n, depth := 0, 0
	expectKey := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '{', '[':
			depth++
			expectKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		case '"':
			j := i + 1
			for j < len(body) && body[j] != '"' {
				if body[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(body) {
				return false
			}
			if expectKey {
				k := body[i+1 : j]
				for _, prev := range keys[:min(n, len(keys))] {
					if bytes.Equal(prev, k) {
						return true
					}
				}
				if n < len(keys) {
					keys[n] = k
				}
				n++
				expectKey = false
			}
			i = j
		}
	}
	return false
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
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// fingerprint identifies the request behind a key, as the demo does: a
// SHA-256 of method, route and body.
func fingerprint(method, route string, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(route))
	h.Write([]byte{0})
	h.Write(body)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

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
