package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/ontohub/ontohub/gen"
)

// baseURLKey is the context key under which withBaseURL stores the capability URL base.
type baseURLKey struct{}

// withBaseURL is a strict middleware that hands CreateDraft the base of capability URLs, which
// may depend on the request (its Host) while strict handlers see only a context.
func (s *Server) withBaseURL(next gen.StrictHandlerFunc, operationID string) gen.StrictHandlerFunc {
	if operationID != "CreateDraft" {
		return next
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		return next(context.WithValue(ctx, baseURLKey{}, s.baseURL(r)), w, r, request)
	}
}

// baseURL is PUBLIC_BASE_URL or, without it, the scheme and Host the request came in with. The
// scheme is https for a TLS connection, or what X-Forwarded-Proto says when the peer is a trusted
// proxy; from anyone else that header is ignored.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicBaseURL != "" {
		return strings.TrimRight(s.cfg.PublicBaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if proto := forwardedProto(r); proto != "" && s.proxies.FromTrustedProxy(r) {
		scheme = proto
	}
	return scheme + "://" + r.Host
}

// forwardedProto returns the scheme the first proxy saw (the first X-Forwarded-Proto entry) when
// it is http or https, else "".
func forwardedProto(r *http.Request) string {
	first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	switch proto := strings.ToLower(strings.TrimSpace(first)); proto {
	case "http", "https":
		return proto
	}
	return ""
}
