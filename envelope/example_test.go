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
	catalog, _ := problem.NewCatalog("https://api.example.com/errors/")
	return envelope.New(d,
		envelope.WithClock(func() time.Time { return time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_1705312200000_abc123" }),
		envelope.WithCatalog(catalog),
		envelope.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// do runs h for one request and prints the status and the body.
func do(h http.HandlerFunc, method, body string) {
	rec := httptest.NewRecorder()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	h(rec, httptest.NewRequest(method, "/orders", rd))
	fmt.Println(rec.Code, rec.Body.String())
}

type Order struct {
	ID     string `json:"order_id"`
	Status string `json:"status"`
}

var errOrderNotFound = problem.ResourceNotFound

func ExampleNew() {
	wr := envelope.New(envelope.Meta("2025-01-01"),
		envelope.WithClock(func() time.Time { return time.Date(2025, 1, 18, 22, 31, 5, 123e6, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_123" }))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, Order{"ord_1", "open"})
	}, "GET", "")
	// Output:
	// 200 {"data":{"order_id":"ord_1","status":"open"},"meta":{"version":"2025-01-01","requestId":"req_123","timestamp":"2025-01-18T22:31:05.123Z"}}
}

func ExampleWriter_Handler() {
	wr := exampleWriter(envelope.Meta("v1"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := envelope.RequestIDFrom(r.Context())
		fmt.Println("handler sees", id)
		if r.PathValue("id") == "panic" {
			panic("nil map")
		}
		// problem.Write finds the writer in the request context.
		problem.Write(w, r, errOrderNotFound.New("No such order"))
	})
	h := wr.Handler(mux)
	for _, tc := range []struct{ method, path, id string }{
		{"GET", "/orders/ord_9", "partner-trace.42"},
		{"GET", "/orders/panic", "bad id with spaces"},
		{"GET", "/nowhere", ""},
		{"DELETE", "/orders/ord_9", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("X-Request-Id", tc.id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("X-Request-Id"), rec.Header().Get("Allow"), rec.Body)
	}
	// Output:
	// handler sees partner-trace.42
	// 404 partner-trace.42  {"error":{"code":"resource/not-found","message":"No such order","details":{}}}
	// handler sees req_1705312200000_abc123
	// 500 req_1705312200000_abc123  {"error":{"code":"internal/error","message":"An unexpected error occurred while processing your request","details":{}}}
	// 404 req_1705312200000_abc123  {"error":{"code":"resource/not-found","message":"No resource exists at this path","details":{}}}
	// 405 req_1705312200000_abc123 GET, HEAD {"error":{"code":"validation/method-not-allowed","message":"The method DELETE is not allowed for this resource; the Allow header lists the methods that are","details":{}}}
}

func ExampleWriter_Routes() {
	wr := exampleWriter(envelope.Plain())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {})
	// Other middleware between the writer's Handler and the mux: Routes
	// still answers the mux's 404 and 405 in the dialect.
	logged := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
	}
	h := wr.Handler(logged(wr.Routes(mux)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/orders", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Allow"))
	fmt.Println(rec.Body)
	// Output:
	// 405 application/problem+json POST
	// {"type":"https://api.example.com/errors/method-not-allowed","title":"Method not allowed","status":405,"detail":"The method GET is not allowed for this resource; the Allow header lists the methods that are","instance":"/orders","code":"validation/method-not-allowed"}
}

func ExampleWriter_OK() {
	wr := exampleWriter(envelope.Standard())
	do(func(w http.ResponseWriter, r *http.Request) { wr.OK(w, r, Order{"ord_1", "open"}) }, "GET", "")
	// Output:
	// 200 {"success":true,"statusCode":200,"message":"Success","data":{"order_id":"ord_1","status":"open"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleWriter_Created() {
	wr := exampleWriter(envelope.Standard())
	rec := httptest.NewRecorder()
	wr.Created(rec, httptest.NewRequest("POST", "/orders", nil), "/orders/ord_1", Order{"ord_1", "open"},
		envelope.WithMessage("Order created"))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	fmt.Println(rec.Body)
	// Output:
	// 201 /orders/ord_1
	// {"success":true,"statusCode":201,"message":"Order created","data":{"order_id":"ord_1","status":"open"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleWriter_Write() {
	wr := exampleWriter(envelope.Plain())
	rec := httptest.NewRecorder()
	wr.Write(rec, httptest.NewRequest("HEAD", "/orders/ord_1", nil), http.StatusOK, Order{"ord_1", "open"})
	fmt.Println(rec.Code, rec.Header().Get("Content-Length"), rec.Body.Len())

	rec = httptest.NewRecorder()
	wr.Write(rec, httptest.NewRequest("DELETE", "/orders/ord_1", nil), http.StatusNoContent, nil)
	fmt.Printf("%d %q %s\n", rec.Code, rec.Body.String(), rec.Header().Get("X-Request-Id"))

	ack := exampleWriter(envelope.Ack())
	do(func(w http.ResponseWriter, r *http.Request) {
		ack.Write(w, r, http.StatusAccepted, envelope.Acknowledgement{RequestID: "caller_request_id", ReferenceID: "ref_1"})
	}, "POST", "")
	// Output:
	// 200 36 0
	// 204 "" req_1705312200000_abc123
	// 202 {"requestID":"caller_request_id","metadata":{"referenceID":"ref_1","responseType":"RECEIVED","responseID":"req_1705312200000_abc123","responseTimestamp":"2024-01-15T10:30:00Z"}}
}

func ExampleWriter_WriteError() {
	wr := exampleWriter(envelope.Standard())
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, errOrderNotFound.New("Order <ord_9> & its items do not exist").WithInstance(r.URL.Path))
	}, "GET", "")
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, errors.New("dial tcp 10.0.0.7:5432: connection refused")) // never shown
	}, "GET", "")
	// Output:
	// 404 {"success":false,"statusCode":404,"error":{"type":"https://api.example.com/errors/resource-not-found","title":"Resource not found","detail":"Order <ord_9> & its items do not exist","instance":"/orders"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// 500 {"success":false,"statusCode":500,"error":{"type":"https://api.example.com/errors/internal-error","title":"Internal server error","detail":"An unexpected error occurred while processing your request"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleList() {
	std := pagination.Page{Count: 1, Limit: 50, HasNext: true, NextCursor: "eyJrIjoxfQ", Style: pagination.StandardStyle}
	rec := pagination.Page{Count: 1, Limit: 50, HasNext: true, FirstID: "ord_1", LastID: "ord_1", Style: pagination.RecordsStyle}
	for _, tc := range []struct {
		d    envelope.Dialect
		page pagination.Page
	}{{envelope.Standard(), std}, {envelope.Records(), rec}, {envelope.Records(), std}} {
		wr := exampleWriter(tc.d)
		do(func(w http.ResponseWriter, r *http.Request) {
			envelope.List(wr, w, r, []Order{{"ord_1", "open"}}, tc.page)
		}, "GET", "")
	}
	// Output:
	// 200 {"success":true,"statusCode":200,"message":"Success","data":[{"order_id":"ord_1","status":"open"}],"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123","pagination":{"count":1,"hasNext":true,"limit":50,"offset":0,"lastKey":"eyJrIjoxfQ"}}
	// 200 {"records":[{"order_id":"ord_1","status":"open"}],"has_more":true,"first_id":"ord_1","last_id":"ord_1"}
	// 500 {"type":"https://api.example.com/errors/internal-error","title":"Internal server error","status":500,"detail":"An unexpected error occurred while processing your request","code":"internal/error"}
}

