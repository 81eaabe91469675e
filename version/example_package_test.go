package version_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apikit-go/apikit/version"
)

// Each request gets the version it asks for (API-Version), else the
// default; handlers keep older contracts by testing it.
func Example() {
	neg, err := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"})
	if err != nil {
		panic(err)
	}
	api := neg.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := "accepted"
		if version.FromContext(r.Context()).Before("2025-06-01") {
			status = "ACCEPTED" // the 2025-01-01 contract
		}
		fmt.Fprintf(w, "{\"status\":%q}\n", status)
	}))

	for _, v := range []string{"", "2025-06-01", "2024-01-01"} {
		req := httptest.NewRequest("GET", "/referrals/ref_1", nil)
		if v != "" {
			req.Header.Set("API-Version", v)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Printf("%d API-Version=%q\n", rec.Code, rec.Header().Get("API-Version"))
		fmt.Print(rec.Body.String())
	}
	// Output:
	// 200 API-Version="2025-01-01"
	// {"status":"ACCEPTED"}
	// 200 API-Version="2025-06-01"
	// {"status":"accepted"}
	// 400 API-Version=""
	// {"type":"about:blank","title":"Unknown API version","status":400,"detail":"API version \"2024-01-01\" is not supported; supported: 2025-01-01, 2025-06-01","code":"version/unknown","supported":["2025-01-01","2025-06-01"]}
}
