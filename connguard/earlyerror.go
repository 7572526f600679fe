package connguard

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// net/http answers requests it cannot parse before any handler runs, writing straight to the
// connection (conn.serve in net/http/server.go, Go 1.26) with one fmt.Fprintf, hence one Write:
//
//	"HTTP/1.1 431 Request Header Fields Too Large" + earlyErrorHeaders + "431 Request Header Fields Too Large"
//	"HTTP/1.1 501 Not Implemented" + earlyErrorHeaders + "Unsupported transfer encoding"
//	"HTTP/1.1 %d %s: %s" + earlyErrorHeaders + "%d %s: %s"   (status text and reason, e.g. "malformed Host header")
//	"HTTP/1.1 400 Bad Request" + earlyErrorHeaders + "400 Bad Request"
//
// and, on a TLS listener, to the connection beneath TLS: httpsMisuse.
// The previous response on the connection, if any, has been flushed completely before, so such
// a write starts at a response boundary. Tests on real sockets fail if a Go release changes the
// forms.
const (
	earlyErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	httpsMisuse       = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
	http11Prefix      = "HTTP/1.1 "
)

// rewriteEarlyError returns the problem+json equivalent of p when p is exactly one of net/http's
// plain-text early error responses, and false for everything else. The checks that reject
// ordinary responses come first and read a few bytes without allocating: this runs on every
// write of every connection.
func rewriteEarlyError(p []byte) ([]byte, bool) {
	if len(p) < len(http11Prefix)+4 || p[0] != 'H' {
		return nil, false
	}
	if p[7] == '0' {
		if string(p) != httpsMisuse { // compiles to a comparison, no copy
			return nil, false
		}
		return problemResponse("HTTP/1.0", http.StatusBadRequest,
			"Client sent an HTTP request to an HTTPS server.", ""), true
	}
	// Go's early errors are all 4xx or 5xx; this turns away every 1xx, 2xx and 3xx at once.
	if string(p[:len(http11Prefix)]) != http11Prefix || (p[9] != '4' && p[9] != '5') {
		return nil, false
	}
	end := bytes.IndexByte(p, '\r')
	if end < 0 || len(p)-end < len(earlyErrorHeaders) || string(p[end:end+len(earlyErrorHeaders)]) != earlyErrorHeaders {
		return nil, false
	}
	status, detail, ok := parseEarlyError(string(p[len(http11Prefix):end]), string(p[end+len(earlyErrorHeaders):]))
	if !ok {
		return nil, false
	}
	return problemResponse("HTTP/1.1", status, detail, ""), true
}

// parseEarlyError takes apart the status line after "HTTP/1.1 " and the body of a candidate
// early error and returns its status and the most specific text Go gave. The body must be the
// one Go writes for that status line. A handler's own text/plain error does not match: net/http
// adds Date and Content-Length to it unless the handler deliberately suppresses both.
func parseEarlyError(statusLine, body string) (int, string, bool) {
	codeText, reason, ok := strings.Cut(statusLine, " ")
	if !ok || len(codeText) != 3 {
		return 0, "", false
	}
	status, err := strconv.Atoi(codeText)
	text := http.StatusText(status)
	if err != nil || text == "" {
		return 0, "", false
	}
	switch {
	case reason == text && body == statusLine:
		return status, text, true
	case reason == text && status == http.StatusNotImplemented && body == "Unsupported transfer encoding":
		return status, body, true
	case strings.HasPrefix(reason, text+": ") && body == statusLine:
		return status, reason[len(text)+2:], true
	}
	return 0, "", false
}