func ExampleWithPage() {
	wr := exampleWriter(envelope.Meta("2025-01-01"))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, map[string]any{"orders": []string{"ord_1"}}, envelope.WithPage(pagination.Page{Count: 1, Limit: 1, HasNext: true, NextCursor: "c2"}))
	}, "GET", "")
	// Output:
	// 200 {"data":{"orders":["ord_1"]},"meta":{"version":"2025-01-01","requestId":"req_1705312200000_abc123","timestamp":"2024-01-15T10:30:00.000Z","pagination":{"count":1,"hasNext":true,"limit":1,"offset":0,"lastKey":"c2"}}}
}

func ExampleWithMessage() {
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Standard()).OK(w, r, true, envelope.WithMessage("Order updated"))
	}, "PUT", "")
	// Output:
	// 200 {"success":true,"statusCode":200,"message":"Order updated","data":true,"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleHandle() {
	wr := exampleWriter(envelope.Plain())
	h := envelope.Handle(wr, func(r *http.Request) (Order, error) {
		if r.URL.Query().Get("id") != "ord_1" {
			return Order{}, errOrderNotFound.New("No such order")
		}
		return Order{"ord_1", "open"}, nil
	})
	do(h.ServeHTTP, "GET", "")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/orders?id=ord_1", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 404 {"type":"https://api.example.com/errors/resource-not-found","title":"Resource not found","status":404,"detail":"No such order","code":"resource/not-found"}
	// 200 {"order_id":"ord_1","status":"open"}
}

