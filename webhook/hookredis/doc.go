// Package hookredis is a [webhook.Store] kept in Redis (go-redis v9), for
// services whose replicas share a Redis.
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"os"
//
//		"github.com/redis/go-redis/v9"
//
//		"github.com/apikit-go/apikit/webhook"
//		"github.com/apikit-go/apikit/webhook/hookredis"
//	)
//
//	func main() {
//		ctx := context.Background()
//		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//		store, err := hookredis.New(client, hookredis.WithPrefix("myapi:hooks:"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		d, err := webhook.New(store, []string{os.Getenv("WEBHOOK_SECRET")})
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := d.Start(); err != nil { // workers in every replica share the queue
//			log.Fatal(err)
//		}
//		defer d.Shutdown(ctx)
//		if _, err := d.Enqueue(ctx, webhook.Message{
//			Endpoint: "https://partner.example.com/hooks", Type: "order.shipped", Payload: []byte(`{"order":"ord_1"}`),
//		}); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Keys, under the prefix (WithPrefix): a hash per message ("m:<id>"), a
// list of its attempts ("a:<id>"), a sorted set of pending message ids by
// due time ("due"), one of each endpoint's pending ids by enqueue order
// ("ep:<endpoint>"), the dead letters in the order they died, all
// ("dead") and each endpoint's ("dead:<endpoint>"), the set of disabled
// endpoints ("disabled") and a counter ("seq"). Every operation that
// changes more than one key is one Lua script, so it is atomic. A lease
// is one script: it walks the due set from the earliest (at most 256
// entries a call), skips what may not be leased, and pushes the chosen
// message's due time to the lease's end with a new token, so a dead
// worker's message falls due again by itself. Messages of a disabled
// endpoint met on the way are parked for a minute so they do not fill the
// walk.
//
// The Finish that makes a message a dead letter adds it to the dead
// indexes and Replay takes it out, in the same scripts, so a page of
// [webhook.Dispatcher.DeadLetters] is a range of one index: as cheap with
// a million messages queued as with none. Dead letters kept by apikit
// v0.2, which had no such index, are listed once [Store.IndexDeadLetters]
// has run.
//
// The scripts touch keys they compute from the prefix, so the store needs
// one Redis server (or a cluster with every key on one shard: put the
// prefix in a hash tag, "{webhook}:"). Delivered messages expire after
// the retention (WithRetention); dead letters are kept until replayed.
// Persistence is Redis's own: enable AOF (appendfsync everysec or always)
// if a Redis restart must lose nothing.
package hookredis
