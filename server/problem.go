package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/problems"
)

// problemContentType is the media type of RFC 9457 problem details.
const problemContentType = "application/problem+json"

// Details of the problems every layer answers with. Keeping them as constants makes responses of
// one kind byte-identical, which matters for drafts: an unknown token and an expired one must not
// be told apart.
const (
	detailInvalid        = "The request does not match the API contract."
	detailNoRoute        = "No such path."
	detailInternal       = "An internal error occurred."
	detailUnavailable    = "The database is unavailable; try again shortly."
	detailLoading        = "The ontology is still loading; try again shortly."
	detailShuttingDown   = "The server is shutting down; try again shortly."
	detailDraftNotFound  = "Draft not found"
	detailEntityNotFound = "Entity not found"
)

// newProblem builds a problem document with the status's standard title.
func newProblem(status int, detail string, errs ...gen.FieldError) gen.Problem {
	p := gen.Problem{Type: problems.Type(status), Title: http.StatusText(status), Status: status, Detail: detail}
	if len(errs) > 0 {
		p.Errors = &errs
	}
	return p
}

// writeProblem writes p as application/problem+json. It is for the layers outside the strict
// handlers (validation, routing, limits, panics); handlers return the spec's typed responses.
func writeProblem(w http.ResponseWriter, p gen.Problem) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		// A Problem always encodes; this is unreachable short of a bug in encoding/json.
		slog.Error("encode problem", "error", err)
	}
	h := w.Header()
	h.Set("Content-Type", problemContentType)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(p.Status)
	_, _ = w.Write(buf.Bytes())
}

// notFoundHandler answers every path that is neither in the contract nor a documentation route.
func notFoundHandler(w http.ResponseWriter, _ *http.Request) {
	writeProblem(w, newProblem(http.StatusNotFound, detailNoRoute))
}

// methodNotAllowedProblem is the 405 answer, byte for byte the same whether the contract or a
// route outside it refuses method.
func methodNotAllowedProblem(method string) gen.Problem {
	return newProblem(http.StatusMethodNotAllowed, "Method "+method+" is not allowed on this path.")
}

// WriteTooManyRequests answers a request over its rate limit; the limiter has already set
// Retry-After and the RateLimit-* headers. Pass it as ratelimit.Config.OnLimited.
func WriteTooManyRequests(w http.ResponseWriter, _ *http.Request, retryAfter time.Duration) {
	writeProblem(w, newProblem(http.StatusTooManyRequests,
		fmt.Sprintf("Rate limit exceeded; retry after %d seconds.", int64(retryAfter/time.Second))))
}
