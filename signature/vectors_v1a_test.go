package signature_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

// Standard Webhooks v1a (Ed25519) test vectors. The specification
// (standard-webhooks/standard-webhooks, spec/standard-webhooks.md) defines
// v1a — Ed25519 over "id.timestamp.body", keys written whsk_/whpk_ in
// standard base64 — but publishes no v1a vector with its key, and its
// reference libraries do not implement v1a yet. These vectors are derived
// from the specification: the key pair is RFC 8032's test 1 key, the
// messages are the specification's v1 vector and its example webhook, and
// the signatures were computed independently of this package with OpenSSL
// 3.0 (Ed25519 is deterministic):
//
//	openssl pkeyutl -sign -inkey rfc8032-test1.pem -rawin -in content | base64 -w0
const (
	// RFC 8032 §7.1 test 1: seed 9d61b19d…7f60, public key d75a9801…511a.
	v1aSecretKey  = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg=="
	v1aSeedKey    = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
	v1aPublicKey  = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	v1aVecSig     = "v1a,fldxM4gAKugP6nnt1hdz3sgGfZ6d99nzrMFnZOELIxbzEHoVmAb2ADpkJK7zgPePmPsle0zV9jSeGlHFG2NVAw=="
	v1aSpecID     = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	v1aSpecTS     = 1674087231
	v1aSpecBody   = `{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}`
	v1aSpecSig    = "v1a,pbpYBMlty2hExn4zt0UTGb6BaP2Vq5AfyzjB9GGV3x/wCJKd8UjOCf8Qhaji6TKY9C5eNMnlF0GG4udaO6B7Ag=="
	v1aOtherPubKy = "whpk_PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=" // RFC 8032 test 2's public key
)

var v1aVectors = []struct {
	name string
	id   string
	ts   int64
	body string
	sig  string
}{
	{"the v1 vector's message", vecMsgID, vecTimestamp, vecPayload, v1aVecSig},
	{"the specification's example webhook", v1aSpecID, v1aSpecTS, v1aSpecBody, v1aSpecSig},
}

func TestV1aVectorsSign(t *testing.T) {
	for _, key := range []string{v1aSecretKey, v1aSeedKey} {
		s := mustSigner(t, signature.StandardWebhooks(), []string{key})
		for _, vec := range v1aVectors {
			h := http.Header{}
			if err := s.Sign(h, vec.id, time.Unix(vec.ts, 0), []byte(vec.body)); err != nil {
				t.Fatal(err)
			}
			if got := h.Get("webhook-signature"); got != vec.sig {
				t.Fatalf("%s (key %.10s…): signature %q, want %q", vec.name, key, got, vec.sig)
			}
		}
	}
}

func TestV1aVectorsVerify(t *testing.T) {
	for _, keys := range [][]string{{v1aPublicKey}, {v1aSecretKey}, {v1aOtherPubKy, v1aPublicKey}, {vecSecret, v1aPublicKey}} {
		for _, vec := range v1aVectors {
			v := mustVerifier(t, signature.StandardWebhooks(), keys, signature.WithClock(fixedClock(time.Unix(vec.ts, 0))))
			h := http.Header{}
			h.Set("webhook-id", vec.id)
			h.Set("webhook-timestamp", strconv.FormatInt(vec.ts, 10))
			h.Set("webhook-signature", vec.sig)
			m, err := v.Verify(context.Background(), h, []byte(vec.body))
			if err != nil || m.ID != vec.id {
				t.Fatalf("%s with keys %.12q: %+v, %v", vec.name, keys, m, err)
			}
			// A tampered body does not verify.
			_, err = v.Verify(context.Background(), h, []byte(vec.body+" "))
			wantProblem(t, err, signature.InvalidSignature)
		}
	}
	// A key that did not sign: no match.
	v := mustVerifier(t, signature.StandardWebhooks(), []string{v1aOtherPubKy}, signature.WithClock(fixedClock(vecTime)))
	h := vectorHeader(v1aVecSig)
	_, err := v.Verify(context.Background(), h, []byte(vecPayload))
	wantProblem(t, err, signature.InvalidSignature)
}

