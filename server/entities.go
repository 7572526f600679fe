package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/snapshot"
)

// GetEntityCounts counts the live entities of each type.
func (s *Server) GetEntityCounts(ctx context.Context, _ gen.GetEntityCountsRequestObject) (gen.GetEntityCountsResponseObject, error) {
	return cachedJSON{body: s.snapshot(ctx).CountsBody()}, nil
}

// ListEntities returns one page of live entities of one type, optionally searched and limited to
// a module's entities.
func (s *Server) ListEntities(ctx context.Context, req gen.ListEntitiesRequestObject) (gen.ListEntitiesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return gen.ListEntities400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badCursor(err)}, nil
	}
	query := snapshot.PageQuery{After: after, Limit: pageLimit(req.Params.Limit)}
	if q := req.Params.Q; q != nil {
		query.Words = snapshot.SearchWords(*q)
		switch {
		case len(query.Words) == 0:
			return gen.ListEntities400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badQuery("q",
				"the search has no words: use letters or digits")}, nil
		case len(query.Words) > snapshot.MaxSearchWords:
			return gen.ListEntities400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badQuery("q",
				fmt.Sprintf("the search has %d words; at most %d are allowed", len(query.Words), snapshot.MaxSearchWords))}, nil
		}
	}
	if module := req.Params.Module; module != nil {
		query.Module = *module
	}
	snap := s.snapshot(ctx)
	page, err := snap.Page(ontology.Kind(req.EntityType), query)
	if errors.Is(err, snapshot.ErrNoModule) {
		return gen.ListEntities404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailModuleNotFound)}, nil
	}
	if err != nil {
		return nil, err
	}
	items := make([][]byte, len(page.Items))
	for i, e := range page.Items {
		items[i] = e.Body
	}
	return pageAnswer(ctx, items, page), nil
}

// nextCursor is the cursor of the page after page, nil on the last one.
func nextCursor(page snapshot.Page) *string {
	if !page.HasNext || len(page.Items) == 0 {
		return nil
	}
	return encodeCursor(page.Items[len(page.Items)-1].ID)
}

// GetEntity returns one live entity of the given type.
func (s *Server) GetEntity(ctx context.Context, req gen.GetEntityRequestObject) (gen.GetEntityResponseObject, error) {
	e, ok := s.snapshot(ctx).Entity(ontology.Kind(req.EntityType), req.EntityId)
	if !ok {
		return gen.GetEntity404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailEntityNotFound)}, nil
	}
	return conditionalBody(e.Body, e.ETag, req.Params.IfNoneMatch), nil
}

// GetUsedBy returns the categories that use a property or subobject, directly or through
// inheritance, and for a property the subobjects that list it.
func (s *Server) GetUsedBy(ctx context.Context, req gen.GetUsedByRequestObject) (gen.GetUsedByResponseObject, error) {
	body, ok := s.snapshot(ctx).UsedBy(ontology.Kind(req.EntityType), req.EntityId)
	if !ok {
		return gen.GetUsedBy404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailEntityNotFound)}, nil
	}
	return encodedConditional(body, req.Params.IfNoneMatch)
}

// GetCategoryGraph returns a category's ancestors, descendants and effective properties and
// subobjects.
func (s *Server) GetCategoryGraph(ctx context.Context, req gen.GetCategoryGraphRequestObject) (gen.GetCategoryGraphResponseObject, error) {
	body, ok := s.snapshot(ctx).CategoryGraph(req.EntityId)
	if !ok {
		return gen.GetCategoryGraph404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailEntityNotFound)}, nil
	}
	return encodedConditional(body, req.Params.IfNoneMatch)
}

// encodedConditional encodes a computed answer and answers it conditionally on its ETag.
func encodedConditional(body any, ifNoneMatch *string) (interface {
	VisitGetCategoryGraphResponse(http.ResponseWriter) error
	VisitGetUsedByResponse(http.ResponseWriter) error
}, error) {
	encoded, err := snapshot.Encode(body)
	if err != nil {
		return nil, fmt.Errorf("server: encode: %w", err)
	}
	return conditionalBody(encoded, snapshot.ETag(encoded), ifNoneMatch), nil
}

func notFound(detail string) gen.NotFoundApplicationProblemPlusJSONResponse {
	return gen.NotFoundApplicationProblemPlusJSONResponse(newProblem(http.StatusNotFound, detail))
}

// badQuery is the 400 answer for a query parameter the contract accepts but the operation cannot use.
func badQuery(field, message string) gen.BadRequestApplicationProblemPlusJSONResponse {
	return gen.BadRequestApplicationProblemPlusJSONResponse(newProblem(http.StatusBadRequest, detailInvalid,
		gen.FieldError{Location: gen.FieldErrorLocationQuery, Field: field, Message: message}))
}

func badCursor(err error) gen.BadRequestApplicationProblemPlusJSONResponse {
	return badQuery("cursor", err.Error())
}

// Pagination. Every list is keyset-paginated on its id column: the cursor carries the last id of
// the previous page and the next page starts strictly after it. Rows inserted behind the cursor
// are not seen and deleted rows simply drop out, so a walk never repeats or skips a row that
// stays live throughout.

// defaultLimit is the page size when the request names none (the contract's default).
const defaultLimit = 20

func pageLimit(limit *gen.Limit) int {
	if limit == nil {
		return defaultLimit
	}
	// The validator keeps limit within 1–100; this guards direct calls.
	return min(max(int(*limit), 1), 100)
}

// cursor is the JSON inside the opaque, base64url-encoded cursor.
type cursor struct {
	After string `json:"after"`
}

func encodeCursor(after string) *string {
	// Marshalling a struct of one string cannot fail.
	raw, _ := json.Marshal(cursor{After: after})
	encoded := base64.RawURLEncoding.EncodeToString(raw)
	return &encoded
}

// decodeCursor returns the id a page starts after: "" without a cursor, an error for a cursor
// this server did not make.
func decodeCursor(encoded *gen.Cursor) (string, error) {
	if encoded == nil {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(*encoded, "="))
	if err != nil {
		return "", errors.New("not a cursor from a previous page (not base64url)")
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.After == "" {
		return "", errors.New("not a cursor from a previous page")
	}
	return c.After, nil
}

// Conditional requests. Single-resource reads send a strong ETag computed from the response body,
// so it changes exactly when the representation does (an ingest that leaves an entity as it was
// keeps it, on every replica).

// etagListMatches reports whether an If-None-Match value ("*" or a comma-separated list of
// entity tags) matches etag. If-None-Match uses the weak comparison (RFC 9110, 13.1.2): a W/
// prefix on either side is ignored.
func etagListMatches(header, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	rest := strings.TrimSpace(header)
	if rest == "*" {
		return true
	}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t,")
		tag := strings.TrimPrefix(rest, "W/")
		if !strings.HasPrefix(tag, `"`) {
			// Not an entity tag: skip to the next list element.
			i := strings.IndexByte(rest, ',')
			if i < 0 {
				return false
			}
			rest = rest[i+1:]
			continue
		}
		end := strings.IndexByte(tag[1:], '"')
		if end < 0 {
			return false
		}
		if tag[:end+2] == etag {
			return true
		}
		rest = tag[end+2:]
	}
	return false
}
