package envelope_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// exampleWriter returns a writer with a fixed clock and request ID, as
// tests and golden files use; real services keep the defaults.
func exampleWriter(d envelope.Dialect) *envelope.Writer {
	return envelope.New(d,
		envelope.WithClock(func() time.Time { return time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_1705312200000_abc123" }),
		envelope.WithCatalog(problem.MustNewCatalog("https://parchment.health/errors/")),
		envelope.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// do runs h for one request and prints the status and the body.
func do(h http.HandlerFunc, method, body string) {
	rec := httptest.NewRecorder()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	h(rec, httptest.NewRequest(method, "/patients", rd))
	fmt.Println(rec.Code, rec.Body.String())
}

type Patient struct {
	ID         string `json:"patient_id"`
	FamilyName string `json:"family_name"`
}

func ExampleNew() {
	wr := envelope.New(envelope.Meta("2025-01-01"),
		envelope.WithClock(func() time.Time { return time.Date(2025, 1, 18, 22, 31, 5, 123e6, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_123" }))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, Patient{"pat_1", "Smith"})
	}, "GET", "")
	// Output:
	// 200 {"data":{"patient_id":"pat_1","family_name":"Smith"},"meta":{"version":"2025-01-01","requestId":"req_123","timestamp":"2025-01-18T22:31:05.123Z"}}
}

func ExampleWriter_OK() {
	wr := exampleWriter(envelope.Standard())
	do(func(w http.ResponseWriter, r *http.Request) { wr.OK(w, r, Patient{"pat_1", "Smith"}) }, "GET", "")
	// Output:
	// 200 {"success":true,"statusCode":200,"message":"Success","data":{"patient_id":"pat_1","family_name":"Smith"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleWriter_Created() {
	wr := exampleWriter(envelope.Standard())
	rec := httptest.NewRecorder()
	wr.Created(rec, httptest.NewRequest("POST", "/patients", nil), "/patients/pat_1", Patient{"pat_1", "Smith"},
		envelope.Message("Patient created successfully"))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	fmt.Println(rec.Body)
	// Output:
	// 201 /patients/pat_1
	// {"success":true,"statusCode":201,"message":"Patient created successfully","data":{"patient_id":"pat_1","family_name":"Smith"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleWriter_Accepted() {
	wr := exampleWriter(envelope.Ack())
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.Accepted(w, r, envelope.Acknowledgement{RequestID: "phil_request_id", ReferenceID: "rx_1"})
	}, "POST", "")
	// Output:
	// 202 {"requestID":"phil_request_id","metadata":{"referenceID":"rx_1","responseType":"RECEIVED","responseID":"req_1705312200000_abc123","responseTimestamp":"2024-01-15T10:30:00Z"}}
}

func ExampleWriter_NoContent() {
	wr := exampleWriter(envelope.Standard())
	rec := httptest.NewRecorder()
	wr.NoContent(rec, httptest.NewRequest("DELETE", "/patients/pat_1", nil))
	fmt.Printf("%d %q %s\n", rec.Code, rec.Body.String(), rec.Header().Get("X-Request-Id"))
	// Output:
	// 204 "" req_1705312200000_abc123
}

func ExampleWriter_Write() {
	wr := exampleWriter(envelope.Plain())
	rec := httptest.NewRecorder()
	wr.Write(rec, httptest.NewRequest("HEAD", "/patients/pat_1", nil), http.StatusOK, Patient{"pat_1", "Smith"})
	fmt.Println(rec.Code, rec.Header().Get("Content-Length"), rec.Body.Len())
	// Output:
	// 200 44 0
}

func ExampleWriter_WriteError() {
	wr := exampleWriter(envelope.Standard())
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, problem.PatientNotFound.New("Patient with ID 'pat_9' does not exist").WithInstance(r.URL.Path))
	}, "GET", "")
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, errors.New("dial tcp 10.0.0.7:5432: connection refused")) // never shown
	}, "GET", "")
	// Output:
	// 404 {"success":false,"statusCode":404,"error":{"type":"https://parchment.health/errors/patient-not-found","title":"Patient not found","detail":"Patient with ID 'pat_9' does not exist","instance":"/patients"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// 500 {"success":false,"statusCode":500,"error":{"type":"https://parchment.health/errors/internal-error","title":"Internal server error","detail":"An unexpected error occurred while processing your request"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleWriter_Problem() {
	errNoRows := errors.New("no rows")
	catalog := problem.MustNewCatalog("https://api.example.com/errors/")
	_ = catalog.Map(errNoRows, problem.ResourceNotFound)
	wr := envelope.New(envelope.Plain(), envelope.WithCatalog(catalog))
	p := wr.Problem(fmt.Errorf("loading patient: %w", errNoRows))
	fmt.Println(p.Status, p.Code)
	// Output:
	// 404 resource/not-found
}

