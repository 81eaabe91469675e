// Package pgident checks the table names that apikit's PostgreSQL stores
// (idempg, sigpg, hookpg) accept before they put them into SQL.
package pgident

import "fmt"

// maxLen is PostgreSQL's identifier length (NAMEDATALEN - 1).
const maxLen = 63

// Split validates name, "table" or, when schema is true, "schema.table",
// and returns its parts. Each part is an unquoted identifier: ASCII
// letters, digits and underscores, not starting with a digit; the table
// part leaves room for suffix bytes of the longest name derived from it
// (an index or a sibling table). The error says what is wrong, without a
// package prefix.
func Split(name string, schema bool, suffix int) ([]string, error) {
	parts := []string{name}
	if schema {
		for i := 0; i < len(name); i++ {
			if name[i] == '.' {
				parts = []string{name[:i], name[i+1:]}
				break
			}
		}
	}
	for _, p := range parts {
		if !valid(p) {
			if schema {
				return nil, fmt.Errorf("table name %q: %q is not an identifier of ASCII letters, digits and underscores (at most %d bytes, not starting with a digit); want table or schema.table", name, p, maxLen)
			}
			return nil, fmt.Errorf("table name %q: not an identifier of ASCII letters, digits and underscores (not starting with a digit)", name)
		}
	}
	if last := parts[len(parts)-1]; len(last)+suffix > maxLen {
		return nil, fmt.Errorf("table name %q: at most %d bytes, so that the names derived from it fit", name, maxLen-suffix)
	}
	return parts, nil
}

func valid(p string) bool {
	if p == "" || len(p) > maxLen || (p[0] >= '0' && p[0] <= '9') {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}
