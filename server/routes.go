package server

import (
	"net/http"
	"strings"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ratelimit"
)

// routeMux lets the generated code register its routes on one ServeMux while each route gets
// its own chain (rate limit, draft check, body, validation) built once, at registration, from
// the pattern: a request is routed exactly once, by the ServeMux, and every layer after it knows
// the route without looking it up again.
type routeMux struct {
	*http.ServeMux
	wrap func(pattern string, h http.Handler) http.Handler
}

// HandleFunc registers h under pattern, wrapped in the route's chain.
func (m routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.ServeMux.Handle(pattern, m.wrap(pattern, http.HandlerFunc(h)))
}

// Handler returns the complete handler chain: logging and security headers around everything;
// one ServeMux for the contract's routes, the documentation, the draft page and a catch-all that
// answers 404 and 405 with problem+json; and around each API route its rate limit, body limits
// and contract validation. /health, /metrics, the documentation and the draft page are neither
// limited nor validated.
func (s *Server) Handler() (http.Handler, error) {
	v, err := newValidator()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	var routeErr error
	strict := gen.NewStrictHandlerWithOptions(s, []gen.StrictMiddlewareFunc{s.withBaseURL, withRequestURL, withQueryTimeout, s.whenLoaded}, gen.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	gen.HandlerWithOptions(strict, gen.StdHTTPServerOptions{
		BaseRouter: routeMux{ServeMux: mux, wrap: func(pattern string, h http.Handler) http.Handler {
			wrapped, err := s.apiRoute(v, pattern, h)
			if err != nil && routeErr == nil {
				routeErr = err
			}
			return wrapped
		}},
		ErrorHandlerFunc: s.requestError,
	})
	if routeErr != nil {
		return nil, routeErr
	}
	if err := s.mountDocs(mux); err != nil {
		return nil, err
	}
	mountProblems(mux)
	mountPage(mux)
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics) // for Prometheus: not limited, not in the contract
	}
	mux.Handle("/", s.noRoute(mux))
	return logRequests(s.log, s.closeWhenShuttingDown(secureHeaders(s.cfg.CORSAllowedOrigins, mux))), nil
}

// apiRoute builds the chain of one contract route. In order: the rate limit of its class (so
// a flood is refused before it costs anything); the per-client cap on expensive requests; for
// a draft's routes the token check (an unknown token is answered before its body is read); the
// body, bounded and strict; the contract validation; then the generated wrapper and the handler.
func (s *Server) apiRoute(v *validator, pattern string, h http.Handler) (http.Handler, error) {
	if pattern == "GET /health" {
		return h, nil
	}
	op, err := v.operation(pattern)
	if err != nil {
		return nil, err
	}
	if isBrowseRoute(pattern) {
		h = s.preview(h)
	}
	h = v.middleware(op, h)
	if pattern == githubWebhookPattern {
		h = s.webhookBody(h)
	} else {
		h = s.readBody(h)
	}
	if strings.Contains(pattern, "{token}") {
		h = s.requireDraft(h)
	}
	h = s.limitExpensive(pattern, h)
	h = s.limiter.Middleware(rateClass(pattern), h)
	return drainUnread(h), nil
}

// rateClass is the rate-limit budget of a contract route.
func rateClass(pattern string) string {
	switch {
	case pattern == "POST /api/v1/drafts":
		return ratelimit.ClassDraftCreate
	case strings.HasPrefix(pattern, "GET /api/v1/drafts/"):
		return ratelimit.ClassDraftRead
	case strings.HasPrefix(pattern, "PATCH /api/v1/drafts/"), strings.HasPrefix(pattern, "DELETE /api/v1/drafts/"),
		strings.HasPrefix(pattern, "POST /api/v1/drafts/"):
		return ratelimit.ClassDraftRead
	}
	switch pattern {
	case "GET /api/v1/entities/{entity_type}", "GET /api/v1/modules", "GET /api/v1/profiles", "GET /api/v1/bundles":
		return ratelimit.ClassList
	}
	return ratelimit.ClassRead
}

// noRoute answers every request no route takes: 405 with Allow when the path exists with other
// methods, else 404 (the one draft 404 under /api/v1/drafts/, so a malformed token looks like any
// other unknown one). Unmatched API requests spend the single-read budget, so probing costs too.
func (s *Server) noRoute(mux *http.ServeMux) http.Handler {
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			writeProblem(w, methodNotAllowedProblem(r.Method))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/v1/drafts/") {
			writeProblem(w, newProblem(http.StatusNotFound, detailDraftNotFound))
			return
		}
		writeProblem(w, newProblem(http.StatusNotFound, detailNoRoute))
	})
	limited := s.limiter.Middleware(ratelimit.ClassRead, answer)
	return drainUnread(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			limited.ServeHTTP(w, r)
			return
		}
		answer.ServeHTTP(w, r)
	}))
}

// allowedMethods lists the methods some route takes for the request's path ("" for none).
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: method, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allowed = append(allowed, method)
		}
	}
	return strings.Join(allowed, ", ")
}