func ExampleList() {
	page := pagination.Page{Count: 1, Limit: 50, HasNext: true, FirstID: "pat_1", LastID: "pat_1", NextCursor: "eyJrIjoxfQ"}
	for _, d := range []envelope.Dialect{envelope.Standard(), envelope.Records()} {
		wr := exampleWriter(d)
		do(func(w http.ResponseWriter, r *http.Request) {
			envelope.List(wr, w, r, []Patient{{"pat_1", "Smith"}}, page)
		}, "GET", "")
	}
	// Output:
	// 200 {"success":true,"statusCode":200,"message":"Success","data":[{"patient_id":"pat_1","family_name":"Smith"}],"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123","pagination":{"count":1,"hasNext":true,"limit":50,"offset":0,"lastKey":"eyJrIjoxfQ"}}
	// 200 {"records":[{"patient_id":"pat_1","family_name":"Smith"}],"has_more":true,"first_id":"pat_1","last_id":"pat_1"}
}

func ExampleWithPage() {
	wr := exampleWriter(envelope.Meta("2025-01-01"))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, map[string]any{"referrals": []string{"ref_1"}}, envelope.WithPage(pagination.Page{Count: 1, Limit: 1, HasNext: true, NextCursor: "c2"}))
	}, "GET", "")
	// Output:
	// 200 {"data":{"referrals":["ref_1"]},"meta":{"version":"2025-01-01","requestId":"req_1705312200000_abc123","timestamp":"2024-01-15T10:30:00.000Z","pagination":{"count":1,"hasNext":true,"limit":1,"offset":0,"lastKey":"c2"}}}
}

func ExampleHandle() {
	wr := exampleWriter(envelope.Plain())
	h := envelope.Handle(wr, func(r *http.Request) (Patient, error) {
		if r.URL.Query().Get("id") != "pat_1" {
			return Patient{}, problem.PatientNotFound.New("No such patient")
		}
		return Patient{"pat_1", "Smith"}, nil
	})
	do(h.ServeHTTP, "GET", "")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/patients?id=pat_1", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 404 {"type":"https://parchment.health/errors/patient-not-found","title":"Patient not found","status":404,"detail":"No such patient","code":"patients/not-found"}
	// 200 {"patient_id":"pat_1","family_name":"Smith"}
}

func ExampleWriter_RequestID() {
	wr := exampleWriter(envelope.Meta("v1"))
	h := wr.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := envelope.RequestIDFrom(r.Context())
		fmt.Println("handler sees", id)
		wr.NoContent(w, r)
	}))
	for _, inbound := range []string{"partner-trace.42", "bad id with spaces"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", inbound)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println("response header", rec.Header().Get("X-Request-Id"))
	}
	// Output:
	// handler sees partner-trace.42
	// response header partner-trace.42
	// handler sees req_1705312200000_abc123
	// response header req_1705312200000_abc123
}

func ExampleRequestIDFrom() {
	wr := envelope.New(envelope.Plain())
	h := wr.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := envelope.RequestIDFrom(r.Context())
		fmt.Println(id, ok)
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-Id", "req_42")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// req_42 true
}

func ExampleWriter_Recover() {
	wr := exampleWriter(envelope.Meta("2025-01-01"))
	h := wr.RequestID(wr.Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("nil map")
	})))
	do(h.ServeHTTP, "GET", "")
	// Output:
	// 500 {"error":{"code":"internal/error","message":"An unexpected error occurred while processing your request","details":{}}}
}

func ExampleDecode() {
	type CreatePatient struct {
		FamilyName string `json:"family_name"`
		Age        int    `json:"age"`
	}
	wr := exampleWriter(envelope.Standard())
	h := func(w http.ResponseWriter, r *http.Request) {
		in, err := envelope.Decode[CreatePatient](r, envelope.MaxBodyBytes(1<<16))
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		wr.Created(w, r, "/patients/pat_1", in)
	}
	do(h, "POST", `{"family_name":"Smith","age":"forty"}`)
	do(h, "POST", `{"family_name":"Smith",`)
	// Output:
	// 422 {"success":false,"statusCode":422,"error":{"type":"https://parchment.health/errors/validation-error","title":"Validation failed","detail":"There were some problems with your input.","validation":[{"field":"age","message":"must be a number","code":"INVALID_TYPE"}]},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// 400 {"success":false,"statusCode":400,"error":{"type":"https://parchment.health/errors/invalid-request","title":"Invalid request","detail":"The request body is not valid JSON: it ends unexpectedly at byte offset 23"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleDecodeBytes() {
	var v struct {
		Name string `json:"name"`
	}
	err := envelope.DecodeBytes([]byte(`{"name":"a","nmae":"b"}`), &v)
	p := err.(*problem.Problem)
	fmt.Println(p.Status, p.Fields[0].Field, p.Fields[0].Message)
	// Output:
	// 422 nmae is not a known field
}

