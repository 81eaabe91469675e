package signature_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHMtMTIzNDU2" // "second-secret-for-tests-123456"
	stripeA = "sk_test_first_secret"
	stripeB = "sk_test_second_secret"
)

// expectedMACs returns the encodings of the valid MAC of a message, which
// no problem may ever reveal.
func expectedMACs(key []byte, content string) []string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(content))
	sum := m.Sum(nil)
	return []string{base64.StdEncoding.EncodeToString(sum), hex.EncodeToString(sum)}
}

type verifyCase struct {
	name    string
	secrets []string // verifier's secrets; nil means the scheme's first
	signers []string // signer's secrets; nil means the scheme's first
	mutate  func(h http.Header, body *[]byte)
	skew    time.Duration // verifier clock minus signing time
	want    problem.Definition
}

func runVerifyCases(t *testing.T, scheme signature.Scheme, first string, leak []string, cases []verifyCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			signers := tt.signers
			if signers == nil {
				signers = []string{first}
			}
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{first}
			}
			body := []byte(`{"event":"referral.updated","data":{"id":"ref_1"}}`)
			h := http.Header{}
			s := mustSigner(t, scheme, signers)
			if err := s.Sign(h, "msg_test_1", vecTime, body); err != nil {
				t.Fatal(err)
			}
			if tt.mutate != nil {
				tt.mutate(h, &body)
			}
			v := mustVerifier(t, scheme, secrets, signature.WithClock(fixedClock(vecTime.Add(tt.skew))))
			m, err := v.Verify(context.Background(), h, body)
			if tt.want.IsZero() {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if m.ID == "" || !m.Timestamp.Equal(vecTime) {
					t.Fatalf("message = %+v", m)
				}
				return
			}
			wantProblem(t, err, tt.want, leak...)
		})
	}
}

func TestVerifyStandardWebhooks(t *testing.T) {
	keyA, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secretA, "whsec_"))
	body := `{"event":"referral.updated","data":{"id":"ref_1"}}`
	leak := expectedMACs(keyA, "msg_test_1.1614265330."+body)
	set := func(name, value string) func(http.Header, *[]byte) {
		return func(h http.Header, _ *[]byte) { h.Set(name, value) }
	}
	del := func(name string) func(http.Header, *[]byte) {
		return func(h http.Header, _ *[]byte) { h.Del(name) }
	}
	runVerifyCases(t, signature.StandardWebhooks(), secretA, leak, []verifyCase{
		{name: "valid"},
		{name: "missing id", mutate: del("webhook-id"), want: signature.MissingSignature},
		{name: "missing timestamp", mutate: del("webhook-timestamp"), want: signature.MissingSignature},
		{name: "missing signature", mutate: del("webhook-signature"), want: signature.MissingSignature},
		{name: "blank signature", mutate: set("webhook-signature", "  "), want: signature.MissingSignature},
		{name: "bad base64", mutate: set("webhook-signature", "v1,!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!="), want: signature.InvalidSignature},
		{name: "no comma", mutate: set("webhook-signature", "v1"), want: signature.InvalidSignature},
		{name: "only other versions", mutate: func(h http.Header, _ *[]byte) {
			h.Set("webhook-signature", strings.Replace(h.Get("webhook-signature"), "v1,", "v2,", 1))
		}, want: signature.InvalidSignature},
		{name: "timestamp not a number", mutate: set("webhook-timestamp", "1614265330.5"), want: signature.InvalidSignature},
		{name: "negative timestamp", mutate: set("webhook-timestamp", "-1614265330"), want: signature.InvalidSignature},
		{name: "wrong secret", secrets: []string{secretB}, want: signature.InvalidSignature},
		{name: "rotated secret accepted", secrets: []string{secretB, secretA}},
		{name: "signed with new and old secret", signers: []string{secretB, secretA}, secrets: []string{secretA}},
		{name: "tampered body", mutate: func(_ http.Header, b *[]byte) { *b = append(*b, ' ') }, want: signature.InvalidSignature},
		{name: "tampered id", mutate: set("webhook-id", "msg_test_2"), want: signature.InvalidSignature},
		{name: "tampered timestamp", mutate: set("webhook-timestamp", "1614265331"), want: signature.InvalidSignature},
		{name: "several signatures one valid", mutate: func(h http.Header, _ *[]byte) {
			h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,bm9wZQ== "+h.Get("webhook-signature")+" v1a,abc")
		}},
		{name: "signatures in two header lines", mutate: func(h http.Header, _ *[]byte) {
			h["Webhook-Signature"] = []string{"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", h.Get("webhook-signature")}
		}},
		{name: "several signatures none valid", mutate: set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), want: signature.InvalidSignature},
		{name: "old timestamp", skew: (5 * time.Minute) + time.Second, want: signature.TimestampOutOfTolerance},
		{name: "future timestamp", skew: -(5 * time.Minute) - time.Second, want: signature.TimestampOutOfTolerance},
		{name: "old edge of tolerance", skew: (5 * time.Minute)},
		{name: "future edge of tolerance", skew: -(5 * time.Minute)},
		{name: "old timestamp with bad signature", skew: time.Hour, secrets: []string{secretB}, want: signature.InvalidSignature},
	})
}

