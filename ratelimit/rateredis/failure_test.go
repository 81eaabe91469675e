package rateredis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

const testTimeout = 50 * time.Millisecond

// ownRedis is a redis-server started by a test on a free port, so that it
// can be stopped or frozen without touching the shared one.
type ownRedis struct {
	addr string
	cmd  *exec.Cmd
}

func startRedis(t *testing.T, args ...string) *ownRedis {
	t.Helper()
	redisOptions(t) // same switch as the other Redis tests
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH; install it to run the stopped-Redis tests")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &ownRedis{addr: "127.0.0.1:" + strconv.Itoa(port)}
	args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir()}, args...)
	r.cmd = exec.Command(bin, args...)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	})
	c := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer c.Close()
	for i := 0; ; i++ {
		if c.Ping(context.Background()).Err() == nil {
			return r
		}
		if i == 500 {
			t.Fatalf("redis-server on %s did not answer", r.addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// shutdown stops the server for good.
func (r *ownRedis) shutdown(t *testing.T) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer c.Close()
	_ = c.Shutdown(context.Background()).Err() // the connection drops: an error is expected
	_ = r.cmd.Wait()
}

// freeze makes the server accept connections but never answer.
func (r *ownRedis) freeze(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

// scenario prepares a client whose Redis fails in one way.
type scenario struct {
	name string
	// client returns a client and what happens to it before the
	// decision; deadline reports whether the failure is a missed deadline.
	client   func(t *testing.T, ctxTimeouts bool) *redis.Client
	deadline bool
}

// scenarios lists the ways Redis fails.
func scenarios() []scenario {
	return []scenario{
		{name: "unreachable", client: func(t *testing.T, ct bool) *redis.Client {
			return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: ct})
		}},
		{name: "stopped", client: func(t *testing.T, ct bool) *redis.Client {
			r := startRedis(t)
			c := redis.NewClient(&redis.Options{Addr: r.addr, ContextTimeoutEnabled: ct})
			warmUp(t, c)
			r.shutdown(t)
			return c
		}},
		{name: "frozen", deadline: true, client: func(t *testing.T, ct bool) *redis.Client {
			r := startRedis(t)
			c := redis.NewClient(&redis.Options{Addr: r.addr, ContextTimeoutEnabled: ct})
			warmUp(t, c)
			r.freeze(t)
			return c
		}},
	}
}

// warmUp makes one decision so that the client holds an open connection
// and the server has the script.
func warmUp(t *testing.T, c *redis.Client) {
	t.Helper()
	s := mustNew(t, c, WithPrefix("apikit-test:rl-redis:warmup:"))
	if _, err := s.Take(context.Background(), []ratelimit.Item{hourly("w:w", 10)}, make([]ratelimit.Result, 1)); err != nil {
		t.Fatalf("warm-up decision: %v", err)
	}
}

func TestTakeWhenRedisFails(t *testing.T) {
	items := []ratelimit.Item{hourly("p:caller", 2)}
	for _, sc := range scenarios() {
		for _, ct := range []bool{false, true} {
			name := fmt.Sprintf("%s/ContextTimeoutEnabled=%v", sc.name, ct)
			t.Run(name, func(t *testing.T) {
				c := sc.client(t, ct)
				defer c.Close()
				s := mustNew(t, c, WithTimeout(testTimeout), WithCooldown(0))
				res := make([]ratelimit.Result, 1)
				for i := range 3 {
					start := time.Now()
					_, err := s.Take(context.Background(), items, res)
					if elapsed := time.Since(start); elapsed > testTimeout+time.Second {
						t.Fatalf("decision %d took %v with a %v deadline", i, elapsed, testTimeout)
					}
					p := problem.From(err)
					if !errors.Is(err, problem.ServiceUnavailable) || p.StatusCode() != 503 || p.RetryAfter < time.Second {
						t.Fatalf("decision %d: err %v, want a 503 problem with Retry-After", i, err)
					}
					if sc.deadline && !errors.Is(err, context.DeadlineExceeded) {
						t.Fatalf("decision %d: err %v, want it to wrap context.DeadlineExceeded", i, err)
					}
				}
			})
		}
	}
}

func TestCooldownSkipsRedis(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	var n counter
	c.AddHook(&n)
	s := mustNew(t, c, WithTimeout(testTimeout), WithCooldown(5*time.Second))
	var clock atomic.Int64
	clock.Store(1e18)
	s.now = clock.Load
	items := []ratelimit.Item{hourly("p:caller", 2)}
	res := make([]ratelimit.Result, 1)
	steps := []struct {
		name    string
		advance time.Duration
		asked   int64 // commands sent to Redis by this step
	}{
		{"first failure asks Redis", 0, 1},
		{"second failure asks Redis", 0, 1},
		{"third failure asks Redis and starts the cooldown", 0, 1},
		{"within the cooldown", time.Second, 0},
		{"at the end of the cooldown", 4*time.Second - 1, 0},
		{"after the cooldown", 1, 1},
		{"cooling down again", time.Second, 0},
	}
	for _, st := range steps {
		clock.Add(int64(st.advance))
		before := n.cmds.Load()
		_, err := s.Take(context.Background(), items, res)
		if got := n.cmds.Load() - before; got != st.asked {
			t.Fatalf("%s: %d commands sent, want %d", st.name, got, st.asked)
		}
		p := problem.From(err)
		if p == nil || p.StatusCode() != 503 || p.RetryAfter != 5*time.Second {
			t.Fatalf("%s: err %v, want 503 with Retry-After 5s", st.name, err)
		}
	}
}

func TestCallerCancellationIsNotAFailure(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	s := mustNew(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Take(ctx, []ratelimit.Item{hourly("p:caller", 2)}, make([]ratelimit.Result, 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if s.downTill.Load() != 0 {
		t.Fatal("a cancelled caller started the cooldown")
	}
}
