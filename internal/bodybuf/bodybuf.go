// Package bodybuf lets a middleware that has read a request body whole hand
// the bytes to a decoder without a second read and copy: idempotency
// buffers the body (to fingerprint it) and envelope.Decode reads it, and
// neither package imports the other.
package bodybuf

// Taker is a request body held whole in memory.
//
// TakeUnread returns the bytes not read yet and marks them read, as a read
// to EOF would: a later Read returns io.EOF, and a Seek back makes them
// readable again. The caller must not modify the returned bytes, which
// stay the body's own.
type Taker interface {
	TakeUnread() []byte
}
