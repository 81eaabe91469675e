package rateredis_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/rateredis"
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
// While Redis is down, the local fallback enforces this process's share
// of the limit (here one of 3 replicas).
func ExampleNew() {
	client := exampleClient()
	defer client.Close()
	store, err := rateredis.New(client,
		rateredis.WithPrefix(uniquePrefix()),
		rateredis.WithTimeout(time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	local, err := ratelimit.NewMemoryStore()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer local.Close()
	lim, err := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerHour(3)}, ratelimit.WithFallback(local, 3))
	if err != nil {
		fmt.Println(err)
		return
	}
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

// Without a fallback, a Redis failure is an error: a 503 problem with
// Retry-After, which the limiter's handler answers with its failure
// policy.
func ExampleStore_Take() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer client.Close()
	store, _ := rateredis.New(client, rateredis.WithTimeout(50*time.Millisecond))

	items := []ratelimit.Item{{Key: "hourly:{acme}", Interval: int64(time.Hour / 100), Tolerance: int64(time.Hour), Cost: 1}}
	results := make([]ratelimit.Result, len(items))
	_, err := store.Take(context.Background(), items, results)
	fmt.Println(err != nil)
	// Output:
	// true
}
