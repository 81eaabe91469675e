package signature_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

var benchSchemes = []struct {
	name   string
	scheme signature.Scheme
	secret string
}{
	{"standard-webhooks", signature.StandardWebhooks(), secretA},
	{"stripe", signature.Stripe("X-ICP-Signature"), stripeA},
}

func benchBody() []byte { return bytes.Repeat([]byte("a"), 1024) }

// BenchmarkBaselineHMAC is the floor a verifier cannot go below: a fresh
// HMAC-SHA256 over the Standard Webhooks content of a 1 KiB body, base64
// and a constant-time comparison, as a hand-written verifier does it.
func BenchmarkBaselineHMAC(b *testing.B) {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secretA, "whsec_"))
	body := benchBody()
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("msg_bench.1614265330."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("msg_bench.1614265330."))
		m.Write(body)
		got := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(got), []byte(want)) {
			b.Fatal("mismatch")
		}
	}
}

// BenchmarkVerify verifies the headers of a 1 KiB body already in memory.
func BenchmarkVerify(b *testing.B) {
	for _, sc := range benchSchemes {
		b.Run(sc.name, func(b *testing.B) {
			body := benchBody()
			s := mustSigner(b, sc.scheme, []string{sc.secret})
			h := http.Header{}
			if err := s.Sign(h, "msg_bench", vecTime, body); err != nil {
				b.Fatal(err)
			}
			v := mustVerifier(b, sc.scheme, []string{sc.secret}, signature.WithClock(fixedClock(vecTime)))
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := v.Verify(ctx, h, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyRequest reads a 1 KiB request body under the limit,
// restores it and verifies it: what the middleware does per request.
func BenchmarkVerifyRequest(b *testing.B) {
	for _, sc := range benchSchemes {
		b.Run(sc.name, func(b *testing.B) {
			body := benchBody()
			s := mustSigner(b, sc.scheme, []string{sc.secret})
			h := http.Header{}
			if err := s.Sign(h, "msg_bench", vecTime, body); err != nil {
				b.Fatal(err)
			}
			v := mustVerifier(b, sc.scheme, []string{sc.secret}, signature.WithClock(fixedClock(vecTime)))
			rd := bytes.NewReader(body)
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header = h
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				rd.Reset(body)
				r.Body = io.NopCloser(rd)
				r.ContentLength = int64(len(body))
				if _, err := v.VerifyRequest(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyRotation verifies with three secrets, the valid one last,
// and a header holding two signatures.
func BenchmarkVerifyRotation(b *testing.B) {
	body := benchBody()
	s := mustSigner(b, signature.StandardWebhooks(), []string{secretB, secretA})
	h := http.Header{}
	if err := s.Sign(h, "msg_bench", vecTime, body); err != nil {
		b.Fatal(err)
	}
	v := mustVerifier(b, signature.StandardWebhooks(), []string{signature.NewSecret(), signature.NewSecret(), secretA},
		signature.WithClock(fixedClock(vecTime)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), h, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign signs a 1 KiB body.
func BenchmarkSign(b *testing.B) {
	for _, sc := range benchSchemes {
		b.Run(sc.name, func(b *testing.B) {
			body := benchBody()
			s := mustSigner(b, sc.scheme, []string{sc.secret})
			h := http.Header{}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Sign(h, "msg_bench", vecTime, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMemoryStoreReserve reserves new ids from parallel goroutines.
func BenchmarkMemoryStoreReserve(b *testing.B) {
	m := mustMemory(b)
	until := time.Now().Add(time.Hour)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		p := fmt.Sprintf("%p-", &i)
		for pb.Next() {
			i++
			_, _ = m.Reserve(context.Background(), p+fmt.Sprint(i), "token", until)
		}
	})
}

// BenchmarkHandlerReplay runs the middleware with replay protection: a
// 1 KiB body, a new message id each time (reserve, handler, accepted).
func BenchmarkHandlerReplay(b *testing.B) {
	body := benchBody()
	s := mustSigner(b, signature.StandardWebhooks(), []string{secretA})
	v := mustVerifier(b, signature.StandardWebhooks(), []string{secretA}, signature.WithReplayProtection())
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	w := httptest.NewRecorder()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		r.Header = http.Header{}
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		if err := s.Sign(r.Header, "msg_"+strconv.Itoa(i), time.Now(), body); err != nil {
			b.Fatal(err)
		}
		h.ServeHTTP(w, r)
	}
	if w.Code != 200 {
		b.Fatal(w.Code)
	}
}

// BenchmarkVerifyV1a verifies a v1a (Ed25519) signature of a 1 KiB body
// with a public key.
func BenchmarkVerifyV1a(b *testing.B) {
	body := benchBody()
	s := mustSigner(b, signature.StandardWebhooks(), []string{v1aSecretKey})
	h := http.Header{}
	if err := s.Sign(h, "msg_bench", vecTime, body); err != nil {
		b.Fatal(err)
	}
	v := mustVerifier(b, signature.StandardWebhooks(), []string{v1aPublicKey}, signature.WithClock(fixedClock(vecTime)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), h, body); err != nil {
			b.Fatal(err)
		}
	}
}

// pooledVerifier is the best hand-written Standard Webhooks verifier we
// know, the baseline of BenchmarkVerifyRatio: HMAC states and scratch
// buffers pooled (nothing allocated per message), the timestamp checked
// against a five-minute tolerance, every "v1," signature of the header
// compared in constant time.
type pooledVerifier struct {
	key  []byte
	now  func() time.Time
	pool sync.Pool // of *verifyScratch
}

type verifyScratch struct {
	mac hash.Hash
	buf []byte
}

func (p *pooledVerifier) verify(h http.Header, body []byte) error {
	id, ts, sigs := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp"), h.Get("Webhook-Signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return err
	}
	if d := p.now().Unix() - sec; d > 300 || d < -300 {
		return errors.New("timestamp outside the tolerance")
	}
	s, _ := p.pool.Get().(*verifyScratch)
	if s == nil {
		s = &verifyScratch{mac: hmac.New(sha256.New, p.key), buf: make([]byte, 0, 256)}
	}
	defer p.pool.Put(s)
	s.mac.Reset()
	s.buf = append(append(append(append(s.buf[:0], id...), '.'), ts...), '.')
	s.mac.Write(s.buf)
	s.mac.Write(body)
	s.buf = s.mac.Sum(s.buf[:0])
	want := base64.StdEncoding.AppendEncode(s.buf[len(s.buf):], s.buf)
	for sigs != "" {
		var sig string
		sig, sigs, _ = strings.Cut(sigs, " ")
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && len(v) == len(want) {
			got := append(want[len(want):], v...)
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no matching signature")
}

// BenchmarkVerifyRatio alternates apikit's Verify with the pooled
// hand-written verifier in blocks of 32 calls, so that both see the same
// interference on a busy machine, and reports their times and the ratio
// apikit/baseline. Both verify the same signed 1 KiB message.
func BenchmarkVerifyRatio(b *testing.B) {
	body := benchBody()
	s := mustSigner(b, signature.StandardWebhooks(), []string{secretA})
	h := http.Header{}
	if err := s.Sign(h, "msg_bench", vecTime, body); err != nil {
		b.Fatal(err)
	}
	v := mustVerifier(b, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(fixedClock(vecTime)))
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secretA, "whsec_"))
	base := &pooledVerifier{key: key, now: fixedClock(vecTime)}
	ctx := context.Background()
	// Both must accept the message and refuse it with a changed body.
	if err := base.verify(h, body); err != nil {
		b.Fatal("baseline:", err)
	}
	if err := base.verify(h, append(bytes.Clone(body), 'x')); err == nil {
		b.Fatal("baseline accepts a changed body")
	}
	b.ReportAllocs()
	const block = 32
	var spent [2]time.Duration
	n := 0
	for b.Loop() {
		if n%block == 0 {
			// Alternate which side goes first, block by block.
			first := (n / block) % 2
			for i := range 2 {
				side := (first + i) % 2
				start := time.Now()
				for range block {
					var err error
					if side == 0 {
						err = base.verify(h, body)
					} else {
						_, err = v.Verify(ctx, h, body)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				spent[side] += time.Since(start)
			}
		}
		n++
	}
	calls := float64(((n + block - 1) / block) * block)
	b.ReportMetric(float64(spent[0].Nanoseconds())/calls, "baseline-ns/op")
	b.ReportMetric(float64(spent[1].Nanoseconds())/calls, "apikit-ns/op")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "apikit/baseline")
}
