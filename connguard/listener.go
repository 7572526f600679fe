// Package connguard protects an http.Server from connection-level abuse. Its Listener caps open
// connections in total and per client address, closes idle keep-alive connections to make room
// rather than turning new clients away, backs off on accept errors such as EMFILE instead of
// spinning, and rewrites the plain-text errors net/http answers malformed requests with into
// the problem+json the rest of the API speaks.
//
// A refused connection is answered with an HTTP/1.1 503 problem+json carrying Retry-After: 1 and
// is closed. The rewriting of early errors sees plain HTTP only: with TLS terminated on top of
// the Listener, net/http's errors are encrypted before they reach it (all but the answer to
// plain HTTP on the TLS port, which is written beneath TLS and is rewritten).
package connguard

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Stats are a Listener's counters. Open, Idle and Refusing are current; the rest are totals
// since Listen.
type Stats struct {
	// Open is the number of admitted connections not yet closed, hijacked ones included.
	Open int
	// Idle is how many of Open are idle keep-alive connections, the ones that may be closed
	// to make room.
	Idle int
	// Refusing is the number of refused connections still being answered; each holds a
	// descriptor for at most a second.
	Refusing int
	// RefusedPerAddr counts connections refused because their address key was at MaxConnsPerAddr.
	RefusedPerAddr uint64
	// RefusedAtCapacity counts connections refused at MaxConns with no idle connection to close.
	RefusedAtCapacity uint64
	// IdleEvicted counts idle connections closed to admit a new one, at MaxConns or when
	// accept failed for want of descriptors.
	IdleEvicted uint64
	// AcceptErrors counts failed accepts that were retried, such as EMFILE.
	AcceptErrors uint64
}

// Listener is a net.Listener that admits connections within its limits. Pass its ConnState
// method as http.Server.ConnState so that it knows which connections are idle.
type Listener struct {
	inner  net.Listener
	limits limits
	report *reporter

	// The complete 503 responses of the two refusals, built once.
	refusePerAddr    []byte
	refuseAtCapacity []byte
	// refusing holds a token per refused connection being answered.
	refusing chan struct{}

	done      chan struct{} // closed by Close, to cut an accept back-off short
	closeOnce sync.Once

	mu       sync.Mutex
	open     int
	perAddr  map[netip.Addr]int
	idleHead *conn // idle for longest
	idleTail *conn
	idle     int
	stats    Stats  // the totals; the current counts live in the fields above
	lastErr  string // last accept error, for the summary
	lastAddr netip.Addr
}

// Listen wraps ln. The Listener owns ln from then on: closing it closes ln.
func Listen(ln net.Listener, cfg Config) (*Listener, error) {
	lim, err := newLimits(cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	l := &Listener{
		inner:  ln,
		limits: lim,
		refusePerAddr: problemResponse("HTTP/1.1", http.StatusServiceUnavailable,
			"Too many open connections from your address; close idle ones or retry shortly.", "Retry-After: 1\r\n"),
		refuseAtCapacity: problemResponse("HTTP/1.1", http.StatusServiceUnavailable,
			"The server has too many open connections; retry shortly.", "Retry-After: 1\r\n"),
		refusing: make(chan struct{}, refusalSlots),
		done:     make(chan struct{}),
		perAddr:  make(map[netip.Addr]int),
	}
	l.report = newReporter(log, LogInterval, l.summary)
	return l, nil
}

// Accept waits for the next connection within the limits. Connections beyond them are answered
// and closed here and never returned. Temporary accept errors are retried with a pause growing
// from 5 ms to 1 s, except that EMFILE and ENFILE first close the connection idle for longest,
// if any, and retry at once. Accept returns an error only once the underlying listener fails for
// good, as after Close.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		nc, err := l.inner.Accept()
		if err != nil {
			if !isTemporary(err) {
				return nil, fmt.Errorf("connguard: accept: %w", err)
			}
			if l.acceptFailed(err) {
				continue // a descriptor was freed: the pending connection fits now
			}
			delay = nextDelay(delay)
			if !l.pause(delay) {
				return nil, fmt.Errorf("connguard: accept: %w", net.ErrClosed)
			}
			continue
		}
		delay = 0
		if c := l.admit(nc); c != nil {
			return c, nil
		}
	}
}

// isTemporary reports whether an accept error may go away by itself: too many open files,
// aborted handshakes and the like. It is the test net/http's Server.Serve applies.
func isTemporary(err error) bool {
	var ne net.Error
	// Temporary is deprecated for being ill-defined in general, but on accept it still marks
	// exactly the errors worth retrying (EMFILE, ENFILE, ECONNABORTED...).
	//lint:ignore SA1019 the accept-error test net/http itself applies
	return errors.As(err, &ne) && ne.Temporary()
}

// nextDelay doubles the pause after an accept error from 5 ms up to 1 s, as net/http does.
func nextDelay(d time.Duration) time.Duration {
	const first, most = 5 * time.Millisecond, time.Second
	if d == 0 {
		return first
	}
	return min(2*d, most)
}

