package pagination

import (
	"testing"
	"time"
)

// FuzzPayload reads arbitrary signed content, as if a signing key had
// leaked: parsing never panics, and what parses re-encodes to the same
// bytes.
func FuzzPayload(f *testing.F) {
	for _, c := range []Cursor{
		{Values: []any{int64(1), "a"}, Pos: -1},
		{Values: []any{"x", 2.5, true, false, nil, []byte{1}, time.Unix(5, 6).UTC(), uint64(7)}, Backward: true, Pos: 9},
	} {
		b, err := appendPayload(nil, &payload{cursor: c, expires: 42})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePayload(b)
		if err != nil {
			return
		}
		again, err := appendPayload(nil, &p)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", p, err)
		}
		if _, err := parsePayload(again); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func TestParseDigits(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"007", 7, true}, {"999999999", 999999999, true},
		{"1000000000", 1e9, true}, {"123456789012345678901234567890", 1e9, true},
		{"", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1 ", 0, false}, {"1_000", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDigits(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseDigits(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestMACCheckedFirst shows that content is not read before the MAC
// matches: garbage content under a wrong MAC is "tampered", not
// "malformed", and garbage under a right MAC is "malformed".
func TestMACCheckedFirst(t *testing.T) {
	kr := testKeyring(Key{ID: "k", Secret: []byte("0123456789abcdef0123456789abcdef")})
	garbage := append([]byte{tokenVersion, 0, 1, 'k'}, 0xff, 0xff, 0xff, 0xff)
	wrong := append(append([]byte{}, garbage...), make([]byte, macLen)...)
	right := kr.active.mac(append([]byte{}, garbage...), garbage)
	tests := []struct {
		name string
		raw  []byte
		want openError
	}{
		{"garbage, wrong MAC", wrong, openTampered},
		{"garbage, right MAC", right, openMalformed},
		{"unknown key", append([]byte{tokenVersion, 0, 1, 'x'}, make([]byte, macLen)...), openRetired},
		{"bad version", append([]byte{9, 0, 1, 'k'}, make([]byte, macLen)...), openMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := kr.open(b64.EncodeToString(tt.raw), defaultMaxCursor); got != tt.want {
				t.Fatalf("open = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestRetiredVersion shows that a cursor of the previous layout, whose
// binding digests no request can match any more, is reported as expired.
func TestRetiredVersion(t *testing.T) {
	kr := testKeyring(Key{ID: "k", Secret: []byte("0123456789abcdef0123456789abcdef")})
	tests := []struct {
		name string
		raw  []byte
		want openError
	}{
		{"previous version", append([]byte{retiredVersion, 0, 1, 'k'}, make([]byte, macLen+20)...), openRetired},
		{"previous version, short", []byte{retiredVersion}, openRetired},
		{"no such version", append([]byte{tokenVersion + 1, 0, 1, 'k'}, make([]byte, macLen+20)...), openMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := kr.open(b64.EncodeToString(tt.raw), defaultMaxCursor); got != tt.want {
				t.Fatalf("open = %d, want %d", got, tt.want)
			}
		})
	}
}

// testKeyring is NewKeyring for tests: it panics on an error.
func testKeyring(active Key, verifyOnly ...Key) *Keyring {
	kr, err := NewKeyring(active, verifyOnly...)
	if err != nil {
		panic(err)
	}
	return kr
}

// testPager is New for tests: it panics on an error.
func testPager(keys *Keyring, opts ...Option) *Paginator {
	p, err := New(keys, opts...)
	if err != nil {
		panic(err)
	}
	return p
}
