package signature_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// The Standard Webhooks specification's test vector.
const (
	exSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	exID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	exPayload = `{"test": 2432232314}`
)

var exTime = time.Unix(1614265330, 0)

func exClock() time.Time { return exTime }

func ExampleStandardWebhooks() {
	s, _ := signature.NewSigner(signature.StandardWebhooks(), []string{exSecret})
	h := http.Header{}
	_ = s.Sign(h, exID, exTime, []byte(exPayload))
	fmt.Println("webhook-id:", h.Get("webhook-id"))
	fmt.Println("webhook-timestamp:", h.Get("webhook-timestamp"))
	fmt.Println("webhook-signature:", h.Get("webhook-signature"))
	// Output:
	// webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
	// webhook-timestamp: 1614265330
	// webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleStripe() {
	scheme := signature.Stripe("X-ICP-Signature")
	s, _ := signature.NewSigner(scheme, []string{"whsec_partner_secret"})
	h := http.Header{}
	_ = s.Sign(h, "", exTime, []byte(`{"referralId":"ref_1"}`))
	fmt.Println(scheme)
	fmt.Println(h.Get("X-ICP-Signature"))
	// Output:
	// stripe(X-Icp-Signature)
	// t=1614265330,v1=050ad1f30a68efebf274dcf4a742b7e257d1e3f6d97f8c478ab0ea8747468020
}

func ExampleNewVerifier() {
	// Accept the current secret and, during a rotation, the previous one.
	v, err := signature.NewVerifier(signature.StandardWebhooks(),
		[]string{signature.NewSecret(), exSecret},
		signature.WithClock(exClock))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	h.Set("webhook-id", exID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	m, err := v.Verify(context.Background(), h, []byte(exPayload))
	fmt.Println(m.ID, m.Timestamp.Format(time.RFC3339), err)
	// Output: msg_p5jXN8AQM9LWM0D4loKWxJek 2021-02-25T15:02:10Z <nil>
}

func ExampleVerifier_Verify() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret}, signature.WithClock(exClock))
	h := http.Header{}
	h.Set("webhook-id", exID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

	_, err := v.Verify(context.Background(), h, []byte(`{"test": 1}`)) // tampered body
	p := problem.From(err)
	fmt.Println(p.Status, p.Code, errors.Is(err, signature.InvalidSignature))
	fmt.Println(p.Detail)
	// Output:
	// 401 auth/invalid-signature true
	// No signature in the webhook-signature header matches the request
}

func ExampleVerifier_VerifyRequest() {
	s, _ := signature.NewSigner(signature.StandardWebhooks(), []string{exSecret})
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret})

	r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(`{"type":"referral.accepted"}`))
	r.Header.Set("webhook-id", "msg_1")
	_ = s.SignRequest(r)

	m, err := v.VerifyRequest(r)
	body, _ := io.ReadAll(r.Body) // the body is readable again
	fmt.Println(m.ID, err, string(body))
	// Output: msg_1 <nil> {"type":"referral.accepted"}
}

func ExampleVerifier_Handler() {
	v, _ := signature.NewVerifier(signature.Stripe("X-ICP-Signature"), []string{"partner-secret"})
	handler := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := signature.FromContext(r.Context())
		fmt.Fprintf(w, "accepted %d-byte id", len(m.ID))
	}))

	// Unsigned: a 401 problem.
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader("{}")))
	fmt.Println(w.Code, w.Body.String())

	// Signed by the partner.
	s, _ := signature.NewSigner(signature.Stripe("X-ICP-Signature"), []string{"partner-secret"})
	r := httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader("{}"))
	_ = s.SignRequest(r)
	w = httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 401 {"type":"about:blank","title":"Missing signature","status":401,"detail":"The X-Icp-Signature header is missing","code":"auth/missing-signature"}
	// 200 accepted 36-byte id
}

func ExampleWithReplayProtection() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret},
		signature.WithClock(exClock), signature.WithReplayProtection())
	defer v.Close()
	h := http.Header{}
	h.Set("webhook-id", exID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	for range 2 {
		_, err := v.Verify(context.Background(), h, []byte(exPayload))
		fmt.Println(err == nil, errors.Is(err, signature.ReplayedRequest))
	}
	// Output:
	// true false
	// false true
}

func ExampleWithReplayStore() {
	// A store shared by several verifiers (Redis or a database table in a
	// deployment with several processes).
	store, _ := signature.NewMemoryStore(signature.WithClock(exClock))
	defer store.Close()
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret},
		signature.WithClock(exClock), signature.WithReplayStore(store))
	h := http.Header{}
	h.Set("webhook-id", exID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	_, err := v.Verify(context.Background(), h, []byte(exPayload))
	fmt.Println(err, store.Len())
	// Output: <nil> 1
}

