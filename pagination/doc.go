// Package pagination gives a list endpoint correct, tamper-proof paging in
// a few lines, in either wire style of the partner APIs apikit reproduces:
//
//   - the standard style: limit, offset and lastKey in; the pagination
//     object {count,hasNext,limit,offset,lastKey} out ([Page.Standard]);
//   - the records style: limit (1–100), starting_after and ending_before
//     in; {records,has_more,first_id,last_id} out ([RecordsOf]).
//
// A handler parses the request, asks its store for Limit+1 rows from the
// boundary, and builds the page:
//
//	package main
//
//	import (
//		"crypto/rand"
//		"log"
//		"net/http"
//
//		"github.com/apikit-go/apikit/envelope"
//		"github.com/apikit-go/apikit/pagination"
//	)
//
//	type Item struct {
//		ID string `json:"id"`
//	}
//
//	var stock = []Item{{"it_1"}, {"it_2"}, {"it_3"}, {"it_4"}, {"it_5"}} // in id order
//
//	// fetch is the store's keyset query: n items after the boundary, or before
//	// it, nearest first, when backward; after is nil on the first page.
//	func fetch(after []any, backward bool, n int) []Item {
//		var out []Item
//		for i := range stock {
//			it := stock[i]
//			if backward {
//				it = stock[len(stock)-1-i]
//			}
//			switch {
//			case len(out) == n:
//				return out
//			case after == nil, !backward && it.ID > after[0].(string), backward && it.ID < after[0].(string):
//				out = append(out, it)
//			}
//		}
//		return out
//	}
//
//	func main() {
//		secret := make([]byte, 32) // a service loads it from its configuration, so cursors survive restarts
//		rand.Read(secret)
//		keys, err := pagination.NewKeyring(pagination.Key{ID: "k1", Secret: secret})
//		if err != nil {
//			log.Fatal(err)
//		}
//		pager, err := pagination.New(keys, pagination.WithLimits(2, 100)) // default 2, at most 100
//		if err != nil {
//			log.Fatal(err)
//		}
//		wr := envelope.New(envelope.Standard())
//
//		http.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
//			params, err := pager.Parse(r) // every mistake is a 400 naming the parameter
//			if err != nil {
//				wr.WriteError(w, r, err)
//				return
//			}
//			rows := fetch(params.After(), params.Backward, params.Fetch()) // Limit+1 rows
//			items, page, err := pagination.Build(params, rows, func(it Item) pagination.Keyset {
//				return pagination.Keyset{ID: it.ID, Values: []any{it.ID}}
//			})
//			if err != nil {
//				wr.WriteError(w, r, err)
//				return
//			}
//			pager.SetLink(w, r, page)            // Link: <…?lastKey=…>; rel="next"
//			envelope.List(wr, w, r, items, page) // "pagination":{"count":2,"hasNext":true,…,"lastKey":"…"}
//		})
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", wr.Handler(http.DefaultServeMux)))
//	}
//
// # Parameters
//
// [Paginator.Parse] checks every paging parameter: the limit must be plain
// ASCII digits within 1..max (above max is an error unless [WithClamp]);
// an offset only where [WithOffset] allows it, never with a cursor; no
// parameter twice; never starting_after with ending_before. Each mistake
// is a 400 *problem.Problem with its own pagination/… code, the parameter
// named in the "parameter" extension member and as a field error, and
// errors.Is matches it against the Err… definitions.
//
// # Cursors
//
// lastKey is a signed opaque cursor: URL-safe base64 without padding of a
// versioned binary token carrying the key ID, the boundary row's sort
// values ending with its id (see [Cursor]), the direction, an optional
// expiry and digests of what it is bound to, and an HMAC-SHA256 over all
// of it. The size is capped before decoding and the MAC is checked, in
// constant time, before anything inside is read. The [Keyring] signs with
// one key and verifies with older ones, so keys rotate without breaking
// clients; a cursor from a key no longer in the ring is expired.
// [WithEncryption] also hides the content with AES-256-GCM.
//
// A cursor only works for the route, the caller scope ([WithScope]) and
// the values of the bound filter and sort parameters ([WithBind]) it was
// made for; the limit may change from page to page. Because the sort
// values end with a unique tiebreaker, a keyset query from the boundary
// neither skips nor repeats rows with equal sort values, in either
// direction, and rows inserted or deleted meanwhile do not shift pages.
//
// In the records style, starting_after and ending_before are plain object
// IDs, as the seed API documents them: clients build them from first_id
// and last_id (or any object they hold), so a signed token there would
// break documented usage. The service looks the ID up within the caller's
// scope, which both authorizes it and yields its sort values; a
// well-formed ID that names no object is answered with [Params.UnknownID]
// ([ErrUnknownCursor]). IDs are checked for length and alphabet only.
//
// # Pages
//
// [Build] trims the extra row, puts backward pages into display order,
// reports whether items follow and precede the page (HasNext, HasPrev;
// the records style's has_more is the one in the direction of travel),
// the first and last ids (null
// on an empty page), the count, the offset (carried in cursors, so cursor
// pages report it too), and signs the next and previous cursors. Totals are
// reported only when the handler adds one with [Page.WithTotal], typically
// when the client asked for it ([Names].Total). [Paginator.SetLink] sets
// the RFC 8288 Link header with next, prev and first URLs: relative
// references, or absolute under [WithBaseURL]; never built from the Host
// header.
//
// # Clients
//
// [All] and [Pages] are iterators over any paged API, driven by a
// [FetchFunc] or by [HTTPFetch], which sends a request you build (with its
// headers, such as Authorization) and follows what the [Decoder] finds:
// the body's cursor ([DecodeStandard], [DecodeRecords]; both prefer the
// Link header's rel="next" when the server sends one) or the Link header
// alone ([DecodeLink], for bare-array bodies such as the Plain dialect's):
//
//	req, _ := http.NewRequest("GET", "https://api.example.com/patients?limit=100", nil)
//	req.Header.Set("Authorization", "Bearer "+token)
//	fetch := pagination.HTTPFetch(client, req, pagination.DecodeStandard[Patient])
//	for p, err := range pagination.All(ctx, fetch) {
//		if err != nil {
//			return err
//		}
//		…
//	}
//
// They stop when the loop breaks, yield an error once and stop, check the
// context between pages, and fail with [ErrStalled] when the server says
// there is more but the cursor does not advance. HTTPFetch never follows
// a next page to another origin, so the request's credentials stay with
// the API they are for.
package pagination
