package problem

import (
	"context"

	"net/http"
	"net/http/httptest"
	"testing"
)

type recordingWriter struct{ name string }

func (rw recordingWriter) WriteError(w http.ResponseWriter, _ *http.Request, _ error) {
	w.Header().Set("X-Writer", rw.name)
	w.WriteHeader(http.StatusTeapot)
}

func TestWriteTo(t *testing.T) {
	ctxWriter := recordingWriter{"context"}
	tests := []struct {
		name     string
		explicit ErrorWriter
		inCtx    ErrorWriter
		want     string
	}{
		{"explicit wins", recordingWriter{"explicit"}, ctxWriter, "explicit"},
		{"context next", nil, ctxWriter, "context"},
		{"plain fallback", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r = r.WithContext(ContextWithWriter(r.Context(), tt.inCtx))
			w := httptest.NewRecorder()
			WriteTo(tt.explicit, w, r, ResourceNotFound.New("gone"))
			if got := w.Header().Get("X-Writer"); got != tt.want {
				t.Fatalf("writer = %q, want %q", got, tt.want)
			}
			if tt.want == "" {
				if ct := w.Header().Get("Content-Type"); ct != ContentType || w.Code != http.StatusNotFound {
					t.Fatalf("fallback wrote %d %q, want 404 %q", w.Code, ct, ContentType)
				}
			}
		})
	}
	if _, ok := writerFromContext(context.Background()).(Writer); !ok {
		t.Fatal("writerFromContext without a writer is not the plain Writer")
	}
}
