package bench

// Writing the same success envelope and the same problem document five
// ways, each with no set-up in the timed loop but what a request needs:
//
//   - baseline: the best hand-written code we know: a pooled []byte, every
//     member appended by hand (no reflection, a fixed-layout timestamp), the
//     same headers as apikit (Content-Type, Content-Length, X-Request-Id from
//     the request, nosniff on errors);
//   - pooled: a pooled buffer and a reused json.Encoder for the data, the
//     envelope members appended by hand (what issue 12 calls the pooled
//     hand-written baseline; reflection for the data, like apikit);
//   - apikit: envelope.Writer;
//   - huma v2: its Context and API.Marshal, the calls a huma operation makes
//     to write its output (huma's adapter also makes a context per request);
//   - echo v4: c.JSON on a context taken from echo's own pool
//     (e.AcquireContext / Reset / ReleaseContext, what echo's server does).
//
// No routing in any of them. Every variant produces the same bytes
// (TestSameBodies; baseline, pooled and apikit also the same headers), and
// every benchmark checks the status and body of its last response.
//
//	go test -run='^$' -bench='Success|Problem' -count 6 ./ | tee new.txt && benchstat new.txt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/labstack/echo/v4"
)

const (
	requestID  = "req_1705312200000_def456"
	millis     = "2006-01-02T15:04:05.000Z"
	parchment  = "https://parchment.health/errors/"
	notFoundID = "pat_invalid123"
)

var fixedNow = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)

// patient is the data of seeds/001's "Get Patient Success" example.
type patient struct {
	PatientID        string `json:"patient_id"`
	FamilyName       string `json:"family_name"`
	GivenName        string `json:"given_name"`
	DateOfBirth      string `json:"date_of_birth"`
	Sex              string `json:"sex"`
	IHINumber        string `json:"ihi_number"`
	MedicareNumber   string `json:"medicare_number"`
	PartnerPatientID string `json:"partner_patient_id"`
}

func samplePatient() patient {
	return patient{"pat_abc123def456", "Smith", "John", "1990-01-15", "M", "8003608166690503", "1234567890", "PARTNER#12345"}
}

// successEnvelope is the hand-written equivalent of the standard dialect.
type successEnvelope struct {
	Success    bool    `json:"success"`
	StatusCode int     `json:"statusCode"`
	Message    string  `json:"message"`
	Data       patient `json:"data"`
	Timestamp  string  `json:"timestamp"`
	RequestID  string  `json:"requestId"`
}

func newSuccess(now time.Time) successEnvelope {
	return successEnvelope{true, 200, "Success", samplePatient(), now.UTC().Format(millis), requestID}
}

// problemDoc is the hand-written equivalent of an RFC 9457 problem.
type problemDoc struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code,omitempty"`
}

func newProblemDoc() problemDoc {
	return problemDoc{
		Type: parchment + "patient-not-found", Title: "Patient not found", Status: 404,
		Detail: "Patient with ID 'pat_invalid123' does not exist", Instance: "/patients/pat_invalid123",
		Code: "patients/not-found",
	}
}

// sink is a ResponseWriter that keeps the last body and reuses its header
// map, so the benchmarks measure the writers, not the recorder.
type sink struct {
	h      http.Header
	status int
	body   []byte
}

func newSink() *sink                 { return &sink{h: make(http.Header, 4)} }
func (s *sink) Header() http.Header  { return s.h }
func (s *sink) WriteHeader(code int) { s.status = code }
func (s *sink) reset()               { clear(s.h); s.status = 0; s.body = s.body[:0] }
func (s *sink) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	s.body = append(s.body, b...)
	return len(b), nil
}

// patientNotFound is the seed-001 API's problem type the bodies use.
var patientNotFound = problem.MustDefine("patients/not-found", 404, "Patient not found", problem.WithType("patient-not-found"))

func benchCatalog() *problem.Catalog {
	c, err := problem.NewCatalog(parchment)
	if err != nil {
		panic(err)
	}
	if err := c.Register(patientNotFound); err != nil {
		panic(err)
	}
	return c
}