func ExampleRequestIDFrom() {
	wr := envelope.New(envelope.Plain())
	h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := envelope.RequestIDFrom(r.Context())
		fmt.Println(id, ok)
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-Id", "req_42")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// req_42 true
}

func ExampleDecode() {
	type CreateOrder struct {
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
	}
	wr := exampleWriter(envelope.Standard())
	h := func(w http.ResponseWriter, r *http.Request) {
		in, err := envelope.Decode[CreateOrder](r, envelope.WithMaxBodyBytes(1<<16))
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		wr.Created(w, r, "/orders/ord_1", in)
	}
	do(h, "POST", `{"item":"pen","quantity":"two"}`)
	do(h, "POST", `{"item":"pen",`)
	do(h, "POST", `{"item":"pen","item":"ink"}`)
	// Output:
	// 422 {"success":false,"statusCode":422,"error":{"type":"https://api.example.com/errors/validation-error","title":"Validation failed","detail":"There were some problems with your input.","validation":[{"field":"quantity","message":"must be a number","code":"INVALID_TYPE"}]},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// 400 {"success":false,"statusCode":400,"error":{"type":"https://api.example.com/errors/invalid-request","title":"Invalid request","detail":"The request body is not valid JSON: it ends unexpectedly at byte offset 14"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// 400 {"success":false,"statusCode":400,"error":{"type":"https://api.example.com/errors/invalid-request","title":"Invalid request","detail":"The request body has a member that appears more than once","validation":[{"field":"item","message":"appears more than once","code":"DUPLICATE_FIELD"}]},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleWithMaxBodyBytes() {
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"note":"`+strings.Repeat("x", 100)+`"}`))
	_, err := envelope.Decode[map[string]string](req, envelope.WithMaxBodyBytes(64))
	fmt.Println(err.(*problem.Problem).Status)
	// Output:
	// 413
}

func ExampleRead() {
	srv := httptest.NewServer(func() http.Handler {
		wr := exampleWriter(envelope.Standard())
		mux := http.NewServeMux()
		mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
			envelope.List(wr, w, r, []Order{{"ord_1", "open"}}, pagination.Page{Count: 1, Limit: 50})
		})
		mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
			wr.WriteError(w, r, errOrderNotFound.New("No such order"))
		})
		return wr.Handler(mux)
	}())
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/orders", nil)
	req.Header.Set("X-Request-Id", "req_this_one")
	resp, _ := http.DefaultClient.Do(req)
	orders, info, err := envelope.Read[[]Order](resp)
	fmt.Println(orders, info.Dialect, info.RequestID, info.BodyRequestID, info.Replayed, info.Page.Count, info.Page.HasNext, err)

	resp, _ = http.Get(srv.URL + "/orders/ord_9")
	_, _, err = envelope.Read[Order](resp)
	fmt.Println(errors.Is(err, errOrderNotFound), err.(*problem.Problem).Detail)
	// Output:
	// [{ord_1 open}] standard req_this_one req_this_one false 1 false <nil>
	// true No such order
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
	rec := httptest.NewRecorder()
	exampleWriter(envelope.Standard()).WriteError(rec, httptest.NewRequest("GET", "/orders", nil),
		problem.InvalidToken.New("The access token expired"))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	fmt.Println(rec.Body)
	// Output:
	// 401 Bearer error="invalid_token"
	// {"success":false,"statusCode":401,"error":{"type":"https://api.example.com/errors/invalid-token","title":"Invalid token","detail":"The access token expired"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}

func ExampleMeta() {
	invalidState := problem.MustDefine("orders/invalid-state", http.StatusConflict, "Invalid state")
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Meta("2025-01-01")).WriteError(w, r,
			invalidState.New("Order already shipped").WithExtension("orderId", "ord_789"))
	}, "POST", "")
	// Output:
	// 409 {"error":{"code":"orders/invalid-state","message":"Order already shipped","details":{"orderId":"ord_789"}}}
}

func ExampleAck() {
	type Shipment struct {
		envelope.AckRequest
		Carrier string `json:"carrier"`
	}
	wr := exampleWriter(envelope.Ack())
	h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := envelope.Decode[Shipment](r); err != nil {
			wr.WriteError(w, r, err) // an ERROR ack that still echoes requestID
			return
		}
		wr.OK(w, r, envelope.Acknowledgement{ReferenceID: "shp_1", Type: envelope.AckConfirmed})
	}))
	do(h.ServeHTTP, "POST", `{"metadata":{"requestID":"caller_1"},"carrier":"x"}`)
	do(h.ServeHTTP, "POST", `{"metadata":{"requestID":"caller_2"},"weight":1}`)
	// Output:
	// 200 {"requestID":"caller_1","metadata":{"referenceID":"shp_1","responseType":"CONFIRMED","responseID":"req_1705312200000_abc123","responseTimestamp":"2024-01-15T10:30:00Z"}}
	// 422 {"requestID":"caller_2","metadata":{"referenceID":null,"responseType":"ERROR","responseID":"req_1705312200000_abc123","responseTimestamp":"2024-01-15T10:30:00Z"},"error":{"code":"validation/failed","title":"Validation failed","message":"There were some problems with your input.","errors":[{"field":"weight","message":"is not a known field","code":"UNKNOWN_FIELD"}]}}
}

func ExampleRecords() {
	do(func(w http.ResponseWriter, r *http.Request) {
		envelope.List[Order](exampleWriter(envelope.Records()), w, r, nil, pagination.Page{Style: pagination.RecordsStyle})
	}, "GET", "")
	// Output:
	// 200 {"records":[],"has_more":false,"first_id":null,"last_id":null}
}

func ExamplePlain() {
	do(func(w http.ResponseWriter, r *http.Request) {
		exampleWriter(envelope.Plain()).WriteError(w, r, problem.RateLimitExceeded.New("Too many requests"))
	}, "GET", "")
	// Output:
	// 429 {"type":"https://api.example.com/errors/rate-limit-exceeded","title":"Rate limit exceeded","status":429,"detail":"Too many requests","code":"rate-limit/exceeded"}
}

// wrapped is a user-defined dialect: {"ok":…,"result":…} or
// {"ok":false,"error":"<code>"}.
type wrapped struct{}

func (wrapped) ErrorContentType() string { return "application/json" }

func (wrapped) ListStyle() (pagination.Style, bool) { return pagination.StandardStyle, false }

func (wrapped) AppendSuccess(dst []byte, r *envelope.Reply) ([]byte, error) {
	dst = append(dst, `{"ok":true,"status":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"result":`...)
	dst, err := r.AppendValue(dst, r.Data)
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
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"fields":`...)
	dst = r.AppendFields(dst)
	dst, err = r.AppendMembers(dst, func(name string) bool { return name == "ok" })
	return append(dst, '}'), err
}

