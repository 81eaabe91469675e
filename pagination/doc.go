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
//	pager, err := pagination.New(keys, pagination.WithBind("status"), pagination.WithScope(tenantOf))
//
//	func list(w http.ResponseWriter, r *http.Request) {
//		params, err := pager.Parse(r)
//		if err != nil {
//			problem.Write(w, r, err) // 400 naming the parameter
//			return
//		}
//		rows, err := store.Patients(r.Context(), params.After(), params.Backward, params.Fetch())
//		…
//		items, page, err := pagination.Build(params, rows, func(p Patient) pagination.Keyset {
//			return pagination.Keyset{ID: p.ID, Values: []any{p.CreatedAt, p.ID}}
//		})
//		…
//		pager.SetLink(w, r, page)
//		// standard style: data = items, pagination = page.Standard()
//		// records style:  pagination.RecordsOf(items, page)
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
