package bench

// Writing the same success envelope and the same problem document four
// ways: by hand (json.Marshal of an equivalent struct, then w.Write with
// Content-Type set), with apikit's envelope.Writer, with huma v2 (its
// Context and API.Marshal — the calls a huma operation makes to write its
// output, without routing) and with echo v4 (c.JSON on an echo.Context,
// without routing). Every variant produces the same bytes, checked by
// TestSameBodies; the clock and the request ID are fixed.
//
//	go test -run='^$' -bench=. -count 6 ./ | tee new.txt && benchstat new.txt

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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

	success = map[string]http.HandlerFunc{
		"baseline": func(w http.ResponseWriter, r *http.Request) {
			b, err := json.Marshal(newSuccess(now()))
			if err != nil {
				http.Error(w, "internal error", 500)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write(b)
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
			_ = e.NewContext(r, w).JSON(200, newSuccess(now()))
		},
	}
	failure = map[string]http.HandlerFunc{
		"baseline": func(w http.ResponseWriter, r *http.Request) {
			b, err := json.Marshal(newProblemDoc())
			if err != nil {
				http.Error(w, "internal error", 500)
				return
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			_, _ = w.Write(b)
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
			c := e.NewContext(r, w)
			c.Response().Header().Set("Content-Type", "application/problem+json")
			b, _ := json.Marshal(newProblemDoc()) // c.JSON would force application/json
			_ = c.Blob(404, "application/problem+json", b)
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

var order = []string{"baseline", "apikit", "huma", "echo"}

func TestSameBodies(t *testing.T) {
	success, failure := handlers()
	for kind, hs := range map[string]map[string]http.HandlerFunc{"success": success, "problem": failure} {
		var want []byte
		for _, name := range order {
			s := newSink()
			hs[name](s, request())
			got := bytes.TrimSuffix(s.body, []byte("\n")) // huma and echo end with a newline
			if want == nil {
				want = append([]byte(nil), got...)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s body:\n%s\nwant:\n%s", kind, name, got, want)
			}
		}
	}
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
	for _, name := range order {
		h := hs[name]
		b.Run(name, func(b *testing.B) {
			s := newSink()
			b.ReportAllocs()
			for b.Loop() {
				s.reset()
				h(s, r)
			}
		})
	}
}