func ExampleVerifier_Close() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret}, signature.WithReplayProtection())
	// Close stops the background sweep of the verifier's replay store.
	fmt.Println(v.Close())
	// Output: <nil>
}

func ExampleWithTolerance() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret},
		signature.WithTolerance(time.Minute),
		signature.WithClock(func() time.Time { return exTime.Add(90 * time.Second) }))
	h := http.Header{}
	h.Set("webhook-id", exID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	_, err := v.Verify(context.Background(), h, []byte(exPayload))
	p := problem.From(err)
	fmt.Println(p.Code)
	fmt.Println(p.Detail)
	// Output:
	// auth/timestamp-out-of-tolerance
	// The signature timestamp is 90s in the past, beyond the tolerance of 60s
}

func ExampleWithClock() {
	// A fixed clock makes signatures reproducible.
	s, _ := signature.NewSigner(signature.Stripe(""), []string{"secret"}, signature.WithClock(exClock))
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	_ = s.SignRequest(r)
	fmt.Println(r.Header.Get("Stripe-Signature")[:13])
	// Output: t=1614265330,
}

func ExampleWithMaxBodyBytes() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret}, signature.WithMaxBodyBytes(16))
	w := httptest.NewRecorder()
	v.Handler(http.NotFoundHandler()).ServeHTTP(w,
		httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 17))))
	fmt.Println(w.Code)
	// Output: 413
}

func ExampleWithErrorWriter() {
	// Any problem.ErrorWriter, such as the service's envelope writer.
	ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		p := problem.From(err)
		w.WriteHeader(p.StatusCode())
		fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, p.Code, p.Detail)
	})
	v, _ := signature.NewVerifier(signature.Stripe("X-ICP-Signature"), []string{"secret"}, signature.WithErrorWriter(ew))
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.Header.Set("X-ICP-Signature", "t=1614265330,v1=00")
	v.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output: 401 {"error":{"code":"auth/invalid-signature","message":"The X-Icp-Signature header is malformed (want t=<unix>,v1=<hex>)"}}
}

func ExampleNewSigner() {
	// Sign with the new and the old secret while receivers migrate.
	s, err := signature.NewSigner(signature.StandardWebhooks(),
		[]string{exSecret, "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHMtMTIzNDU2"})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	_ = s.Sign(h, exID, exTime, []byte(exPayload))
	fmt.Println(len(strings.Fields(h.Get("webhook-signature"))), "signatures")
	// Output: 2 signatures
}

func ExampleSigner_Sign() {
	s, _ := signature.NewSigner(signature.StandardWebhooks(), []string{exSecret})
	h := http.Header{}
	err := s.Sign(h, "msg.1", exTime, []byte(exPayload))
	fmt.Println(err)
	err = s.Sign(h, exID, exTime, []byte(exPayload))
	fmt.Println(err, h.Get("webhook-signature"))
	// Output:
	// signature: message id "msg.1" holds a character other than visible ASCII without '.' and ','
	// <nil> v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleSigner_SignRequest() {
	s, _ := signature.NewSigner(signature.StandardWebhooks(), []string{exSecret}, signature.WithClock(exClock))
	r, _ := http.NewRequest(http.MethodPost, "https://partner.example/webhooks", strings.NewReader(exPayload))
	r.Header.Set("webhook-id", exID) // keep the id across delivery attempts
	if err := s.SignRequest(r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Header.Get("webhook-signature"))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleSigner_Transport() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret})
	srv := httptest.NewServer(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := signature.FromContext(r.Context())
		fmt.Fprint(w, "verified ", strings.HasPrefix(m.ID, "msg_"))
	})))
	defer srv.Close()

	s, _ := signature.NewSigner(signature.StandardWebhooks(), []string{exSecret})
	client := &http.Client{Transport: s.Transport(nil)}
	resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{"type":"referral.accepted"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 verified true
}

func ExampleNewMessageID() {
	id := signature.NewMessageID()
	fmt.Println(id[:4], len(id))
	// Output: msg_ 30
}

func ExampleNewSecret() {
	secret := signature.NewSecret() // show it to the partner once; store it safely
	fmt.Println(secret[:6], len(secret))
	// Output: whsec_ 50
}

func ExampleNewMemoryStore() {
	store, _ := signature.NewMemoryStore(signature.WithMaxEntries(10_000), signature.WithSweepInterval(30*time.Second))
	defer store.Close()
	fmt.Println(store.Len())
	// Output: 0
}

