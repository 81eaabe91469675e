package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkHandler serves the end-to-end scenarios of bench/e2e_test.go
// in process (no network), for CPU profiles of the demo's own work:
//
//	go test ./examples/partnerapi -run '^$' -bench Handler -cpuprofile cpu.out
func BenchmarkHandler(b *testing.B) {
	s, err := newServer(context.Background(), config{
		Rate: "1000000000/1s", SigningSecret: DemoSigningSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const body = `{"family_name":"Smith","given_name":"John","date_of_birth":"1990-01-15","sex":"M","partner_patient_id":"%s"}`
	reqAs := func(partner, method, path, key, data string) *http.Request {
		r := httptest.NewRequest(method, path, strings.NewReader(data))
		r.Header.Set("Authorization", "Bearer "+partner)
		if data != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		return r
	}
	req := func(method, path, key, data string) *http.Request {
		return reqAs("bench", method, path, key, data)
	}
	serve := func(b *testing.B, r *http.Request, want int) {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != want {
			b.Fatalf("%s %s: status %d, want %d: %s", r.Method, r.URL, w.Code, want, w.Body)
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req("POST", "/api/v1/patients", "k-first", fmt.Sprintf(body, "first")))
	if w.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := w.Header().Get("Location")
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(b, req("GET", id, "", ""), http.StatusOK)
		}
	})
	b.Run("replay", func(b *testing.B) {
		b.ReportAllocs()
		data := fmt.Sprintf(body, "first")
		for b.Loop() {
			serve(b, req("POST", "/api/v1/patients", "k-first", data), http.StatusCreated)
		}
	})
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			n := strconv.Itoa(i)
			// A new partner every 5,000 patients, as bench/e2e_test.go does.
			partner := "bench-" + strconv.Itoa(i/5000)
			serve(b, reqAs(partner, "POST", "/api/v1/patients", "k-"+n, fmt.Sprintf(body, "p"+n)), http.StatusCreated)
		}
	})
}
