// Package replaytest is the conformance suite every signature.ReplayStore
// passes: the memory store, sigredis and sigpg.
package replaytest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

// Run runs the suite against stores made by newStore. Stores that judge
// expiry by their own clock (a database's now()) are given expiries in
// real time, so the suite sleeps a little.
func Run(t *testing.T, newStore func(t *testing.T) signature.ReplayStore) {
	ctx := context.Background()
	key := func() string { return rand.Text() + rand.Text()[:17] } // 43 characters, like a digest
	tok := rand.Text

	t.Run("reserve, repeat, refuse", func(t *testing.T) {
		s := newStore(t)
		k, a, b := key(), tok(), tok()
		until := time.Now().Add(time.Minute)
		for i, c := range []struct {
			token string
			want  bool
		}{{a, true}, {a, true}, {b, false}, {a, true}} {
			got, err := s.Reserve(ctx, k, c.token, until)
			if err != nil || got != c.want {
				t.Fatalf("call %d: Reserve = %v, %v; want %v", i, got, err, c.want)
			}
		}
	})
	t.Run("release by the holder only, repeatable", func(t *testing.T) {
		s := newStore(t)
		k, a, b, c := key(), tok(), tok(), tok()
		until := time.Now().Add(time.Minute)
		if ok, err := s.Reserve(ctx, k, a, until); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := s.Release(ctx, k, b); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Reserve(ctx, k, c, until); ok {
			t.Fatal("released by a token that did not hold it")
		}
		for range 2 {
			if err := s.Release(ctx, k, a); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := s.Reserve(ctx, k, c, until); !ok || err != nil {
			t.Fatalf("after release: %v, %v", ok, err)
		}
		// a's repeated release must not drop c's record.
		if err := s.Release(ctx, k, a); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Reserve(ctx, k, b, until); ok {
			t.Fatal("a stale release dropped the new holder's record")
		}
	})
	t.Run("expiry", func(t *testing.T) {
		s := newStore(t)
		k := key()
		if ok, err := s.Reserve(ctx, k, tok(), time.Now().Add(300*time.Millisecond)); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, _ := s.Reserve(ctx, k, tok(), time.Now().Add(time.Minute)); ok {
			t.Fatal("reserved twice before expiry")
		}
		time.Sleep(700 * time.Millisecond)
		if ok, err := s.Reserve(ctx, k, tok(), time.Now().Add(time.Minute)); !ok || err != nil {
			t.Fatalf("after expiry: %v, %v", ok, err)
		}
		// An expiry already past is free and leaves nothing that blocks.
		k2 := key()
		if ok, err := s.Reserve(ctx, k2, tok(), time.Now().Add(-time.Second)); !ok || err != nil {
			t.Fatalf("past expiry: %v, %v", ok, err)
		}
		if ok, err := s.Reserve(ctx, k2, tok(), time.Now().Add(time.Minute)); !ok || err != nil {
			t.Fatalf("after a past expiry: %v, %v", ok, err)
		}
	})
	t.Run("concurrent: one winner per key", func(t *testing.T) {
		s := newStore(t)
		const keys, per = 20, 16
		ks := make([]string, keys)
		for i := range ks {
			ks[i] = key()
		}
		var wins [keys]atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, keys*per)
		until := time.Now().Add(time.Minute)
		for i := range keys {
			for range per {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.Reserve(ctx, ks[i], tok(), until)
					if err != nil {
						errs <- err
						return
					}
					if ok {
						wins[i].Add(1)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i := range wins {
			if n := wins[i].Load(); n != 1 {
				t.Fatalf("key %d: %d winners", i, n)
			}
		}
	})
	t.Run("shared by two verifiers", func(t *testing.T) {
		s := newStore(t)
		secret := signature.NewSecret()
		var vs [2]*signature.Verifier
		for i := range vs {
			v, err := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(s))
			if err != nil {
				t.Fatal(err)
			}
			vs[i] = v
		}
		sg, err := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
		if err != nil {
			t.Fatal(err)
		}
		var h = make(map[string][]string)
		if err := sg.Sign(h, fmt.Sprint("msg_", rand.Text()), time.Now(), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if _, err := vs[0].Verify(ctx, h, []byte("{}")); err != nil {
			t.Fatalf("replica 1: %v", err)
		}
		if _, err := vs[1].Verify(ctx, h, []byte("{}")); err == nil {
			t.Fatal("replica 2 accepted the replay")
		}
	})
}
