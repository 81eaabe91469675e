package hookredis_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookredis"
	"github.com/apikit-go/apikit/webhook/hooktest"
	"github.com/redis/go-redis/v9"
)

// TestMain skips the examples, which talk to a real Redis, when
// APIKIT_REDIS_URL is unset, the same way the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	hooktest.SkipExamplesWithout("APIKIT_REDIS_URL", "hookredis: examples skipped: "+howTo)
	os.Exit(m.Run())
}

// Every replica runs a Dispatcher over the same Redis; Enqueue in one
// and any replica's workers deliver.
func ExampleNew() {
	opts, err := redis.ParseURL(os.Getenv("APIKIT_REDIS_URL"))
	if err != nil {
		panic(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	store, err := hookredis.New(client, hookredis.WithPrefix("apikit-example:webhook:"))
	if err != nil {
		panic(err)
	}
	d, err := webhook.New(store, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	id, err := d.Enqueue(ctx, webhook.Message{
		ID:       "evt_example",
		Endpoint: "https://partner.example.com/hooks",
		Payload:  []byte(`{}`),
	})
	if err != nil {
		panic(err)
	}
	again, _ := d.Enqueue(ctx, webhook.Message{ID: "evt_example", Endpoint: "https://partner.example.com/hooks"})
	m, _ := d.Message(ctx, id)
	fmt.Println(id, again, m.State)
	client.Del(ctx, "apikit-example:webhook:m:evt_example", "apikit-example:webhook:due",
		"apikit-example:webhook:ep:https://partner.example.com/hooks", "apikit-example:webhook:seq")
	// Output:
	// evt_example evt_example pending
}

// After upgrading from apikit v0.2, whose store kept no index of dead
// letters, IndexDeadLetters adds the dead letters already kept to it, so
// that Dispatcher.DeadLetters lists them. It is safe to run again.
func ExampleStore_IndexDeadLetters() {
	client := exampleClient()
	defer client.Close()
	prefix := examplePrefix()
	defer removeKeys(client, prefix)
	store, err := hookredis.New(client, hookredis.WithPrefix(prefix))
	if err != nil {
		panic(err)
	}
	n, err := store.IndexDeadLetters(context.Background())
	fmt.Println(n, "dead letters indexed,", err)
	// Output:
	// 0 dead letters indexed, <nil>
}
