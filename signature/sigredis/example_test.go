package sigredis_test

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/signature/internal/replaytest"
	"github.com/apikit-go/apikit/signature/sigredis"
	"github.com/redis/go-redis/v9"
)

// TestMain skips the examples, which talk to a real Redis, when
// APIKIT_REDIS_URL is unset, as the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	replaytest.SkipExamplesWithout("APIKIT_REDIS_URL",
		"sigredis: examples skipped: set APIKIT_REDIS_URL (for example redis://127.0.0.1:6379/0) to run them")
	os.Exit(m.Run())
}

func exampleClient() *redis.Client {
	opts, err := redis.ParseURL(os.Getenv("APIKIT_REDIS_URL"))
	if err != nil {
		panic(err)
	}
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts)
}

// Two replicas share one store: a message one of them accepted is a
// replay for the other.
func ExampleNew() {
	rdb := exampleClient()
	defer rdb.Close()
	store, err := sigredis.New(rdb, sigredis.WithPrefix("example:"+rand.Text()+":"))
	if err != nil {
		fmt.Println(err)
		return
	}
	secret := signature.NewSecret()
	replica1, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(store))
	replica2, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(store))

	signer, _ := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
	h := http.Header{}
	_ = signer.Sign(h, "msg_1", time.Now(), []byte(`{}`))
	m, err := replica1.Verify(context.Background(), h, []byte(`{}`))
	fmt.Println(m.ID, err)
	_, err = replica2.Verify(context.Background(), h, []byte(`{}`))
	fmt.Println(err)
	_ = replica1.Release(context.Background(), m) // tidy up
	// Output:
	// msg_1 <nil>
	// problem: auth/replayed-request (401): A message with this id was already accepted
}

func ExampleStore_Reserve() {
	rdb := exampleClient()
	defer rdb.Close()
	store, _ := sigredis.New(rdb, sigredis.WithPrefix("example:"+rand.Text()+":"))
	ctx := context.Background()
	until := time.Now().Add(5 * time.Minute)
	first, _ := store.Reserve(ctx, "key-1", "request-a", until)
	repeated, _ := store.Reserve(ctx, "key-1", "request-a", until) // sent again after a timeout
	other, _ := store.Reserve(ctx, "key-1", "request-b", until)
	_ = store.Release(ctx, "key-1", "request-a")
	fmt.Println(first, repeated, other)
	// Output: true true false
}

func ExampleStore_Release() {
	rdb := exampleClient()
	defer rdb.Close()
	store, _ := sigredis.New(rdb, sigredis.WithPrefix("example:"+rand.Text()+":"))
	ctx := context.Background()
	until := time.Now().Add(5 * time.Minute)
	_, _ = store.Reserve(ctx, "key-1", "request-a", until)
	_ = store.Release(ctx, "key-1", "request-a") // the request failed
	again, _ := store.Reserve(ctx, "key-1", "request-b", until)
	_ = store.Release(ctx, "key-1", "request-b")
	fmt.Println(again)
	// Output: true
}

func ExampleWithPrefix() {
	rdb := exampleClient()
	defer rdb.Close()
	_, err := sigredis.New(rdb, sigredis.WithPrefix("billing:sig:"))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleWithTimeout() {
	rdb := exampleClient()
	defer rdb.Close()
	_, err := sigredis.New(rdb, sigredis.WithTimeout(250*time.Millisecond))
	fmt.Println(err)
	// Output: <nil>
}
