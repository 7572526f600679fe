package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ontohub/ontohub/metrics"
)

// recorder remembers what a handler wrote, for the access log and for panics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records and writes the first status; a later one is dropped, since the status
// line has gone out (net/http would only log a "superfluous WriteHeader").
func (r *recorder) WriteHeader(status int) {
	if r.status != 0 {
		return
	}
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Write counts the body bytes (an implicit 200 when no status came first).
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// responseStarted reports whether a status was already written to w (found through Unwrap to
// the recorder of logRequests). After that, an error can only be logged, not answered.
func responseStarted(w http.ResponseWriter) bool {
	for {
		switch v := w.(type) {
		case *recorder:
			return v.status != 0
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return false
		}
	}
}

// closeWhenShuttingDown sets Connection: close on every response once CloseKeepAlives was
// called, so net/http closes each keep-alive connection after the response it is sending.
func (s *Server) closeWhenShuttingDown(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.closing.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// requestIDHeader carries the id that ties a response to its access-log line.
const requestIDHeader = "X-Request-ID"

// requestID returns the client's X-Request-ID when it is short and plain, else a fresh one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(requestIDHeader); id != "" && len(id) <= 64 && isPlainToken(id) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func isPlainToken(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// requestIDKey is the context key of the request id, so errors logged deeper can name it.
type requestIDKey struct{}

// requestIDFrom returns the id logRequests gave the request ("" outside one).
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// logRequests writes one access-log line per request and turns panics into a generic 500. The
// line names the route pattern, never the raw path: a draft path holds a secret capability token.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		observe := metrics.RequestStarted(r.Method)
		id := requestID(r)
		w.Header().Set(requestIDHeader, id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "request_id", id, "route", routeOf(r), "panic", fmt.Sprint(p))
				if rec.status == 0 {
					writeProblem(rec, newProblem(http.StatusInternalServerError, detailInternal))
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			observe(routeOf(r), status)
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("route", routeOf(r)),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("request_id", id),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// secureHeaders sets the headers every response carries, errors included, and answers CORS.
// Credentials are never allowed, so even a "*" origin list cannot leak a user's cookies.
func secureHeaders(allowedOrigins []string, next http.Handler) http.Handler {
	anyOrigin := slices.Contains(allowedOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if strings.HasPrefix(r.URL.Path, "/api/v1/drafts") {
			h.Set("Cache-Control", "no-store")
		}
		if len(allowedOrigins) > 0 && !anyOrigin {
			// The answer depends on Origin, so caches must keep one copy per origin, including
			// the copy for requests without one.
			h.Add("Vary", "Origin")
		}
		origin := r.Header.Get("Origin")
		if origin == "" || !anyOrigin && !slices.Contains(allowedOrigins, origin) {
			next.ServeHTTP(w, r)
			return
		}
		if anyOrigin {
			origin = "*"
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers",
			"ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-ID, Location, Link")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Content-Type, If-None-Match, X-Request-ID, Draft-Token")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routeOf names the route that answered r: the ServeMux pattern (set on r as it routes), never
// the raw path, which may hold a capability token.
func routeOf(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return "unmatched"
	}
	return r.Pattern
}
