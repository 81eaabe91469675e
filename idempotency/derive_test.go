package idempotency

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDeriveIsStable pins the store key and fingerprint derivations: they
// are what a shared store holds, so a change would make retries sent across
// a deployment run again. A request without credentials has no default
// scope: it gets the AnonymousCaller problem.
func TestDeriveIsStable(t *testing.T) {
	withCreds := httptest.NewRequest(http.MethodPost, "/referrals?x=1&y=%20", strings.NewReader("body"))
	withCreds.Header.Set("Authorization", "Bearer tok_abc")
	withCreds.Header.Add("Cookie", "a=1")
	withCreds.Header.Add("Cookie", "b=2")
	anonymous := httptest.NewRequest(http.MethodPatch, "/a%2Fb/c", nil)
	anonymous.RemoteAddr = "[2001:db8::1]:443"
	withPattern := httptest.NewRequest(http.MethodPatch, "/a%2Fb/c", nil)
	withPattern.Pattern = "PATCH /a/{id}/c"
	tenant := func(*http.Request) (string, error) { return "tenant-7", nil }

	tests := []struct {
		name      string
		r         *http.Request
		scope     func(*http.Request) (string, error)
		key       string
		body      []byte
		wantScope string
		wantKey   string
		wantFP    string
		wantErr   error
	}{
		{"credentials", withCreds, nil, "k-1", []byte("body"),
			"cred:201f8d8f373bd996d03f30d03da9706882d815c8566cd9eb844f920df78a73c4",
			"4aca115bb694c35042970260da02b6d6006c7c72db017acf7c4cf378bf7cb26b",
			"4f10166abe9f7e0e0f78f39e94359209a359cfe9ad6d5b1c2f508269a22b220c", nil},
		{"anonymous", anonymous, nil, `"quoted"`, nil,
			"", "", "", AnonymousCaller},
		{"custom scope and pattern", withPattern, tenant, "k", []byte(strings.Repeat("x", 1000)),
			"",
			"6520f7cd0503bfa44dc31c77f18f24c07cdc90d55dffd28700c4891b0c6c2c1c",
			"d4fc21fe87028a373e0dfb9a8f22ad989d07c8faa0d0460b6200d9ae03637094", nil},
	}
	m := &middleware{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.scope == nil {
				s, err := DefaultScope(tt.r)
				if s != tt.wantScope || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Errorf("DefaultScope = %q, %v; want %q, %v", s, err, tt.wantScope, tt.wantErr)
				}
			}
			for range 2 { // a fresh and a reused state
				st := m.getState()
				d, err := st.derive(tt.r, tt.scope, nil, tt.key, tt.body)
				m.putState(st)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("derive error = %v, want %v", err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.key != tt.wantKey || d.fingerprint != tt.wantFP {
					t.Errorf("derive = key %s, fingerprint %s; want %s, %s", d.key, d.fingerprint, tt.wantKey, tt.wantFP)
				}
				if len(d.owner) != ownerLen || strings.Trim(d.owner, base32Alphabet) != "" {
					t.Errorf("owner %q is not %d base32 characters", d.owner, ownerLen)
				}
			}
		})
	}
}

func TestOwnersDiffer(t *testing.T) {
	m := &middleware{}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "Bearer tok_abc")
	seen := map[string]bool{}
	for range 1000 {
		st := m.getState()
		d, err := st.derive(r, nil, nil, "k", nil)
		m.putState(st)
		if err != nil {
			t.Fatal(err)
		}
		if seen[d.owner] {
			t.Fatalf("owner %q generated twice", d.owner)
		}
		seen[d.owner] = true
	}
}