func ExampleDialect() {
	wr := exampleWriter(wrapped{})
	do(func(w http.ResponseWriter, r *http.Request) { wr.OK(w, r, []int(nil)) }, "GET", "")
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, problem.AccessDenied.New("").WithExtension("scope", "orders:write"))
	}, "GET", "")
	// Output:
	// 200 {"ok":true,"status":200,"result":[]}
	// 403 {"ok":false,"error":"auth/access-denied","type":"https://api.example.com/errors/access-denied","fields":[],"scope":"orders:write"}
}

func ExampleWithClock() {
	wr := envelope.New(envelope.Ack(),
		envelope.WithClock(func() time.Time { return time.Date(2024, 9, 11, 12, 26, 0, 0, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "partner_response_id" }))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, envelope.Acknowledgement{RequestID: "caller_request_id", ReferenceID: "partner_reference_id", Type: envelope.AckReceived})
	}, "POST", "")
	// Output:
	// 200 {"requestID":"caller_request_id","metadata":{"referenceID":"partner_reference_id","responseType":"RECEIVED","responseID":"partner_response_id","responseTimestamp":"2024-09-11T12:26:00Z"}}
}

func ExampleWithRequestIDs() {
	wr := envelope.New(envelope.Plain(), envelope.WithRequestIDs(envelope.NewULID))
	rec := httptest.NewRecorder()
	wr.Write(rec, httptest.NewRequest("DELETE", "/orders/ord_1", nil), http.StatusNoContent, nil)
	fmt.Println(len(rec.Header().Get("X-Request-Id")))
	// Output:
	// 26
}

