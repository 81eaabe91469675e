package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

func BenchmarkLimiterAllow(b *testing.B) {
	for _, tc := range []struct {
		name     string
		policies []ratelimit.Policy
	}{
		{"one policy", []ratelimit.Policy{{Limit: 1e9, Period: time.Second}}},
		{"two policies", []ratelimit.Policy{{Limit: 1e9, Period: time.Second}, {Name: "b", Limit: 1e12, Period: time.Hour}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := must(ratelimit.NewMemoryStore())
			defer s.Close()
			lim := must(ratelimit.New(s, tc.policies))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if d, _ := lim.Allow(ctx, "partner-1"); !d.Allowed {
					b.Fatal("denied")
				}
			}
		})
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		_ = time.Now().UnixNano()
	}
}