func ExampleMemoryStore_Reserve() {
	now := exTime
	store, _ := signature.NewMemoryStore(signature.WithClock(func() time.Time { return now }), signature.WithSweepInterval(0))
	defer store.Close()
	ctx := context.Background()
	until := now.Add(5 * time.Minute)
	first, _ := store.Reserve(ctx, "key-1", "request-a", until)
	repeated, _ := store.Reserve(ctx, "key-1", "request-a", until) // the same request, retried
	other, _ := store.Reserve(ctx, "key-1", "request-b", until)
	now = now.Add(6 * time.Minute)
	expired, _ := store.Reserve(ctx, "key-1", "request-c", now.Add(5*time.Minute))
	fmt.Println(first, repeated, other, expired)
	// Output: true true false true
}

func ExampleMemoryStore_Release() {
	store, _ := signature.NewMemoryStore()
	defer store.Close()
	ctx := context.Background()
	until := time.Now().Add(5 * time.Minute)
	_, _ = store.Reserve(ctx, "key-1", "request-a", until)
	_ = store.Release(ctx, "key-1", "request-b") // not the holder: nothing happens
	held, _ := store.Reserve(ctx, "key-1", "request-c", until)
	_ = store.Release(ctx, "key-1", "request-a")
	free, _ := store.Reserve(ctx, "key-1", "request-c", until)
	fmt.Println(held, free)
	// Output: false true
}

func ExampleMemoryStore_Len() {
	store, _ := signature.NewMemoryStore()
	defer store.Close()
	_, _ = store.Reserve(context.Background(), "key-1", "request-a", time.Now().Add(time.Minute))
	fmt.Println(store.Len())
	// Output: 1
}

func ExampleVerifier_Release() {
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{exSecret},
		signature.WithClock(exClock), signature.WithReplayProtection())
	defer v.Close()
	h := http.Header{}
	h.Set("webhook-id", exID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	ctx := context.Background()
	m, _ := v.Verify(ctx, h, []byte(exPayload))
	// Processing failed: give the id back so the sender's retry is accepted.
	_ = v.Release(ctx, m)
	_, err := v.Verify(ctx, h, []byte(exPayload))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleFromContext() {
	ctx := signature.NewContext(context.Background(), signature.Message{ID: "msg_1", Timestamp: exTime})
	m, ok := signature.FromContext(ctx)
	fmt.Println(m.ID, ok)
	_, ok = signature.FromContext(context.Background())
	fmt.Println(ok)
	// Output:
	// msg_1 true
	// false
}

func ExampleNewContext() {
	// Handlers behind Verifier.Handler find the message in their
	// context; tests of such handlers put one there themselves.
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r = r.WithContext(signature.NewContext(r.Context(), signature.Message{ID: "msg_test"}))
	m, _ := signature.FromContext(r.Context())
	fmt.Println(m.ID)
	// Output: msg_test
}

func ExampleDefinitions() {
	catalog, _ := problem.NewCatalog("https://api.example.com/errors/")
	if err := catalog.Register(signature.Definitions()...); err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range signature.Definitions() {
		fmt.Println(d.Status(), d.Code(), catalog.ResolveType(d.Type()))
	}
	// Output:
	// 401 auth/missing-signature https://api.example.com/errors/missing-signature
	// 401 auth/invalid-signature https://api.example.com/errors/invalid-signature
	// 401 auth/timestamp-out-of-tolerance https://api.example.com/errors/timestamp-out-of-tolerance
	// 401 auth/replayed-request https://api.example.com/errors/replayed-request
}

func ExampleMemoryStore_Close() {
	store, _ := signature.NewMemoryStore(signature.WithSweepInterval(time.Second))
	fmt.Println(store.Close()) // stops the background sweep; the store keeps working
	ok, _ := store.Reserve(context.Background(), "key-1", "request-a", time.Now().Add(time.Minute))
	fmt.Println(ok)
	// Output:
	// <nil>
	// true
}

func ExampleNewKeyPair() {
	// The sender keeps the private key; receivers get the public key.
	secretKey, publicKey := signature.NewKeyPair()
	signer, _ := signature.NewSigner(signature.StandardWebhooks(), []string{secretKey})
	verifier, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{publicKey})

	h := http.Header{}
	_ = signer.Sign(h, "msg_1", time.Now(), []byte(`{}`))
	m, err := verifier.Verify(context.Background(), h, []byte(`{}`))
	fmt.Println(secretKey[:5], publicKey[:5], h.Get("webhook-signature")[:4], m.ID, err)
	// Output: whsk_ whpk_ v1a, msg_1 <nil>
}
