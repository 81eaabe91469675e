package signature

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/apikit-go/apikit/problem"
)

// readBody reads r.Body, at most limit bytes (no limit when limit < 0),
// and puts the bytes back as r.Body and r.GetBody. A body over the limit
// is left readable from its start and reported as a 413 problem.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		setBody(r, nil)
		return nil, nil
	}
	if limit >= 0 && r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if limit >= 0 && int64(len(room)) > limit+1-int64(len(buf)) {
			room = room[:limit+1-int64(len(buf))]
		}
		n, err := r.Body.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF || (limit >= 0 && int64(len(buf)) > limit) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, problem.From(err)
			}
			return nil, problem.InvalidRequest.Wrap(err, "The request body could not be read")
		}
	}
	if limit >= 0 && int64(len(buf)) > limit {
		rest := r.Body
		r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), rest}
		return nil, tooLarge(limit)
	}
	_ = r.Body.Close()
	setBody(r, buf)
	return buf, nil
}

func tooLarge(limit int64) error {
	return problem.RequestTooLarge.New("The request body exceeds the limit of " + strconv.FormatInt(limit, 10) + " bytes")
}

func setBody(r *http.Request, body []byte) {
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
		r.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	rb := &restoredBody{}
	rb.Reset(body)
	r.Body = rb
	r.GetBody = func() (io.ReadCloser, error) {
		rb := &restoredBody{}
		rb.Reset(body)
		return rb, nil
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// restoredBody is a body read into memory, readable again.
type restoredBody struct{ bytes.Reader }

func (*restoredBody) Close() error { return nil }
