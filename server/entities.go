package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// GetEntityCounts counts the live entities of each type.
func (s *Server) GetEntityCounts(ctx context.Context, _ gen.GetEntityCountsRequestObject) (gen.GetEntityCountsResponseObject, error) {
	counts, err := s.store.EntityCounts(ctx)
	if err != nil {
		return nil, err
	}
	var body gen.EntityCounts
	body.Counts.Category = counts.Category
	body.Counts.Property = counts.Property
	body.Counts.Subobject = counts.Subobject
	body.Total = counts.Total()
	return gen.GetEntityCounts200JSONResponse(body), nil
}

// ListEntities returns one page of live entities of one type, optionally searched and limited to
// a module's entities.
func (s *Server) ListEntities(ctx context.Context, req gen.ListEntitiesRequestObject) (gen.ListEntitiesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return gen.ListEntities400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badCursor(err)}, nil
	}
	query := store.EntityQuery{EntityType: string(req.EntityType), After: after, Limit: pageLimit(req.Params.Limit)}
	if q := req.Params.Q; q != nil {
		if len(store.SearchWords(*q)) == 0 {
			return gen.ListEntities400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badQuery("q",
				"the search has no words: use letters or digits")}, nil
		}
		query.Search = *q
	}
	if module := req.Params.Module; module != nil {
		members, err := s.moduleMembers(ctx, *module)
		if errors.Is(err, store.ErrNotFound) {
			return gen.ListEntities404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailModuleNotFound)}, nil
		}
		if err != nil {
			return nil, err
		}
		query.IDs = membersOfType(members, req.EntityType)
	}

	page, err := s.store.Entities(ctx, query)
	if err != nil {
		return nil, err
	}
	items, next := pageItems(page, entityBody, func(e store.Entity) string { return e.EntityID })
	return gen.ListEntities200JSONResponse{Items: items, HasNext: page.HasNext, NextCursor: next}, nil
}

// membersOfType picks the ids of one entity type out of a module's members; never nil, so an
// empty module matches nothing rather than everything.
func membersOfType(members ontology.ModuleMembers, entityType gen.EntityType) []string {
	var ids []string
	switch entityType {
	case gen.EntityTypeCategory:
		ids = members.Categories
	case gen.EntityTypeProperty:
		ids = members.Properties
	case gen.EntityTypeSubobject:
		ids = members.Subobjects
	}
	if ids == nil {
		ids = []string{}
	}
	return ids
}

