package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
)

// killN puts n dead letters to endpoint in s, one a millisecond from at,
// and returns their ids in the order they died.
func killN(t *testing.T, s webhook.Store, endpoint string, n int, at time.Time) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("dead_%s_%04d", strings.NewReplacer("https://", "", ".", "-").Replace(endpoint), i)
		if _, err := s.Enqueue(ctx, webhook.Message{ID: id, Endpoint: endpoint, Payload: []byte(`{}`), CreatedAt: at, NextAt: at}); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Lease(ctx, webhook.LeaseRequest{Now: at, Until: at.Add(time.Minute), Token: id}); err != nil || !ok {
			t.Fatalf("Lease = %v, %v", ok, err)
		}
		died := at.Add(time.Duration(i) * time.Millisecond)
		res := webhook.Result{Attempt: webhook.Attempt{Number: 1, At: died, Status: 500}, State: webhook.Dead, Failures: 1}
		if err := s.Finish(ctx, id, id, res); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func pageIDs(p webhook.DeadPage) []string {
	var ids []string
	for _, m := range p.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// A query without a Limit pages by 100; Next is set on a full page only.
func TestDeadLettersPages(t *testing.T) {
	s := newMemory(t)
	d, err := webhook.New(s, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	empty, err := d.DeadLetters(ctx, webhook.DeadQuery{})
	if err != nil || empty.Messages == nil || len(empty.Messages) != 0 || empty.Next != nil {
		t.Fatalf("DeadLetters of an empty store = %#v, %v; want no messages (not nil), no Next", empty, err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ids := killN(t, s, "https://a.example.com", 101, at)
	first, err := d.DeadLetters(ctx, webhook.DeadQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(first); len(got) != 100 || got[0] != ids[0] || got[99] != ids[99] {
		t.Fatalf("first page: %d messages, %q … ; want the first 100", len(got), got[:min(len(got), 2)])
	}
	last := first.Messages[99]
	if first.Next == nil || first.Next.ID != last.ID || !first.Next.At.Equal(last.NextAt) || !last.NextAt.Equal(at.Add(99*time.Millisecond)) {
		t.Fatalf("first page's Next = %+v; want the last message's place (%s at %v)", first.Next, last.ID, last.NextAt)
	}
	second, err := d.DeadLetters(ctx, webhook.DeadQuery{After: first.Next})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(second); len(got) != 1 || got[0] != ids[100] || second.Next != nil {
		t.Fatalf("second page = %q, Next %+v; want %s and no Next", got, second.Next, ids[100])
	}
	other, err := d.DeadLetters(ctx, webhook.DeadQuery{Endpoint: "https://b.example.com", Limit: 1})
	if err != nil || len(other.Messages) != 0 || other.Next != nil {
		t.Fatalf("another endpoint's = %+v, %v; want none", other, err)
	}
}

func TestDeadLettersRefusesBadQueries(t *testing.T) {
	s := newMemory(t)
	d, err := webhook.New(s, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, q := range map[string]webhook.DeadQuery{
		"negative limit":  {Limit: -1},
		"limit over max":  {Limit: webhook.MaxDeadLimit + 1},
		"cursor id":       {After: &webhook.DeadCursor{ID: "a.b"}},
		"long cursor id":  {After: &webhook.DeadCursor{ID: strings.Repeat("a", 256)}},
		"cursor id space": {After: &webhook.DeadCursor{ID: "a b"}},
	} {
		if _, err := d.DeadLetters(ctx, q); err == nil || !strings.HasPrefix(err.Error(), "webhook: dead letters: ") {
			t.Errorf("%s: DeadLetters = %v; want a webhook: dead letters: error", name, err)
		}
	}
	for name, q := range map[string]webhook.DeadQuery{
		"max limit":    {Limit: webhook.MaxDeadLimit},
		"empty cursor": {After: &webhook.DeadCursor{}},
	} {
		if _, err := d.DeadLetters(ctx, q); err != nil {
			t.Errorf("%s: DeadLetters = %v", name, err)
		}
	}
}

// greedy is a Store whose DeadLetters ignores the limit.
type greedy struct{ *webhook.MemoryStore }

func (g greedy) DeadLetters(ctx context.Context, q webhook.DeadQuery) ([]webhook.Message, error) {
	q.Limit = webhook.MaxDeadLimit
	return g.MemoryStore.DeadLetters(ctx, q)
}

// A store that returns more than the page asked for is an error, not a
// page that would skip what is past it.
func TestDeadLettersStoreOverLimit(t *testing.T) {
	s := greedy{newMemory(t)}
	killN(t, s, "https://a.example.com", 3, time.Now())
	d, err := webhook.New(s, []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := d.DeadLetters(context.Background(), webhook.DeadQuery{Limit: 2}); err == nil {
		t.Fatalf("DeadLetters = %q, nil; want an error", pageIDs(p))
	}
}

// An endpoint over MaxEndpointLength is refused everywhere an endpoint is
// taken, with an *EndpointError that echoes only its start; one of
// exactly MaxEndpointLength bytes is accepted.
func TestEndpointLength(t *testing.T) {
	d, err := webhook.New(newMemory(t), []string{secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base := "https://hooks.example.com/"
	longest := base + strings.Repeat("a", webhook.MaxEndpointLength-len(base))
	tooLong := longest + "a"
	if err := d.CheckEndpoint(longest); err != nil {
		t.Fatalf("CheckEndpoint(%d bytes) = %v", len(longest), err)
	}
	if _, err := d.Enqueue(ctx, webhook.Message{Endpoint: longest, Payload: []byte(`{}`)}); err != nil {
		t.Fatalf("Enqueue to %d bytes = %v", len(longest), err)
	}
	refused := func(what string, err error) {
		t.Helper()
		var ee *webhook.EndpointError
		if !errors.As(err, &ee) || !strings.Contains(ee.Reason, "over the 2048 accepted") || len(ee.Endpoint) > 80 {
			t.Errorf("%s of %d bytes: %v, want an *EndpointError echoing at most 80 bytes", what, len(tooLong), err)
		}
	}
	refused("CheckEndpoint", d.CheckEndpoint(tooLong))
	_, err = d.Enqueue(ctx, webhook.Message{Endpoint: tooLong, Payload: []byte(`{}`)})
	refused("Enqueue", err)
	_, err = d.DeadLetters(ctx, webhook.DeadQuery{Endpoint: tooLong})
	refused("DeadLetters", err)
	refused("EnableEndpoint", d.EnableEndpoint(ctx, tooLong))
	refused("DisableEndpoint", d.DisableEndpoint(ctx, tooLong))
	_, err = d.EndpointDisabled(ctx, tooLong)
	refused("EndpointDisabled", err)
}
