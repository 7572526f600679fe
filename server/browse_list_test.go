package server

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ontohub/ontohub/gen"
)

// TestBrowsePaginationWalksOnce walks more than 250 properties, a few per page, while rows are
// added and soft-deleted between pages: every property live throughout comes exactly once, in
// order; rows added behind the cursor and rows deleted ahead of it never come; rows added ahead
// of it do.
func TestBrowsePaginationWalksOnce(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	// Properties Pg_00000, Pg_00010, …, Pg_02600 leave room for rows inserted between them;
	// categories with interleaved ids must never show up.
	b.sql(`
INSERT INTO entities (entity_id, entity_type, label)
SELECT 'Pg_' || lpad((i * 10)::text, 5, '0'), 'property', 'Property ' || i
FROM generate_series(0, 260) AS i`)
	b.sql(`
INSERT INTO entities (entity_id, entity_type, label)
SELECT 'Pg_' || lpad((i * 10 + 5)::text, 5, '0'), 'category', 'Category ' || i
FROM generate_series(0, 260) AS i`)
	id := func(n int) string { return fmt.Sprintf("Pg_%05d", n) }

	const limit = 7
	params := &gen.ListEntitiesParams{Limit: ptrLimit(limit)}
	var walked []string
	deletedAhead := map[string]bool{}
	addedBehind := map[string]bool{}
	addedAhead := map[string]bool{}
	for page := 0; ; page++ {
		if page > 200 {
			t.Fatal("walk does not end")
		}
		r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeProperty, params)
		if err != nil {
			t.Fatal(err)
		}
		browseStatus(t, "page", r.HTTPResponse, r.Body, http.StatusOK)
		for _, e := range r.JSON200.Items {
			walked = append(walked, e.EntityId)
		}
		if !r.JSON200.HasNext {
			if r.JSON200.NextCursor != nil {
				t.Errorf("last page has a next_cursor")
			}
			break
		}
		if len(r.JSON200.Items) != limit || r.JSON200.NextCursor == nil {
			t.Fatalf("page %d: %d items, cursor %v", page, len(r.JSON200.Items), r.JSON200.NextCursor)
		}
		params.Cursor = r.JSON200.NextCursor

		// Between pages: the last id returned is Pg_(n); change rows on both sides of it.
		var last int
		if _, err := fmt.Sscanf(walked[len(walked)-1], "Pg_%d", &last); err != nil {
			t.Fatal(err)
		}
		behind, ahead, doomed := id(last-3), id(last+23), id(last+40)
		b.sql(`INSERT INTO entities (entity_id, entity_type, label) VALUES ($1, 'property', 'behind'), ($2, 'property', 'ahead')
			ON CONFLICT DO NOTHING`, behind, ahead)
		addedBehind[behind], addedAhead[ahead] = true, true
		b.sql(`UPDATE entities SET deleted_at = now() WHERE entity_type = 'property' AND entity_id = $1 AND deleted_at IS NULL`, doomed)
		deletedAhead[doomed] = true
		// And one already returned: deleting it must not disturb the walk.
		b.sql(`UPDATE entities SET deleted_at = now() WHERE entity_type = 'property' AND entity_id = $1`, walked[0])
	}

	seen := map[string]int{}
	for _, w := range walked {
		seen[w]++
	}
	for w, n := range seen {
		if n != 1 {
			t.Errorf("%s returned %d times", w, n)
		}
		if addedBehind[w] {
			t.Errorf("%s was added behind the cursor but returned", w)
		}
		if deletedAhead[w] {
			t.Errorf("%s was deleted before the walk reached it but returned", w)
		}
	}
	for i := 0; i <= 260; i++ {
		if w := id(i * 10); !deletedAhead[w] && seen[w] != 1 {
			t.Errorf("%s was live throughout but returned %d times", w, seen[w])
		}
	}
	for w := range addedAhead {
		if !deletedAhead[w] && seen[w] != 1 {
			t.Errorf("%s was added ahead of the cursor but returned %d times", w, seen[w])
		}
	}
	if !slices.IsSorted(walked) {
		t.Errorf("walk is not ordered by entity_id")
	}
	if len(walked) < 250 {
		t.Errorf("walked only %d rows", len(walked))
	}
}

