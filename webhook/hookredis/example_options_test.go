package hookredis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookredis"
	"github.com/redis/go-redis/v9"
)

// exampleClient connects to the Redis of APIKIT_REDIS_URL.
func exampleClient() *redis.Client {
	opts, err := redis.ParseURL(os.Getenv("APIKIT_REDIS_URL"))
	if err != nil {
		panic(err)
	}
	return redis.NewClient(opts)
}

// examplePrefix returns a key prefix no other run uses.
func examplePrefix() string {
	return fmt.Sprintf("apikit-example:%d:", time.Now().UnixNano())
}

// removeKeys deletes every key under prefix.
func removeKeys(client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		client.Del(ctx, iter.Val())
	}
}

// WithPrefix keeps each store's keys apart: Dispatchers configured
// differently must not share a store, so each gets its own prefix.
func ExampleWithPrefix() {
	client := exampleClient()
	defer client.Close()
	prefix := examplePrefix()
	defer removeKeys(client, prefix)
	ctx := context.Background()
	billing, _ := hookredis.New(client, hookredis.WithPrefix(prefix+"billing:"))
	orders, _ := hookredis.New(client, hookredis.WithPrefix(prefix+"orders:"))
	d, _ := webhook.New(billing, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	_, _ = d.Enqueue(ctx, webhook.Message{ID: "evt_1", Endpoint: "https://partner.example.com/hooks", Payload: []byte(`{}`)})

	_, err := billing.Message(ctx, "evt_1")
	fmt.Println("billing:", err)
	_, err = orders.Message(ctx, "evt_1")
	fmt.Println("orders:", err)
	fmt.Println(client.Exists(ctx, prefix+"billing:m:evt_1").Val())
	// Output:
	// billing: <nil>
	// orders: webhook: message not found
	// 1
}

// WithRetention sets how long a delivered message is kept: its key
// expires then.
func ExampleWithRetention() {
	client := exampleClient()
	defer client.Close()
	prefix := examplePrefix()
	defer removeKeys(client, prefix)
	ctx := context.Background()
	store, _ := hookredis.New(client, hookredis.WithPrefix(prefix), hookredis.WithRetention(time.Hour))

	now := time.Now()
	_, _ = store.Enqueue(ctx, webhook.Message{ID: "evt_1", Endpoint: "https://partner.example.com/hooks",
		Payload: []byte(`{}`), CreatedAt: now, NextAt: now})
	m, ok, err := store.Lease(ctx, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: "t1"})
	if err != nil || !ok {
		panic(fmt.Sprint("lease: ", ok, err))
	}
	// A worker delivered it.
	err = store.Finish(ctx, m.ID, "t1", webhook.Result{
		Attempt: webhook.Attempt{Number: 1, At: now, Status: 200},
		State:   webhook.Delivered,
	})
	fmt.Println(err)
	ttl := client.PTTL(ctx, prefix+"m:evt_1").Val()
	fmt.Println("kept for about an hour:", ttl > 59*time.Minute && ttl <= time.Hour)
	_, err = hookredis.New(client, hookredis.WithRetention(0))
	fmt.Println(err)
	// Output:
	// <nil>
	// kept for about an hour: true
	// hookredis: WithRetention(0s): want at least a millisecond
}

// WithTimeout bounds every call to Redis, on top of the caller's
// deadline.
func ExampleWithTimeout() {
	client := exampleClient()
	defer client.Close()
	store, _ := hookredis.New(client, hookredis.WithPrefix(examplePrefix()), hookredis.WithTimeout(time.Nanosecond))
	_, err := store.Message(context.Background(), "evt_1")
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	_, err = hookredis.New(client, hookredis.WithTimeout(0))
	fmt.Println(err)
	// Output:
	// true
	// hookredis: WithTimeout(0s): want a positive duration
}
