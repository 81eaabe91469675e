package pagination_test

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/apikit-go/apikit/pagination"
)

// row is a list item sorted by (Score, ID); many rows share a score.
type row struct {
	ID    string `json:"id"`
	Score int64  `json:"score"`
}

func keyOf(r row) pagination.Keyset {
	return pagination.Keyset{ID: r.ID, Values: []any{r.Score, r.ID}}
}

func compareRow(a row, score int64, id string) int {
	return cmp.Or(cmp.Compare(a.Score, score), cmp.Compare(a.ID, id))
}

// memStore is an in-memory keyset store: it answers a keyset query as
// SQL would ("WHERE (score, id) > ($1, $2) ORDER BY score, id LIMIT n").
type memStore struct{ rows []row } // sorted by (Score, ID)

func newStore(n, distinctScores int) *memStore {
	s := &memStore{}
	for i := range n {
		// ids not in score order, so the tiebreaker matters
		s.rows = append(s.rows, row{ID: fmt.Sprintf("r%03d", (i*37)%n), Score: int64(i % distinctScores)})
	}
	slices.SortFunc(s.rows, func(a, b row) int { return compareRow(a, b.Score, b.ID) })
	return s
}

func (s *memStore) get(id string) (row, bool) {
	for _, r := range s.rows {
		if r.ID == id {
			return r, true
		}
	}
	return row{}, false
}

// list returns up to n rows after (or, backward, before) the boundary,
// nearest first; offset applies when there is no boundary.
func (s *memStore) list(after []any, backward bool, offset, n int) []row {
	var out []row
	if after == nil {
		if backward {
			panic("backward without a boundary")
		}
		for i := offset; i < len(s.rows) && len(out) < n; i++ {
			out = append(out, s.rows[i])
		}
		return out
	}
	score, id := after[0].(int64), after[1].(string)
	if backward {
		for i := len(s.rows) - 1; i >= 0 && len(out) < n; i-- {
			if compareRow(s.rows[i], score, id) < 0 {
				out = append(out, s.rows[i])
			}
		}
		return out
	}
	for _, r := range s.rows {
		if len(out) == n {
			break
		}
		if compareRow(r, score, id) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// serve answers a list request the way a handler would.
func serve(p *pagination.Paginator, s *memStore, r *http.Request) ([]row, pagination.Page, error) {
	ps, err := p.Parse(r)
	if err != nil {
		return nil, pagination.Page{}, err
	}
	after := ps.After()
	if ps.ID != "" {
		obj, ok := s.get(ps.ID)
		if !ok {
			return nil, pagination.Page{}, ps.UnknownID()
		}
		after = keyOf(obj).Values
	}
	rows := s.list(after, ps.Backward, ps.Offset, ps.Fetch())
	items, page, err := pagination.Build(ps, rows, keyOf)
	if err == nil && ps.Total {
		page = page.WithTotal(int64(len(s.rows)))
	}
	return items, page, err
}

func get(t testing.TB, p *pagination.Paginator, s *memStore, target string) ([]row, pagination.Page) {
	t.Helper()
	items, page, err := serve(p, s, httptest.NewRequest(http.MethodGet, target, nil))
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return items, page
}
