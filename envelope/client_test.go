package envelope_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// response runs write against a writer of dialect d and returns the
// recorded response, ready for envelope.Read.
func response(d envelope.Dialect, write func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request)) *http.Response {
	wr, _ := newTestWriter(d)
	rec := httptest.NewRecorder()
	wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(wr, w, r)
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	return rec.Result()
}

func TestReadSuccess(t *testing.T) {
	items := []patientSummary{{"pat_1", "Smith", "John"}}
	page := pagination.Page{Count: 1, Limit: 50, HasNext: true, NextCursor: "c2", FirstID: "pat_1", LastID: "pat_1"}
	tests := []struct {
		name     string
		dialect  envelope.Dialect
		wantPage *pagination.Page
		version  string
		message  string
		stamped  bool
	}{
		{"standard", envelope.Standard(), &pagination.Page{Count: 1, Limit: 50, HasNext: true, NextCursor: "c2"}, "", "Success", true},
		{"meta", envelope.Meta("2025-01-01"), &pagination.Page{Count: 1, Limit: 50, HasNext: true, NextCursor: "c2"}, "2025-01-01", "", true},
		{"records", envelope.Records(), &pagination.Page{Count: 1, HasNext: true, FirstID: "pat_1", LastID: "pat_1"}, "", "", false},
		{"plain", envelope.Plain(), nil, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pg := page
			if tc.name == "records" {
				pg.Style = pagination.RecordsStyle
			}
			list := func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				envelope.List(wr, w, r, items, pg)
			}
			got, info, err := envelope.Read[[]patientSummary](response(tc.dialect, list))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != items[0] {
				t.Errorf("data = %+v", got)
			}
			if info.Dialect != tc.name || info.RequestID != "req_fixed" || info.Version != tc.version || info.Message != tc.message || info.Status != 200 {
				t.Errorf("info = %+v", info)
			}
			if tc.stamped != info.Timestamp.Equal(testNow) {
				t.Errorf("timestamp = %v", info.Timestamp)
			}
			switch {
			case tc.wantPage == nil && info.Page != nil:
				t.Errorf("page = %+v, want nil", info.Page)
			case tc.wantPage != nil && (info.Page == nil || *info.Page != *tc.wantPage):
				t.Errorf("page = %+v, want %+v", info.Page, tc.wantPage)
			}
		})
	}
}

func TestReadAck(t *testing.T) {
	resp := response(envelope.Ack(), func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, envelope.Acknowledgement{RequestID: "phil_1", ReferenceID: "ref_1", Type: envelope.AckReceived})
	})
	_, info, err := envelope.Read[struct{}](resp)
	if err != nil {
		t.Fatal(err)
	}
	if info.BodyRequestID != "phil_1" || info.ReferenceID != "ref_1" || info.ResponseType != envelope.AckReceived ||
		info.ResponseID != "req_fixed" || !info.Timestamp.Equal(testNow) {
		t.Errorf("info = %+v", info)
	}
}

func TestReadErrors(t *testing.T) {
	fields := []problem.FieldError{{Field: "dob", Message: "Invalid date", Code: problem.FieldInvalidFormat}}
	validation := func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, problem.ValidationFailed.New("Bad input").WithFields(fields...))
	}
	for _, d := range []struct {
		name string
		d    envelope.Dialect
	}{{"standard", envelope.Standard()}, {"meta", envelope.Meta("v1")}, {"ack", envelope.Ack()}, {"records", envelope.Records()}, {"plain", envelope.Plain()}} {
		t.Run(d.name, func(t *testing.T) {
			_, _, err := envelope.Read[struct{}](response(d.d, validation))
			var p *problem.Problem
			if !errors.As(err, &p) {
				t.Fatalf("err = %v, want a problem", err)
			}
			if !errors.Is(err, problem.ValidationFailed) || p.Status != 422 || p.Detail != "Bad input" {
				t.Errorf("problem = %+v", p)
			}
			if len(p.Fields) != 1 || p.Fields[0] != fields[0] {
				t.Errorf("fields = %+v, want %+v", p.Fields, fields)
			}
		})
	}
	t.Run("ack ERROR with 200", func(t *testing.T) {
		resp := response(envelope.Ack(), func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
			wr.OK(w, r, envelope.Acknowledgement{Error: problem.ResourceNotFound.New("No such order")})
		})
		_, info, err := envelope.Read[struct{}](resp)
		if !errors.Is(err, problem.ResourceNotFound) || info.ResponseType != envelope.AckError {
			t.Fatalf("err = %v, info = %+v", err, info)
		}
		if p := err.(*problem.Problem); p.Status != 404 {
			t.Errorf("status = %d, want 404 from the catalog", p.Status)
		}
	})
}

func TestReadMalformedSuccess(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"success":true,"statusCode":200,"data":"text"}`))}
	if _, _, err := envelope.Read[int](resp); err == nil || !strings.HasPrefix(err.Error(), "envelope: ") {
		t.Errorf("err = %v, want a decoding error", err)
	}
	resp = &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`[1,2]`))}
	got, info, err := envelope.Read[[]int](resp)
	if err != nil || len(got) != 2 || info.Dialect != "plain" || !info.Timestamp.Equal(time.Time{}) {
		t.Errorf("got %v %+v %v", got, info, err)
	}
}