func ExampleRead() {
	srv := httptest.NewServer(func() http.Handler {
		wr := exampleWriter(envelope.Standard())
		mux := http.NewServeMux()
		mux.HandleFunc("GET /patients", func(w http.ResponseWriter, r *http.Request) {
			envelope.List(wr, w, r, []Patient{{"pat_1", "Smith"}}, pagination.Page{Count: 1, Limit: 50})
		})
		mux.HandleFunc("GET /patients/{id}", func(w http.ResponseWriter, r *http.Request) {
			wr.WriteError(w, r, problem.PatientNotFound.New("No such patient"))
		})
		return mux
	}())
	defer srv.Close()

	resp, _ := http.Get(srv.URL + "/patients")
	patients, info, err := envelope.Read[[]Patient](resp)
	fmt.Println(patients, info.Dialect, info.RequestID, info.Page.Count, info.Page.HasNext, err)

	resp, _ = http.Get(srv.URL + "/patients/pat_9")
	_, _, err = envelope.Read[Patient](resp)
	fmt.Println(errors.Is(err, problem.PatientNotFound), err.(*problem.Problem).Detail)
	// Output:
	// [{pat_1 Smith}] standard req_1705312200000_abc123 1 false <nil>
	// true No such patient
}

func ExampleValidRequestID() {
	fmt.Println(envelope.ValidRequestID("req_1705312200000_abc123"), envelope.ValidRequestID("x\r\nSet-Cookie: a=b"))
	// Output:
	// true false
}

func ExampleNewReqID() {
	id := envelope.NewReqID(time.UnixMilli(1705312200000))
	fmt.Println(id[:18], len(id))
	// Output:
	// req_1705312200000_ 30
}

func ExampleNewULID() {
	id := envelope.NewULID(time.UnixMilli(1705312200000))
	fmt.Println(id[:10], len(id))
	// Output:
	// 01HM68E9A0 26
}

func ExampleStandard() {
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Standard()).WriteError(w, r, problem.AuthenticationRequired.New("Valid authentication token is required"))
	}, "GET", "")
	// Output:
	// 401 {"success":false,"statusCode":401,"error":{"type":"https://parchment.health/errors/authentication-required","title":"Unauthorized","detail":"Valid authentication token is required"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleMeta() {
	invalidState := problem.MustDefine("minutes/invalid-state", http.StatusConflict, "Invalid state")
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Meta("2025-01-01")).WriteError(w, r,
			invalidState.New("Encounter already closed").WithExtension("encounterId", "enc_789"))
	}, "POST", "")
	// Output:
	// 409 {"error":{"code":"minutes/invalid-state","message":"Encounter already closed","details":{"encounterId":"enc_789"}}}
}

func ExampleAck() {
	type Prescription struct {
		envelope.AckRequest
		Drug string `json:"drug"`
	}
	wr := exampleWriter(envelope.Ack())
	h := wr.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := envelope.Decode[Prescription](r); err != nil {
			wr.WriteError(w, r, err) // an ERROR ack that still echoes requestID
			return
		}
		wr.OK(w, r, envelope.Acknowledgement{ReferenceID: "rx_1", Type: envelope.AckConfirmed})
	}))
	do(h.ServeHTTP, "POST", `{"metadata":{"requestID":"phil_1"},"drug":"x"}`)
	do(h.ServeHTTP, "POST", `{"metadata":{"requestID":"phil_2"},"dose":1}`)
	// Output:
	// 200 {"requestID":"phil_1","metadata":{"referenceID":"rx_1","responseType":"CONFIRMED","responseID":"req_1705312200000_abc123","responseTimestamp":"2024-01-15T10:30:00Z"}}
	// 422 {"requestID":"phil_2","metadata":{"referenceID":null,"responseType":"ERROR","responseID":"req_1705312200000_abc123","responseTimestamp":"2024-01-15T10:30:00Z"},"error":{"code":"validation/failed","title":"Validation failed","message":"There were some problems with your input.","errors":[{"field":"dose","message":"is not a known field","code":"UNKNOWN_FIELD"}]}}
}

func ExampleRecords() {
	do(func(w http.ResponseWriter, r *http.Request) {
		envelope.List[Patient](exampleWriter(envelope.Records()), w, r, nil, pagination.Page{})
	}, "GET", "")
	// Output:
	// 200 {"records":[],"has_more":false,"first_id":null,"last_id":null}
}

