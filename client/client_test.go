package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apikit-go/apikit/client"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

type patient struct {
	PatientID string `json:"patient_id"`
}

func TestCallDecodesAndFails(t *testing.T) {
	notFound := `{"success":false,"statusCode":404,"error":{"type":"https://parchment.health/errors/patient-not-found","title":"Patient not found","detail":"Patient with ID 'pat_x' does not exist"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_body"}`
	srv := script(t,
		status(201, `{"success":true,"statusCode":201,"message":"Created","data":{"patient_id":"pat_1"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1"}`, "Idempotent-Replayed", "true"),
		status(503, ""),
		status(404, notFound, "X-Request-Id", "req_header"),
	)
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithSleep(newFakeClock().sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := client.Call[patient](ctx, c, "POST", "/api/v1/patients", map[string]string{"family_name": "Smith"})
	if err != nil || r.Data.PatientID != "pat_1" || r.RequestID != "req_1" || !r.Replayed || r.Attempts != 1 || r.Status != 201 {
		t.Fatalf("Call = %+v, %v", r, err)
	}
	if got := srv.requests()[0]; got.body != `{"family_name":"Smith"}` || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %+v", got)
	}
	_, err = client.Call[patient](ctx, c, "GET", "/api/v1/patients/pat_x", nil)
	var p *problem.Problem
	if !errors.As(err, &p) || !errors.Is(err, patientNotFound) {
		t.Fatalf("err = %v; want a PatientNotFound problem", err)
	}
	if p.Status != 404 || p.Extensions["requestId"] != "req_body" || p.Extensions["attempts"] != 2 || p.Extensions["replayed"] != false {
		t.Fatalf("problem %+v", p)
	}
}

// patientNotFound is the API's own definition of the 404 the server sends.
var patientNotFound = problem.MustDefine("patients/not-found", 404, "Patient not found", problem.WithType("patient-not-found"))

func TestAllWalksPagesWithHeaderSetOnce(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		page := map[string]string{
			"":   `{"success":true,"statusCode":200,"data":[{"patient_id":"p1"},{"patient_id":"p2"}],"pagination":{"count":2,"hasNext":true,"limit":2,"offset":0,"lastKey":"k1"}}`,
			"k1": `{"success":true,"statusCode":200,"data":[{"patient_id":"p3"}],"pagination":{"count":1,"hasNext":false,"limit":2,"offset":0,"lastKey":null}}`,
		}[r.URL.Query().Get("lastKey")]
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, page)
	}))
	defer srv.Close()
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithHeader("Authorization", "Bearer acme"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for p, err := range client.All[patient](context.Background(), c, "/api/v1/patients?limit=2", "lastKey") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.PatientID)
	}
	if fmt.Sprint(ids) != "[p1 p2 p3]" || fmt.Sprint(auth) != "[Bearer acme Bearer acme]" {
		t.Fatalf("ids %v, Authorization %v", ids, auth)
	}

	// The same through pagination's own fetcher and the Client's http.Client.
	ids, auth = nil, nil
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/patients?limit=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	fetch := pagination.HTTPFetch(c.HTTPClient(), req, pagination.DecodeStandard[patient])
	for p, err := range pagination.All(context.Background(), fetch) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.PatientID)
	}
	if fmt.Sprint(ids) != "[p1 p2 p3]" || fmt.Sprint(auth) != "[Bearer acme Bearer acme]" {
		t.Fatalf("pagination.HTTPFetch: ids %v, Authorization %v", ids, auth)
	}
}
