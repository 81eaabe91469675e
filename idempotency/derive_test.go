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
	tenant := func(*http.Request) string { return "tenant-7" }

	tests := []struct {
		name      string
		r         *http.Request
		scope     func(*http.Request) string
		key       string
		body      []byte
		wantScope string
		wantKey   string
		wantFP    string
		wantErr   error
	}{
		{"credentials", withCreds, nil, "k-1", []byte("body"),
			"cred:201f8d8f373bd996d03f30d03da9706882d815c8566cd9eb844f920df78a73c4",
			"201f8d8f373bd996d03f30d03da97068/0bd9742d081e2d844aa2268767096c477d3bb2d0b371b7fa136383e5a8ec12cf",
			"4f10166abe9f7e0e0f78f39e94359209a359cfe9ad6d5b1c2f508269a22b220c", nil},
		{"anonymous", anonymous, nil, `"quoted"`, nil,
			"", "", "", AnonymousCaller},
		{"custom scope and pattern", withPattern, tenant, "k", []byte(strings.Repeat("x", 1000)),
			"",
			"900d443ad06af4d6c9db30a638a5c7c7/c5425dec7e6c8a8d18249d9f02f5548b722155b96278f225e5bda246aa7f8143",
			"d4fc21fe87028a373e0dfb9a8f22ad989d07c8faa0d0460b6200d9ae03637094", nil},
	}
	m := &Middleware{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.scope == nil {
				if s := DefaultScope(tt.r); s != tt.wantScope {
					t.Errorf("DefaultScope = %q, want %q", s, tt.wantScope)
				}
			}
			for range 2 { // a fresh and a reused state
				st := m.getState()
				err := st.derive(tt.r, tt.scope, nil, tt.key, tt.body, true, 0)
				d := struct{ key, fingerprint, owner string }{st.key, st.fpStr, st.ownerStr}
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
				if len(d.owner) != 26 || strings.Trim(d.owner, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
					t.Errorf("owner %q is not 26 base32 characters", d.owner)
				}
			}
		})
	}
}

func TestOwnersDiffer(t *testing.T) {
	m := &Middleware{}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "Bearer tok_abc")
	seen := map[string]bool{}
	for range 1000 {
		st := m.getState()
		err := st.derive(r, nil, nil, "k", nil, true, 0)
		d := struct{ owner string }{st.ownerStr}
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

// TestDeriveReusedDigester: a state that hashed a large body (written to
// the hash directly) and then a small one (hashed from the buffer in one
// call) derives what a fresh state does, in either order.
func TestDeriveReusedDigester(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/referrals", nil)
	r.Header.Set("Authorization", "Bearer tok_abc")
	small, large := []byte("body"), []byte(strings.Repeat("x", 1000))
	derive := func(st *requestState, body []byte) [2][32]byte {
		if err := st.derive(r, nil, nil, "k", body, false, 1); err != nil {
			t.Fatal(err)
		}
		return [2][32]byte{st.id, st.fp}
	}
	fresh := func(body []byte) [2][32]byte { return derive(&requestState{digest: *newDigester()}, body) }
	for _, order := range [][2][]byte{{large, small}, {small, large}} {
		st := &requestState{digest: *newDigester()}
		for _, body := range order {
			if got, want := derive(st, body), fresh(body); got != want {
				t.Errorf("reused state, body of %d bytes: id, fingerprint %x, want %x", len(body), got, want)
			}
		}
	}
}

// BenchmarkDerive: the three digests of a keyed request with a custom
// scope and a small body, for the memory store.
func BenchmarkDerive(b *testing.B) {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/patients", nil)
	scope := func(*http.Request) string { return "partner-7" }
	body := []byte(`{"family_name":"Smith","given_name":"John","date_of_birth":"1990-01-15","sex":"M","partner_patient_id":"p1"}`)
	st := &requestState{digest: *newDigester()}
	b.ReportAllocs()
	for b.Loop() {
		if err := st.derive(r, scope, nil, "k-1", body, false, 1); err != nil {
			b.Fatal(err)
		}
	}
}