func ptrLimit(n int) *gen.Limit {
	l := gen.Limit(n)
	return &l
}

// TestBrowseListSemantics covers the original service's list cases: the empty list, has_next
// and next_cursor, limits, cursors, ordering and type isolation, for entities, modules and
// profiles.
func TestBrowseListSemantics(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)

	r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeSubobject, nil)
	if err != nil {
		t.Fatal(err)
	}
	browseStatus(t, "empty list", r.HTTPResponse, r.Body, http.StatusOK)
	if got, want := strings.TrimSpace(string(r.Body)), `{"has_next":false,"items":[],"next_cursor":null}`; got != want {
		t.Errorf("empty list = %s, want %s", got, want)
	}
	counts, err := b.Client.GetEntityCountsWithResponse(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(counts.Body)), `{"counts":{"bundle":0,"category":0,"dashboard":0,"module":0,"property":0,"resource":0,"subobject":0,"template":0},"total":0}`; got != want {
		t.Errorf("empty counts = %s, want %s", got, want)
	}
	for _, list := range []func() (*http.Response, []byte, error){
		func() (*http.Response, []byte, error) { return unpack(b.Client.ListModulesWithResponse(b.ctx, nil)) },
		func() (*http.Response, []byte, error) { return unpack(b.Client.ListProfilesWithResponse(b.ctx, nil)) },
	} {
		resp, body, err := list()
		if err != nil {
			t.Fatal(err)
		}
		browseStatus(t, "empty list", resp, body, http.StatusOK)
		if got, want := strings.TrimSpace(string(body)), `{"has_next":false,"items":[],"next_cursor":null}`; got != want {
			t.Errorf("empty list = %s, want %s", got, want)
		}
	}

	// Ten subobjects, 25 categories (one soft-deleted), ids in mixed case with underscores.
	b.sql(`INSERT INTO entities (entity_id, entity_type, label) SELECT 'Sub_' || i, 'subobject', 'Sub ' || i FROM generate_series(0, 9) AS i`)
	b.sql(`INSERT INTO entities (entity_id, entity_type, label, description) VALUES
		('Zeta', 'category', 'Zeta', NULL), ('alpha', 'category', 'alpha', 'lower case'), ('Alpha_beta', 'category', 'Alpha beta', NULL),
		('Alpha', 'category', 'Alpha', NULL), ('Deleted', 'category', 'Deleted', NULL)`)
	b.sql(`INSERT INTO entities (entity_id, entity_type, label) SELECT 'Cat_' || lpad(i::text, 2, '0'), 'category', 'Cat' FROM generate_series(1, 20) AS i`)
	b.sql(`UPDATE entities SET deleted_at = now() WHERE entity_id = 'Deleted'`)

	pages := func(limit int) []int {
		var sizes []int
		params := &gen.ListEntitiesParams{Limit: ptrLimit(limit)}
		for {
			r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeSubobject, params)
			if err != nil {
				t.Fatal(err)
			}
			browseStatus(t, "page", r.HTTPResponse, r.Body, http.StatusOK)
			sizes = append(sizes, len(r.JSON200.Items))
			if r.JSON200.HasNext != (r.JSON200.NextCursor != nil) {
				t.Fatalf("has_next %v with next_cursor %v", r.JSON200.HasNext, r.JSON200.NextCursor)
			}
			if !r.JSON200.HasNext || len(sizes) > 20 {
				return sizes
			}
			params.Cursor = r.JSON200.NextCursor
		}
	}
	browseDiff(t, "pages of 5", []int{5, 5}, pages(5))
	browseDiff(t, "pages of 10", []int{10}, pages(10))
	browseDiff(t, "pages of 3", []int{3, 3, 3, 1}, pages(3))
	browseDiff(t, "pages of 100", []int{10}, pages(100))
	browseDiff(t, "pages of 1", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, pages(1))

	// Ordering follows the database's order of entity_id; the walk returns exactly that.
	rows, err := b.Store.Pool().Query(b.ctx, `SELECT entity_id FROM entities WHERE entity_type = 'category' AND deleted_at IS NULL ORDER BY entity_id`)
	if err != nil {
		t.Fatal(err)
	}
	var ordered []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ordered = append(ordered, id)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(ordered) != 24 {
		t.Fatalf("%d live categories, want 24", len(ordered))
	}
	browseDiff(t, "category order", ordered, b.walk(gen.EntityTypeCategory, 4, "", ""))
	first, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeCategory, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(first.JSON200.Items); n != 20 || !first.JSON200.HasNext {
		t.Errorf("default page: %d items, has_next %v; want 20, true", n, first.JSON200.HasNext)
	}
	c := b.counts()
	browseDiff(t, "counts", [4]int{24, 0, 10, 34}, [4]int{c.Counts.Category, c.Counts.Property, c.Counts.Subobject, c.Total})

	// Single entities: found only under their own type, and only while live.
	if e := b.entity(gen.EntityTypeCategory, "alpha"); e.Description == nil || *e.Description != "lower case" ||
		e.EntityType != gen.EntityTypeCategory || e.CommitSha != nil || string(e.SchemaDefinition) != "{}" {
		t.Errorf("alpha = %+v", e)
	}
	for _, missing := range []struct {
		entityType gen.EntityType
		id         string
	}{
		{gen.EntityTypeProperty, "alpha"},  // wrong type
		{gen.EntityTypeCategory, "Nobody"}, // absent
		{gen.EntityTypeCategory, "Deleted"},
		{gen.EntityTypeCategory, "ALPHA"}, // ids are case-sensitive
	} {
		r, err := b.Client.GetEntityWithResponse(b.ctx, missing.entityType, missing.id, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.problem(r.HTTPResponse, r.Body, http.StatusNotFound, detailEntityNotFound)
	}

	// Limits and cursors.
	for _, limit := range []int{0, 101, -1} {
		r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeCategory, &gen.ListEntitiesParams{Limit: ptrLimit(limit)})
		if err != nil {
			t.Fatal(err)
		}
		p := b.problem(r.HTTPResponse, r.Body, http.StatusBadRequest, detailInvalid)
		if !hasFieldError(p, gen.FieldErrorLocationQuery, "limit") {
			t.Errorf("limit %d: problem does not name limit: %+v", limit, p)
		}
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, cursor := range []string{"!!!", "a", b64("not json"), b64(`{"after":""}`), b64(`{"after":3}`), b64(`{"before":"x"}`), b64(`[]`)} {
		r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeCategory, &gen.ListEntitiesParams{Cursor: &cursor})
		if err != nil {
			t.Fatal(err)
		}
		p := b.problem(r.HTTPResponse, r.Body, http.StatusBadRequest, detailInvalid)
		if !hasFieldError(p, gen.FieldErrorLocationQuery, "cursor") {
			t.Errorf("cursor %q: problem does not name cursor: %+v", cursor, p)
		}
		resp, body, err := unpack(b.Client.ListModulesWithResponse(b.ctx, &gen.ListModulesParams{Cursor: &cursor}))
		if err != nil {
			t.Fatal(err)
		}
		if p := b.problem(resp, body, http.StatusBadRequest, detailInvalid); !hasFieldError(p, gen.FieldErrorLocationQuery, "cursor") {
			t.Errorf("modules cursor %q: problem does not name cursor: %+v", cursor, p)
		}
		resp, body, err = unpack(b.Client.ListProfilesWithResponse(b.ctx, &gen.ListProfilesParams{Cursor: &cursor}))
		if err != nil {
			t.Fatal(err)
		}
		if p := b.problem(resp, body, http.StatusBadRequest, detailInvalid); !hasFieldError(p, gen.FieldErrorLocationQuery, "cursor") {
			t.Errorf("profiles cursor %q: problem does not name cursor: %+v", cursor, p)
		}
	}
	// A cursor is only a position: one naming an id that no longer exists still works.
	after := b64(`{"after":"Cat_10_gone"}`)
	r, err = b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeCategory, &gen.ListEntitiesParams{Cursor: &after, Limit: ptrLimit(1)})
	if err != nil {
		t.Fatal(err)
	}
	browseStatus(t, "stale cursor", r.HTTPResponse, r.Body, http.StatusOK)
	if len(r.JSON200.Items) != 1 || r.JSON200.Items[0].EntityId != "Cat_11" {
		t.Errorf("after Cat_10_gone: %+v", r.JSON200.Items)
	}

	// Modules and profiles page the same way.
	b.sql(`INSERT INTO entities (entity_id, entity_type, label) SELECT 'Mod_' || lpad(i::text, 2, '0'), 'module', 'Module ' || i FROM generate_series(1, 12) AS i`)
	b.sql(`INSERT INTO entities (entity_id, entity_type, label) SELECT 'Prof_' || lpad(i::text, 2, '0'), 'bundle', 'Profile ' || i FROM generate_series(1, 7) AS i`)
	b.sql(`UPDATE entities SET deleted_at = now() WHERE entity_id IN ('Mod_05', 'Prof_03')`)
	var modules []string
	mparams := &gen.ListModulesParams{Limit: ptrLimit(5)}
	for i := 0; i < 10; i++ {
		r, err := b.Client.ListModulesWithResponse(b.ctx, mparams)
		if err != nil {
			t.Fatal(err)
		}
		browseStatus(t, "modules", r.HTTPResponse, r.Body, http.StatusOK)
		for _, m := range r.JSON200.Items {
			modules = append(modules, m.ModuleId)
			if m.CategoryIds == nil || m.Dependencies == nil {
				t.Errorf("module %s lists are null", m.ModuleId)
			}
		}
		if !r.JSON200.HasNext {
			break
		}
		mparams.Cursor = r.JSON200.NextCursor
	}
	browseDiff(t, "modules", []string{"Mod_01", "Mod_02", "Mod_03", "Mod_04", "Mod_06", "Mod_07", "Mod_08", "Mod_09", "Mod_10", "Mod_11", "Mod_12"}, modules)
	var profiles []string
	pparams := &gen.ListProfilesParams{Limit: ptrLimit(2)}
	for i := 0; i < 10; i++ {
		r, err := b.Client.ListProfilesWithResponse(b.ctx, pparams)
		if err != nil {
			t.Fatal(err)
		}
		browseStatus(t, "profiles", r.HTTPResponse, r.Body, http.StatusOK)
		for _, p := range r.JSON200.Items {
			profiles = append(profiles, p.ProfileId)
		}
		if !r.JSON200.HasNext {
			break
		}
		pparams.Cursor = r.JSON200.NextCursor
	}
	browseDiff(t, "profiles", []string{"Prof_01", "Prof_02", "Prof_04", "Prof_05", "Prof_06", "Prof_07"}, profiles)
	for _, id := range []string{"Mod_05", "Nope"} {
		resp, body, err := unpack(b.Client.GetModuleWithResponse(b.ctx, id, nil))
		if err != nil {
			t.Fatal(err)
		}
		b.problem(resp, body, http.StatusNotFound, "Module not found")
	}
	for _, id := range []string{"Prof_03", "Nope"} {
		resp, body, err := unpack(b.Client.GetProfileWithResponse(b.ctx, id, nil))
		if err != nil {
			t.Fatal(err)
		}
		b.problem(resp, body, http.StatusNotFound, "Profile not found")
	}
}

