package signature_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// checkFuzzResult fails unless err is nil or a 401 problem of this package.
func checkFuzzResult(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status != 401 {
		t.Fatalf("err = %v, want a 401 problem", err)
	}
	for _, d := range signature.Definitions() {
		if errors.Is(err, d) {
			return
		}
	}
	t.Fatalf("err = %v is none of the package's problems", err)
}

func FuzzStandardWebhooksHeaders(f *testing.F) {
	f.Add(vecMsgID, "1614265330", vecSignature, []byte(vecPayload))
	f.Add(vecMsgID, "1614265330", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc "+vecSignature, []byte(vecPayload))
	f.Add("", "", "", []byte(nil))
	f.Add("msg_1", "99999999999999999999", "v1,", []byte("{}"))
	f.Add("m", "0", "v1a,xx v1,!!!! ,,, v1", []byte("x"))
	f.Add(vecMsgID, "1614265330", v1aVecSig, []byte(vecPayload))
	v := mustVerifier(f, signature.StandardWebhooks(), []string{vecSecret, secretB, v1aPublicKey},
		signature.WithClock(fixedClock(vecTime)), signature.WithTolerance(30*24*time.Hour))
	s := mustSigner(f, signature.StandardWebhooks(), []string{vecSecret, v1aSecretKey})
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h["Webhook-Id"] = []string{id}
		h["Webhook-Timestamp"] = []string{ts}
		h["Webhook-Signature"] = []string{sig}
		_, err := v.Verify(context.Background(), h, body)
		checkFuzzResult(t, err)

		// Whatever the id and body, a message the signer accepts verifies.
		signed := http.Header{}
		if s.Sign(signed, id, vecTime, body) == nil {
			m, err := v.Verify(context.Background(), signed, body)
			if err != nil || m.ID != id {
				t.Fatalf("signed message (id %q) did not verify: %+v, %v", id, m, err)
			}
		}
	})
}

func FuzzStripeHeader(f *testing.F) {
	f.Add("t=1614265330,v1="+vecStripeHex, []byte(vecPayload))
	f.Add("t=1614265330,v1=ab,v0="+vecStripeHex+",v1="+vecStripeHex, []byte(vecPayload))
	f.Add("t=,t=1,v1=", []byte(nil))
	f.Add(",,,=,==,t==1", []byte("x"))
	v := mustVerifier(f, signature.Stripe("X-ICP-Signature"), []string{vecSecret},
		signature.WithClock(fixedClock(vecTime)), signature.WithTolerance(30*24*time.Hour))
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		h := http.Header{"X-Icp-Signature": {value}}
		_, err := v.Verify(context.Background(), h, body)
		checkFuzzResult(t, err)
	})
}

func FuzzSecret(f *testing.F) {
	f.Add(vecSecret)
	f.Add("whsec_")
	f.Add("whsec_====")
	f.Add("not base64!")
	f.Add(v1aSecretKey)
	f.Add(v1aSeedKey)
	f.Add(v1aPublicKey)
	f.Add("whsk_AAAA")
	f.Fuzz(func(t *testing.T, secret string) {
		for _, sc := range []signature.Scheme{signature.StandardWebhooks(), signature.Stripe("")} {
			v, err := signature.NewVerifier(sc, []string{secret})
			if err != nil {
				continue
			}
			s, err := signature.NewSigner(sc, []string{secret})
			if sc.String() == "standard-webhooks" && strings.HasPrefix(secret, "whpk_") {
				if err == nil {
					t.Fatal("NewSigner accepted a public key")
				}
				continue
			}
			if err != nil {
				t.Fatalf("NewSigner rejects what NewVerifier accepts: %v", err)
			}
			h := http.Header{}
			if err := s.Sign(h, "msg_f", time.Now(), []byte("body")); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), h, []byte("body")); err != nil {
				t.Fatalf("%s: own signature rejected: %v", sc, err)
			}
		}
	})
}

// FuzzTimestamp signs messages at any timestamp the header can hold and
// checks that exactly those within the tolerance are accepted (issue: a
// timestamp ~292 years or more ahead overflowed the age and passed).
func FuzzTimestamp(f *testing.F) {
	for _, ts := range []string{"1614265330", "0", "1", "100000000000", "999999999999999999", "-1", "-1614265330",
		"9223372036", "9223372037", "1614265030", "1614265630", "1614265029", "1614265631", "+1614265330", " 1614265330", "01614265330"} {
		f.Add(ts)
	}
	const tol = 5 * time.Minute
	v := mustVerifier(f, signature.StandardWebhooks(), []string{vecSecret}, signature.WithClock(fixedClock(vecTime)))
	sv := mustVerifier(f, signature.Stripe(""), []string{vecSecret}, signature.WithClock(fixedClock(vecTime)))
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(vecSecret, "whsec_"))
	f.Fuzz(func(t *testing.T, ts string) {
		body := []byte(vecPayload)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(vecMsgID + "." + ts + "." + vecPayload))
		h := http.Header{}
		h.Set("webhook-id", vecMsgID)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		_, err := v.Verify(context.Background(), h, body)

		smac := hmac.New(sha256.New, []byte(vecSecret))
		smac.Write([]byte(ts + "." + vecPayload))
		sh := http.Header{}
		sh.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(smac.Sum(nil)))
		_, serr := sv.Verify(context.Background(), sh, body)

		n, perr := strconv.ParseInt(ts, 10, 64)
		within := perr == nil && ts == strconv.FormatInt(n, 10) && n >= 0 &&
			n >= vecTimestamp-int64(tol/time.Second) && n <= vecTimestamp+int64(tol/time.Second)
		for _, e := range []error{err, serr} {
			if within && e != nil {
				t.Fatalf("timestamp %q within the tolerance rejected: %v", ts, e)
			}
			if !within && e == nil {
				t.Fatalf("timestamp %q accepted", ts)
			}
			checkFuzzResult(t, e)
		}
	})
}
