package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The golden files hold the example JSON of the seed documents, indented
// with two spaces as seeds/001 and seeds/002 print it, and the test
// compares them byte for byte with the writer's compact output indented
// the same way. The copies live in testdata so the tests do not depend on
// files outside the module. Two adjustments:
//
//   - standard_envelope is seeds/001's generic success example, which has
//     comments in place of data and a cursor cut short with "...": here
//     data is {} and the cursor is the complete base64url value.
//   - seeds/004 prints its JSON flattened (no indentation at all); its
//     golden files are the same JSON indented with two spaces.
//
// Files whose names do not come from a seed example (ack_confirmed,
// ack_error, meta_list, …) pin apikit's own choices for those dialects.

const parchment = "https://parchment.health/errors/"

type goldenCase struct {
	name    string
	dialect envelope.Dialect
	now     string // RFC 3339 clock reading
	id      string // the request ID the generator returns
	status  int
	method  string
	body    string // request body, if any
	handle  func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request)
}

type patientSummary struct {
	PatientID  string `json:"patient_id"`
	FamilyName string `json:"family_name"`
	GivenName  string `json:"given_name"`
}

type encounterDetails struct {
	EncounterID  string `json:"encounterId"`
	CurrentState string `json:"currentState"`
}

type prescription struct {
	envelope.AckRequest
	Drug string `json:"drug,omitempty"`
}

func goldenCases() []goldenCase {
	seed001 := "2024-01-15T10:30:00Z"
	invalidState := problem.MustDefine("minutes/invalid-state", 409, "Invalid state")
	return []goldenCase{
		{name: "standard_envelope", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_abc123", status: 200,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.OK(w, r, struct{}{}, envelope.WithPage(pagination.Page{
					Count: 25, HasNext: true, Limit: 50,
					NextCursor: "eyJwayI6ICJQQVRJRU5UIzIwYjA0OTM0LTJjZTUtNDYyOC1iYzZlLWVhMWNkM2I3MjllMyIsICJzayI6ICIyMDI1LTA1LTAyVDA1OjU5OjI3LjM0NFoifQ",
				}))
			}},
		{name: "standard_error_envelope", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_def456", status: 400,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				p := problem.ValidationFailed.New("There were some problems with your input.").
					WithInstance("/patients/123").
					WithFields(problem.FieldError{Field: "family_name", Message: "Family name is required", Code: problem.FieldValidationError})
				p.Status = http.StatusBadRequest // the seed's generic example says 400
				wr.WriteError(w, r, p)
			}},
		{name: "standard_create_patient", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_abc123", status: 201,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.Created(w, r, "/patients/pat_abc123def456", struct {
					External  string `json:"external_patient_id"`
					Parchment string `json:"parchment_patient_id"`
					URL       string `json:"url"`
				}{"PARTNER#12345", "pat_abc123def456", "https://app.parchment.health/dashboard/patients/pat_abc123def456"},
					envelope.WithMessage("Patient created successfully"))
			}},
		{name: "standard_get_patient", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_def456", status: 200,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.OK(w, r, struct {
					patientSummary
					DateOfBirth      string `json:"date_of_birth"`
					Sex              string `json:"sex"`
					IHI              string `json:"ihi_number"`
					Medicare         string `json:"medicare_number"`
					PartnerPatientID string `json:"partner_patient_id"`
				}{patientSummary{"pat_abc123def456", "Smith", "John"}, "1990-01-15", "M", "8003608166690503", "1234567890", "PARTNER#12345"})
			}},
		{name: "standard_list_patients", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_ghi789", status: 200,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				envelope.List(wr, w, r, []patientSummary{{"pat_abc123def456", "Smith", "John"}}, pagination.Page{Count: 1, Limit: 50})
			}},
		{name: "standard_validation_error", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_jkl012", status: 422,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.ValidationFailed.New("There were some problems with your input.").WithFields(
					problem.FieldError{Field: "family_name", Message: "Family name is required", Code: problem.FieldValidationError},
					problem.FieldError{Field: "date_of_birth", Message: "Invalid date format. Use YYYY-MM-DD", Code: problem.FieldInvalidFormat},
				))
			}},
		{name: "standard_unauthorized", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_mno345", status: 401,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.AuthenticationRequired.New("Valid authentication token is required"))
			}},
		{name: "standard_partner_patient_id_conflict", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_pqr678", status: 409,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, partnerPatientIDConflict.Newf("Partner patient ID '%s' is already in use by another patient. Please use a unique identifier.", "PARTNER#12345"))
			}},
		{name: "standard_patient_not_found", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_stu901", status: 404,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, patientNotFound.Newf("Patient with ID '%s' does not exist", "pat_invalid123").WithInstance("/patients/pat_invalid123"))
			}},
		{name: "standard_internal_error", dialect: envelope.Standard(), now: seed001, id: "req_1705312200000_vwx234", status: 500,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, errors.New("pq: connection refused to 10.0.0.7"))
			}},
		{name: "ack_received", dialect: envelope.Ack(), now: "2024-09-11T12:26:00Z", id: "req_1726057560000_x", status: 200, method: http.MethodPost,
			body: "ack_request.json",
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				if _, err := envelope.Decode[prescription](r); err != nil {
					wr.WriteError(w, r, err)
					return
				}
				wr.OK(w, r, envelope.Acknowledgement{ReferenceID: "partner_reference_id", ResponseID: "partner_response_id", Type: envelope.AckReceived})
			}},
		{name: "ack_confirmed", dialect: envelope.Ack(), now: "2024-09-11T12:26:00.789Z", id: "req_1726057560789_k3v9q2", status: 200, method: http.MethodPost,
			body: "ack_request.json",
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				if _, err := envelope.Decode[prescription](r); err != nil {
					wr.WriteError(w, r, err)
					return
				}
				wr.OK(w, r, envelope.Acknowledgement{ReferenceID: "rx_0042"})
			}},
		{name: "ack_error", dialect: envelope.Ack(), now: "2024-09-11T12:26:00Z", id: "req_1726057560000_m1n2o3", status: 422, method: http.MethodPost,
			body: "ack_request_unknown_field.json",
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				if _, err := envelope.Decode[prescription](r); err != nil {
					wr.WriteError(w, r, err)
					return
				}
				wr.OK(w, r, envelope.Acknowledgement{})
			}},
		{name: "ack_error_200", dialect: envelope.Ack(), now: "2024-09-11T12:26:00Z", id: "req_1726057560000_p4q5r6", status: 200, method: http.MethodPost,
			body: "ack_request.json",
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				if _, err := envelope.Decode[prescription](r); err != nil {
					wr.WriteError(w, r, err)
					return
				}
				wr.OK(w, r, envelope.Acknowledgement{ReferenceID: "rx_0042",
					Error: problem.BusinessRuleViolation.New("The prescriber is not registered for this drug")})
			}},
		{name: "meta_envelope", dialect: envelope.Meta("2025-01-01"), now: "2025-01-18T22:31:05.123Z", id: "req_123", status: 200,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.OK(w, r, map[string]string{"...": "..."})
			}},
		{name: "meta_error", dialect: envelope.Meta("2025-01-01"), now: "2025-01-18T22:31:05.123Z", id: "req_123", status: 409,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, invalidState.New("Encounter already closed").
					WithExtension("details", encounterDetails{EncounterID: "enc_789", CurrentState: "resolved"}))
			}},
		{name: "meta_validation_error", dialect: envelope.Meta("2025-01-01"), now: "2025-01-18T22:31:05.123Z", id: "req_124", status: 422,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.ValidationFailed.New("Payload failed schema validation").
					WithExtension("schema", "referral.v1").
					WithFields(problem.FieldError{Field: "patient.dob", Message: "Invalid date format. Use YYYY-MM-DD", Code: problem.FieldInvalidFormat}))
			}},
		{name: "meta_list", dialect: envelope.Meta("2025-01-01"), now: "2025-01-18T22:31:05.123Z", id: "req_125", status: 200,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				envelope.List[patientSummary](wr, w, r, nil, pagination.Page{Limit: 20})
			}},
		{name: "records_list", dialect: envelope.Records(), now: "2025-01-18T22:31:05.123Z", id: "req_126", status: 200,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				envelope.List(wr, w, r, []patientSummary{{"pat_1", "Smith", "John"}, {"pat_2", "Jones", "Ann"}},
					pagination.Page{Count: 2, Limit: 2, HasNext: true, FirstID: "pat_1", LastID: "pat_2", Style: pagination.RecordsStyle})
			}},
		{name: "records_rate_limited", dialect: envelope.Records(), now: "2025-01-18T22:31:05.123Z", id: "req_127", status: 429,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.RateLimitExceeded.New("Too many requests; retry after 30 seconds").WithRetryAfter(30*time.Second))
			}},
		{name: "plain_not_found", dialect: envelope.Plain(), now: "2025-01-18T22:31:05.123Z", id: "req_128", status: 404,
			handle: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, patientNotFound.New("Patient with ID 'pat_9' does not exist").WithInstance("/patients/pat_9"))
			}},
	}
}

