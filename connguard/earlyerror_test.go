package connguard

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// goEarlyError formats an early error exactly as net/http's conn.serve does.
func goEarlyError(status int, reason string) string {
	if reason == "" {
		line := fmt.Sprintf("%d %s", status, http.StatusText(status))
		return "HTTP/1.1 " + line + earlyErrorHeaders + line
	}
	return fmt.Sprintf("HTTP/1.1 %d %s: %s%s%d %s: %s", status, http.StatusText(status), reason, earlyErrorHeaders,
		status, http.StatusText(status), reason)
}

func TestRewriteEarlyError(t *testing.T) {
	rewritten := []struct {
		name, in, proto string
		status          int
		detail          string
	}{
		{"431", goEarlyError(431, ""), "HTTP/1.1", 431, "Request Header Fields Too Large"},
		{"plain 400", goEarlyError(400, ""), "HTTP/1.1", 400, "Bad Request"},
		{"malformed Host", goEarlyError(400, "malformed Host header"), "HTTP/1.1", 400, "malformed Host header"},
		{"missing Host", goEarlyError(400, "missing required Host header"), "HTTP/1.1", 400, "missing required Host header"},
		{"505", goEarlyError(505, "unsupported protocol version"), "HTTP/1.1", 505, "unsupported protocol version"},
		{"501", fmt.Sprintf("HTTP/1.1 %d %s%sUnsupported transfer encoding", 501, "Not Implemented", earlyErrorHeaders),
			"HTTP/1.1", 501, "Unsupported transfer encoding"},
		{"HTTP to HTTPS", httpsMisuse, "HTTP/1.0", 400, "Client sent an HTTP request to an HTTPS server."},
	}
	for _, tc := range rewritten {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := rewriteEarlyError([]byte(tc.in))
			if !ok {
				t.Fatalf("%q not recognized", tc.in)
			}
			if !bytes.HasPrefix(out, []byte(tc.proto+" ")) {
				t.Errorf("status line of %q does not keep %s", out, tc.proto)
			}
			if !bytes.Contains(out, []byte("\r\nConnection: close\r\n")) {
				t.Errorf("%q lacks Connection: close", out)
			}
			resp, err := (&client{br: bufio.NewReader(bytes.NewReader(out))}).read()
			if err != nil {
				t.Fatal(err)
			}
			if p := checkProblem(t, resp, tc.status); p.Detail != tc.detail {
				t.Errorf("detail %q, want %q", p.Detail, tc.detail)
			}
		})
	}

	passed := []struct{ name, in string }{
		{"empty", ""},
		{"short", "HTTP/1.1 4"},
		{"200", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"problem 404", "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nContent-Type: application/problem+json\r\n\r\n{}"},
		{"handler text error", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n" +
			"Date: Mon, 02 Jan 2006 15:04:05 GMT\r\nContent-Length: 12\r\n\r\nBad Request\n"},
		{"trailing byte", goEarlyError(431, "") + "x"},
		{"first half", goEarlyError(431, "")[:60]},
		{"headers only", "HTTP/1.1 431 Request Header Fields Too Large" + earlyErrorHeaders},
		{"body of another status", "HTTP/1.1 431 Request Header Fields Too Large" + earlyErrorHeaders + "400 Bad Request"},
		{"unknown status", "HTTP/1.1 499 Closed" + earlyErrorHeaders + "499 Closed"},
		{"wrong status text", "HTTP/1.1 400 Bad" + earlyErrorHeaders + "400 Bad"},
		{"reason without status text", "HTTP/1.1 400 malformed" + earlyErrorHeaders + "400 malformed"},
		{"HTTPS misuse cut short", httpsMisuse[:40]},
		{"HTTP/1.0 response", "HTTP/1.0 200 OK\r\n\r\nok"},
		{"body bytes", strings.Repeat("x", 200)},
	}
	for _, tc := range passed {
		t.Run(tc.name, func(t *testing.T) {
			if out, ok := rewriteEarlyError([]byte(tc.in)); ok {
				t.Errorf("%q rewritten to %q", tc.in, out)
			}
		})
	}
}

func TestEarlyErrorsBecomeProblems(t *testing.T) {
	huge := "GET / HTTP/1.1\r\nHost: test\r\nX-Huge: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"
	tests := []struct {
		name, raw string
		status    int
		detail    string
	}{
		{"1 MiB header", huge, 431, "Request Header Fields Too Large"},
		{"malformed Host", "GET / HTTP/1.1\r\nHost: exa mple.org\r\n\r\n", 400, "malformed Host header"},
		{"bad request line", "GARBAGE\r\n\r\n", 400, "Bad Request"},
		{"missing Host", "GET / HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
		{"invalid header name", "GET / HTTP/1.1\r\nHost: test\r\nBad Name: v\r\n\r\n", 400, "invalid header name"},
		{"unsupported transfer encoding", "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
			"Unsupported transfer encoding"},
		{"unsupported version", "GET / HTTP/2.5\r\nHost: test\r\n\r\n", 505, "unsupported protocol version"},
	}
	l, addr := startServer(t, Config{Logger: quiet}, okHandler, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr, "")
			resp, err := sendWhileReading(c, tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if p := checkProblem(t, resp, tc.status); p.Detail != tc.detail {
				t.Errorf("detail %q, want %q", p.Detail, tc.detail)
			}
			if !c.closedByServer() {
				t.Error("connection left open after an early error")
			}
		})
	}
	t.Run("after a response on the same connection", func(t *testing.T) {
		c := dial(t, addr, "")
		c.mustGet(t, "/")
		resp, err := c.send("GET / HTTP/1.1\r\nHost: exa mple.org\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, resp, http.StatusBadRequest)
	})
	waitDrained(t, l)
}

