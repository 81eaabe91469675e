package rateredis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/rateredis"
)

// The keys the store writes start with the prefix, then the limiter's key:
// the policy name and the caller in braces (its Redis Cluster hash tag).
func ExampleWithPrefix() {
	ctx := context.Background()
	client := exampleClient()
	defer client.Close()
	prefix := uniquePrefix() // e.g. "billing-ratelimit:"
	store, err := rateredis.New(client, rateredis.WithPrefix(prefix))
	if err != nil {
		fmt.Println(err)
		return
	}
	lim, err := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(60).WithName("default")})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := lim.Allow(ctx, "acme"); err != nil {
		fmt.Println(err)
		return
	}
	keys, _ := client.Keys(ctx, prefix+"*").Result()
	for _, k := range keys {
		fmt.Println(strings.TrimPrefix(k, prefix))
	}
	client.Del(ctx, keys...)

	_, err = rateredis.New(client, rateredis.WithPrefix("rl:{billing}:"))
	fmt.Println(err)
	// Output:
	// default:{acme}
	// rateredis: prefix "rl:{billing}:" contains '{' or '}'
}

// A Redis that accepts connections but never answers costs each decision
// the timeout, no more.
func ExampleWithTimeout() {
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hung.Close()
	go func() {
		var conns []net.Conn // held open, never answered
		for {
			c, err := hung.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()

	client := redis.NewClient(&redis.Options{Addr: hung.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer client.Close()
	store, _ := rateredis.New(client, rateredis.WithTimeout(50*time.Millisecond))
	lim, _ := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(60)})
	_, err = lim.Allow(context.Background(), "acme")
	var netErr net.Error
	fmt.Println("timed out:", errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout())

	_, err = rateredis.New(client, rateredis.WithTimeout(0))
	fmt.Println(err)
	// Output:
	// timed out: true
	// rateredis: timeout 0s is not positive
}

// After three failed decisions in a row the store stops asking Redis for
// the cooldown and fails at once; with a cooldown of zero it asks every
// time.
func ExampleWithCooldown() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	defer client.Close()
	for _, cooldown := range []time.Duration{10 * time.Second, 0} {
		store, _ := rateredis.New(client, rateredis.WithTimeout(50*time.Millisecond), rateredis.WithCooldown(cooldown))
		lim, _ := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(60)})
		var asked []string
		for range 5 {
			_, err := lim.Allow(context.Background(), "acme")
			if err != nil && strings.Contains(err.Error(), "not asked during the cooldown") {
				asked = append(asked, "skipped")
			} else {
				asked = append(asked, "asked")
			}
		}
		fmt.Printf("cooldown %v: %s\n", cooldown, strings.Join(asked, " "))
	}
	// Output:
	// cooldown 10s: asked asked asked skipped skipped
	// cooldown 0s: asked asked asked asked asked
}

// Reset deletes a caller's keys; ratelimit.Limiter.Reset calls it.
func ExampleStore_Reset() {
	ctx := context.Background()
	client := exampleClient()
	defer client.Close()
	prefix := uniquePrefix()
	store, _ := rateredis.New(client, rateredis.WithPrefix(prefix))
	lim, _ := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerHour(1)})
	a, _ := lim.Allow(ctx, "acme")
	b, _ := lim.Allow(ctx, "acme")
	fmt.Println(a.Allowed, b.Allowed, lim.Reset(ctx, "acme"))
	c, _ := lim.Allow(ctx, "acme")
	fmt.Println(c.Allowed)
	_ = lim.Reset(ctx, "acme")
	// Output:
	// true false <nil>
	// true
}

// Slots of ratelimit.WithConcurrency: a lease each, given back by Release
// or when the lease ends.
func ExampleStore_Acquire() {
	ctx := context.Background()
	client := exampleClient()
	defer client.Close()
	store, _ := rateredis.New(client, rateredis.WithPrefix(uniquePrefix()))
	token, n, ok, err := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	fmt.Println(n, ok, err)
	_, n, ok, err = store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	fmt.Println(n, ok, err)
	fmt.Println(store.Release(ctx, "concurrency:{acme}", token))
	// Output:
	// 1 true <nil>
	// 1 false <nil>
	// <nil>
}

// ratelimit.WithConcurrency renews the slot of a running handler; a slot
// given back is not held any more, and a renewal does not bring it back.
func ExampleStore_Renew() {
	ctx := context.Background()
	client := exampleClient()
	defer client.Close()
	store, _ := rateredis.New(client, rateredis.WithPrefix(uniquePrefix()))
	token, _, _, _ := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	fmt.Println(store.Renew(ctx, "concurrency:{acme}", token, time.Minute))
	_ = store.Release(ctx, "concurrency:{acme}", token)
	fmt.Println(store.Renew(ctx, "concurrency:{acme}", token, time.Minute))
	// Output:
	// true <nil>
	// false <nil>
}

func ExampleStore_Release() {
	ctx := context.Background()
	client := exampleClient()
	defer client.Close()
	store, _ := rateredis.New(client, rateredis.WithPrefix(uniquePrefix()))
	token, _, _, _ := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	fmt.Println(store.Release(ctx, "concurrency:{acme}", token))
	_, _, ok, _ := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	fmt.Println(ok)
	// Output:
	// <nil>
	// true
}
