package rateredis

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisOptions returns the options of the Redis named by APIKIT_REDIS_URL,
// or skips the test.
func redisOptions(t testing.TB) *redis.Options {
	t.Helper()
	url := os.Getenv("APIKIT_REDIS_URL")
	if url == "" {
		t.Skip("set APIKIT_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the Redis store tests")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("APIKIT_REDIS_URL: %v", err)
	}
	return opt
}

// testClient returns a client of the test Redis, closed when t ends.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(redisOptions(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix unique to this test run and deletes its
// keys when t ends.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-", "{", "", "}", "", "*", "", "?", "", "[", "", "]", "").Replace(t.Name())
	prefix := "apikit-test:rl-redis:" + name + ":" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return prefix
}

// scanKeys returns the keys under prefix.
func scanKeys(t testing.TB, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return keys
}

// mustNew is New that fails the test on error. Its timeout is generous
// (the machine running the tests may be busy) unless opts set one.
func mustNew(t testing.TB, c redis.UniversalClient, opts ...Option) *Store {
	t.Helper()
	s, err := New(c, append([]Option{WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// counter is a go-redis hook that counts the commands sent (a pipeline
// counts once per command) and dials.
type counter struct {
	trips atomic.Int64 // round trips: single commands and pipelines
	cmds  atomic.Int64
	dials atomic.Int64
	mu    sync.Mutex
	names []string
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(1)
		c.mu.Lock()
		c.names = append(c.names, cmd.Name())
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func (c *counter) commands() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}

func (c *counter) reset() {
	c.cmds.Store(0)
	c.mu.Lock()
	c.names = nil
	c.mu.Unlock()
}

// encodeTAT returns a TAT as the script stores it.
func encodeTAT(tat int64) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(tat/1e9))
	return string(binary.BigEndian.AppendUint32(b, uint32(tat%1e9)))
}

// decodeTAT reads a stored TAT in the current format or, when the key was
// not written since, the earlier decimal one; it fails t on anything else.
func decodeTAT(t testing.TB, v string) int64 {
	t.Helper()
	if len(v) == instantLen {
		if tat, ok := instant(v); ok {
			return tat
		}
	} else if tat, err := strconv.ParseInt(v, 10, 64); err == nil {
		return tat
	}
	t.Fatalf("stored value %q is not a TAT", v)
	return 0
}