// sendWhileReading writes raw on its own goroutine while reading the response: the server
// answers an oversized request before reading all of it, and a client that insisted on writing
// first would block on a full socket buffer.
func sendWhileReading(c *client, raw string) (response, error) {
	written := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, raw)
		written <- err
	}()
	resp, err := c.read()
	if err != nil {
		return response{}, fmt.Errorf("%w (write: %v)", err, <-written)
	}
	return resp, nil
}

func TestHeaderLimitWithRecommendedSettings(t *testing.T) {
	// With MaxHeaderBytes 64 KiB net/http reads up to 64 KiB + 4096 bytes of request head
	// (request line, header lines, blank line) before it gives up with 431.
	const limit = 64<<10 + 4096
	head := func(size int) string {
		const frame = "GET / HTTP/1.1\r\nHost: test\r\nX-Pad: \r\n\r\n"
		return "GET / HTTP/1.1\r\nHost: test\r\nX-Pad: " + strings.Repeat("a", size-len(frame)) + "\r\n\r\n"
	}
	l, addr := startServer(t, Config{Logger: quiet}, okHandler, nil)

	c := dial(t, addr, "")
	resp, err := sendWhileReading(c, head(limit))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a head of %d bytes got %d, want 200", limit, resp.StatusCode)
	}
	_ = c.Close()

	c = dial(t, addr, "")
	resp, err = sendWhileReading(c, head(limit+1))
	if err != nil {
		t.Fatal(err)
	}
	checkProblem(t, resp, http.StatusRequestHeaderFieldsTooLarge)
	_ = c.Close()
	waitDrained(t, l)
}

func TestResponsesPassUntouched(t *testing.T) {
	// A body that is, byte for byte, an early error is still just a body.
	body := goEarlyError(400, "")
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, body)
		http.NewResponseController(w).Flush()
		_, _ = io.WriteString(w, body)
	})
	_, addr := startServer(t, Config{Logger: quiet}, h, nil)
	resp, err := dial(t, addr, "").get("/")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(resp.body) != body+body {
		t.Errorf("got %d %q, want 200 and the body twice", resp.StatusCode, resp.body)
	}
}

func TestHTTPRequestToHTTPSListener(t *testing.T) {
	srv := httptest.NewUnstartedServer(okHandler)
	l, err := Listen(srv.Listener, Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Config.ConnState = l.ConnState
	// The server logs the plain request, as it should; that is noise here.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS() // wraps l in tls.NewListener
	defer srv.Close()
	addr := l.Addr().String()

	c := dial(t, addr, "")
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(c.br)
	if err != nil && !isReset(err) {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("HTTP/1.0 400 Bad Request\r\n")) || !bytes.Contains(raw, []byte("\r\nConnection: close\r\n")) {
		t.Fatalf("plain HTTP to the TLS port got %q", raw)
	}
	resp, err := (&client{br: bufio.NewReader(bytes.NewReader(raw))}).read()
	if err != nil {
		t.Fatal(err)
	}
	checkProblem(t, resp, http.StatusBadRequest)

	// TLS clients are tracked through tls.Conn.NetConn: their idle connections count as idle.
	tlsResp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, tlsResp.Body)
	_ = tlsResp.Body.Close()
	waitStats(t, l, 1, 1)
	srv.Client().CloseIdleConnections()
	waitDrained(t, l)
}

func TestConnStateIgnoresOtherConnections(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(inner, Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	l.ConnState(a, http.StateIdle)
	l.ConnState(&conn{Conn: b, l: &Listener{}}, http.StateIdle)
	if s := l.Stats(); s.Idle != 0 || s.Open != 0 {
		t.Errorf("stats %+v after foreign connections", s)
	}
}

func TestOrdinaryWritesCostNoAllocation(t *testing.T) {
	writes := [][]byte{
		[]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"),
		[]byte("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nContent-Type: application/problem+json\r\n\r\n{}"),
		[]byte("HTTP/1.0 200 OK\r\n\r\n" + strings.Repeat("b", 100)),
		[]byte(strings.Repeat("H", 4096)),
	}
	for _, p := range writes {
		if n := testing.AllocsPerRun(100, func() { rewriteEarlyError(p) }); n != 0 {
			t.Errorf("checking %.20q allocates %v times", p, n)
		}
	}
}