func ExamplePlain() {
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Plain()).WriteError(w, r, problem.RateLimitExceeded.New("Too many requests"))
	}, "GET", "")
	// Output:
	// 429 {"type":"https://parchment.health/errors/rate-limit-exceeded","title":"Rate limit exceeded","status":429,"detail":"Too many requests","code":"rate-limit/exceeded"}
}

func ExampleMessage() {
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Standard()).OK(w, r, true, envelope.Message("Patient updated"))
	}, "PUT", "")
	// Output:
	// 200 {"success":true,"statusCode":200,"message":"Patient updated","data":true,"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

// wrapped is a user-defined dialect: {"ok":…,"result":…} or
// {"ok":false,"error":"<code>"}.
type wrapped struct{}

func (wrapped) ErrorContentType() string { return envelope.ContentType }

func (wrapped) AppendSuccess(dst []byte, r *envelope.Reply) ([]byte, error) {
	dst = append(dst, `{"ok":true,"status":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"result":`...)
	dst, err := r.AppendData(dst)
	return append(dst, '}'), err
}

func (wrapped) AppendError(dst []byte, r *envelope.Reply) ([]byte, error) {
	dst = append(dst, `{"ok":false,"error":`...)
	dst, err := r.AppendValue(dst, r.Problem.Code)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"type":`...)
	dst, err = r.AppendValue(dst, r.ProblemType())
	return append(dst, '}'), err
}

func ExampleDialect() {
	wr := exampleWriter(wrapped{})
	do(func(w http.ResponseWriter, r *http.Request) { wr.OK(w, r, []int(nil)) }, "GET", "")
	do(func(w http.ResponseWriter, r *http.Request) { wr.WriteError(w, r, problem.AccessDenied) }, "GET", "")
	// Output:
	// 200 {"ok":true,"status":200,"result":[]}
	// 403 {"ok":false,"error":"auth/access-denied","type":"https://parchment.health/errors/access-denied"}
}

func ExampleWithClock() {
	wr := envelope.New(envelope.Ack(),
		envelope.WithClock(func() time.Time { return time.Date(2024, 9, 11, 12, 26, 0, 0, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "partner_response_id" }))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, envelope.Acknowledgement{RequestID: "phil_request_id", ReferenceID: "partner_reference_id", Type: envelope.AckReceived})
	}, "POST", "")
	// Output:
	// 200 {"requestID":"phil_request_id","metadata":{"referenceID":"partner_reference_id","responseType":"RECEIVED","responseID":"partner_response_id","responseTimestamp":"2024-09-11T12:26:00Z"}}
}

func ExampleWithRequestIDs() {
	wr := envelope.New(envelope.Plain(), envelope.WithRequestIDs(envelope.NewULID))
	rec := httptest.NewRecorder()
	wr.NoContent(rec, httptest.NewRequest("DELETE", "/patients/pat_1", nil))
	fmt.Println(len(rec.Header().Get("X-Request-Id")))
	// Output:
	// 26
}

func ExampleWithCatalog() {
	catalog := problem.MustNewCatalog("https://api.example.com/errors/")
	outOfCredit, _ := catalog.Define("billing/out-of-credit", http.StatusPaymentRequired, "Out of credit", problem.TypeURI("out-of-credit"))
	wr := envelope.New(envelope.Plain(), envelope.WithCatalog(catalog))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, outOfCredit.New("Top up to continue"))
	}, "POST", "")
	// Output:
	// 402 {"type":"https://api.example.com/errors/out-of-credit","title":"Out of credit","status":402,"detail":"Top up to continue","code":"billing/out-of-credit"}
}

func ExampleWithLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "path" || a.Key == "method" {
				return slog.Attr{}
			}
			return a
		},
	}))
	wr := envelope.New(envelope.Plain(), envelope.WithLogger(logger),
		envelope.WithRequestIDs(func(time.Time) string { return "req_1" }))
	wr.WriteError(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), errors.New("disk full"))
	// Output:
	// level=ERROR msg="envelope: request failed" status=500 code=internal/error request_id=req_1 cause="disk full"
}

func ExampleMaxBodyBytes() {
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"note":"`+strings.Repeat("x", 100)+`"}`))
	_, err := envelope.Decode[map[string]string](req, envelope.MaxBodyBytes(64))
	fmt.Println(err.(*problem.Problem).Status)
	// Output:
	// 413
}

func ExampleWriter_Dialect() {
	wr := envelope.New(envelope.Records())
	fmt.Println(wr.Dialect().ErrorContentType())
	// Output:
	// application/problem+json
}