func TestBrowseSearch(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseExample)
	b.sql(`INSERT INTO entities (entity_id, entity_type, label, description, deleted_at) VALUES
		('Has_zebra_code', 'property', 'Quagga identifier', 'Assigned by the Wildlife Ünion registry', NULL),
		('Has_zebra_gone', 'property', 'Zebra gone', NULL, now()),
		('Zebra', 'category', 'Striped horse', NULL, NULL)`)
	b.sql(`INSERT INTO entities (entity_id, entity_type, label) SELECT 'Has_paged_' || i, 'property', 'Pagedsearch ' || i FROM generate_series(1, 5) AS i`)

	tests := []struct {
		name       string
		entityType gen.EntityType
		q          string
		module     string
		want       []string
	}{
		{"id word", gen.EntityTypeProperty, "zebra", "", []string{"Has_zebra_code"}},
		{"whole id", gen.EntityTypeProperty, "Has_zebra_code", "", []string{"Has_zebra_code"}},
		{"id prefix", gen.EntityTypeProperty, "zeb", "", []string{"Has_zebra_code"}},
		{"label, any case", gen.EntityTypeProperty, "QUAGGA", "", []string{"Has_zebra_code"}},
		{"description, several words", gen.EntityTypeProperty, "wildlife registry", "", []string{"Has_zebra_code"}},
		{"unicode, any case", gen.EntityTypeProperty, "ÜNION", "", []string{"Has_zebra_code"}},
		{"prefixes of several fields", gen.EntityTypeProperty, "zeb quag wild", "", []string{"Has_zebra_code"}},
		{"every word must match", gen.EntityTypeProperty, "zebra nothing", "", nil},
		{"punctuation separates words", gen.EntityTypeProperty, "  zebra:* & !quagga  ", "", []string{"Has_zebra_code"}},
		{"type isolation", gen.EntityTypeCategory, "zebra", "", []string{"Zebra"}},
		{"category label", gen.EntityTypeCategory, "striped", "", []string{"Zebra"}},
		{"example ids", gen.EntityTypeCategory, "teaching", "", []string{"Teaching_assistant"}},
		{"several pages", gen.EntityTypeProperty, "pagedsearch", "", []string{"Has_paged_1", "Has_paged_2", "Has_paged_3", "Has_paged_4", "Has_paged_5"}},
		{"with a module", gen.EntityTypeProperty, "has", "Core", []string{
			"Has_city", "Has_country", "Has_email", "Has_name", "Has_orcid", "Has_postal_code", "Has_street", "Has_website",
		}},
		{"with a module, narrowed", gen.EntityTypeProperty, "has co", "Core", []string{"Has_country", "Has_postal_code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			browseDiff(t, "ids", tt.want, b.walk(tt.entityType, 2, tt.q, tt.module))
		})
	}

	for _, q := range []string{"!!!", "-", "* & |"} {
		r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeProperty, &gen.ListEntitiesParams{Q: &q})
		if err != nil {
			t.Fatal(err)
		}
		p := b.problem(r.HTTPResponse, r.Body, http.StatusBadRequest, detailInvalid)
		if !hasFieldError(p, gen.FieldErrorLocationQuery, "q") {
			t.Errorf("q %q: problem does not name q: %+v", q, p)
		}
	}
}