func TestVerifyStripe(t *testing.T) {
	body := `{"event":"referral.updated","data":{"id":"ref_1"}}`
	leak := expectedMACs([]byte(stripeA), "1614265330."+body)
	const name = "X-ICP-Signature"
	set := func(value string) func(http.Header, *[]byte) {
		return func(h http.Header, _ *[]byte) { h.Set(name, value) }
	}
	other := strings.Repeat("ab", 32)
	runVerifyCases(t, signature.Stripe(name), stripeA, leak, []verifyCase{
		{name: "valid"},
		{name: "missing header", mutate: func(h http.Header, _ *[]byte) { h.Del(name) }, want: signature.MissingSignature},
		{name: "blank header", mutate: set(" "), want: signature.MissingSignature},
		{name: "no timestamp", mutate: set("v1=" + other), want: signature.InvalidSignature},
		{name: "repeated timestamp", mutate: func(h http.Header, _ *[]byte) { h.Set(name, h.Get(name)+",t=1614265330") }, want: signature.InvalidSignature},
		{name: "timestamp not a number", mutate: set("t=soon,v1=" + other), want: signature.InvalidSignature},
		{name: "no v1", mutate: set("t=1614265330,v0=" + other), want: signature.InvalidSignature},
		{name: "bad hex", mutate: set("t=1614265330,v1=" + strings.Repeat("zz", 32)), want: signature.InvalidSignature},
		{name: "short hex", mutate: set("t=1614265330,v1=abcd"), want: signature.InvalidSignature},
		{name: "garbage", mutate: set("hello world"), want: signature.InvalidSignature},
		{name: "wrong secret", secrets: []string{stripeB}, want: signature.InvalidSignature},
		{name: "rotated secret accepted", secrets: []string{stripeB, stripeA}},
		{name: "signed with new and old secret", signers: []string{stripeB, stripeA}, secrets: []string{stripeA}},
		{name: "tampered body", mutate: func(_ http.Header, b *[]byte) { (*b)[2] = 'E' }, want: signature.InvalidSignature},
		{name: "tampered timestamp", mutate: func(h http.Header, _ *[]byte) {
			h.Set(name, strings.Replace(h.Get(name), "t=1614265330", "t=1614265331", 1))
		}, want: signature.InvalidSignature},
		{name: "several signatures one valid", mutate: func(h http.Header, _ *[]byte) {
			h.Set(name, strings.Replace(h.Get(name), ",v1=", ",v1="+other+", v0=abc ,v1=", 1))
		}},
		{name: "upper-case hex", mutate: func(h http.Header, _ *[]byte) {
			h.Set(name, strings.Replace(strings.ToUpper(h.Get(name)), "T=", "t=", 1))
			h.Set(name, strings.Replace(h.Get(name), "V1=", "v1=", 1))
		}},
		{name: "upper-case keys", mutate: func(h http.Header, _ *[]byte) { h.Set(name, strings.ToUpper(h.Get(name))) }, want: signature.InvalidSignature},
		{name: "old timestamp", skew: (5 * time.Minute) + time.Second, want: signature.TimestampOutOfTolerance},
		{name: "future timestamp", skew: -(5 * time.Minute) - time.Second, want: signature.TimestampOutOfTolerance},
	})
}

func TestVerifyStripeVector(t *testing.T) {
	v := mustVerifier(t, signature.Stripe("X-ICP-Signature"), []string{vecSecret}, signature.WithClock(fixedClock(vecTime)))
	h := http.Header{"X-Icp-Signature": {"t=1614265330,v1=" + vecStripeHex}}
	m, err := v.Verify(context.Background(), h, []byte(vecPayload))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID, "sig_") || len(m.ID) != 36 || strings.Contains(vecStripeHex, m.ID[4:]) {
		t.Fatalf("ID = %q, want sig_ and 32 hex digits not taken from the signature", m.ID)
	}
}

func TestToleranceOption(t *testing.T) {
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA})
	h := http.Header{}
	if err := s.Sign(h, "msg_1", vecTime, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		tolerance time.Duration
		skew      time.Duration
		wantErr   bool
	}{
		{"within a short tolerance", 10 * time.Second, 10 * time.Second, false},
		{"beyond a short tolerance", 10 * time.Second, 11 * time.Second, true},
		{"within a long tolerance", time.Hour, 59 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
				signature.WithTolerance(tt.tolerance), signature.WithClock(fixedClock(vecTime.Add(tt.skew))))
			_, err := v.Verify(context.Background(), h, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				wantProblem(t, err, signature.TimestampOutOfTolerance)
			}
		})
	}
}