// pause sleeps for d and reports whether the Listener is still open.
func (l *Listener) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}

// acceptFailed records a temporary accept error. When it says the process is out of
// descriptors, the connection idle for longest is closed to free one, and acceptFailed reports
// whether it did.
func (l *Listener) acceptFailed(err error) bool {
	var victim *conn
	l.mu.Lock()
	l.stats.AcceptErrors++
	l.lastErr = err.Error()
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		victim = l.evictLocked()
	}
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Conn.Close()
	}
	l.report.note()
	return victim != nil
}

// admit counts nc in and returns it wrapped, or refuses it and returns nil.
func (l *Listener) admit(nc net.Conn) *conn {
	key, keyed := l.limits.addrKey(nc.RemoteAddr())
	var victim *conn
	l.mu.Lock()
	if keyed && l.perAddr[key] >= l.limits.maxPerAddr {
		l.stats.RefusedPerAddr++
		l.lastAddr = key
		l.mu.Unlock()
		l.refuse(nc, l.refusePerAddr)
		return nil
	}
	if l.open >= l.limits.maxConns {
		if victim = l.evictLocked(); victim == nil {
			l.stats.RefusedAtCapacity++
			l.mu.Unlock()
			l.refuse(nc, l.refuseAtCapacity)
			return nil
		}
	}
	c := &conn{Conn: nc, l: l, key: key, keyed: keyed}
	l.open++
	if keyed {
		l.perAddr[key]++
	}
	l.mu.Unlock()
	if victim != nil {
		// Outside the lock: closing may take a moment. The slot is already given back, so the
		// Close net/http calls when its read fails finds nothing left to release.
		_ = victim.Conn.Close()
		l.report.note()
	}
	return c
}

// evictLocked takes the connection idle for longest off the books and returns it for the caller
// to close, or nil when none is idle. The caller holds l.mu.
func (l *Listener) evictLocked() *conn {
	victim := l.idleHead
	if victim == nil {
		return nil
	}
	l.releaseLocked(victim)
	l.stats.IdleEvicted++
	return victim
}

// release gives c's slot back; only the first call for a connection counts.
func (l *Listener) release(c *conn) {
	l.mu.Lock()
	l.releaseLocked(c)
	l.mu.Unlock()
}

func (l *Listener) releaseLocked(c *conn) {
	if c.released {
		return
	}
	c.released = true
	l.unlinkIdleLocked(c)
	l.open--
	if c.keyed {
		if n := l.perAddr[c.key] - 1; n > 0 {
			l.perAddr[c.key] = n
		} else {
			delete(l.perAddr, c.key) // keeps the map as small as the set of connected clients
		}
	}
}

// ConnState follows the connections through net/http's states; pass it as http.Server.ConnState
// (from a wrapper, if the server needs its own hook too). Without it no connection is known to
// be idle, and MaxConns refuses new connections where it would close idle ones. Connections of
// other listeners are ignored; connections under TLS are found through NetConn.
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	c := l.own(nc)
	if c == nil {
		return
	}
	if state == http.StateHijacked {
		c.hijacked.Store(true)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateIdle:
		if !c.released && !c.idle {
			l.pushIdleLocked(c)
		}
	case http.StateActive, http.StateHijacked, http.StateClosed:
		l.unlinkIdleLocked(c)
	}
}

// own returns the conn of this Listener beneath nc, or nil.
func (l *Listener) own(nc net.Conn) *conn {
	// A few layers at most (TLS); the bound guards against a wrapper returning itself.
	for range 8 {
		switch v := nc.(type) {
		case *conn:
			if v.l == l {
				return v
			}
			return nil
		case interface{ NetConn() net.Conn }:
			nc = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// pushIdleLocked appends c to the idle list, whose head has been idle for longest.
func (l *Listener) pushIdleLocked(c *conn) {
	c.idle = true
	c.prev, c.next = l.idleTail, nil
	if l.idleTail != nil {
		l.idleTail.next = c
	} else {
		l.idleHead = c
	}
	l.idleTail = c
	l.idle++
}

func (l *Listener) unlinkIdleLocked(c *conn) {
	if !c.idle {
		return
	}
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.idleHead = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.idleTail = c.prev
	}
	c.prev, c.next, c.idle = nil, nil, false
	l.idle--
}

// Stats returns the current counters.
func (l *Listener) Stats() Stats {
	s, _, _ := l.summary()
	return s
}

// summary is what the periodic log line reports besides the counters.
func (l *Listener) summary() (Stats, string, netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Open, s.Idle = l.open, l.idle
	s.Refusing = len(l.refusing)
	return s, l.lastErr, l.lastAddr
}

// Addr returns the address of the underlying listener.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Close stops accepting and closes the underlying listener. Admitted connections stay open;
// http.Server.Shutdown closes them.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.report.stop()
	})
	if err := l.inner.Close(); err != nil {
		return fmt.Errorf("connguard: close: %w", err)
	}
	return nil
}