var etagPattern = regexp.MustCompile(`^"[0-9a-f]{32}"$`)

// TestBrowseConditionalGet checks ETag and If-None-Match on every single-resource read.
func TestBrowseConditionalGet(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	dir := browseCopyTree(t, browseExample)
	b.ingest(dir)

	type getter func(ifNoneMatch *string) (*http.Response, []byte, error)
	endpoints := []struct {
		name string
		get  getter
	}{
		{"entity", func(inm *string) (*http.Response, []byte, error) {
			return unpack(b.Client.GetEntityWithResponse(b.ctx, gen.EntityTypeCategory, "Person", &gen.GetEntityParams{IfNoneMatch: inm}))
		}},
		{"graph", func(inm *string) (*http.Response, []byte, error) {
			return unpack(b.Client.GetCategoryGraphWithResponse(b.ctx, "Employee", &gen.GetCategoryGraphParams{IfNoneMatch: inm}))
		}},
		{"used-by", func(inm *string) (*http.Response, []byte, error) {
			return unpack(b.Client.GetUsedByWithResponse(b.ctx, gen.UsableEntityTypeProperty, "Has_orcid", &gen.GetUsedByParams{IfNoneMatch: inm}))
		}},
		{"module", func(inm *string) (*http.Response, []byte, error) {
			return unpack(b.Client.GetModuleWithResponse(b.ctx, "Lab", &gen.GetModuleParams{IfNoneMatch: inm}))
		}},
		{"profile", func(inm *string) (*http.Response, []byte, error) {
			return unpack(b.Client.GetProfileWithResponse(b.ctx, "Research_lab", &gen.GetProfileParams{IfNoneMatch: inm}))
		}},
	}
	etags := map[string]string{}
	for _, ep := range endpoints {
		resp, body, err := ep.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		browseStatus(t, ep.name, resp, body, http.StatusOK)
		etag := resp.Header.Get("ETag")
		if !etagPattern.MatchString(etag) {
			t.Fatalf("%s: ETag %q", ep.name, etag)
		}
		etags[ep.name] = etag
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, `W/"x",` + etag + `,"y"`, "*"} {
			resp, body, err := ep.get(&inm)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != etag {
				t.Errorf("%s with If-None-Match %s: status %d, ETag %q, body %q; want 304, %s, empty",
					ep.name, inm, resp.StatusCode, resp.Header.Get("ETag"), body, etag)
			}
		}
		for _, inm := range []string{`"other"`, strings.Trim(etag, `"`), `W/"` + strings.Repeat("0", 32) + `"`} {
			resp, body, err := ep.get(&inm)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != etag {
				t.Errorf("%s with If-None-Match %s: status %d, ETag %q; want 200, %s", ep.name, inm, resp.StatusCode, resp.Header.Get("ETag"), body)
			}
		}
	}

	// Re-ingesting the same snapshot keeps every ETag.
	b.ingest(dir)
	for _, ep := range endpoints {
		etag := etags[ep.name]
		resp, _, err := ep.get(&etag)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s after an unchanged re-ingest: status %d, want 304", ep.name, resp.StatusCode)
		}
	}

	// Relabelling Person changes the entity, the graph of its child Employee, Has_orcid's users
	// (Person lists it) and nothing about modules or profiles.
	path := filepath.Join(dir, "categories", "Person.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), `"label": "Person"`, `"label": "Human"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.ingest(dir)
	if got := b.entity(gen.EntityTypeCategory, "Person").Label; got != "Human" {
		t.Fatalf("Person label after re-ingest = %q (did the example's formatting change?)", got)
	}
	changed := map[string]bool{"entity": true, "graph": true, "used-by": true}
	for _, ep := range endpoints {
		etag := etags[ep.name]
		resp, _, err := ep.get(&etag)
		if err != nil {
			t.Fatal(err)
		}
		want := http.StatusNotModified
		if changed[ep.name] {
			want = http.StatusOK
		}
		if resp.StatusCode != want {
			t.Errorf("%s after relabelling Person: status %d, want %d", ep.name, resp.StatusCode, want)
		}
		if want == http.StatusOK && (resp.Header.Get("ETag") == etag || !etagPattern.MatchString(resp.Header.Get("ETag"))) {
			t.Errorf("%s after relabelling Person: ETag %q (was %s)", ep.name, resp.Header.Get("ETag"), etag)
		}
	}

	// A resource that does not exist is 404 whatever If-None-Match says.
	star := "*"
	resp, body, err := unpack(b.Client.GetEntityWithResponse(b.ctx, gen.EntityTypeProperty, "Person", &gen.GetEntityParams{IfNoneMatch: &star}))
	if err != nil {
		t.Fatal(err)
	}
	b.problem(resp, body, http.StatusNotFound, detailEntityNotFound)
}

func TestETagListMatches(t *testing.T) {
	const etag = `"0123456789abcdef0123456789abcdef"`
	tests := []struct {
		header string
		want   bool
	}{
		{etag, true},
		{"W/" + etag, true},
		{" * ", true},
		{`"a", ` + etag, true},
		{`"a",W/` + etag + `, "b"`, true},
		{`"a,b", ` + etag, true},
		{`junk, ` + etag, true},
		{"", false},
		{`"a"`, false},
		{`"a", "b"`, false},
		{strings.Trim(etag, `"`), false},
		{`"0123456789abcdef`, false},
		{`"a", *`, false},
	}
	for _, tt := range tests {
		if got := etagListMatches(tt.header, etag); got != tt.want {
			t.Errorf("etagListMatches(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
