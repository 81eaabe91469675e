package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/apikit-go/apikit/problem"
)

type partnerKey struct{}

// partnerOf returns the partner that authenticated the request.
func partnerOf(ctx context.Context) string {
	p, _ := ctx.Value(partnerKey{}).(string)
	return p
}

// authenticate requires "Authorization: Bearer <token>", where the token
// (1–128 of [A-Za-z0-9._-]) names the partner. A real service would verify
// a JWT or look an API key up here; the rest of the demo only needs the
// partner's name in the context.
func authenticate(ew problem.ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header["Authorization"] // Values without canonicalising the canonical name
		if len(h) == 0 || h[0] == "" {
			ew.WriteError(w, r, problem.AuthenticationRequired.New("Valid authentication token is required"))
			return
		}
		scheme, token, ok := strings.Cut(h[0], " ")
		if len(h) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || !validToken(token) {
			ew.WriteError(w, r, problem.InvalidToken.New("The authentication token is malformed"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), partnerKey{}, token)))
	})
}

func validToken(t string) bool {
	if len(t) == 0 || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
