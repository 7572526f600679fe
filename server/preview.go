package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// DefaultPreviewCacheSize is how many built draft previews a replica keeps by default.
const DefaultPreviewCacheSize = 4

// previewHeader carries a draft's token on a browse request to preview the draft.
const previewHeader = "Draft-Token"

// previewKey is the context key of the preview snapshot a request answers from.
type previewKey struct{}

// isBrowseRoute reports whether a contract route reads the ontology (and so can preview a draft).
func isBrowseRoute(pattern string) bool {
	return strings.HasPrefix(pattern, "GET /api/v1/") && !strings.HasPrefix(pattern, "GET /api/v1/drafts")
}

// preview answers a browse request from the ontology as the draft named by its Draft-Token
// header would make it. Every browse answer varies on that header; a preview is private and
// never stored. An unknown token is the one draft 404. The token is never logged.
func (s *Server) preview(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", previewHeader)
		token := r.Header.Get(previewHeader)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		hash, ok := capabilityHash(token)
		if !ok {
			writeProblem(w, draftNotFound())
			return
		}
		snap, err := s.previewSnapshot(r.Context(), hash)
		if errors.Is(err, store.ErrNotFound) {
			writeProblem(w, draftNotFound())
			return
		}
		if errors.Is(err, errBusy) {
			_ = busyAnswer{}.write(w)
			return
		}
		if err != nil {
			s.responseError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), previewKey{}, snap)))
	})
}

// previewSnapshot returns the preview of the draft of hash over the snapshot served now, from
// the cache when the draft's change set and the snapshot are the ones it was built for.
func (s *Server) previewSnapshot(ctx context.Context, hash string) (*snapshot.Snapshot, error) {
	// The draft's row is small; its change set may be megabytes. Read the row, look in the
	// cache, and only with a turn to build read the changes: a queue of waiting requests must
	// not hold a change set each.
	draft, err := s.store.DraftByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	base := s.snapshots.Current()
	key := previewCacheKey{draft: draft.ID, revision: draft.Revision, base: base}
	if snap, ok := s.previews.get(key); ok {
		return snap, nil
	}
	if !s.heavy.acquire(ctx) {
		return nil, errBusy
	}
	defer s.heavy.release()
	// Another request may have built it while this one waited.
	if snap, ok := s.previews.get(key); ok {
		return snap, nil
	}
	draft, changes, err := s.store.DraftWithChanges(ctx, hash)
	if err != nil {
		return nil, err
	}
	key.revision = draft.Revision
	preview := make([]snapshot.Change, len(changes))
	for i, c := range changes {
		preview[i] = snapshot.Change{Kind: ontology.Kind(c.EntityType), ID: c.EntityID, Data: c.Entity, At: c.UpdatedAt}
	}
	snap, err := base.With(preview)
	if err != nil {
		return nil, err
	}
	s.previews.put(key, snap)
	return snap, nil
}

// errBusy is a heavy request that found no turn (see heavyLimit).
var errBusy = errors.New("server: busy")

// previewCacheKey names one build of a preview: a draft at a revision of its change set over
// one snapshot.
type previewCacheKey struct {
	draft    uuid.UUID
	revision int64
	base     *snapshot.Snapshot
}

// previewCache keeps the last few previews built, so browsing a draft's preview page by page
// builds it once. It holds at most size entries, one per draft, dropping the least recently
// used.
type previewCache struct {
	mu      sync.Mutex
	size    int
	entries []previewEntry // most recently used last
}

type previewEntry struct {
	key  previewCacheKey
	snap *snapshot.Snapshot
}

func newPreviewCache(size int) *previewCache {
	if size <= 0 {
		size = DefaultPreviewCacheSize
	}
	return &previewCache{size: size}
}

func (c *previewCache) get(key previewCacheKey) (*snapshot.Snapshot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.key == key {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			return e.snap, true
		}
	}
	return nil, false
}

func (c *previewCache) put(key previewCacheKey, snap *snapshot.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.entries[:0:0]
	for _, e := range c.entries {
		// One entry per draft: an older revision or snapshot of it is of no more use.
		if e.key.draft != key.draft {
			kept = append(kept, e)
		}
	}
	if len(kept) >= c.size {
		kept = kept[len(kept)-c.size+1:]
	}
	c.entries = append(kept, previewEntry{key: key, snap: snap})
}
