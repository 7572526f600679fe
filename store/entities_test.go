package store

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
)

func TestSearchWords(t *testing.T) {
	tests := []struct {
		search string
		want   []string
	}{
		{"person", []string{"person"}},
		{"  Person   NAME ", []string{"person", "name"}},
		{"Has_name", []string{"has", "name"}},
		{"e-mail: v2", []string{"e", "mail", "v2"}},
		{"ÉPÉE Straße", []string{"épée", "straße"}},
		{"a:* & !b | (c)'", []string{"a", "b", "c"}},
		{"!!! ... ---", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := SearchWords(tt.search)
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("SearchWords(%q) (-want +got):\n%s", tt.search, diff)
		}
	}
	if got, want := tsQuery([]string{"person", "na"}), "person:* & na:*"; got != want {
		t.Errorf("tsQuery = %q, want %q", got, want)
	}
}

// explain returns the plan of the page query of q, run inside tx.
func explain(t *testing.T, tx pgx.Tx, q EntityQuery) string {
	t.Helper()
	sql, args := entitiesSQL(q)
	rows, err := tx.Query(context.Background(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	return strings.Join(lines, "\n")
}

// pageIDs runs the page query of q inside tx and returns the entity ids it finds.
func pageIDs(t *testing.T, tx pgx.Tx, q EntityQuery) []string {
	t.Helper()
	sql, args := entitiesSQL(q)
	rows, err := tx.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("page: %v", err)
	}
	items, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Entity])
	if err != nil {
		t.Fatalf("page: %v", err)
	}
	var ids []string
	for _, e := range items {
		ids = append(ids, e.EntityID)
	}
	return ids
}

// TestEntitySearchUsesIndex checks that searches can be served by the GIN index on
// search_vector, for every shape of the page query. PostgreSQL prices prefix matches in a GIN
// index pessimistically, so on a table of the ontology's real size (hundreds of rows) it rightly
// prefers a sequential scan; the test therefore prices sequential scans out and uses a table
// large enough that walking a whole btree index instead costs more than the search. Everything
// happens in a transaction that is rolled back.
func TestEntitySearchUsesIndex(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, dbURL)
	tx, err := st.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	if _, err := tx.Exec(ctx, `
INSERT INTO entities (entity_id, entity_type, label, description, deleted_at)
VALUES
	('Idx_zq_alpha', 'property', 'Zq alpha', 'Findable by a rare word', NULL),
	('Idx_zq_beta', 'property', 'Zq beta', NULL, NULL),
	('Idx_zq_gone', 'property', 'Zq gone', NULL, now()),
	('Idx_zq_category', 'category', 'Zq category', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `
INSERT INTO entities (entity_id, entity_type, label, description)
SELECT 'Idx_filler_' || lpad(i::text, 6, '0'), 'property', 'Filler ' || i, 'Has a name and a number ' || i
FROM generate_series(1, 50000) AS i`); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"ANALYZE entities", "SET LOCAL enable_seqscan = off"} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	tests := []struct {
		name string
		q    EntityQuery
		want []string
	}{
		{"one word", EntityQuery{EntityType: "property", Limit: 20, Search: "zq"}, []string{"Idx_zq_alpha", "Idx_zq_beta"}},
		{"two words, any case", EntityQuery{EntityType: "property", Limit: 20, Search: "ZQ Alp"}, []string{"Idx_zq_alpha"}},
		{"after a cursor", EntityQuery{EntityType: "property", Limit: 20, Search: "zq", After: "Idx_zq_alpha"}, []string{"Idx_zq_beta"}},
		{"within ids", EntityQuery{EntityType: "property", Limit: 20, Search: "zq", IDs: []string{"Idx_zq_beta", "Idx_zq_category"}}, []string{"Idx_zq_beta"}},
		{"description", EntityQuery{EntityType: "property", Limit: 20, Search: "rare findable"}, []string{"Idx_zq_alpha"}},
		{"one more than the page", EntityQuery{EntityType: "property", Limit: 0, Search: "zq"}, []string{"Idx_zq_alpha"}},
		{"another type", EntityQuery{EntityType: "category", Limit: 20, Search: "zq"}, []string{"Idx_zq_category"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, pageIDs(t, tx, tt.q), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			plan := explain(t, tx, tt.q)
			if !strings.Contains(plan, "Bitmap Index Scan on entities_search_idx") {
				t.Errorf("plan does not use the search index:\n%s", plan)
			}
		})
	}
	if ids := pageIDs(t, tx, EntityQuery{EntityType: "property", Limit: 20, Search: "!!"}); len(ids) != 0 {
		t.Errorf("a search without words found %v, want nothing", ids)
	}
}
