package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"
)

// DefaultMaxExpensivePerAddr is the default of Config.MaxExpensivePerAddr: a browser tab runs a
// search or two at a time; four leaves room for a few tabs behind one address.
const DefaultMaxExpensivePerAddr = 4

// expensiveRoute reports whether a request to pattern costs more than a lookup: a search (q) or
// module filter over a kind, a category's graph, an entity's used-by. Their cost grows with the
// ontology, so one client running many at once could take the CPU from everyone else. A draft
// preview (a Draft-Token header on a browse route) may have to be built first, which costs more
// than any of them.
func expensiveRoute(pattern string, r *http.Request) bool {
	if r.Header.Get(previewHeader) != "" && isBrowseRoute(pattern) {
		return true
	}
	switch pattern {
	case "POST /api/v1/drafts/{token}/validate", "POST /api/v1/drafts/{token}/submit":
		return true
	case "GET /api/v1/categories/{entity_id}/graph", "GET /api/v1/entities/{entity_type}/{entity_id}/used-by":
		return true
	case "GET /api/v1/entities/{entity_type}":
		q := r.URL.Query()
		return q.Has("q") || q.Has("module")
	}
	return false
}

// expensiveLimit counts the expensive requests each client address key has running.
type expensiveLimit struct {
	max     int
	mu      sync.Mutex
	running map[netip.Prefix]int
}

func newExpensiveLimit(max int) *expensiveLimit {
	if max <= 0 {
		max = DefaultMaxExpensivePerAddr
	}
	return &expensiveLimit{max: max, running: map[netip.Prefix]int{}}
}

// acquire takes a slot of key, reporting whether one was free.
func (l *expensiveLimit) acquire(key netip.Prefix) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[key] >= l.max {
		return false
	}
	l.running[key]++
	return true
}

func (l *expensiveLimit) release(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Keys without a running request are dropped, so the map holds only clients in flight.
	if l.running[key]--; l.running[key] <= 0 {
		delete(l.running, key)
	}
}

// limitExpensive answers an expensive request with 429 and Retry-After: 1 while its client
// already runs MAX_EXPENSIVE_PER_ADDR of them; other clients and cheap requests are not
// affected. The client is the rate limiter's key: the address (behind a trusted proxy, the
// forwarded one), IPv6 addresses grouped by their prefix.
func (s *Server) limitExpensive(pattern string, next http.Handler) http.Handler {
	busy := newProblem(http.StatusTooManyRequests, fmt.Sprintf(
		"Too many expensive requests (search, graph, used-by, draft previews) at once from your address; at most %d run at a time.",
		s.expensive.max))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !expensiveRoute(pattern, r) {
			next.ServeHTTP(w, r)
			return
		}
		key := s.limiter.ClientKey(s.proxies.Of(r))
		if !s.expensive.acquire(key) {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, busy)
			return
		}
		defer s.expensive.release(key)
		next.ServeHTTP(w, r)
	})
}
