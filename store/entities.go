package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Entity is one live category, property or subobject.
type Entity struct {
	ID               uuid.UUID
	EntityID         string
	EntityType       string
	Label            string
	Description      *string
	SchemaDefinition json.RawMessage
	CommitSHA        *string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// entityColumns are the columns scanned into an Entity, in its field order.
const entityColumns = `id, entity_id, entity_type::text, label, description, schema_definition, commit_sha, created_at, updated_at`

// entityRowColumns are the columns a query over entities needs to select entityColumns from its
// result and filter it like the table.
const entityRowColumns = `id, entity_id, entity_type, label, description, schema_definition, commit_sha, created_at, updated_at, deleted_at`

// EntityCounts counts live entities per entity type.
type EntityCounts struct {
	Category  int
	Property  int
	Subobject int
}

// Total is the sum of the counts.
func (c EntityCounts) Total() int { return c.Category + c.Property + c.Subobject }

const entityCountsSQL = `
SELECT entity_type::text, count(*)
FROM entities
WHERE deleted_at IS NULL
GROUP BY entity_type`

// EntityCounts counts the live entities of each type.
func (s *Store) EntityCounts(ctx context.Context) (EntityCounts, error) {
	rows, err := s.pool.Query(ctx, entityCountsSQL)
	if err != nil {
		return EntityCounts{}, fmt.Errorf("store: entity counts: %w", err)
	}
	type typeCount struct {
		EntityType string
		Count      int
	}
	counted, err := pgx.CollectRows(rows, pgx.RowToStructByPos[typeCount])
	if err != nil {
		return EntityCounts{}, fmt.Errorf("store: entity counts: %w", err)
	}
	var counts EntityCounts
	for _, c := range counted {
		switch c.EntityType {
		case "category":
			counts.Category = c.Count
		case "property":
			counts.Property = c.Count
		case "subobject":
			counts.Subobject = c.Count
		}
	}
	return counts, nil
}

// EntityQuery selects one page of live entities of one type, ordered by entity_id.
type EntityQuery struct {
	// EntityType is "category", "property" or "subobject".
	EntityType string
	// After is the entity_id the previous page ended with; "" for the first page.
	After string
	// Limit is the page size (at least 1).
	Limit int
	// Search, when not empty, restricts the page to entities matching every word of it (see
	// SearchWords) as a prefix of a word of their entity_id (also split at underscores), label or
	// description. A search without any word matches nothing.
	Search string
	// IDs, when not nil, restricts the page to these entity_ids (nil means no restriction; an
	// empty, non-nil slice matches nothing).
	IDs []string
}

// EntityPage is one page of entities.
type EntityPage = Page[Entity]

// Entities returns one page of live entities. Pagination is keyset on entity_id (the query asks
// for entity_id > After), so a walk over every page returns every entity that stays live
// throughout exactly once, whatever is inserted or deleted between pages. It reads one row more
// than the page holds to know whether another page follows.
func (s *Store) Entities(ctx context.Context, q EntityQuery) (EntityPage, error) {
	sql, args := entitiesSQL(q)
	page, err := queryPage[Entity](ctx, s, q.Limit, sql, args...)
	if err != nil {
		return EntityPage{}, fmt.Errorf("store: entities: %w", err)
	}
	return page, nil
}

// entitiesSQL builds the page query of q. Every value is a placeholder; only the presence of a
// filter changes the text.
//
// A search runs first, on its own, in a materialized CTE whose conditions are exactly those of
// the partial GIN index on search_vector, and the type, cursor and id filters apply to its
// matches. Left to combine everything, the planner misjudges how many rows a prefix match
// selects and prefers to walk the (entity_type, entity_id) index in order, testing every row of
// the type against the search: a scan of the whole type on every page. Searched first, the
// match is an index lookup once the table is large enough for the planner to prefer the index
// to a sequential scan (on a few hundred rows a sequential scan is cheaper, and chosen). The
// price is that a broad search gathers all its matches, of every type, for each page: cheap at
// the ontology's size.
func entitiesSQL(q EntityQuery) (string, []any) {
	args := []any{q.EntityType}
	placeholder := func(arg any) string {
		args = append(args, arg)
		return "$" + strconv.Itoa(len(args))
	}
	from, with := "entities", ""
	where := []string{"entity_type = $1::text::entity_type", "deleted_at IS NULL"}
	if q.Search != "" {
		words := SearchWords(q.Search)
		if len(words) == 0 {
			where = append(where, "false")
		} else {
			// to_tsquery gets "w1:* & w2:*" built from letters and digits only, so it cannot be
			// malformed, and it is a parameter all the same.
			from = "matches"
			with = "WITH matches AS MATERIALIZED (\n" +
				"\tSELECT " + entityRowColumns + "\n" +
				"\tFROM entities\n" +
				"\tWHERE search_vector @@ to_tsquery('simple', " + placeholder(tsQuery(words)) + ")\n" +
				"\t\tAND deleted_at IS NULL\n" +
				")\n"
		}
	}
	if q.After != "" {
		where = append(where, "entity_id > "+placeholder(q.After))
	}
	if q.IDs != nil {
		where = append(where, "entity_id = ANY("+placeholder(q.IDs)+"::text[])")
	}
	limit := placeholder(q.Limit + 1)
	sql := with +
		"SELECT " + entityColumns + "\n" +
		"FROM " + from + "\n" +
		"WHERE " + strings.Join(where, "\n\tAND ") + "\n" +
		"ORDER BY entity_id\n" +
		"LIMIT " + limit
	return sql, args
}

// SearchWords splits a search into its words: the runs of letters and digits (any script),
// lowercased. Everything else separates words, so the words can go into a tsquery safely.
func SearchWords(search string) []string {
	return strings.FieldsFunc(strings.ToLower(search), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// tsQuery turns search words (see SearchWords) into the text of a prefix-matching tsquery in
// which every word must match: "w1:* & w2:*".
func tsQuery(words []string) string {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = w + ":*"
	}
	return strings.Join(terms, " & ")
}

const entitySQL = `
SELECT ` + entityColumns + `
FROM entities
WHERE entity_type = $1::text::entity_type
	AND entity_id = $2
	AND deleted_at IS NULL`

// Entity returns the live entity of the given type and id, or ErrNotFound.
func (s *Store) Entity(ctx context.Context, entityType, entityID string) (Entity, error) {
	e, err := queryOne(ctx, s, pgx.RowToStructByPos[Entity], entitySQL, entityType, entityID)
	if err != nil {
		return Entity{}, fmt.Errorf("store: entity %s %q: %w", entityType, entityID, err)
	}
	return e, nil
}

// Definition is the part of a live entity that graph computations need.
type Definition struct {
	EntityID         string
	Label            string
	SchemaDefinition json.RawMessage
}

const definitionsSQL = `
SELECT entity_id, label, schema_definition
FROM entities
WHERE entity_type = $1::text::entity_type
	AND deleted_at IS NULL
ORDER BY entity_id`

// Definitions returns every live entity of one type with its definition, ordered by entity_id.
// The ontology is small (hundreds of rows), so graphs are computed over all of it in memory.
func (s *Store) Definitions(ctx context.Context, entityType string) ([]Definition, error) {
	rows, err := s.pool.Query(ctx, definitionsSQL, entityType)
	if err != nil {
		return nil, fmt.Errorf("store: %s definitions: %w", entityType, err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Definition])
	if err != nil {
		return nil, fmt.Errorf("store: %s definitions: %w", entityType, err)
	}
	return defs, nil
}

const entityLabelsSQL = `
SELECT entity_id, label
FROM entities
WHERE entity_type = $1::text::entity_type
	AND entity_id = ANY($2::text[])
	AND deleted_at IS NULL`

// EntityLabels returns the labels of the live entities of one type among ids, by entity_id;
// ids with no live entity are absent from the map.
func (s *Store) EntityLabels(ctx context.Context, entityType string, ids []string) (map[string]string, error) {
	labels := map[string]string{}
	if len(ids) == 0 {
		return labels, nil
	}
	rows, err := s.pool.Query(ctx, entityLabelsSQL, entityType, ids)
	if err != nil {
		return nil, fmt.Errorf("store: %s labels: %w", entityType, err)
	}
	type idLabel struct {
		EntityID string
		Label    string
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[idLabel])
	if err != nil {
		return nil, fmt.Errorf("store: %s labels: %w", entityType, err)
	}
	for _, f := range found {
		labels[f.EntityID] = f.Label
	}
	return labels, nil
}
