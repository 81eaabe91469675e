package problem_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apikit-go/apikit/problem"
)

// ContextWithWriter puts the API's error writer in a request's context,
// as the envelope middleware does, so that every middleware answers in
// the API's dialect.
func ExampleContextWithWriter() {
	apiWriter := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		p := problem.From(err)
		w.WriteHeader(p.StatusCode())
		fmt.Fprintf(w, `{"error":{"code":%q}}`, p.Code)
	})
	r := httptest.NewRequest("GET", "/orders/ord_1", nil)
	r = r.WithContext(problem.ContextWithWriter(r.Context(), apiWriter))

	rec := httptest.NewRecorder()
	problem.WriteTo(nil, rec, r, problem.ResourceNotFound)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 404 {"error":{"code":"resource/not-found"}}
}

// WriteTo answers with the explicit writer when there is one, else with
// the writer in the request's context, else as plain RFC 9457.
func ExampleWriteTo() {
	named := func(name string) problem.ErrorWriter {
		return problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(problem.From(err).StatusCode())
			fmt.Fprint(w, name)
		})
	}
	plain := httptest.NewRequest("GET", "/", nil)
	withAPI := plain.WithContext(problem.ContextWithWriter(plain.Context(), named("api writer")))

	for _, c := range []struct {
		explicit problem.ErrorWriter
		r        *http.Request
	}{
		{named("explicit writer"), withAPI},
		{nil, withAPI},
		{nil, plain},
	} {
		rec := httptest.NewRecorder()
		problem.WriteTo(c.explicit, rec, c.r, problem.AccessDenied)
		fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	// Output:
	// 403 text/plain explicit writer
	// 403 text/plain api writer
	// 403 application/problem+json {"type":"about:blank","title":"Access denied","status":403,"code":"auth/access-denied"}
}
