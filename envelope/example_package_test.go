package envelope_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
)

// One writer per API: the handlers, the mux's 404 and 405 and every
// error answer in the standard dialect.
func Example() {
	type item struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	itemNotFound := problem.MustDefine("items/not-found", 404, "Item not found")
	wr := exampleWriter(envelope.Standard()) // envelope.New(envelope.Standard()) with a fixed clock and request id

	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", envelope.Handle(wr, func(r *http.Request) (item, error) {
		if id := r.PathValue("id"); id != "it_1" {
			return item{}, itemNotFound.Newf("No item has the id %q", id)
		}
		return item{ID: "it_1", Name: "pen"}, nil
	}))
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		in, err := envelope.Decode[item](r)
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		wr.Created(w, r, "/items/"+in.ID, in, envelope.WithMessage("Item created"))
	})
	api := wr.Handler(mux)

	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/items/it_1", nil),
		httptest.NewRequest("GET", "/items/it_9", nil),
		httptest.NewRequest("POST", "/items", strings.NewReader(`{"id":"it_2","name":"ink","colour":"blue"}`)),
		httptest.NewRequest("DELETE", "/items/it_1", nil),
	} {
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Printf("%s %s %d Allow=%q\n", req.Method, req.URL.Path, rec.Code, rec.Header().Get("Allow"))
		fmt.Println(rec.Body.String())
	}
	// Output:
	// GET /items/it_1 200 Allow=""
	// {"success":true,"statusCode":200,"message":"Success","data":{"id":"it_1","name":"pen"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// GET /items/it_9 404 Allow=""
	// {"success":false,"statusCode":404,"error":{"type":"https://api.example.com/errors/items/not-found","title":"Item not found","detail":"No item has the id \"it_9\""},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// POST /items 422 Allow=""
	// {"success":false,"statusCode":422,"error":{"type":"https://api.example.com/errors/validation-error","title":"Validation failed","detail":"There were some problems with your input.","validation":[{"field":"colour","message":"is not a known field","code":"UNKNOWN_FIELD"}]},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
	// DELETE /items/it_1 405 Allow="GET, HEAD"
	// {"success":false,"statusCode":405,"error":{"type":"https://api.example.com/errors/method-not-allowed","title":"Method not allowed","detail":"The method DELETE is not allowed for this resource; the Allow header lists the methods that are","instance":"/items/it_1"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_abc123"}
}
