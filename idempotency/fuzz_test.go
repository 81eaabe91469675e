package idempotency

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"abc", `"abc"`, `"a\"b"`, `"a", "b"`, "a,b", `"a";p=1`, "", `""`, `"\`, "\x00", "clé", strings.Repeat("k", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		key, p := parseKey("Idempotency-Key", []string{v})
		if p != nil {
			if p.Status != 400 || p.Code != "idempotency/invalid-key" {
				t.Fatalf("%q: problem %v", v, p)
			}
			return
		}
		if key == "" || len(key) > maxKeyLength {
			t.Fatalf("%q: accepted key of length %d", v, len(key))
		}
		for i := 0; i < len(key); i++ {
			if key[i] < 0x20 || key[i] > 0x7e {
				t.Fatalf("%q: accepted non-printable key %q", v, key)
			}
		}
		// The quoted form of an accepted key parses to the same key.
		q := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(key) + `"`
		if k2, p2 := parseKey("Idempotency-Key", []string{q}); p2 != nil || k2 != key {
			t.Fatalf("%q: quoted form %q parsed to %q, %v", key, q, k2, p2)
		}
	})
}

func FuzzRecord(f *testing.F) {
	names := defaultConfig().replayHeaders
	f.Add([]byte{1, 0, 201, 1, 0}, 201, "application/json", "body", false)
	f.Add([]byte{}, 500, "", "", true)
	f.Fuzz(func(t *testing.T, raw []byte, status int, ctype, body string, notStored bool) {
		// Any bytes: decoding never panics, and what decodes re-encodes to
		// a record that decodes the same.
		if r, err := decodeRecord(raw); err == nil {
			var ns []string
			for name := range r.header {
				ns = append(ns, name)
			}
			again, err := decodeRecord(appendRecord(nil, r, ns))
			if err != nil || again.status != r.status || again.notStored != r.notStored ||
				!bytes.Equal(again.body, r.body) || len(again.header) != len(r.header) {
				t.Fatalf("re-encoding %x changed it: %+v, %v", raw, again, err)
			}
		}
		// Any response: encoding then decoding gives it back.
		if status < 100 || status > 999 {
			status = 200
		}
		in := &storedResponse{status: status, header: http.Header{}, body: []byte(body), notStored: notStored}
		if ctype != "" {
			in.header.Set("Content-Type", ctype)
		}
		out, err := decodeRecord(appendRecord(nil, in, names))
		if err != nil {
			t.Fatalf("decoding an encoded response: %v", err)
		}
		if out.status != in.status || out.notStored != in.notStored || !bytes.Equal(out.body, in.body) ||
			out.header.Get("Content-Type") != ctype || len(out.header) != len(in.header) {
			t.Fatalf("round trip of status %s: got %+v, want %+v", strconv.Itoa(status), out, in)
		}
	})
}