func TestV1aMixedHeader(t *testing.T) {
	// The specification's example header carries v1 and v1a together;
	// signed with a secret and a key pair, each kind of receiver verifies.
	s := mustSigner(t, signature.StandardWebhooks(), []string{vecSecret, v1aSecretKey})
	h := http.Header{}
	if err := s.Sign(h, vecMsgID, vecTime, []byte(vecPayload)); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("webhook-signature"), vecSignature+" "+v1aVecSig; got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
	for _, keys := range [][]string{{vecSecret}, {v1aPublicKey}} {
		v := mustVerifier(t, signature.StandardWebhooks(), keys, signature.WithClock(fixedClock(vecTime)))
		if _, err := v.Verify(context.Background(), h, []byte(vecPayload)); err != nil {
			t.Fatalf("keys %.12q: %v", keys, err)
		}
	}
	// A public-key verifier given only a v1 signature finds nothing it can check.
	v := mustVerifier(t, signature.StandardWebhooks(), []string{v1aPublicKey}, signature.WithClock(fixedClock(vecTime)))
	_, err := v.Verify(context.Background(), vectorHeader(vecSignature), []byte(vecPayload))
	wantProblem(t, err, signature.InvalidSignature)
}

func TestV1aKeys(t *testing.T) {
	sk, pk := signature.NewKeyPair()
	if !strings.HasPrefix(sk, "whsk_") || len(sk) != 5+88 || !strings.HasPrefix(pk, "whpk_") || len(pk) != 5+44 {
		t.Fatalf("NewKeyPair = %q, %q", sk, pk)
	}
	s := mustSigner(t, signature.StandardWebhooks(), []string{sk})
	v := mustVerifier(t, signature.StandardWebhooks(), []string{pk})
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	if err := s.SignRequest(r); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyRequest(r); err != nil {
		t.Fatalf("own key pair: %v", err)
	}
	if _, err := signature.NewSigner(signature.StandardWebhooks(), []string{pk}); err == nil ||
		!strings.Contains(err.Error(), "public key cannot sign") {
		t.Fatalf("NewSigner(whpk_) err = %v", err)
	}
	bad := []string{
		"whsk_", "whsk_AAAA", "whpk_AAAA", "whpk_!!!", "whsk_" + strings.Repeat("A", 88), // mismatched public half
	}
	for _, k := range bad {
		if _, err := signature.NewVerifier(signature.StandardWebhooks(), []string{k}); err == nil {
			t.Fatalf("key %q accepted", k)
		}
	}
}

func TestV1aMalformedAndBounded(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{v1aPublicKey}, signature.WithClock(fixedClock(vecTime)))
	for _, sig := range []string{"v1a,abc", "v1a," + strings.Repeat("A", 87) + "!", "v1a," + strings.Repeat("A", 86) + "=="} {
		_, err := v.Verify(context.Background(), vectorHeader(sig), []byte(vecPayload))
		wantProblem(t, err, signature.InvalidSignature)
	}
	// Many wrong v1a signatures before the right one: only the first
	// eight are checked, so the header cannot cost more than eight
	// Ed25519 verifications.
	wrong := "v1a," + strings.Repeat("A", 86) + "=="
	_, err := v.Verify(context.Background(), vectorHeader(strings.Repeat(wrong+" ", 8)+v1aVecSig), []byte(vecPayload))
	wantProblem(t, err, signature.InvalidSignature)
	if _, err := v.Verify(context.Background(), vectorHeader(strings.Repeat(wrong+" ", 7)+v1aVecSig), []byte(vecPayload)); err != nil {
		t.Fatalf("the eighth candidate: %v", err)
	}
}
