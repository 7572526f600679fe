package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/jsoncheck"
)

// bodyBudget bounds the bytes of request bodies held in memory at once, across all requests:
// peak memory is then set by configuration, not by how many clients send large bodies at the
// same time. A request that would pass it is answered 503 with Retry-After at once.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

// acquire takes n bytes of the budget, reporting whether they were free.
func (b *bodyBudget) acquire(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

func (b *bodyBudget) release(n int64) { b.used.Add(-n) }

// readChunk is how much of a body of unknown length is read (and taken from the budget) at a time.
const readChunk = 32 << 10

// errBudget ends a read that the body budget cannot cover.
var errBudget = errors.New("server: body budget exhausted")

// readBody reads a request body into memory before validation and the handler see it: bounded
// by MAX_BODY_BYTES (413), within the shared body budget (503), and strict JSON for JSON bodies
// (400 naming the offending value: trailing data, invalid UTF-8, lone surrogates, duplicate
// keys, numbers outside what a 64-bit float holds). The validator and the handler then read the
// buffer.
func (s *Server) readBody(next http.Handler) http.Handler { return s.readBodyChecked(nil, next) }

// readBodyChecked is readBody that first hands the raw body (nil when empty) to check, before
// the strict-JSON check and everything after it: a webhook's signature covers the bytes as
// sent, and an unsigned delivery is refused before its content is looked at. check answers the
// request itself when it returns false.
func (s *Server) readBodyChecked(check func(http.ResponseWriter, *http.Request, []byte) bool, next http.Handler) http.Handler {
	tooLarge := newProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body exceeds %d bytes.", s.cfg.MaxBodyBytes))
	busy := newProblem(http.StatusServiceUnavailable, "The server is busy reading other request bodies; try again shortly.")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			if check == nil || check(w, r, nil) {
				next.ServeHTTP(w, r)
			}
			return
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			writeProblem(w, tooLarge)
			return
		}
		body, held, err := s.bufferBody(w, r)
		defer s.bodies.release(held)
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &maxErr):
			writeProblem(w, tooLarge)
			return
		case errors.Is(err, errBudget):
			w.Header().Set("Retry-After", "1")
			writeProblem(w, busy)
			return
		case err != nil:
			writeProblem(w, newProblem(http.StatusBadRequest, "The request body could not be read.",
				gen.FieldError{Location: gen.FieldErrorLocationBody, Message: "incomplete body"}))
			return
		}
		if check != nil && !check(w, r, body) {
			return
		}
		if isJSON(r.Header.Get("Content-Type")) {
			if err := jsoncheck.Check(body, jsoncheck.Limits{}); err != nil {
				writeProblem(w, newProblem(http.StatusBadRequest, detailInvalid, jsonFieldError(err)))
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// bufferBody reads the body, taking its bytes from the budget as they come (all at once when
// the length is known). It returns the bytes taken, to give back when the request is done.
func (s *Server) bufferBody(w http.ResponseWriter, r *http.Request) ([]byte, int64, error) {
	limited := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if n := r.ContentLength; n > 0 {
		if !s.bodies.acquire(n) {
			return nil, 0, errBudget
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(limited, body); err != nil {
			return nil, n, err
		}
		// A body longer than it said is not taken as shorter.
		if extra, _ := limited.Read(make([]byte, 1)); extra > 0 {
			return nil, n, errors.New("body longer than Content-Length")
		}
		return body, n, nil
	}
	var buf bytes.Buffer
	var held int64
	for {
		if !s.bodies.acquire(readChunk) {
			return nil, held, errBudget
		}
		held += readChunk
		buf.Grow(readChunk)
		n, err := io.CopyN(&buf, limited, readChunk)
		if err == io.EOF || err == nil && n < readChunk {
			return buf.Bytes(), held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}

// isJSON reports whether a Content-Type names JSON (application/json or a +json type).
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mediaType == "application/json" || len(mediaType) > 5 && mediaType[len(mediaType)-5:] == "+json"
}

// jsonFieldError names the value a strict-JSON error is about.
func jsonFieldError(err error) gen.FieldError {
	var jerr *jsoncheck.Error
	if errors.As(err, &jerr) {
		field := jerr.Pointer
		switch {
		case jerr.Syntax:
			field = "" // a broken document is the body's fault, not a field's
		case len(field) > 0:
			field = field[1:] // the contract's field paths have no leading slash
		}
		return gen.FieldError{Location: gen.FieldErrorLocationBody, Field: field,
			Message: "request body is not strict JSON: " + jerr.Reason + " (byte " + strconv.Itoa(jerr.Offset) + ")"}
	}
	return gen.FieldError{Location: gen.FieldErrorLocationBody, Message: err.Error()}
}

// Draining a body the server did not read. A client that sends its whole body before it reads
// the answer (Python's urllib and requests do) gets a TCP reset instead of a 413 or 429 if the
// server closes the connection while the body is still arriving: the reset discards the answer
// waiting in the client's buffer. So after answering early the server reads and discards what
// is left, up to drainLimit bytes and drainTime, before net/http closes the connection.
const (
	drainLimit = 8 << 20
	drainTime  = 5 * time.Second
)

// drainUnread wraps a handler so that whatever body it left unread is drained afterwards.
func drainUnread(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.Body
		next.ServeHTTP(w, r)
		if body == nil || body == http.NoBody || r.ContentLength == 0 || r.ContentLength > drainLimit {
			return
		}
		// The answer goes out first, so a client that reads while it sends has it at once.
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		_ = rc.SetReadDeadline(time.Now().Add(drainTime))
		_, _ = io.CopyN(io.Discard, body, drainLimit)
	})
}
