package problem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	secret := errors.New("pq: password authentication failed for user admin")
	notFound := patientNotFound.New("Patient with ID 'pat_1' does not exist")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantIs     error
		wantDetail string
	}{
		{"problem", notFound, 404, patientNotFound, notFound.Detail},
		{"wrapped problem", fmt.Errorf("get: %w", notFound), 404, patientNotFound, notFound.Detail},
		{"definition", patientNotFound, 404, patientNotFound, ""},
		{"wrapped definition", fmt.Errorf("x: %w", InvalidToken), 401, InvalidToken, ""},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 504, Timeout, detailTimeout},
		{"max bytes", &http.MaxBytesError{Limit: 1024}, 413, RequestTooLarge, "The request body exceeds the limit of 1024 bytes"},
		{"anything else", secret, 500, InternalError, detailInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := From(tt.err)
			if p.StatusCode() != tt.wantStatus || !errors.Is(p, tt.wantIs) || p.Detail != tt.wantDetail {
				t.Fatalf("From = %+v, want status %d detail %q", p, tt.wantStatus, tt.wantDetail)
			}
			if _, isProblem := asProblem(tt.err); !isProblem && !errors.Is(p, tt.err) {
				t.Fatal("the problem lost its cause")
			}
			body, err := p.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(body), "password") {
				t.Fatalf("the cause leaked into the body: %s", body)
			}
		})
	}
	if From(nil) != nil {
		t.Fatal("From(nil) != nil")
	}
	if p := From(notFound); p != notFound {
		t.Fatal("From of a *Problem must return it unchanged")
	}
}