func TestNewVerifierErrors(t *testing.T) {
	tests := []struct {
		name    string
		scheme  signature.Scheme
		secrets []string
		opts    []signature.Option
		want    string
	}{
		{"nil scheme", nil, []string{secretA}, nil, "nil scheme"},
		{"no secret", signature.StandardWebhooks(), nil, nil, "no secret"},
		{"secret not base64", signature.StandardWebhooks(), []string{"whsec_not*base64"}, nil, "standard base64"},
		{"empty standard secret", signature.StandardWebhooks(), []string{"whsec_"}, nil, "empty secret"},
		{"second secret bad", signature.StandardWebhooks(), []string{secretA, "%%%"}, nil, "secret 2 of 2"},
		{"empty stripe secret", signature.Stripe(""), []string{""}, nil, "empty secret"},
		{"bad header name", signature.Stripe("X Sig"), []string{stripeA}, nil, "invalid header name"},
		{"zero tolerance", signature.StandardWebhooks(), []string{secretA}, []signature.Option{signature.WithTolerance(0)}, "tolerance"},
		{"negative max body", signature.StandardWebhooks(), []string{secretA}, []signature.Option{signature.WithMaxBodyBytes(-1)}, "max body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signature.NewVerifier(tt.scheme, tt.secrets, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "signature: ") {
				t.Fatalf("err = %v, want signature: ...%s...", err, tt.want)
			}
			if tt.opts == nil {
				if _, err := signature.NewSigner(tt.scheme, tt.secrets); err == nil {
					t.Fatalf("NewSigner accepted what NewVerifier rejects")
				}
			}
		})
	}
}

func TestSchemeString(t *testing.T) {
	tests := []struct {
		scheme signature.Scheme
		want   string
	}{
		{signature.StandardWebhooks(), "standard-webhooks"},
		{signature.Stripe(""), "stripe(Stripe-Signature)"},
		{signature.Stripe("x-icp-signature"), "stripe(X-Icp-Signature)"},
	}
	for _, tt := range tests {
		if got := tt.scheme.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

type failingStore struct{}

func (failingStore) Reserve(context.Context, string, string, time.Time) (bool, error) {
	return false, errors.New("store down")
}

func (failingStore) Release(context.Context, string, string) error { return errors.New("store down") }

func TestReplay(t *testing.T) {
	schemes := []struct {
		name   string
		scheme signature.Scheme
		secret []string
	}{
		{"standard", signature.StandardWebhooks(), []string{secretA, secretB}},
		{"stripe", signature.Stripe("X-ICP-Signature"), []string{stripeA, stripeB}},
	}
	for _, sc := range schemes {
		t.Run(sc.name, func(t *testing.T) {
			clk := &clock{t: vecTime}
			v := mustVerifier(t, sc.scheme, sc.secret, signature.WithClock(clk.Now), signature.WithReplayProtection())
			s := mustSigner(t, sc.scheme, sc.secret, signature.WithClock(clk.Now))
			body := []byte(`{"n":1}`)
			h := http.Header{}
			if err := s.Sign(h, "msg_replay", clk.Now(), body); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), h, body); err != nil {
				t.Fatalf("first delivery: %v", err)
			}
			clk.Advance(time.Minute)
			_, err := v.Verify(context.Background(), h, body)
			wantProblem(t, err, signature.ReplayedRequest)

			// Dropping one of the signatures of a message signed with
			// two secrets must not make it a new message.
			h2 := h.Clone()
			for k, vals := range h2 {
				if strings.HasSuffix(k, "Signature") {
					if sc.name == "standard" {
						h2[k] = []string{strings.Fields(vals[0])[1]}
					} else {
						parts := strings.Split(vals[0], ",")
						h2[k] = []string{parts[0] + "," + parts[2]}
					}
				}
			}
			_, err = v.Verify(context.Background(), h2, body)
			wantProblem(t, err, signature.ReplayedRequest)

			// A different message is accepted.
			h3 := http.Header{}
			if err := s.Sign(h3, "msg_other", clk.Now(), []byte(`{"n":2}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), h3, []byte(`{"n":2}`)); err != nil {
				t.Fatalf("other message: %v", err)
			}
		})
	}
}

func TestReplaySameIDNewTimestamp(t *testing.T) {
	// A retry of a Standard Webhooks message keeps its id and gets a fresh
	// timestamp: it is the same message and is rejected once accepted.
	clk := &clock{t: vecTime}
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(clk.Now), signature.WithReplayProtection())
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA})
	for i, want := range []problem.Definition{{}, signature.ReplayedRequest} {
		h := http.Header{}
		if err := s.Sign(h, "msg_retry", clk.Now(), []byte("x")); err != nil {
			t.Fatal(err)
		}
		_, err := v.Verify(context.Background(), h, []byte("x"))
		if want.IsZero() {
			if err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		} else {
			wantProblem(t, err, want)
		}
		clk.Advance(30 * time.Second)
	}
}

func TestReplayStoreFailure(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayStore(failingStore{}))
	_, err := v.Verify(context.Background(), vectorHeader(vecSignature), []byte(vecPayload))
	wantProblem(t, err, problem.ServiceUnavailable)
	if strings.Contains(problem.From(err).Detail, "store down") {
		t.Fatalf("detail leaks the cause: %q", problem.From(err).Detail)
	}
}

func TestReplayStoreNilTurnsOff(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection(), signature.WithReplayStore(nil))
	for i := range 2 {
		if _, err := v.Verify(context.Background(), vectorHeader(vecSignature), []byte(vecPayload)); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
}