// handlers returns the success and problem handlers of each variant.
func handlers() (success, failure map[string]http.HandlerFunc) {
	now := func() time.Time { return fixedNow }
	wr := envelope.New(envelope.Standard(), envelope.WithClock(now),
		envelope.WithRequestIDs(func(time.Time) string { return requestID }),
		envelope.WithCatalog(benchCatalog()),
		envelope.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	plain := envelope.New(envelope.Plain(), envelope.WithClock(now),
		envelope.WithCatalog(benchCatalog()))

	api := humago.New(http.NewServeMux(), huma.DefaultConfig("bench", "1.0.0"))
	e := echo.New()
	echoServe := func(w http.ResponseWriter, r *http.Request, f func(echo.Context) error) {
		c := e.AcquireContext()
		c.Reset(r, w)
		_ = f(c)
		e.ReleaseContext(c)
	}

	success = map[string]http.HandlerFunc{
		"baseline": func(w http.ResponseWriter, r *http.Request) {
			b := getBuf()
			p := samplePatient()
			b.b = append(b.b, `{"success":true,"statusCode":200,"message":"Success","data":`...)
			b.b = appendPatient(b.b, &p)
			b.b = append(b.b, `,"timestamp":"`...)
			b.b = appendMillis(b.b, now())
			b.b = append(b.b, `","requestId":`...)
			id := r.Header.Get("X-Request-Id")
			b.b = appendString(b.b, id)
			b.b = append(b.b, '}')
			send(w, 200, "application/json", id, b)
		},
		"pooled": func(w http.ResponseWriter, r *http.Request) {
			b := getEnc()
			b.buf.WriteString(`{"success":true,"statusCode":200,"message":"Success","data":`)
			if err := b.enc.Encode(samplePatient()); err != nil {
				http.Error(w, "internal error", 500)
				return
			}
			b.buf.Truncate(b.buf.Len() - 1) // Encode's newline
			b.buf.WriteString(`,"timestamp":"`)
			b.buf.Write(now().UTC().AppendFormat(b.tmp[:0], millis))
			b.buf.WriteString(`","requestId":`)
			id := r.Header.Get("X-Request-Id")
			b.buf.Write(appendString(b.tmp[:0], id))
			b.buf.WriteByte('}')
			sendEnc(w, 200, "application/json", id, b)
		},
		"apikit": func(w http.ResponseWriter, r *http.Request) {
			wr.OK(w, r, samplePatient())
		},
		"huma": func(w http.ResponseWriter, r *http.Request) {
			ctx := humago.NewContext(nil, r, w)
			ctx.SetHeader("Content-Type", "application/json")
			ctx.SetStatus(200)
			_ = api.Marshal(ctx.BodyWriter(), "application/json", newSuccess(now()))
		},
		"echo": func(w http.ResponseWriter, r *http.Request) {
			echoServe(w, r, func(c echo.Context) error { return c.JSON(200, newSuccess(now())) })
		},
	}
	failure = map[string]http.HandlerFunc{
		"baseline": func(w http.ResponseWriter, r *http.Request) {
			b := getBuf()
			pd := newProblemDoc()
			b.b = appendProblem(b.b, &pd)
			send(w, 404, "application/problem+json", r.Header.Get("X-Request-Id"), b)
		},
		"pooled": func(w http.ResponseWriter, r *http.Request) {
			b := getEnc()
			if err := b.enc.Encode(newProblemDoc()); err != nil {
				http.Error(w, "internal error", 500)
				return
			}
			b.buf.Truncate(b.buf.Len() - 1)
			sendEnc(w, 404, "application/problem+json", r.Header.Get("X-Request-Id"), b)
		},
		"apikit": func(w http.ResponseWriter, r *http.Request) {
			plain.WriteError(w, r, patientNotFound.New("Patient with ID 'pat_invalid123' does not exist").WithInstance("/patients/pat_invalid123"))
		},
		"huma": func(w http.ResponseWriter, r *http.Request) {
			ctx := humago.NewContext(nil, r, w)
			ctx.SetHeader("Content-Type", "application/problem+json")
			ctx.SetStatus(404)
			_ = api.Marshal(ctx.BodyWriter(), "application/problem+json", newProblemDoc())
		},
		"echo": func(w http.ResponseWriter, r *http.Request) {
			echoServe(w, r, func(c echo.Context) error {
				b, _ := json.Marshal(newProblemDoc()) // c.JSON would force application/json
				return c.Blob(404, "application/problem+json", b)
			})
		},
	}
	return success, failure
}

// request returns a GET request carrying the fixed request ID in its
// context, as envelope.Writer.RequestID leaves it.
func request() *http.Request {
	wr := envelope.New(envelope.Standard())
	var out *http.Request
	req := httptest.NewRequest(http.MethodGet, "/patients/pat_abc123def456", nil)
	req.Header.Set("X-Request-Id", requestID)
	wr.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { out = r })).ServeHTTP(newSink(), req)
	return out
}

var order = []string{"baseline", "pooled", "apikit", "huma", "echo"}

