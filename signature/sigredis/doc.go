// Package sigredis is a [signature.ReplayStore] kept in Redis, so that
// every replica of a service rejects a message another replica accepted.
//
//	package main
//
//	import (
//		"log"
//		"net/http"
//		"os"
//
//		"github.com/redis/go-redis/v9"
//
//		"github.com/apikit-go/apikit/signature"
//		"github.com/apikit-go/apikit/signature/sigredis"
//	)
//
//	func main() {
//		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//		store, err := sigredis.New(client) // Redis 7.0 or later
//		if err != nil {
//			log.Fatal(err)
//		}
//		v, err := signature.NewVerifier(signature.StandardWebhooks(), []string{os.Getenv("WEBHOOK_SECRET")},
//			signature.WithReplayStore(store)) // a message accepted by one replica is refused by all
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer v.Close()
//		http.Handle("POST /webhooks", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
//
// A record is one string key, the prefix then a 43-character digest of the
// message id, holding the 26-character token of the request that holds it,
// and expiring with the verifier's tolerance window (PXAT): its size does
// not depend on the id. Reserving is one command, SET key token NX GET PXAT
// (Redis 7.0 or later); releasing is one short Lua script that deletes the
// key only for its holder. Both are safe for go-redis to send again after a
// timeout: a repeated reserve by the same request is granted.
//
// Records live only as long as the tolerance window, so a Redis without
// persistence loses nothing that matters for long: after a restart, a
// message accepted in the last few minutes could be accepted once more.
// Use AOF persistence (appendfsync everysec) if that is not acceptable.
package sigredis