// GetEntity returns one live entity of the given type.
func (s *Server) GetEntity(ctx context.Context, req gen.GetEntityRequestObject) (gen.GetEntityResponseObject, error) {
	e, err := s.store.Entity(ctx, string(req.EntityType), req.EntityId)
	if errors.Is(err, store.ErrNotFound) {
		return gen.GetEntity404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailEntityNotFound)}, nil
	}
	if err != nil {
		return nil, err
	}
	body := entityBody(e)
	tag, unchanged, err := conditional(body, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return gen.GetEntity304Response{Headers: gen.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return gen.GetEntity200JSONResponse{Body: body, Headers: gen.GetEntity200ResponseHeaders{ETag: &tag}}, nil
}

// GetUsedBy returns the categories that use a property or subobject, directly or through
// inheritance, and for a property the subobjects that list it.
func (s *Server) GetUsedBy(ctx context.Context, req gen.GetUsedByRequestObject) (gen.GetUsedByResponseObject, error) {
	e, err := s.store.Entity(ctx, string(req.EntityType), req.EntityId)
	if errors.Is(err, store.ErrNotFound) {
		return gen.GetUsedBy404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailEntityNotFound)}, nil
	}
	if err != nil {
		return nil, err
	}
	graph, categoryLabels, err := s.categoryGraph(ctx)
	if err != nil {
		return nil, err
	}
	kind := ontology.Properties
	if req.EntityType == gen.UsableEntityTypeSubobject {
		kind = ontology.Subobjects
	}
	body := gen.UsedBy{
		Entity:     gen.EntityRef{EntityId: e.EntityID, Label: &e.Label},
		Categories: usedByEntries(graph.UsedBy(e.EntityID, kind), categoryLabels),
		Subobjects: []gen.UsedByEntry{},
	}
	if kind == ontology.Properties {
		subobjects, subobjectLabels, err := s.subobjectDefinitions(ctx)
		if err != nil {
			return nil, err
		}
		body.Subobjects = usedByEntries(ontology.SubobjectsUsing(subobjects, e.EntityID), subobjectLabels)
	}
	tag, unchanged, err := conditional(body, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return gen.GetUsedBy304Response{Headers: gen.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return gen.GetUsedBy200JSONResponse{Body: body, Headers: gen.GetUsedBy200ResponseHeaders{ETag: &tag}}, nil
}

// usedByEntries converts uses (ordered by id) to the response's entries.
func usedByEntries(uses []ontology.Use, labels map[string]string) []gen.UsedByEntry {
	out := make([]gen.UsedByEntry, 0, len(uses))
	for _, u := range uses {
		required := u.Required
		out = append(out, gen.UsedByEntry{EntityId: u.ID, Label: labels[u.ID], Direct: u.Direct, Via: u.Via, Required: &required})
	}
	return out
}

// GetCategoryGraph returns a category's ancestors, descendants and effective properties and
// subobjects, computed over every live category.
func (s *Server) GetCategoryGraph(ctx context.Context, req gen.GetCategoryGraphRequestObject) (gen.GetCategoryGraphResponseObject, error) {
	graph, labels, err := s.categoryGraph(ctx)
	if err != nil {
		return nil, err
	}
	category, ok := graph.Category(req.EntityId)
	if !ok {
		return gen.GetCategoryGraph404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailEntityNotFound)}, nil
	}
	properties := graph.Members(category.ID, ontology.Properties)
	subobjects := graph.Members(category.ID, ontology.Subobjects)
	propertyLabels, err := s.store.EntityLabels(ctx, string(gen.EntityTypeProperty), memberIDs(properties))
	if err != nil {
		return nil, err
	}
	subobjectLabels, err := s.store.EntityLabels(ctx, string(gen.EntityTypeSubobject), memberIDs(subobjects))
	if err != nil {
		return nil, err
	}
	body := gen.CategoryGraph{
		Category:    entityRef(category.ID, labels),
		Parents:     nonNil(category.Parents),
		Ancestors:   graphNodes(graph.Ancestors(category.ID), labels),
		Descendants: graphNodes(graph.Descendants(category.ID), labels),
		Properties:  graphMembers(properties, propertyLabels),
		Subobjects:  graphMembers(subobjects, subobjectLabels),
		Cycles:      graph.Cycles(category.ID),
	}
	if body.Cycles == nil {
		body.Cycles = [][]string{}
	}
	tag, unchanged, err := conditional(body, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return gen.GetCategoryGraph304Response{Headers: gen.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return gen.GetCategoryGraph200JSONResponse{Body: body, Headers: gen.GetCategoryGraph200ResponseHeaders{ETag: &tag}}, nil
}

// categoryGraph loads every live category (one query; the ontology is small) and returns their
// inheritance graph and labels by id.
func (s *Server) categoryGraph(ctx context.Context) (*ontology.Graph, map[string]string, error) {
	categories, labels, err := parsedDefinitions(ctx, s.store, gen.EntityTypeCategory, ontology.ParseCategory)
	if err != nil {
		return nil, nil, err
	}
	return ontology.NewGraph(categories), labels, nil
}

// subobjectDefinitions loads every live subobject, parsed, with its label by id.
func (s *Server) subobjectDefinitions(ctx context.Context) ([]ontology.Subobject, map[string]string, error) {
	return parsedDefinitions(ctx, s.store, gen.EntityTypeSubobject, ontology.ParseSubobject)
}

// parsedDefinitions loads every live entity of one type, parsed with parse, and its label by id.
func parsedDefinitions[T any](ctx context.Context, st *store.Store, entityType gen.EntityType, parse func(id string, definition []byte) T) ([]T, map[string]string, error) {
	defs, err := st.Definitions(ctx, string(entityType))
	if err != nil {
		return nil, nil, err
	}
	parsed := make([]T, len(defs))
	labels := make(map[string]string, len(defs))
	for i, d := range defs {
		parsed[i] = parse(d.EntityID, d.SchemaDefinition)
		labels[d.EntityID] = d.Label
	}
	return parsed, labels, nil
}

// graphNodes converts ancestors or descendants; labels holds the live categories.
func graphNodes(nodes []ontology.Node, labels map[string]string) []gen.GraphNode {
	out := make([]gen.GraphNode, 0, len(nodes))
	for _, n := range nodes {
		ref := entityRef(n.ID, labels)
		out = append(out, gen.GraphNode{EntityId: n.ID, Label: ref.Label, Missing: ref.Missing, Depth: n.Depth, Parents: nonNil(n.Parents)})
	}
	return out
}

// graphMembers converts effective members; labels holds the live ones.
func graphMembers(members []ontology.EffectiveMember, labels map[string]string) []gen.GraphMember {
	out := make([]gen.GraphMember, 0, len(members))
	for _, m := range members {
		ref := entityRef(m.ID, labels)
		out = append(out, gen.GraphMember{
			EntityId:       m.ID,
			Label:          ref.Label,
			Missing:        ref.Missing,
			Required:       m.Required,
			SourceCategory: m.Source,
			Inherited:      m.Inherited(),
		})
	}
	return out
}

func memberIDs(members []ontology.EffectiveMember) []string {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return ids
}

// entityRef refers to id, flagged missing when labels (the live entities) lacks it.
func entityRef(id string, labels map[string]string) gen.EntityRef {
	label, ok := labels[id]
	if !ok {
		return gen.EntityRef{EntityId: id, Missing: true}
	}
	return gen.EntityRef{EntityId: id, Label: &label}
}

func entityBody(e store.Entity) gen.Entity {
	return gen.Entity{
		Id:               e.ID,
		EntityId:         e.EntityID,
		EntityType:       gen.EntityType(e.EntityType),
		Label:            e.Label,
		Description:      e.Description,
		SchemaDefinition: e.SchemaDefinition,
		CommitSha:        e.CommitSHA,
		CreatedAt:        e.CreatedAt.UTC(),
		UpdatedAt:        e.UpdatedAt.UTC(),
	}
}

// nonNil makes an absent list encode as [] rather than null, as the contract requires.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
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

// pageItems converts the items of page and returns the cursor of the page after it, nil on the
// last one; key is the id the list is ordered by.
func pageItems[T, U any](page store.Page[T], convert func(T) U, key func(T) string) ([]U, *string) {
	items := make([]U, 0, len(page.Items))
	for _, item := range page.Items {
		items = append(items, convert(item))
	}
	if !page.HasNext {
		return items, nil
	}
	return items, encodeCursor(key(page.Items[len(page.Items)-1]))
}

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
// so it changes exactly when the representation does (a re-ingest that changes nothing keeps it).

// conditional returns body's ETag and reports whether ifNoneMatch (the request's If-None-Match)
// matches it, in which case the answer is 304.
func conditional(body any, ifNoneMatch *string) (etag string, notModified bool, err error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return "", false, fmt.Errorf("server: etag: %w", err)
	}
	sum := sha256.Sum256(raw)
	etag = `"` + hex.EncodeToString(sum[:16]) + `"`
	return etag, ifNoneMatch != nil && etagListMatches(*ifNoneMatch, etag), nil
}

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
