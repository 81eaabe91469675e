package rateredis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/ratelimit"
)

// startCluster starts a one-node Redis Cluster that owns every slot. It
// rejects scripts whose keys hash to different slots, as a real cluster
// does.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	r := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	ctx := context.Background()
	node := redis.NewClient(&redis.Options{Addr: r.addr})
	defer node.Close()
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		info, _ := node.ClusterInfo(ctx).Result()
		if strings.Contains(info, "cluster_state:ok") {
			break
		}
		if i == 500 {
			t.Fatalf("cluster on %s did not become ready: %s", r.addr, info)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{r.addr}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedisCluster(t *testing.T) {
	c := startCluster(t)
	policies := []ratelimit.Policy{
		ratelimit.PerSecond(100), ratelimit.PerMinute(1000),
		ratelimit.PerHour(3).WithName("hourly"), ratelimit.PerHour(10000).WithName("big"),
	}
	tests := []struct {
		name      string
		limPrefix string
		caller    string
		opts      []Option
	}{
		{"plain caller", "", "partner-a", nil},
		{"limiter prefix", "billing:", "partner-b", nil},
		{"caller with colons and braces", "x:y:", "a:}b{c}", nil},
		{"caller starting with a brace", "", "}b", nil},
		{"empty caller", "", "", nil},
		{"caller starting with a tilde", "", "~}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, c, append([]Option{WithCooldown(0), WithPrefix(testPrefix(t, c))}, tt.opts...)...)
			lim, err := ratelimit.New(s, policies, ratelimit.WithKeyPrefix(tt.limPrefix))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				d, err := lim.Allow(context.Background(), tt.caller)
				if err != nil || d.Allowed != (i < 3) {
					t.Fatalf("request %d: allowed %v, err %v; want allowed %v", i, d.Allowed, err, i < 3)
				}
			}
		})
	}
}
