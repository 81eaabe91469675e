package main

import (
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// ErrOrderNotFound is the API's own problem type: code, status and title,
// defined once.
var ErrOrderNotFound = problem.MustDefine("orders/not-found", http.StatusNotFound, "Order not found")

// Order is the API's one resource.
type Order struct {
	ID       string `json:"id"`
	Item     string `json:"item"`
	Quantity int    `json:"quantity"`
}

// CreateOrder is the body of POST /orders.
type CreateOrder struct {
	Item     string `json:"item"`
	Quantity int    `json:"quantity"`
}

type handlers struct {
	wr     *envelope.Writer
	pager  *pagination.Paginator
	orders *orderStore
}

// create is a net/http handler, so that the idempotency middleware can wrap
// it (gin.WrapH adapts the pair); it stores the answer create writes.
func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	in, err := envelope.Decode[CreateOrder](r) // 400, 413, 415 or 422 naming the field
	if err != nil {
		h.wr.WriteError(w, r, err)
		return
	}
	if in.Item == "" || in.Quantity < 1 {
		h.wr.WriteError(w, r, problem.ValidationFailed.New("The order is incomplete").WithFields(
			problem.FieldError{Field: "item", Message: "item is required and quantity at least 1", Code: "REQUIRED"}))
		return
	}
	o := h.orders.create(in)
	h.wr.Created(w, r, "/orders/"+o.ID, o, envelope.WithMessage("Order created"))
}

func (h *handlers) get(c *gin.Context) {
	o, ok := h.orders.get(c.Param("id"))
	if !ok {
		h.wr.WriteError(c.Writer, c.Request, ErrOrderNotFound.Newf("No order has the id %q", c.Param("id")).WithInstance(c.Request.URL.Path))
		return
	}
	h.wr.OK(c.Writer, c.Request, o)
}

func (h *handlers) list(c *gin.Context) {
	params, err := h.pager.Parse(c.Request) // a bad limit or cursor is a 400 naming the parameter
	if err != nil {
		h.wr.WriteError(c.Writer, c.Request, err)
		return
	}
	rows := h.orders.list(params.After(), params.Backward, params.Fetch())
	items, page, err := pagination.Build(params, rows, func(o Order) pagination.Keyset {
		return pagination.Keyset{ID: o.ID, Values: []any{o.ID}}
	})
	if err != nil {
		h.wr.WriteError(c.Writer, c.Request, err)
		return
	}
	h.pager.SetLink(c.Writer, c.Request, page)
	envelope.List(h.wr, c.Writer, c.Request, items, page)
}

// orderStore keeps orders in memory, in id order.
type orderStore struct {
	mu     sync.Mutex
	orders []Order
}

func (s *orderStore) create(in CreateOrder) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := Order{ID: fmt.Sprintf("ord_%06d", len(s.orders)+1), Item: in.Item, Quantity: in.Quantity}
	s.orders = append(s.orders, o)
	return o
}

func (s *orderStore) get(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.orders), func(i int) bool { return s.orders[i].ID >= id })
	if i < len(s.orders) && s.orders[i].ID == id {
		return s.orders[i], true
	}
	return Order{}, false
}

// list returns up to n orders after the boundary (before it, nearest first,
// when backward); after is nil on the first page.
func (s *orderStore) list(after []any, backward bool, n int) []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Order
	if !backward {
		for _, o := range s.orders {
			if (after == nil || o.ID > after[0].(string)) && len(out) < n {
				out = append(out, o)
			}
		}
		return out
	}
	for i := len(s.orders) - 1; i >= 0 && len(out) < n; i-- {
		if after == nil || s.orders[i].ID < after[0].(string) {
			out = append(out, s.orders[i])
		}
	}
	return out
}
