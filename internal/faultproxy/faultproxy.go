// Package faultproxy is a TCP proxy for the store packages' fault tests:
// it forwards connections to a real server and, on demand, holds back a
// reply or freezes, so a test can make a server slow or unresponsive
// without touching the server others share.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a server.
type Proxy struct {
	// Stall, while set, holds back the server's next reply for the delay
	// given to New, then clears itself: the server has executed the
	// command, but the client's read times out.
	Stall atomic.Bool
	// Freeze, while set, forwards nothing in either direction.
	Freeze atomic.Bool

	ln     net.Listener
	target string
	delay  time.Duration
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

// New starts a proxy to target (host:port) on a loopback port; it stops
// when t ends.
func New(t testing.TB, target string, delay time.Duration) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, delay: delay}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(s, c, false)
		go p.pipe(c, s, true)
	}
}

// pipe copies from src to dst; replies (server to client) can be stalled.
func (p *Proxy) pipe(dst, src net.Conn, replies bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			for p.Freeze.Load() {
				time.Sleep(5 * time.Millisecond)
			}
			if replies && p.Stall.CompareAndSwap(true, false) {
				time.Sleep(p.delay)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// Pass the end on: a half-close after EOF, as the peer did.
			if tc, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				_ = tc.CloseWrite()
			} else {
				dst.Close()
			}
			return
		}
	}
}

func (p *Proxy) close() {
	p.Freeze.Store(false)
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
