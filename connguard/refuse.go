package connguard

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// tlsHandshakeRecord is the first byte a TLS client sends.
const tlsHandshakeRecord = 0x16

// refuse answers a connection beyond the limits with response, a 503, and closes it. The
// answer runs on its own goroutine so that Accept goes on at once; when all refusal slots are
// taken, as in a flood, the connection is closed without an answer instead.
func (l *Listener) refuse(nc net.Conn, response []byte) {
	defer l.report.note()
	select {
	case l.refusing <- struct{}{}:
	default:
		_ = nc.Close()
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		answerAndClose(nc, response)
	}()
}

// answerAndClose waits for the client's request, writes response and closes. Writing before the
// request arrives would race the client: Go's Transport, for one, drops a response that comes
// before it has sent its request. Closing with the request unread would send a reset that can
// destroy the response in the client's buffer, hence the half-close and the drain, as net/http
// does for its own 431.
func answerAndClose(nc net.Conn, response []byte) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(refusalTimeout))
	var first [512]byte
	n, err := nc.Read(first[:])
	if n == 0 && !errors.Is(err, os.ErrDeadlineExceeded) {
		return // the client is gone
	}
	if n > 0 && first[0] == tlsHandshakeRecord {
		return // plain HTTP would be noise to a TLS client
	}
	if _, err := nc.Write(response); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.CopyN(io.Discard, nc, refusalDrainBytes)
}
