package envelope

import (
	"sync"

	"github.com/apikit-go/apikit/problem"
)

// maxCachedTypes bounds the resolved-type cache; problem types come from
// definitions, so a handful is typical.
const maxCachedTypes = 512

// typeCache remembers resolved problem type URIs so that writing a
// problem does not concatenate the base URI every time.
type typeCache struct {
	mu sync.RWMutex
	m  map[string]string
}

func (c *typeCache) resolve(cat *problem.Catalog, t string) string {
	if cat == nil || t == "" {
		return cat.ResolveType(t)
	}
	c.mu.RLock()
	u, ok := c.m[t]
	c.mu.RUnlock()
	if ok {
		return u
	}
	u = cat.ResolveType(t)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) < maxCachedTypes {
		c.m[t] = u
	}
	c.mu.Unlock()
	return u
}
