package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/redisstore"
)

// exampleClient connects to APIKIT_REDIS_URL (TestMain skips the examples
// when it is unset).
func exampleClient() *redis.Client {
	opt, err := redis.ParseURL(os.Getenv("APIKIT_REDIS_URL"))
	if err != nil {
		panic(err)
	}
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt)
}

// uniquePrefix keeps the examples' keys apart from earlier runs.
func uniquePrefix() string {
	return "apikit-example:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}

// A limiter shared by every replica: 3 requests per hour for each partner.
// The local fallback keeps the limit (per process) if Redis is down.
func ExampleNew() {
	client := exampleClient()
	defer client.Close()
	local := ratelimit.NewMemoryStore()
	defer local.Close()

	store, err := redisstore.New(client,
		redisstore.WithPrefix(uniquePrefix()),
		redisstore.WithTimeout(time.Second),
		redisstore.WithFallback(local))
	if err != nil {
		fmt.Println(err)
		return
	}
	lim := ratelimit.MustNew(store, []ratelimit.Policy{ratelimit.PerHour(3)})
	for range 4 {
		d, err := lim.Allow(context.Background(), "acme")
		fmt.Println(d.Allowed, err)
	}
	// Output:
	// true <nil>
	// true <nil>
	// true <nil>
	// false <nil>
}

// With Redis unreachable, the store is still made (no I/O in New) and the
// fallback decides.
func ExampleWithFallback() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer client.Close()
	local := ratelimit.NewMemoryStore()
	defer local.Close()

	store, err := redisstore.New(client,
		redisstore.WithTimeout(50*time.Millisecond),
		redisstore.WithCooldown(time.Second),
		redisstore.WithFallback(local))
	fmt.Println("store made:", err == nil)
	lim := ratelimit.MustNew(store, []ratelimit.Policy{ratelimit.PerMinute(2)})
	for range 3 {
		d, err := lim.Allow(context.Background(), "acme")
		fmt.Println(d.Allowed, err)
	}
	// Output:
	// store made: true
	// true <nil>
	// true <nil>
	// false <nil>
}

// Without a fallback, a Redis failure is an error: a 503 problem with
// Retry-After, which ratelimit.Middleware answers with its failure policy.
func ExampleStore_Take() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer client.Close()
	store, _ := redisstore.New(client, redisstore.WithTimeout(50*time.Millisecond))

	items := []ratelimit.Item{{Key: "hourly:acme", Interval: int64(time.Hour / 100), Tolerance: int64(time.Hour), Cost: 1}}
	results := make([]ratelimit.Result, len(items))
	_, err := store.Take(context.Background(), items, results)
	fmt.Println(err != nil)
	// Output:
	// true
}

// The caller part of a limiter key is its Redis Cluster hash tag.
func ExampleCallerTag() {
	tag := redisstore.CallerTag("billing:")
	fmt.Println(tag("billing:hourly:acme"))
	fmt.Println(tag("billing:10/1s:ip:2001:db8::1"))
	fmt.Println(redisstore.CallerTag("")("hourly:acme"))
	// Output:
	// acme
	// ip:2001:db8::1
	// acme
}

// A limiter with its own key prefix needs the matching hash tag on Redis
// Cluster.
func ExampleWithHashTag() {
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:7000"}})
	defer client.Close()
	store, err := redisstore.New(client,
		redisstore.WithPrefix("rl:"),
		redisstore.WithHashTag(redisstore.CallerTag("billing:")))
	if err != nil {
		fmt.Println(err)
		return
	}
	lim, err := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerSecond(10)}, ratelimit.KeyPrefix("billing:"))
	fmt.Println(lim != nil, err)
	// Output:
	// true <nil>
}
