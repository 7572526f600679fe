package connguard

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/problems"
)

// waitLimit bounds every wait for state in these tests. It is generous on purpose: it only
// decides how long a broken test hangs, never whether a working one passes.
const waitLimit = 10 * time.Second

// startServer serves handler on 127.0.0.1 through a Listener with cfg and the recommended
// server settings; tweak, when not nil, adjusts the server before it starts.
func startServer(t *testing.T, cfg Config, handler http.Handler, tweak func(*http.Server)) (*Listener, string) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(inner, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           handler,
		ConnState:         l.ConnState,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// The early errors under test make net/http log; that is noise here.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if tweak != nil {
		tweak(srv)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return l, inner.Addr().String()
}

// quiet is a Logger for tests that do not look at the log.
var quiet = slog.New(slog.DiscardHandler)

// okHandler answers every request with 200 and a short body.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ok")
})

// client is one raw TCP connection speaking HTTP/1.1 by hand, so that the tests decide exactly
// when connections open, stay idle and close.
type client struct {
	net.Conn
	br *bufio.Reader
}

// dial connects to addr, from the loopback address from when it is not empty.
func dial(t *testing.T, addr, from string) *client {
	t.Helper()
	d := net.Dialer{Timeout: waitLimit}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &client{Conn: nc, br: bufio.NewReader(nc)}
}

// response is a response read off a client connection, body included.
type response struct {
	*http.Response
	body []byte
}

// send writes raw and reads one response.
func (c *client) send(raw string) (response, error) {
	if err := c.SetDeadline(time.Now().Add(waitLimit)); err != nil {
		return response{}, err
	}
	if _, err := io.WriteString(c, raw); err != nil {
		return response{}, fmt.Errorf("write request: %w", err)
	}
	return c.read()
}

// read reads one response.
func (c *client) read() (response, error) {
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return response{}, fmt.Errorf("read response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("read body: %w", err)
	}
	return response{Response: resp, body: body}, nil
}

// get sends a keep-alive GET for path.
func (c *client) get(path string) (response, error) {
	return c.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n")
}

// mustGet is get for requests that must succeed with 200.
func (c *client) mustGet(t *testing.T, path string) {
	t.Helper()
	resp, err := c.get(path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %q", path, resp.StatusCode, resp.body)
	}
}

// closedByServer reports whether the server has closed c: a read ends in EOF or a reset rather
// than timing out.
func (c *client) closedByServer() bool {
	_ = c.SetReadDeadline(time.Now().Add(waitLimit))
	_, err := c.br.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// waitFor polls cond until it holds, failing the test after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStats waits until the Listener's current counts are open and idle.
func waitStats(t *testing.T, l *Listener, open, idle int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("open=%d idle=%d", open, idle), func() bool {
		s := l.Stats()
		return s.Open == open && s.Idle == idle
	})
}

// waitDrained waits until no connection is open or being refused.
func waitDrained(t *testing.T, l *Listener) {
	t.Helper()
	waitFor(t, "all connections released", func() bool {
		s := l.Stats()
		return s.Open == 0 && s.Idle == 0 && s.Refusing == 0
	})
}

// checkProblem fails unless resp is a complete problem+json answer with status that closes the
// connection, and returns its document.
func checkProblem(t *testing.T, resp response, status int) problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %q", resp.StatusCode, status, resp.body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	// ReadResponse turns "Connection: close" into Close and drops the header.
	if !resp.Close {
		t.Errorf("response does not close the connection")
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(resp.body)) {
		t.Errorf("Content-Length %q for a body of %d bytes", cl, len(resp.body))
	}
	var p problem
	dec := json.NewDecoder(strings.NewReader(string(resp.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("body %q is not a problem document: %v", resp.body, err)
	}
	if p.Type != problems.Type(status) || p.Status != status || p.Title != http.StatusText(status) || p.Detail == "" {
		t.Errorf("problem %+v does not describe status %d", p, status)
	}
	return p
}
