package hookredis_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookredis"
	"github.com/redis/go-redis/v9"
)

// ownRedis runs a redis-server of the test's own, with an append-only
// file fsynced on every write, on a free port in dir. It returns a
// function that kills it (SIGKILL, as a crash).
func ownRedis(t *testing.T, port int, dir string) (kill func()) {
	t.Helper()
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir, "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		t.Skipf("redis-server not available: %v", err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(kill)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return kill
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d did not start", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A Redis crash in the middle of deliveries loses no message: after the
// restart every message is delivered.
func TestRedisCrashLosesNothing(t *testing.T) {
	if os.Getenv("APIKIT_REDIS_URL") == "" {
		t.Skip(howTo + " (this test starts its own redis-server)")
	}
	dir := t.TempDir()
	port := freePort(t)
	kill := ownRedis(t, port, dir)
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	store, err := hookredis.New(client)
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu  sync.Mutex
		got = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		got[r.Header.Get("Webhook-Id")]++
		mu.Unlock()
	}))
	defer srv.Close()
	d, err := webhook.New(store, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		webhook.WithAllowPrivateNetworks(), webhook.WithWorkers(2),
		webhook.WithTimeout(300*time.Millisecond), webhook.WithStoreTimeout(300*time.Millisecond),
		webhook.WithLease(time.Second), webhook.WithPollInterval(20*time.Millisecond),
		webhook.WithSchedule(0, 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	ids := make([]string, n)
	for i := range ids {
		if ids[i], err = d.Enqueue(context.Background(), webhook.Message{Endpoint: srv.URL, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	for {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k >= 10 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	kill()
	time.Sleep(300 * time.Millisecond)
	ownRedis(t, port, dir)

	deadline := time.Now().Add(20 * time.Second)
	for _, id := range ids {
		for {
			m, err := d.Message(context.Background(), id)
			if err == nil && m.State == webhook.Delivered {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("message %s: %+v, %v; want delivered after the restart", id, m, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, id := range ids {
		switch got[id] {
		case 0:
			t.Fatalf("message %s marked delivered but never received", id)
		case 1:
		default:
			dups++
		}
	}
	t.Logf("%d of %d messages received twice (at least once across the crash)", dups, n)
}
