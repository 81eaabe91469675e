package envelope_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// headerVersion stands for version.Of: the version is whatever the
// request's API-Version header says.
func headerVersion(r *http.Request) string { return r.Header.Get("API-Version") }

// steppingClock returns start, then advances by step on every reading.
func steppingClock(start time.Time, step time.Duration) func() time.Time {
	next := start
	return func() time.Time {
		t := next
		next = next.Add(step)
		return t
	}
}

// serveVersioned runs handle behind wr's request-ID middleware for a
// request with the given API-Version header (none when empty) and the
// inbound request ID id (so the clock is read only at arrival and at the
// response).
func serveVersioned(wr *envelope.Writer, apiVersion, id string, handle func(w http.ResponseWriter, r *http.Request)) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-Id", id)
	if apiVersion != "" {
		req.Header.Set("API-Version", apiVersion)
	}
	rec := httptest.NewRecorder()
	wr.Handler(http.HandlerFunc(handle)).ServeHTTP(rec, req)
	return rec
}

// checkGolden compares body, indented, with testdata/name.golden.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var indented bytes.Buffer
	if err := json.Indent(&indented, body, "", "  "); err != nil {
		t.Fatalf("indent: %v\n%s", err, body)
	}
	indented.WriteByte('\n')
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(indented.Bytes(), want) {
		t.Errorf("body differs from %s\ngot:\n%s\nwant:\n%s", golden, indented.Bytes(), want)
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The meta dialect writes each request's own version as meta.version.
func TestMetaVersionPerRequest(t *testing.T) {
	now := time.Date(2025, 1, 18, 22, 31, 5, 123e6, time.UTC)
	wr := envelope.New(envelope.Meta("2025-01-01"),
		envelope.WithClock(func() time.Time { return now }),
		envelope.WithVersion(headerVersion), envelope.WithLogger(quiet))
	ok := func(w http.ResponseWriter, r *http.Request) { wr.OK(w, r, map[string]string{"...": "..."}) }

	// Without a version for the request: the dialect's default, which is
	// seeds/004's example byte for byte.
	checkGolden(t, "meta_envelope", serveVersioned(wr, "", "req_123", ok).Body.Bytes())
	checkGolden(t, "meta_version_negotiated", serveVersioned(wr, "2025-06-01", "req_123", ok).Body.Bytes())
	for _, v := range []string{"2025-06-01", "2024-11-30", "", "2025-06-01"} {
		rec := serveVersioned(wr, v, "req_1", ok)
		var body struct {
			Meta struct{ Version string } `json:"meta"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		want := v
		if want == "" {
			want = "2025-01-01"
		}
		if body.Meta.Version != want {
			t.Errorf("API-Version %q: meta.version = %q, want %q", v, body.Meta.Version, want)
		}
	}
	// Lists too.
	list := serveVersioned(wr, "2025-06-01", "req_125", func(w http.ResponseWriter, r *http.Request) {
		envelope.List[patientSummary](wr, w, r, nil, pagination.Page{Limit: 20})
	})
	checkGolden(t, "meta_list_version_negotiated", list.Body.Bytes())
}

// The standard dialect adds meta.apiVersion and meta.responseTime only
// when WithResponseMeta is set.
func TestStandardResponseMeta(t *testing.T) {
	seed := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	getPatient := func(wr *envelope.Writer) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			wr.OK(w, r, struct {
				patientSummary
				DateOfBirth      string `json:"date_of_birth"`
				Sex              string `json:"sex"`
				IHI              string `json:"ihi_number"`
				Medicare         string `json:"medicare_number"`
				PartnerPatientID string `json:"partner_patient_id"`
			}{patientSummary{"pat_abc123def456", "Smith", "John"}, "1990-01-15", "M", "8003608166690503", "1234567890", "PARTNER#12345"})
		}
	}
	notFound := func(wr *envelope.Writer) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			wr.WriteError(w, r, patientNotFound.Newf("Patient with ID '%s' does not exist", "pat_invalid123").WithInstance("/patients/pat_invalid123"))
		}
	}
	listPatients := func(wr *envelope.Writer) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			envelope.List(wr, w, r, []patientSummary{{"pat_abc123def456", "Smith", "John"}}, pagination.Page{Count: 1, Limit: 50})
		}
	}
	tests := []struct {
		name    string
		golden  string
		opts    []envelope.Option
		version string
		id      string
		handle  func(*envelope.Writer) func(http.ResponseWriter, *http.Request)
	}{
		// Off by default: seeds/001's bytes, even with a version known.
		{"off", "standard_get_patient", nil, "2025-06-01", "req_1705312200000_def456", getPatient},
		{"version only", "standard_get_patient", []envelope.Option{envelope.WithVersion(headerVersion)}, "2025-06-01", "req_1705312200000_def456", getPatient},
		{"off, error", "standard_patient_not_found", []envelope.Option{envelope.WithVersion(headerVersion)}, "2025-06-01", "req_1705312200000_stu901", notFound},
		{"off, list", "standard_list_patients", []envelope.Option{envelope.WithVersion(headerVersion)}, "2025-06-01", "req_1705312200000_ghi789", listPatients},
		// On.
		{"on", "standard_get_patient_meta", []envelope.Option{envelope.WithVersion(headerVersion), envelope.WithResponseMeta()}, "2025-06-01", "req_1705312200000_def456", getPatient},
		{"on, error", "standard_patient_not_found_meta", []envelope.Option{envelope.WithVersion(headerVersion), envelope.WithResponseMeta()}, "2025-06-01", "req_1705312200000_stu901", notFound},
		{"on, list", "standard_list_patients_meta", []envelope.Option{envelope.WithVersion(headerVersion), envelope.WithResponseMeta()}, "2025-06-01", "req_1705312200000_ghi789", listPatients},
		{"on, no version", "standard_get_patient_response_time", []envelope.Option{envelope.WithResponseMeta()}, "", "req_1705312200000_def456", getPatient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The clock is read at arrival (only with WithResponseMeta) and
			// at the response, which is seeds/001's time.
			clock := func() time.Time { return seed }
			if strings.HasPrefix(tc.name, "on") {
				clock = steppingClock(seed.Add(-42*time.Millisecond), 42*time.Millisecond)
			}
			opts := append([]envelope.Option{
				envelope.WithClock(clock),
				envelope.WithCatalog(mustCatalog(parchment)), envelope.WithLogger(quiet),
			}, tc.opts...)
			wr := envelope.New(envelope.Standard(), opts...)
			rec := serveVersioned(wr, tc.version, tc.id, tc.handle(wr))
			checkGolden(t, tc.golden, rec.Body.Bytes())
		})
	}
}

// Without the request-ID middleware there is no arrival time and, without
// a version, nothing to say: the body stays seeds/001's.
func TestStandardResponseMetaNothingKnown(t *testing.T) {
	wr := envelope.New(envelope.Standard(), envelope.WithResponseMeta(),
		envelope.WithClock(func() time.Time { return time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_1705312200000_mno345" }),
		envelope.WithCatalog(mustCatalog(parchment)), envelope.WithLogger(quiet))
	rec := httptest.NewRecorder()
	wr.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), problem.AuthenticationRequired.New("Valid authentication token is required"))
	checkGolden(t, "standard_unauthorized", rec.Body.Bytes())
}
