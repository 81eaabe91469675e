package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// maxResponseBytes is the largest success body [Read] accepts.
const maxResponseBytes = 32 << 20

// Info is what a success response says besides its data.
type Info struct {
	// Dialect names the detected wire format: "standard", "meta", "ack",
	// "records" or "plain".
	Dialect string
	// Status is the HTTP status.
	Status int
	// RequestID is the X-Request-Id header: the ID of this request.
	RequestID string
	// BodyRequestID is the request ID in the body (requestId,
	// meta.requestId or the ack's requestID), empty if there is none. On a
	// replayed response (Replayed) it is the ID of the first request,
	// whose stored response this is; otherwise the two IDs are equal.
	BodyRequestID string
	// Replayed reports an idempotent replay: the response carries
	// Idempotent-Replayed: true and is the stored answer of an earlier
	// request with the same Idempotency-Key.
	Replayed bool
	// Message is the standard dialect's message.
	Message string
	// Version is the meta dialect's meta.version.
	Version string
	// Timestamp is the body's timestamp (timestamp, meta.timestamp or
	// metadata.responseTimestamp); zero if absent or malformed.
	Timestamp time.Time
	// Page describes the page of a list: from the standard "pagination"
	// object (NextCursor is its lastKey) or the records style (HasNext is
	// has_more; FirstID, LastID, Count). Nil when the body is not a list.
	Page *pagination.Page
	// ReferenceID, ResponseType and ResponseID are the ack dialect's
	// metadata (its echoed requestID is BodyRequestID); empty for other
	// dialects.
	ReferenceID  string
	ResponseType AckType
	ResponseID   string
}

// Read decodes the response resp of any dialect. A success (status below
// 400) gives its data decoded into T and its [Info]; the dialect is
// recognised by its members: "success" and "statusCode" (standard), "data"
// and "meta" (meta), "requestID" and "metadata" (ack; T receives the whole
// body), "records" and "has_more" (records); anything else is decoded into T
// whole (plain). An error status gives the *problem.Problem of
// [problem.Parse], whatever the dialect; so does an ack body of type ERROR
// sent with HTTP 200, with the status of its code in the standard catalog
// (422 for other codes). Read accepts at most 32 MiB of body; it consumes
// and closes resp.Body.
func Read[T any](resp *http.Response) (T, Info, error) {
	var v T
	info := Info{Status: resp.StatusCode, RequestID: resp.Header.Get(headerRequestID),
		Replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	if resp.StatusCode >= 400 {
		p := problem.Parse(resp)
		_ = resp.Body.Close()
		return v, info, p
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return v, info, fmt.Errorf("envelope: reading the response: %w", err)
	}
	if len(body) > maxResponseBytes {
		return v, info, fmt.Errorf("envelope: the response exceeds %d bytes", maxResponseBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		info.Dialect = "plain"
		return v, info, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		m = nil // an array or a scalar: plain
	}
	data := json.RawMessage(body)
	switch {
	case has(m, "success", "statusCode"):
		info.Dialect = "standard"
		data = m["data"]
		info.Message = str(m["message"])
		info.Timestamp = parseTime(str(m["timestamp"]))
		info.BodyRequestID = str(m["requestId"])
		if raw, ok := m["pagination"]; ok {
			var s pagination.Standard
			if json.Unmarshal(raw, &s) == nil {
				pg := pagination.Page{Count: s.Count, HasNext: s.HasNext, Limit: s.Limit, Offset: s.Offset, Total: s.Total}
				if s.LastKey != nil {
					pg.NextCursor = *s.LastKey
				}
				info.Page = &pg
			}
		}
	case has(m, "data", "meta"):
		info.Dialect = "meta"
		data = m["data"]
		var meta struct {
			Version    string               `json:"version"`
			RequestID  string               `json:"requestId"`
			Timestamp  string               `json:"timestamp"`
			Pagination *pagination.Standard `json:"pagination"`
		}
		_ = json.Unmarshal(m["meta"], &meta)
		info.Version, info.Timestamp = meta.Version, parseTime(meta.Timestamp)
		info.BodyRequestID = meta.RequestID
		if s := meta.Pagination; s != nil {
			pg := pagination.Page{Count: s.Count, HasNext: s.HasNext, Limit: s.Limit, Offset: s.Offset, Total: s.Total}
			if s.LastKey != nil {
				pg.NextCursor = *s.LastKey
			}
			info.Page = &pg
		}
	case has(m, "requestID", "metadata"):
		info.Dialect = "ack"
		var md struct {
			ReferenceID       string  `json:"referenceID"`
			ResponseType      AckType `json:"responseType"`
			ResponseID        string  `json:"responseID"`
			ResponseTimestamp string  `json:"responseTimestamp"`
		}
		_ = json.Unmarshal(m["metadata"], &md)
		info.BodyRequestID = str(m["requestID"])
		info.ReferenceID, info.ResponseType, info.ResponseID = md.ReferenceID, md.ResponseType, md.ResponseID
		info.Timestamp = parseTime(md.ResponseTimestamp)
		if md.ResponseType == AckError {
			p := problem.Parse(&http.Response{StatusCode: http.StatusUnprocessableEntity,
				Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))})
			if cat, err := problem.NewCatalog(""); err == nil {
				if d, ok := cat.Lookup(p.Code); ok {
					p.Status = d.Status()
				}
			}
			return v, info, p
		}
	case has(m, "records", "has_more"):
		info.Dialect = "records"
		data = m["records"]
		var rec pagination.Records[json.RawMessage]
		_ = json.Unmarshal(body, &rec)
		pg := pagination.Page{Count: len(rec.Records), HasNext: rec.HasMore}
		if rec.FirstID != nil {
			pg.FirstID = *rec.FirstID
		}
		if rec.LastID != nil {
			pg.LastID = *rec.LastID
		}
		info.Page = &pg
	default:
		info.Dialect = "plain"
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			return v, info, fmt.Errorf("envelope: decoding the %s response data: %w", info.Dialect, err)
		}
	}
	return v, info, nil
}

func has(m map[string]json.RawMessage, keys ...string) bool {
	if m == nil {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
