// Command receiver plays the partner's side of the demo's callbacks and
// webhooks: it verifies the signature of every POST it gets, prints what it
// got, and answers 204 (401 when the signature does not verify).
//
//	go run ./examples/partnerapi/receiver -addr 127.0.0.1:9000
//
// Flags:
//
//	-addr    listen address (default 127.0.0.1:9000)
//	-secret  the secret the demo signs with (default the demo's
//	         -signing-secret default)
//	-fail N  answer the first N deliveries 503 with Retry-After: 1, to watch
//	         the demo retry (default 0)
//
// Deliveries with an X-ICP-Signature header (the demo's referral webhooks)
// are verified in that "t=…,v1=…" format, the others with Standard Webhooks
// headers (the demo's callbacks). For each delivery it prints
//
//	POST /cb webhook-id=msg_rx_… event=prescription.acknowledged verified=true status=204
//	{"requestID":…}
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/apikit-go/apikit/signature"
)

// demoSecret is the demo's default -signing-secret.
const demoSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("receiver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address")
	secret := fs.String("secret", demoSecret, "signing secret")
	fail := fs.Int("fail", 0, "answer the first N deliveries 503 with Retry-After: 1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h, err := newHandler(*secret, *fail, out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		<-stop
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler verifies, prints and answers each delivery.
type handler struct {
	std, icp *signature.Verifier
	mu       sync.Mutex // serialises fail and out
	fail     int
	out      io.Writer
}

func newHandler(secret string, fail int, out io.Writer) (*handler, error) {
	std, err := signature.NewVerifier(signature.StandardWebhooks(), []string{secret})
	if err != nil {
		return nil, fmt.Errorf("-secret: %w", err)
	}
	icp, err := signature.NewVerifier(signature.Stripe("X-ICP-Signature"), []string{secret})
	if err != nil {
		return nil, fmt.Errorf("-secret: %w", err)
	}
	return &handler{std: std, icp: icp, fail: fail, out: out}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	v := h.std
	if r.Header.Get("X-ICP-Signature") != "" {
		v = h.icp
	}
	_, verr := v.Verify(r.Context(), r.Header, body)
	status := http.StatusNoContent
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case verr != nil:
		status = http.StatusUnauthorized
	case h.fail > 0:
		h.fail--
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	fmt.Fprintf(h.out, "%s %s webhook-id=%s event=%s verified=%t status=%d\n%s\n",
		r.Method, r.URL.Path, r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Event"), verr == nil, status, body)
	w.WriteHeader(status)
}
