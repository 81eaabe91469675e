package envelope_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apikit-go/apikit/envelope"
)

func ExampleWithVersion() {
	// In a service: envelope.WithVersion(version.Of), the version a
	// version.Negotiator chose. Here the request's header stands for it.
	wr := envelope.New(envelope.Meta("2025-01-01"),
		envelope.WithVersion(func(r *http.Request) string { return r.Header.Get("API-Version") }),
		envelope.WithClock(func() time.Time { return time.Date(2025, 1, 18, 22, 31, 5, 123e6, time.UTC) }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_123" }))
	for _, v := range []string{"2025-06-01", ""} {
		r := httptest.NewRequest("GET", "/referrals/ref_1", nil)
		if v != "" {
			r.Header.Set("API-Version", v)
		}
		rec := httptest.NewRecorder()
		wr.OK(rec, r, map[string]string{"id": "ref_1"})
		fmt.Println(rec.Body.String())
	}
	// Output:
	// {"data":{"id":"ref_1"},"meta":{"version":"2025-06-01","requestId":"req_123","timestamp":"2025-01-18T22:31:05.123Z"}}
	// {"data":{"id":"ref_1"},"meta":{"version":"2025-01-01","requestId":"req_123","timestamp":"2025-01-18T22:31:05.123Z"}}
}

func ExampleWithResponseMeta() {
	// A clock that moves 7 ms between the arrival and the response.
	t := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC).Add(-7 * time.Millisecond)
	clock := func() time.Time { now := t; t = t.Add(7 * time.Millisecond); return now }
	wr := envelope.New(envelope.Standard(), envelope.WithResponseMeta(),
		envelope.WithVersion(func(*http.Request) string { return "2025-06-01" }),
		envelope.WithClock(clock))
	h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, Order{"ord_1", "open"})
	}))
	r := httptest.NewRequest("GET", "/patients/pat_1", nil)
	r.Header.Set("X-Request-Id", "req_1705312200000_abc123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Body.String())
	// Output:
	// {"success":true,"statusCode":200,"message":"Success","data":{"order_id":"ord_1","status":"open"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123","meta":{"apiVersion":"2025-06-01","responseTime":7}}
}
