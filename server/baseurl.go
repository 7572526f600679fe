package server

import (
	"context"
	"errors"
	"net"
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

// baseURL is PUBLIC_BASE_URL or, without it, the scheme and host the request came in with. The
// Host header is the client's word: a capability URL built from "Host: evil.example" would send
// its holder, and the secret token, elsewhere. So the Host is used only when ALLOWED_HOSTS lists
// it; otherwise the host is the address of the listener that accepted the connection. The scheme
// is https for a TLS connection, or what X-Forwarded-Proto says when the peer is a trusted proxy;
// from anyone else that header is ignored.
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
	return scheme + "://" + s.requestHost(r)
}

// requestHost is the request's Host when ALLOWED_HOSTS lists it, else the local address the
// connection was accepted on.
func (s *Server) requestHost(r *http.Request) string {
	if hostAllowed(s.cfg.AllowedHosts, r.Host) {
		return strings.ToLower(r.Host)
	}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return addr.String()
	}
	// Outside a real connection (a handler called directly) there is no listener to name.
	return "localhost"
}

// hostAllowed reports whether host (a Host header: name or address, optional port) is in the
// allow-list. An entry with a port matches that port only; one without matches any port.
// Names compare without regard to case.
func hostAllowed(allowed []string, host string) bool {
	if host == "" {
		return false
	}
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		name = strings.Trim(host, "[]")
	}
	for _, entry := range allowed {
		if strings.EqualFold(entry, host) {
			return true
		}
		if _, _, err := net.SplitHostPort(entry); err != nil && strings.EqualFold(strings.Trim(entry, "[]"), name) {
			return true
		}
	}
	return false
}

// CheckAllowedHost reports why an ALLOWED_HOSTS entry cannot match a Host header, or nil.
func CheckAllowedHost(entry string) error {
	if entry == "" || strings.ContainsAny(entry, "/?#@ \t") {
		return errors.New("want host or host:port, without scheme or path")
	}
	if strings.Contains(entry, ":") && !strings.HasPrefix(entry, "[") && strings.Count(entry, ":") == 1 {
		if _, port, err := net.SplitHostPort(entry); err != nil || port == "" {
			return errors.New("want host or host:port, without scheme or path")
		}
	}
	return nil
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
