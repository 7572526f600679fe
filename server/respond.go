package server

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/snapshot"
)

// cachedJSON is a 200 answer whose body was encoded before the request came: a snapshot's
// entity, module or bundle, or a page assembled from such bodies. It satisfies the strict
// interface's response types of the read operations, so handlers stay typed while the bytes go
// out as they are, with no second encoding.
type cachedJSON struct {
	body []byte
	// etag is sent when set.
	etag string
	// link is sent as the Link header when set (the next page of a list).
	link string
}

func (c cachedJSON) write(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(c.body)))
	if c.etag != "" {
		h.Set("ETag", c.etag)
	}
	if c.link != "" {
		h.Set("Link", c.link)
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(c.body)
	return err
}

// The response types cachedJSON stands in for.

func (c cachedJSON) VisitGetEntityResponse(w http.ResponseWriter) error        { return c.write(w) }
func (c cachedJSON) VisitGetEntityCountsResponse(w http.ResponseWriter) error  { return c.write(w) }
func (c cachedJSON) VisitListEntitiesResponse(w http.ResponseWriter) error     { return c.write(w) }
func (c cachedJSON) VisitGetCategoryGraphResponse(w http.ResponseWriter) error { return c.write(w) }
func (c cachedJSON) VisitGetUsedByResponse(w http.ResponseWriter) error        { return c.write(w) }
func (c cachedJSON) VisitListModulesResponse(w http.ResponseWriter) error      { return c.write(w) }
func (c cachedJSON) VisitGetModuleResponse(w http.ResponseWriter) error        { return c.write(w) }
func (c cachedJSON) VisitListBundlesResponse(w http.ResponseWriter) error      { return c.write(w) }
func (c cachedJSON) VisitGetBundleResponse(w http.ResponseWriter) error        { return c.write(w) }
func (c cachedJSON) VisitListProfilesResponse(w http.ResponseWriter) error     { return c.write(w) }
func (c cachedJSON) VisitGetProfileResponse(w http.ResponseWriter) error       { return c.write(w) }

// notModified is the 304 answer to a conditional read whose ETag still matches.
type notModified struct{ etag string }

func (n notModified) write(w http.ResponseWriter) error {
	w.Header().Set("ETag", n.etag)
	w.WriteHeader(http.StatusNotModified)
	return nil
}

func (n notModified) VisitGetEntityResponse(w http.ResponseWriter) error        { return n.write(w) }
func (n notModified) VisitGetCategoryGraphResponse(w http.ResponseWriter) error { return n.write(w) }
func (n notModified) VisitGetUsedByResponse(w http.ResponseWriter) error        { return n.write(w) }
func (n notModified) VisitGetModuleResponse(w http.ResponseWriter) error        { return n.write(w) }
func (n notModified) VisitGetBundleResponse(w http.ResponseWriter) error        { return n.write(w) }
func (n notModified) VisitGetProfileResponse(w http.ResponseWriter) error       { return n.write(w) }

// conditionalBody answers a read of body with ETag etag: 304 when ifNoneMatch matches, else
// the body.
func conditionalBody(body []byte, etag string, ifNoneMatch *string) interface {
	VisitGetEntityResponse(http.ResponseWriter) error
	VisitGetCategoryGraphResponse(http.ResponseWriter) error
	VisitGetUsedByResponse(http.ResponseWriter) error
	VisitGetModuleResponse(http.ResponseWriter) error
	VisitGetBundleResponse(http.ResponseWriter) error
	VisitGetProfileResponse(http.ResponseWriter) error
} {
	if ifNoneMatch != nil && etagListMatches(*ifNoneMatch, etag) {
		return notModified{etag: etag}
	}
	return cachedJSON{body: body, etag: etag}
}

// pageBody assembles a list answer from encoded items: {"has_next":…,"items":[…],"next_cursor":…}.
func pageBody(items [][]byte, hasNext bool, nextCursor *string) []byte {
	size := 64
	for _, item := range items {
		size += len(item) + 1
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(`{"has_next":`)
	b.WriteString(strconv.FormatBool(hasNext))
	b.WriteString(`,"items":[`)
	for i, item := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(item)
	}
	b.WriteString(`],"next_cursor":`)
	if nextCursor == nil {
		b.WriteString("null")
	} else {
		// Cursors are base64url: nothing in them needs escaping.
		b.WriteString(`"` + *nextCursor + `"`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// requestURLKey is the context key of the request's URL, which list answers build their Link
// header from.
type requestURLKey struct{}

// withRequestURL keeps the URL of list requests in the context.
func withRequestURL(next gen.StrictHandlerFunc, operationID string) gen.StrictHandlerFunc {
	switch operationID {
	case "ListEntities", "ListModules", "ListBundles", "ListProfiles":
	default:
		return next
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		return next(context.WithValue(ctx, requestURLKey{}, r.URL), w, r, request)
	}
}

// pageAnswer is the answer of a list: the page's items, next_cursor, and — when there is a next
// page — an RFC 8288 Link header to it (the same request with the next cursor).
func pageAnswer(ctx context.Context, items [][]byte, page snapshot.Page) cachedJSON {
	next := nextCursor(page)
	answer := cachedJSON{body: pageBody(items, page.HasNext, next)}
	if u, ok := ctx.Value(requestURLKey{}).(*url.URL); ok && next != nil {
		q := u.Query()
		q.Set("cursor", *next)
		answer.link = "<" + (&url.URL{Path: u.Path, RawQuery: q.Encode()}).String() + `>; rel="next"`
	}
	return answer
}

// draftJSON is a 200 answer about a draft, encoded without HTML escaping: entities and notes
// are full of "<" and "&", which escaping would turn into six bytes each, so an answer stays
// about the size of what is stored. It is never cached (no-store).
type draftJSON struct{ v any }

func (d draftJSON) write(w http.ResponseWriter) error {
	body, err := snapshot.Encode(d.v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

func (d draftJSON) VisitGetDraftResponse(w http.ResponseWriter) error         { return d.write(w) }
func (d draftJSON) VisitUpdateDraftResponse(w http.ResponseWriter) error      { return d.write(w) }
func (d draftJSON) VisitListDraftChangesResponse(w http.ResponseWriter) error { return d.write(w) }
func (d draftJSON) VisitAddDraftChangeResponse(w http.ResponseWriter) error   { return d.write(w) }
func (d draftJSON) VisitGetDraftDiffResponse(w http.ResponseWriter) error     { return d.write(w) }
func (d draftJSON) VisitValidateDraftResponse(w http.ResponseWriter) error    { return d.write(w) }