// want returns the status and body every variant must write.
func want(which int) (int, []byte) {
	s := newSink()
	success, failure := handlers()
	hs := success
	if which == 1 {
		hs = failure
	}
	hs["apikit"](s, request())
	return s.status, s.body
}

// checkLast fails b unless the sink holds the expected response.
func checkLast(tb testing.TB, name string, s *sink, status int, body []byte) {
	tb.Helper()
	if got := bytes.TrimSuffix(s.body, []byte("\n")); s.status != status || !bytes.Equal(got, body) {
		tb.Fatalf("%s wrote %d %s\nwant %d %s", name, s.status, got, status, body)
	}
}

func TestSameBodies(t *testing.T) {
	success, failure := handlers()
	for which, hs := range []map[string]http.HandlerFunc{success, failure} {
		status, body := want(which)
		var apikitHeader http.Header
		for _, name := range []string{"apikit", "baseline", "pooled", "huma", "echo"} {
			s := newSink()
			hs[name](s, request())
			checkLast(t, name, s, status, body) // huma and echo end with a newline
			switch name {
			case "apikit":
				apikitHeader = s.h.Clone()
			case "baseline", "pooled":
				if !reflect.DeepEqual(s.h, apikitHeader) {
					t.Errorf("%s header %v, apikit %v", name, s.h, apikitHeader)
				}
			}
		}
	}
}

// TestAppendString: the hand-written string encoder writes what
// encoding/json writes.
func TestAppendString(t *testing.T) {
	for _, in := range []string{"", "plain", `q"b\\`, "\n\r\t\x01\x1f", "é ü 中", "a\u2028b\u2029c", "bad\xffutf8", "<&>"} {
		want, _ := json.Marshal(in)
		want = bytes.ReplaceAll(want, []byte(`\u003c`), []byte("<"))
		want = bytes.ReplaceAll(want, []byte(`\u003e`), []byte(">"))
		want = bytes.ReplaceAll(want, []byte(`\u0026`), []byte("&"))
		if got := appendString(nil, in); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCheckLastFails: the result check of the benchmarks catches a wrong
// body and a wrong status.
func TestCheckLastFails(t *testing.T) {
	status, body := want(0)
	for _, s := range []*sink{{status: status, body: []byte("{}")}, {status: 500, body: body}} {
		ft := &fatalRecorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			checkLast(ft, "x", s, status, body)
		}()
		if !ft.failed {
			t.Errorf("checkLast accepted %d %s", s.status, s.body)
		}
	}
}

type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}

// The hand-written writers' pools.

type pooledBuf struct{ b []byte }

var bufPool = sync.Pool{New: func() any { return &pooledBuf{b: make([]byte, 0, 1024)} }}

func getBuf() *pooledBuf { b := bufPool.Get().(*pooledBuf); b.b = b.b[:0]; return b }

// send writes the headers apikit writes and the body, and returns b to its
// pool.
func send(w http.ResponseWriter, status int, ctype, id string, b *pooledBuf) {
	setHeaders(w.Header(), status, ctype, len(b.b), id)
	w.WriteHeader(status)
	_, _ = w.Write(b.b)
	bufPool.Put(b)
}

// Header values that never change, shared by every response (each has
// cap == len, so an append copies).
var (
	jsonType    = []string{"application/json"}
	problemType = []string{"application/problem+json"}
	nosniff     = []string{"nosniff"}
)

// setHeaders sets apikit's headers with one allocation for the two varying
// values (and one for the length's string when it is 100 or more).
func setHeaders(h http.Header, status int, ctype string, n int, id string) {
	if ctype == "application/json" {
		h["Content-Type"] = jsonType
	} else {
		h["Content-Type"] = problemType
	}
	vals := make([]string, 2)
	vals[0], vals[1] = strconv.Itoa(n), id
	h["Content-Length"] = vals[0:1:1]
	h["X-Request-Id"] = vals[1:2:2]
	if status >= 400 {
		h["X-Content-Type-Options"] = nosniff
	}
}

type encBuf struct {
	buf bytes.Buffer
	enc *json.Encoder
	tmp [64]byte
}

var encPool = sync.Pool{New: func() any {
	b := &encBuf{}
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false)
	return b
}}

func getEnc() *encBuf { b := encPool.Get().(*encBuf); b.buf.Reset(); return b }

func sendEnc(w http.ResponseWriter, status int, ctype, id string, b *encBuf) {
	setHeaders(w.Header(), status, ctype, b.buf.Len(), id)
	w.WriteHeader(status)
	_, _ = w.Write(b.buf.Bytes())
	encPool.Put(b)
}

