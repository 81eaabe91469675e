// Package signature signs and verifies HTTP requests and webhooks in two
// wire formats:
//
//   - [StandardWebhooks]: the webhook-id, webhook-timestamp and
//     webhook-signature headers over "id.timestamp.body": HMAC-SHA256
//     signatures "v1,<base64>" with secrets written "whsec_<base64>"
//     (interoperable with the official Standard Webhooks libraries), and
//     Ed25519 signatures "v1a,<base64>" with key pairs written
//     "whsk_<base64>" / "whpk_<base64>" ([NewKeyPair]).
//   - [Stripe]: one header, such as X-ICP-Signature, holding
//     "t=<unix>,v1=<hex>" over "timestamp.body".
//
// Receiving:
//
//	package main
//
//	import (
//		"io"
//		"log"
//		"net/http"
//		"os"
//
//		"github.com/apikit-go/apikit/signature"
//	)
//
//	func main() {
//		// Standard Webhooks headers; signature.Stripe("X-ICP-Signature") for t=…,v1=….
//		v, err := signature.NewVerifier(signature.StandardWebhooks(),
//			[]string{os.Getenv("WEBHOOK_SECRET")}, // whsec_…; list the previous secret too while rotating
//			signature.WithReplayProtection())
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer v.Close()
//		webhooks := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			body, _ := io.ReadAll(r.Body) // verified; read once, put back by the middleware
//			log.Printf("event %s: %s", r.Header.Get("webhook-id"), body)
//		})
//		http.Handle("POST /webhooks", v.Handler(webhooks)) // 401 auth/* problems otherwise
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
//
// A [Verifier] accepts any one valid signature among several, made with
// any of its secrets (key rotation), compares in constant time, rejects
// timestamps outside a tolerance window (five minutes by default, both
// ways) and, optionally, a second message with the same id
// ([WithReplayProtection], [WithReplayStore]). Its [Verifier.Handler]
// middleware reads the body once under a size limit, puts it back for the
// handler and answers failures through [problem.WriteTo] (the API's error
// writer from the request context unless [WithErrorWriter] is given) with
// 401 problems carrying a WWW-Authenticate challenge —
// auth/missing-signature, auth/invalid-signature,
// auth/timestamp-out-of-tolerance, auth/replayed-request — that never
// reveal the expected signature.
//
// With replay protection a message's id is held while the handler runs
// and spent only when the handler accepts the request (a status below
// 400); see [Verifier.Handler]. The records live in a [MemoryStore], or,
// shared by every replica, in Redis (package sigredis) or PostgreSQL
// (package sigpg); each keeps a fixed-size digest of the id, never the id.
//
// A [Signer] signs outbound requests ([Signer.SignRequest], or an
// http.RoundTripper from [Signer.Transport]) so a service can deliver
// webhooks.
//
// Sending:
//
//	s, err := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
//	if err != nil { ... }
//	client := &http.Client{Transport: s.Transport(nil)}
package signature
