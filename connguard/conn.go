package connguard

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
)

// conn is an admitted connection. It holds one slot of its Listener until closed, and turns
// net/http's plain-text early errors into problem+json on the way out.
type conn struct {
	net.Conn
	l     *Listener
	key   netip.Addr // address key the slot is counted under, when keyed
	keyed bool       // whether the connection counts towards MaxConnsPerAddr

	// hijacked is set once a handler has taken the connection over: from then on its bytes are
	// the handler's and pass untouched, whatever they look like.
	hijacked atomic.Bool

	// Guarded by l.mu.
	released   bool  // the slot is given back; the connection is closed or being closed
	idle       bool  // on the idle list
	prev, next *conn // neighbours on the idle list, oldest first
}

// Write writes p, except that one of net/http's early error responses is replaced by its
// problem+json equivalent. Everything else goes straight to the connection, uncopied.
func (c *conn) Write(p []byte) (int, error) {
	if len(p) > 0 && p[0] == 'H' && !c.hijacked.Load() {
		if rewritten, ok := rewriteEarlyError(p); ok {
			if _, err := c.Conn.Write(rewritten); err != nil {
				return 0, fmt.Errorf("connguard: write problem response: %w", err)
			}
			// The caller asked for p to be written, and its equivalent was.
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

// ReadFrom hands response bodies to the underlying connection's ReadFrom, so that net/http
// keeps using sendfile and splice through the wrapper. Bodies are never early errors.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c}, r)
}

// writerOnly hides conn's ReadFrom from io.Copy, which would otherwise call it again.
type writerOnly struct{ io.Writer }

// errNoCloseWrite reports a connection that cannot be half-closed.
var errNoCloseWrite = errors.New("connguard: connection does not support CloseWrite")

// CloseWrite half-closes the connection. net/http uses it after a 431 so that the client reads
// the answer before the connection goes away, instead of a reset.
func (c *conn) CloseWrite() error {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		return errNoCloseWrite
	}
	return cw.CloseWrite()
}

// Close closes the connection and gives its slot back.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.l.release(c)
	return err
}
