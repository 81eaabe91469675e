package sigredis_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature/sigredis"
	"github.com/redis/go-redis/v9"
)

// ownRedis starts a redis-server of the test's own on a free port.
func ownRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: the fault test needs a server of its own")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--enable-debug-command", "yes")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprint("127.0.0.1:", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return addr
		}
		if i > 100 {
			t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A reserve whose answer is late is sent again by go-redis (read timeout,
// MaxRetries); the repeated call of the same request must be granted, not
// taken for a replay.
func TestReserveRetriedAfterReadTimeout(t *testing.T) {
	addr := ownRedis(t)
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 300 * time.Millisecond, MaxRetries: 3,
		MinRetryBackoff: 10 * time.Millisecond, MaxRetryBackoff: 50 * time.Millisecond})
	defer c.Close()
	admin := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 5 * time.Second})
	defer admin.Close()
	s, err := sigredis.New(c, sigredis.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil { // open the connection first
		t.Fatal(err)
	}
	slept := make(chan error, 1)
	go func() { slept <- admin.Do(ctx, "DEBUG", "SLEEP", "0.5").Err() }()
	time.Sleep(50 * time.Millisecond)
	ok, err := s.Reserve(ctx, "k1", "token-a", time.Now().Add(time.Minute))
	if err := <-slept; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}
	if err != nil || !ok {
		t.Fatalf("Reserve retried by the client = %v, %v; want true", ok, err)
	}
	if ok, _ := s.Reserve(ctx, "k1", "token-b", time.Now().Add(time.Minute)); ok {
		t.Fatal("another request got the key")
	}
}