// appendString appends s as a JSON string, escaping as encoding/json does
// with HTML escaping off (the bench's strings need only the fast path).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				b = append(b, fmt.Sprintf(`\u%04x`, r)...)
				start = i + size
			}
			i += size - 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendPatient(b []byte, p *patient) []byte {
	b = append(b, `{"patient_id":`...)
	b = appendString(b, p.PatientID)
	b = append(b, `,"family_name":`...)
	b = appendString(b, p.FamilyName)
	b = append(b, `,"given_name":`...)
	b = appendString(b, p.GivenName)
	b = append(b, `,"date_of_birth":`...)
	b = appendString(b, p.DateOfBirth)
	b = append(b, `,"sex":`...)
	b = appendString(b, p.Sex)
	b = append(b, `,"ihi_number":`...)
	b = appendString(b, p.IHINumber)
	b = append(b, `,"medicare_number":`...)
	b = appendString(b, p.MedicareNumber)
	b = append(b, `,"partner_patient_id":`...)
	b = appendString(b, p.PartnerPatientID)
	return append(b, '}')
}

func appendProblem(b []byte, p *problemDoc) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, p.Type)
	b = append(b, `,"title":`...)
	b = appendString(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	if p.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendString(b, p.Detail)
	}
	if p.Instance != "" {
		b = append(b, `,"instance":`...)
		b = appendString(b, p.Instance)
	}
	if p.Code != "" {
		b = append(b, `,"code":`...)
		b = appendString(b, p.Code)
	}
	return append(b, '}')
}

// appendMillis appends t in UTC as 2006-01-02T15:04:05.000Z without
// time.AppendFormat's layout parsing.
func appendMillis(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	d2 := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append(d2(b, int(month)), '-')
	b = append(d2(b, day), 'T')
	b = append(d2(b, hour), ':')
	b = append(d2(b, min), ':')
	b = append(d2(b, sec), '.')
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

func BenchmarkSuccess(b *testing.B) { run(b, 0) }
func BenchmarkProblem(b *testing.B) { run(b, 1) }

func run(b *testing.B, which int) {
	success, failure := handlers()
	hs := success
	if which == 1 {
		hs = failure
	}
	r := request()
	status, body := want(which)
	for _, name := range order {
		h := hs[name]
		b.Run(name, func(b *testing.B) {
			s := newSink()
			b.ReportAllocs()
			for b.Loop() {
				s.reset()
				h(s, r)
			}
			checkLast(b, name, s, status, body)
		})
	}
}

func TestAppendMillis(t *testing.T) {
	for _, tm := range []time.Time{fixedNow, time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.FixedZone("x", 3600))} {
		if got, want := string(appendMillis(nil, tm)), tm.UTC().Format(millis); got != want {
			t.Errorf("appendMillis(%v) = %s, want %s", tm, got, want)
		}
	}
}

// BenchmarkEnvelopeRatio alternates apikit with the two hand-written
// writers in blocks of 32 calls, so that all three see the same
// interference on a busy machine, and reports apikit's time over each
// (apikit/baseline, apikit/pooled) besides the three times per call.
func BenchmarkEnvelopeRatio(b *testing.B) {
	success, failure := handlers()
	r := request()
	for which, kind := range []string{"success", "problem"} {
		hs := []map[string]http.HandlerFunc{success, failure}[which]
		status, body := want(which)
		b.Run(kind, func(b *testing.B) {
			names := []string{"baseline", "pooled", "apikit"}
			s := newSink()
			var spent [3]time.Duration
			const block = 32
			for _, name := range names { // warm the pools
				for range block {
					s.reset()
					hs[name](s, r)
				}
			}
			n := 0
			for b.Loop() {
				if n%block == 0 {
					for i, name := range names {
						h := hs[name]
						start := time.Now()
						for range block {
							s.reset()
							h(s, r)
						}
						spent[i] += time.Since(start)
						checkLast(b, name, s, status, body)
					}
				}
				n++
			}
			calls := float64(((n + block - 1) / block) * block)
			b.ReportMetric(float64(spent[0].Nanoseconds())/calls, "baseline-ns/op")
			b.ReportMetric(float64(spent[1].Nanoseconds())/calls, "pooled-ns/op")
			b.ReportMetric(float64(spent[2].Nanoseconds())/calls, "apikit-ns/op")
			b.ReportMetric(float64(spent[2])/float64(spent[0]), "apikit/baseline")
			b.ReportMetric(float64(spent[2])/float64(spent[1]), "apikit/pooled")
		})
	}
}