func ExampleWithCatalog() {
	catalog, _ := problem.NewCatalog("https://api.example.com/errors/")
	outOfCredit := problem.MustDefine("billing/out-of-credit", http.StatusPaymentRequired, "Out of credit", problem.WithType("out-of-credit"))
	errNoCredit := errors.New("billing: no credit left")
	_ = catalog.Map(errNoCredit, outOfCredit)
	wr := envelope.New(envelope.Plain(), envelope.WithCatalog(catalog))
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, fmt.Errorf("charging: %w", errNoCredit))
	}, "POST", "")
	// Output:
	// 402 {"type":"https://api.example.com/errors/out-of-credit","title":"Out of credit","status":402,"code":"billing/out-of-credit"}
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

// terse is a dialect that renders errors as {"code":…,"fields":[…],…}
// with the helpers on Reply.
type terse struct{ wrapped }

func (terse) AppendError(dst []byte, r *envelope.Reply) ([]byte, error) {
	dst = append(dst, `{"code":`...)
	dst, _ = r.AppendValue(dst, r.Problem.Code)
	dst = append(dst, `,"fields":`...)
	dst = r.AppendFields(dst)
	dst, err := r.AppendMembers(dst, func(name string) bool { return name == "code" || name == "fields" })
	return append(dst, '}'), err
}

func ExampleReply() {
	wr := exampleWriter(terse{})
	do(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, problem.ValidationFailed.New("Bad input").
			WithFields(problem.FieldError{Field: "qty", Message: "must be positive", Code: problem.FieldInvalidFormat}).
			WithExtension("code", "ignored").WithExtension("traceId", "t-1"))
	}, "POST", "")
	// Output:
	// 422 {"code":"validation/failed","fields":[{"field":"qty","message":"must be positive","code":"INVALID_FORMAT"}],"traceId":"t-1"}
}
