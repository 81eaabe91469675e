package problem_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apikit-go/apikit/problem"
)

// A handler answers with a problem defined once; a client reads it back
// and matches it by its code.
func Example() {
	accountMissing := problem.MustDefine("billing/unknown-account", 422, "Unknown account")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := accountMissing.Newf("Account %q does not exist", "acc_1").WithInstance(r.URL.Path)
		problem.Write(w, r, err) // application/problem+json: no envelope middleware here
	})

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("POST", "/invoices", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())

	p := problem.Parse(rec.Result())
	fmt.Println(errors.Is(p, accountMissing), p.Code, p.Detail)
	// Output:
	// 422 application/problem+json
	// {"type":"about:blank","title":"Unknown account","status":422,"detail":"Account \"acc_1\" does not exist","instance":"/invoices","code":"billing/unknown-account"}
	// true billing/unknown-account Account "acc_1" does not exist
}
