package ratelimit

import (
	"strings"
	"testing"
)

// hashTag returns what Redis Cluster hashes of key: the text between the
// first '{' and the next '}', when that is not empty; else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// TestStoreKeyHashTag: every policy of one caller shares one non-empty
// hash tag, whatever the caller key holds, and distinct callers get
// distinct keys.
func TestStoreKeyHashTag(t *testing.T) {
	callers := []string{"", "a", "a:b", "}", "}a", "~", "~}", "~a", "a}b", "{a}", "{", "a{b}c", "ip:2001:db8::/64", "~~"}
	seen := map[string]string{}
	for _, prefix := range []string{"", "billing:", "x:y:"} {
		for _, caller := range callers {
			var tags []string
			for _, name := range []string{"10/1s", "hourly"} {
				key := string(appendStoreKey([]byte(prefix+name+":"), caller))
				if prev, dup := seen[key]; dup {
					t.Fatalf("callers %q and %q share key %q", prev, caller, key)
				}
				seen[key] = caller
				tags = append(tags, hashTag(key))
			}
			if tags[0] != tags[1] || tags[0] == "" || strings.Contains(tags[0], "hourly") {
				t.Errorf("prefix %q caller %q: tags %q", prefix, caller, tags)
			}
		}
	}
}