func TestGolden(t *testing.T) {
	catalog := mustCatalog(parchment)
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339Nano, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			wr := envelope.New(tc.dialect,
				envelope.WithClock(func() time.Time { return now }),
				envelope.WithRequestIDs(func(time.Time) string { return tc.id }),
				envelope.WithCatalog(catalog),
				envelope.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			var body io.Reader
			if tc.body != "" {
				b, err := os.ReadFile(filepath.Join("testdata", tc.body))
				if err != nil {
					t.Fatal(err)
				}
				body = bytes.NewReader(b)
			}
			req := httptest.NewRequest(method, "/", body)
			rec := httptest.NewRecorder()
			wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.handle(wr, w, r)
			})).ServeHTTP(rec, req)

			if rec.Code != tc.status {
				t.Errorf("status = %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("X-Request-Id"); got != tc.id {
				t.Errorf("X-Request-Id = %q, want %q", got, tc.id)
			}
			if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
				t.Errorf("Content-Length = %q, want %q", got, want)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatalf("indent: %v\n%s", err, rec.Body.Bytes())
			}
			indented.WriteByte('\n')
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(indented.Bytes(), want) {
				t.Errorf("body differs from %s\ngot:\n%s\nwant:\n%s", golden, indented.Bytes(), want)
			}
		})
	}
}

// The seed-001 API's own problem types: they belong to that API (and to the
// demo), not to apikit's generic catalog.
var (
	patientNotFound          = problem.MustDefine("patients/not-found", 404, "Patient not found", problem.WithType("patient-not-found"))
	partnerPatientIDConflict = problem.MustDefine("patients/partner-patient-id-conflict", 409, "Partner patient ID conflict", problem.WithType("partner-patient-id-conflict"))
)

func mustCatalog(base string) *problem.Catalog {
	c, err := problem.NewCatalog(base)
	if err != nil {
		panic(err)
	}
	if err := c.Register(patientNotFound, partnerPatientIDConflict); err != nil {
		panic(err)
	}
	return c
}
