package idemredis_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/redis/go-redis/v9"
)

// The examples run against the Redis at APIKIT_REDIS_URL; without it they
// are skipped (see TestMain).

func exampleClient() *redis.Client {
	opts, err := redis.ParseURL(os.Getenv("APIKIT_REDIS_URL"))
	if err != nil {
		panic(err)
	}
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts)
}

func ExampleNew() {
	ctx := context.Background()
	rdb := exampleClient()
	defer rdb.Close()
	prefix := "example:" + rand.Text() + ":"
	defer rdb.Del(ctx, prefix+"{tenant-1}/POST /orders/key-1", prefix+"{tenant-1}")

	store, err := idemredis.New(rdb, idemredis.WithPrefix(prefix))
	if err != nil {
		panic(err)
	}
	key := "tenant-1/POST /orders/key-1"

	c, _ := store.Claim(ctx, key, "fingerprint", "owner-a", 30*time.Second)
	fmt.Println("first:", c.Outcome)
	c, _ = store.Claim(ctx, key, "fingerprint", "owner-b", 30*time.Second)
	fmt.Println("while running:", c.Outcome, c.RetryAfter > 0)
	c, _ = store.Claim(ctx, key, "other request", "owner-b", 30*time.Second)
	fmt.Println("other request:", c.Outcome)
	_ = store.Complete(ctx, key, "owner-a", []byte("stored response"), 24*time.Hour)
	c, _ = store.Claim(ctx, key, "fingerprint", "owner-c", 30*time.Second)
	fmt.Printf("retry: %v %q\n", c.Outcome, c.Response)
	// Output:
	// first: acquired
	// while running: in-progress true
	// other request: mismatch
	// retry: completed "stored response"
}

func ExampleWithPrefix() {
	rdb := exampleClient()
	defer rdb.Close()
	store, _ := idemredis.New(rdb, idemredis.WithPrefix("billing:idem:"))
	fmt.Println(store.Key("tenant-1/key-1"))
	byDefault, _ := idemredis.New(rdb)
	fmt.Println(byDefault.Key("tenant-1/key-1"))
	// Output:
	// billing:idem:{tenant-1}/key-1
	// apikit:idem:{tenant-1}/key-1
}

// Example_middleware shares one Redis store between the idempotency
// middleware of every replica.
func Example_middleware() {
	rdb := exampleClient()
	defer rdb.Close()
	prefix := "example:" + rand.Text() + ":"
	defer func() {
		keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
		for _, k := range keys {
			rdb.Del(context.Background(), k)
		}
	}()
	store, err := idemredis.New(rdb, idemredis.WithPrefix(prefix))
	if err != nil {
		panic(err)
	}
	m, err := idempotency.New(store)
	if err != nil {
		panic(err)
	}

	runs := 0
	create := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"order":%d}`, runs)
	})
	replicaA := m.Handler(create)
	replicaB := m.Handler(create)

	for _, h := range []http.Handler{replicaA, replicaB} {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"sku":"a"}`))
		r.Header.Set("Authorization", "Bearer partner-1")
		r.Header.Set("Idempotency-Key", "key-1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String(), "replayed="+w.Header().Get(idempotency.ReplayedHeader))
	}
	fmt.Println("handler runs:", runs)
	// Output:
	// 201 {"order":1} replayed=
	// 201 {"order":1} replayed=true
	// handler runs: 1
}

func ExampleWithTimeout() {
	rdb := exampleClient() // ContextTimeoutEnabled: true, so the timeout reaches the network
	defer rdb.Close()
	store, err := idemredis.New(rdb, idemredis.WithTimeout(500*time.Millisecond))
	fmt.Println(store != nil, err)
	_, err = idemredis.New(rdb, idemredis.WithTimeout(0))
	fmt.Println(err)
	// Output:
	// true <nil>
	// idemredis: WithTimeout(0s): want a positive duration
}

func ExampleWithMaxScopeEntries() {
	ctx := context.Background()
	rdb := exampleClient()
	defer rdb.Close()
	prefix := "example:" + rand.Text() + ":"
	defer func() {
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		for _, k := range keys {
			rdb.Del(ctx, k)
		}
	}()
	store, err := idemredis.New(rdb, idemredis.WithPrefix(prefix), idemredis.WithMaxScopeEntries(2))
	if err != nil {
		panic(err)
	}
	// Keys of the middleware's form: scope/id.
	for _, key := range []string{"tenant-1/a", "tenant-1/b", "tenant-1/c"} {
		_, _ = store.Claim(ctx, key, "fp", "owner", 30*time.Second)
		_ = store.Complete(ctx, key, "owner", []byte("response"), time.Hour)
	}
	for _, key := range []string{"tenant-1/a", "tenant-1/c"} {
		c, _ := store.Claim(ctx, key, "fp", "owner-2", 30*time.Second)
		fmt.Println(key, c.Outcome)
	}
	// Output:
	// tenant-1/a acquired
	// tenant-1/c completed
}
