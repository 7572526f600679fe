package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/store"
	"github.com/ontohub/ontohub/validate"
)

var dbURL string

func TestMain(m *testing.M) { os.Exit(testdb.Run(m, "ingest", &dbURL)) }

const (
	commitA = "1111111111111111111111111111111111111111"
	commitB = "2222222222222222222222222222222222222222"
	commitC = "3333333333333333333333333333333333333333"
)

// openStore returns a store on this package's database with empty entities and ingests
// tables: every ingest replaces the whole ontology, so tests cannot share rows anyway.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Pool().Exec(context.Background(), "TRUNCATE entities, ingests"); err != nil {
		t.Fatal(err)
	}
	return st
}

// dump returns every column of every row of entities and ingests, so that two dumps are equal
// only when nothing at all was written.
func dump(t *testing.T, st *store.Store) string {
	t.Helper()
	return queryString(t, st, `
SELECT jsonb_build_object(
	'entities', (SELECT coalesce(jsonb_agg(t ORDER BY t.id), '[]') FROM entities t),
	'ingests', (SELECT coalesce(jsonb_agg(jsonb_build_array(t.generation, t.commit_sha, t.ingested_at,
		t.repo_version, t.bundle_folder, t.schemas::text, t.findings, t.summary) ORDER BY t.generation), '[]') FROM ingests t)
)::text`)
}

// liveState lists what a reader sees: kind, id, label, source and liveness of every row.
// Timestamps, uuids and generations are left out so states reached at different times compare
// equal.
func liveState(t *testing.T, st *store.Store) string {
	t.Helper()
	return queryString(t, st, `
SELECT coalesce(jsonb_agg(jsonb_build_array(entity_type, entity_id, label, source, deleted_at IS NULL)
	ORDER BY entity_type, entity_id), '[]')::text
FROM entities`)
}

// queryString runs a query returning one text value.
func queryString(t *testing.T, st *store.Store, sql string, args ...any) string {
	t.Helper()
	var out string
	if err := st.Pool().QueryRow(context.Background(), sql, args...).Scan(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// copyDir copies a checkout into a temporary directory, outside any git repository, so a test
// can change it and no commit is found for it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func run(t *testing.T, st *store.Store, dir, commit string) Result {
	t.Helper()
	result, err := Run(context.Background(), st, dir, Options{Commit: commit}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return result
}

// summary is an ingest summary with every kind present, zero unless given.
func summary(kinds map[string]store.KindSummary) store.IngestSummary {
	out := store.IngestSummary{}
	for _, k := range store.Kinds {
		out[k] = kinds[k]
	}
	return out
}

// summaryOfCounts is the summary of a first ingest (everything added) or a repeated one
// (everything unchanged).
func summaryOfCounts(ids map[string][]string, of func(n int) store.KindSummary) store.IngestSummary {
	kinds := map[string]store.KindSummary{}
	for k, list := range ids {
		kinds[k] = of(len(list))
	}
	return summary(kinds)
}

func added(n int) store.KindSummary     { return store.KindSummary{Added: n} }
func unchanged(n int) store.KindSummary { return store.KindSummary{Unchanged: n} }

// row is what the tests look at of an entities row.
type row struct {
	UUID       string
	Label      string
	Source     string
	FilePath   string
	Commit     *string
	Generation int64
	Deleted    bool
	Updated    time.Time
	Xmin       string
}

// rows returns every row of entities, live or not, by "kind/id".
func rows(t *testing.T, st *store.Store) map[string]row {
	t.Helper()
	list, err := st.Pool().Query(context.Background(), `
SELECT entity_type::text || '/' || entity_id, id::text, label, source, file_path, commit_sha,
	changed_generation, deleted_at IS NOT NULL, updated_at, xmin::text
FROM entities`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]row{}
	var key string
	var r row
	_, err = pgx.ForEachRow(list, []any{&key, &r.UUID, &r.Label, &r.Source, &r.FilePath, &r.Commit, &r.Generation, &r.Deleted, &r.Updated, &r.Xmin}, func() error {
		out[key] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedFindings decodes the findings stored with the last ingest.
func storedFindings(t *testing.T, st *store.Store) []validate.Finding {
	t.Helper()
	var findings []validate.Finding
	raw := queryString(t, st, `SELECT findings::text FROM ingests ORDER BY generation DESC LIMIT 1`)
	if err := json.Unmarshal([]byte(raw), &findings); err != nil {
		t.Fatal(err)
	}
	return findings
}

// fieldStarts returns the byte offset at which each space-separated field of line starts.
func fieldStarts(line string) []int {
	var starts []int
	for i := range line {
		if line[i] != ' ' && (i == 0 || line[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	return starts
}

func TestRunLayouts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dir      string
		want     store.IngestSummary
		findings int
	}{
		{"labki-schemas", labkiDir, summaryOfCounts(labkiIDs, added), 3},
		{"bundles layout", bundlesDir, summary(map[string]store.KindSummary{
			"category": added(3), "property": added(8), "subobject": added(1), "template": added(1), "module": added(1), "bundle": added(1),
		}), 1},
		{"profiles layout", profilesDir, summary(map[string]store.KindSummary{
			"category": added(6), "property": added(12), "subobject": added(1), "module": added(3), "bundle": added(2),
		}), 4},
		{"example", exampleDir, summary(map[string]store.KindSummary{
			"category": added(7), "property": added(16), "subobject": added(1), "module": added(2), "bundle": added(1),
		}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			var out bytes.Buffer
			got, err := Run(ctx, st, tc.dir, Options{Commit: commitA}, &out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if got.CommitSHA == nil || *got.CommitSHA != commitA || got.Generation <= 0 {
				t.Errorf("commit %v, generation %d; want %s and a generation", got.CommitSHA, got.Generation, commitA)
			}

			// A headline, a blank line, then a header and one row per kind in aligned columns.
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if want := fmt.Sprintf("ingested %s at commit %s (generation %d)", tc.dir, commitA, got.Generation); len(lines) == 0 || lines[0] != want {
				t.Fatalf("output does not start with %q:\n%s", want, out.String())
			}
			wantRows := [][]string{{"kind", "added", "updated", "unchanged", "deleted"}}
			for _, kind := range store.Kinds {
				wantRows = append(wantRows, []string{kind, fmt.Sprint(tc.want[kind].Added), "0", "0", "0"})
			}
			if len(lines) != 2+len(wantRows) || lines[1] != "" {
				t.Fatalf("output has %d lines, want the headline, a blank line and %d table lines:\n%s", len(lines), len(wantRows), out.String())
			}
			table := lines[2:]
			for i, line := range table {
				if diff := cmp.Diff(wantRows[i], strings.Fields(line)); diff != "" {
					t.Errorf("table line %d (-want +got):\n%s", i, diff)
				}
				if diff := cmp.Diff(fieldStarts(table[0]), fieldStarts(line)); diff != "" {
					t.Errorf("table line %q is not aligned with the header (-header +line):\n%s", line, diff)
				}
			}

			// Every live row carries the commit and generation; the ingest is recorded.
			var live, withCommit int
			perKind := map[string]int{}
			for _, r := range rows(t, st) {
				if r.Deleted {
					t.Errorf("deleted row in a first ingest: %+v", r)
					continue
				}
				live++
				if r.Commit != nil && *r.Commit == commitA && r.Generation == got.Generation {
					withCommit++
				}
			}
			total := 0
			for kind, k := range tc.want {
				total += k.Added
				perKind[kind] = k.Added
			}
			if live != total || withCommit != total {
				t.Errorf("%d live rows, %d with commit %s and generation %d; want %d", live, withCommit, commitA, got.Generation, total)
			}
			o, err := st.Ontology(ctx)
			if err != nil {
				t.Fatal(err)
			}
			counted := map[string]int{}
			for _, k := range store.Kinds {
				counted[k] = 0
			}
			for _, e := range o.Entities {
				counted[e.EntityType]++
			}
			if diff := cmp.Diff(perKind, counted); diff != "" {
				t.Errorf("live entities per kind (-want +got):\n%s", diff)
			}
			if o.Generation != got.Generation || o.CommitSHA == nil || *o.CommitSHA != commitA {
				t.Errorf("last ingest: generation %d, commit %v", o.Generation, o.CommitSHA)
			}
			if diff := cmp.Diff(tc.want, o.Summary); diff != "" {
				t.Errorf("stored summary (-want +got):\n%s", diff)
			}
			if n := len(storedFindings(t, st)); n != tc.findings {
				t.Errorf("%d findings stored, want %d", n, tc.findings)
			}
		})
	}
}

// orphan is the warning for an entity that no module lists.
func orphan(kind, id, file string) validate.Finding {
	return validate.Finding{Severity: "warning", Code: "orphan", EntityType: kind, EntityID: id, File: file}
}

// ignoreMessage leaves the wording of findings to the validation engine's tests.
var ignoreMessage = cmpopts.IgnoreFields(validate.Finding{}, "Message")

// checkSourcesAsRead checks that every live row's source is its file byte for byte.
func checkSourcesAsRead(t *testing.T, st *store.Store, dir string) {
	t.Helper()
	for key, r := range rows(t, st) {
		if r.Deleted {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.FilePath)))
		if err != nil {
			t.Errorf("%s: file_path %q: %v", key, r.FilePath, err)
			continue
		}
		if r.Source != string(data) {
			t.Errorf("%s: source is not %s as read:\n%s", key, r.FilePath, r.Source)
		}
	}
}

func TestRunStoredFields(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)

	// The older layout, in a copy outside any git checkout so that no commit can be found. Its
	// subobject lists properties that do not exist: errors, stored, yet the ingest succeeds.
	profiles := copyDir(t, profilesDir)
	run(t, st, profiles, "")
	checkSourcesAsRead(t, st, profiles)
	for _, tc := range []struct{ sql, want string }{
		{`SELECT schema_definition->>'parent' FROM entities WHERE entity_type = 'category' AND entity_id = 'Person'`, `Agent`},
		{`SELECT schema_definition->'allowed_values'->>0 FROM entities WHERE entity_id = 'has_status'`, `planned`},
		{`SELECT schema_definition->'dependencies'->>0 FROM entities WHERE entity_type = 'module' AND entity_id = 'research'`, `core`},
		{`SELECT description FROM entities WHERE entity_type = 'subobject' AND entity_id = 'Address'`, `A physical or mailing address.`},
		// Profiles are bundles, read from profiles/.
		{`SELECT string_agg(entity_id || ' ' || file_path || ' ' || label, ', ' ORDER BY entity_id) FROM entities WHERE entity_type = 'bundle'`,
			`default profiles/default.json Default Profile, full profiles/full.json Full Profile`},
		// Not a git checkout and no --commit.
		{`SELECT coalesce(max(commit_sha), 'none') FROM entities`, `none`},
		{`SELECT jsonb_build_array(commit_sha, repo_version, bundle_folder, schemas::text)::text FROM ingests`, `[null, "", "profiles", "{}"]`},
	} {
		if got := queryString(t, st, tc.sql); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
		}
	}
	var wantErrors []validate.Finding
	for i := range 4 {
		wantErrors = append(wantErrors, validate.Finding{Severity: "error", Code: "unresolved_reference",
			EntityType: "subobject", EntityID: "Address", File: "subobjects/Address.json", Path: fmt.Sprintf("/properties/%d", i)})
	}
	if diff := cmp.Diff(wantErrors, storedFindings(t, st), ignoreMessage); diff != "" {
		t.Errorf("profiles-layout findings (-want +got):\n%s", diff)
	}

	// The newest layout replaces it: all eight kinds, VERSION and the schemas.
	labki := copyDir(t, labkiDir)
	got := run(t, st, labki, commitA)
	want := summary(map[string]store.KindSummary{
		"category":  {Updated: 3, Deleted: 3},
		"property":  {Added: 8, Deleted: 12},
		"subobject": {Updated: 1},
		"template":  {Added: 1},
		"module":    {Added: 1, Deleted: 3},
		"bundle":    {Added: 1, Deleted: 2},
		"dashboard": {Added: 1},
		"resource":  {Added: 1},
	})
	if diff := cmp.Diff(want, got.Summary); diff != "" {
		t.Errorf("summary of the newer layout (-want +got):\n%s", diff)
	}
	checkSourcesAsRead(t, st, labki)
	for _, tc := range []struct{ sql, want string }{
		{`SELECT schema_definition->'parents'->>0 FROM entities WHERE entity_type = 'category' AND entity_id = 'Person'`, `Agent`},
		{`SELECT schema_definition->>'version' FROM entities WHERE entity_type = 'module' AND entity_id = 'Core'`, `1.0.0`},
		{`SELECT file_path || ' ' || label FROM entities WHERE entity_type = 'template' AND entity_id = 'Property/Page'`, `templates/Property/Page.json Page Link Template`},
		{`SELECT file_path || ' ' || (schema_definition->>'category') FROM entities WHERE entity_type = 'resource' AND entity_id = 'Person/John_doe'`, `resources/Person/John_doe.json Person`},
		{`SELECT schema_definition->'pages'->1->>'name' FROM entities WHERE entity_type = 'dashboard' AND entity_id = 'Core_overview'`, `Setup`},
		{`SELECT file_path FROM entities WHERE entity_type = 'bundle' AND deleted_at IS NULL`, `bundles/Default.json`},
		// versions/ and _schema.json are not entities.
		{`SELECT count(*)::text FROM entities WHERE entity_id LIKE '%_schema%' OR entity_id LIKE '%versions%' OR entity_id = '1.0.0'`, `0`},
		// The older layout's rows are soft-deleted, not gone; Agent, Organization, Person and
		// Address have the same ids in both layouts and were updated.
		{`SELECT count(*)::text FROM entities WHERE deleted_at IS NOT NULL`, `20`},
		{`SELECT count(*)::text FROM entities WHERE deleted_at IS NULL`, `17`},
		{`SELECT jsonb_build_array(commit_sha, repo_version, bundle_folder)::text FROM ingests WHERE generation = ` + fmt.Sprint(got.Generation),
			`["` + commitA + `", "0.1.2", "bundles"]`},
	} {
		if got := queryString(t, st, tc.sql); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
		}
	}
	o, err := st.Ontology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.RepoVersion != "0.1.2" || o.BundleFolder != "bundles" {
		t.Errorf("ontology version %q, bundle folder %q", o.RepoVersion, o.BundleFolder)
	}
	if diff := cmp.Diff([]string{"bundle", "category", "dashboard", "module", "property", "resource", "subobject", "template"}, sortedKeys(o.Schemas)); diff != "" {
		t.Errorf("schemas by kind (-want +got):\n%s", diff)
	}
	for kind, schema := range o.Schemas {
		data, err := os.ReadFile(filepath.Join(labki, kindFolder[kind], "_schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		// Same JSON with its keys in the file's order. Formatting is not compared: store.Ingest
		// encodes the schemas with json.Marshal, which compacts them (and escapes <, >, &).
		var stored, file bytes.Buffer
		if err := json.Compact(&stored, schema); err != nil {
			t.Fatal(err)
		}
		if err := json.Compact(&file, data); err != nil {
			t.Fatal(err)
		}
		if stored.String() != file.String() {
			t.Errorf("%s schema is not %s/_schema.json:\n%s", kind, kindFolder[kind], schema)
		}
	}
	wantOrphans := []validate.Finding{
		orphan("dashboard", "Core_overview", "dashboards/Core_overview.json"),
		orphan("resource", "Person/John_doe", "resources/Person/John_doe.json"),
		orphan("template", "Property/Page", "templates/Property/Page.json"),
	}
	if diff := cmp.Diff(wantOrphans, storedFindings(t, st), ignoreMessage); diff != "" {
		t.Errorf("labki-schemas findings (-want +got):\n%s", diff)
	}

	// The example's Teaching_assistant has two parents (a diamond); both are kept in order.
	run(t, st, copyDir(t, exampleDir), commitB)
	if got := queryString(t, st, `SELECT schema_definition->'parents'::text FROM entities WHERE entity_id = 'Teaching_assistant'`); got != `["Employee", "Student"]` {
		t.Errorf("Teaching_assistant parents = %s", got)
	}
	if got := storedFindings(t, st); len(got) != 0 {
		t.Errorf("example findings = %+v, want none", got)
	}
}

func TestRunLabelFallback(t *testing.T) {
	st := openStore(t)
	dir := writeFiles(t, map[string]string{
		"categories/Plain.json":    `{"id": "Plain"}`,
		"categories/Blank.json":    `{"id": "Blank", "label": "", "description": null}`,
		"categories/Spaces.json":   `{"id": "Spaces", "label": "  ", "description": ""}`,
		"categories/Numbered.json": `{"id": "Numbered", "label": 7, "description": 3}`,
		"categories/Labelled.json": `{"id": "Labelled", "label": "With a label", "description": "and a description"}`,
		"templates/Nested/T.json":  `{"id": "Nested/T"}`,
	})
	run(t, st, dir, "")
	got := queryString(t, st, `
SELECT jsonb_agg(jsonb_build_array(entity_id, label, description) ORDER BY entity_id)::text
FROM entities`)
	want := `[["Blank", "Blank", null], ["Labelled", "With a label", "and a description"], ["Nested/T", "Nested/T", null], ` +
		`["Numbered", "Numbered", null], ["Plain", "Plain", null], ["Spaces", "Spaces", ""]]`
	if got != want {
		t.Errorf("rows = %s\nwant   %s", got, want)
	}
}

// xmins returns the row version of every row: equal xmins mean rows were not even rewritten with
// the same values.
func xmins(t *testing.T, st *store.Store) string {
	t.Helper()
	return queryString(t, st, `SELECT string_agg(entity_type || '/' || entity_id || '@' || xmin::text, ',' ORDER BY id) FROM entities`)
}

func entitiesDump(t *testing.T, st *store.Store) string {
	t.Helper()
	return queryString(t, st, `SELECT coalesce(jsonb_agg(t ORDER BY t.id), '[]')::text FROM entities t`)
}

func TestRunSameCheckoutTwice(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	first := run(t, st, labkiDir, commitA)
	before, versionsBefore := entitiesDump(t, st), xmins(t, st)

	// The same files at the same commit, then at a new one: nothing is rewritten, every row
	// keeps the commit and generation that last changed it, and each ingest is a generation.
	last := first.Generation
	for _, commit := range []string{commitA, commitB} {
		got := run(t, st, labkiDir, commit)
		if diff := cmp.Diff(summaryOfCounts(labkiIDs, unchanged), got.Summary); diff != "" {
			t.Errorf("commit %s: summary (-want +got):\n%s", commit, diff)
		}
		if got.Generation <= last {
			t.Errorf("commit %s: generation %d after %d", commit, got.Generation, last)
		}
		last = got.Generation
		if after := entitiesDump(t, st); after != before {
			t.Errorf("commit %s: re-ingesting the same checkout changed entities:\nbefore %s\nafter  %s", commit, before, after)
		}
		if after := xmins(t, st); after != versionsBefore {
			t.Errorf("commit %s: re-ingesting the same checkout rewrote rows: xmin %s, was %s", commit, after, versionsBefore)
		}
	}
	if got := queryString(t, st, `SELECT string_agg(commit_sha, ' ' ORDER BY generation) FROM ingests`); got != commitA+" "+commitA+" "+commitB {
		t.Errorf("ingests recorded commits %s", got)
	}
	o, err := st.Ontology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Generation != last || o.CommitSHA == nil || *o.CommitSHA != commitB || len(o.Entities) != 17 {
		t.Errorf("ontology at generation %d (want %d), commit %v, %d entities", o.Generation, last, o.CommitSHA, len(o.Entities))
	}
	for _, e := range o.Entities {
		if e.CommitSHA == nil || *e.CommitSHA != commitA || e.ChangedGeneration != first.Generation {
			t.Errorf("%s %s: commit %v, changed generation %d; want %s, %d", e.EntityType, e.EntityID, e.CommitSHA, e.ChangedGeneration, commitA, first.Generation)
		}
	}
}

func TestRunReformattedFile(t *testing.T) {
	st := openStore(t)
	dir := copyDir(t, exampleDir)
	first := run(t, st, dir, commitA)
	before := rows(t, st)

	// Reindented, keys in the same order: the same content, a new text.
	agent := filepath.Join(dir, "categories", "Agent.json")
	data, err := os.ReadFile(agent)
	if err != nil {
		t.Fatal(err)
	}
	var reformatted bytes.Buffer
	if err := json.Indent(&reformatted, data, "", "\t"); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(reformatted.Bytes(), data) {
		t.Fatal("reformatting changed nothing")
	}
	if err := os.WriteFile(agent, reformatted.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := run(t, st, dir, commitB)
	if got.Summary["category"] != unchanged(7) {
		t.Errorf("category summary %+v, want all 7 unchanged", got.Summary["category"])
	}
	after := rows(t, st)
	for key, b := range before {
		a := after[key]
		if *a.Commit != commitA || a.Generation != first.Generation || !a.Updated.Equal(b.Updated) {
			t.Errorf("%s = %+v, want it as last changed by %s", key, a, commitA)
		}
		switch {
		case key == "category/Agent" && (a.Source != reformatted.String() || a.Xmin == b.Xmin):
			t.Errorf("reformatted Agent: source %q (xmin %s, was %s), want the new text", a.Source, a.Xmin, b.Xmin)
		case key != "category/Agent" && a.Xmin != b.Xmin:
			t.Errorf("%s rewritten though its file did not change", key)
		}
	}

	// Keys in another order: key order shows in every answer, so that is a change.
	reordered := `{"label": "Agent", "id": "Agent", "description": "Anything that can act: a person or an organization", "required_properties": ["Has_name"], "optional_properties": ["Has_email", "Has_website"]}`
	if err := os.WriteFile(agent, []byte(reordered), 0o644); err != nil {
		t.Fatal(err)
	}
	got = run(t, st, dir, commitC)
	if got.Summary["category"] != (store.KindSummary{Updated: 1, Unchanged: 6}) {
		t.Errorf("category summary %+v, want Agent updated", got.Summary["category"])
	}
	if a := rows(t, st)["category/Agent"]; *a.Commit != commitC || a.Generation != got.Generation || a.Source != reordered {
		t.Errorf("reordered Agent = %+v, want it changed by %s", a, commitC)
	}
}

func TestRunRemoveChangeRestore(t *testing.T) {
	st := openStore(t)
	dir := copyDir(t, exampleDir)
	first := run(t, st, dir, commitA)
	before := rows(t, st)

	website := filepath.Join(dir, "properties", "Has_website.json")
	websiteJSON, err := os.ReadFile(website)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{website, filepath.Join(dir, "modules", "Lab.json")} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	second := run(t, st, dir, commitB)
	want := summary(map[string]store.KindSummary{
		"category": unchanged(7), "property": {Unchanged: 15, Deleted: 1}, "subobject": unchanged(1),
		"module": {Unchanged: 1, Deleted: 1}, "bundle": unchanged(1),
	})
	if diff := cmp.Diff(want, second.Summary); diff != "" {
		t.Errorf("summary after removing (-want +got):\n%s", diff)
	}
	afterRemoval := rows(t, st)
	for _, key := range []string{"property/Has_website", "module/Lab"} {
		a, b := afterRemoval[key], before[key]
		if !a.Deleted || *a.Commit != commitB || a.Generation != second.Generation || a.Updated.Equal(b.Updated) {
			t.Errorf("%s after removal = %+v, want soft-deleted by %s", key, a, commitB)
		}
	}
	// Untouched rows keep the commit that last changed them, and are not rewritten.
	for key, a := range afterRemoval {
		if b := before[key]; !a.Deleted && (*a.Commit != commitA || a.Generation != first.Generation || a.Xmin != b.Xmin) {
			t.Errorf("untouched %s = %+v, want it as %s left it", key, a, commitA)
		}
	}
	// What listed the removed module and property now lists what does not exist: findings,
	// not a failure.
	var unresolved []string
	for _, f := range storedFindings(t, st) {
		if f.Code == "unresolved_reference" {
			unresolved = append(unresolved, f.File+f.Path)
		}
	}
	if diff := cmp.Diff([]string{"bundles/Research_lab.json/modules/1", "categories/Agent.json/optional_properties/1", "modules/Core.json/properties/2"}, unresolved); diff != "" {
		t.Errorf("unresolved references (-want +got):\n%s", diff)
	}

	// Bring the property back and change a label elsewhere.
	if err := os.WriteFile(website, websiteJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	nameFile := filepath.Join(dir, "properties", "Has_name.json")
	nameJSON, err := os.ReadFile(nameFile)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(nameJSON, []byte(`"label": "Name"`), []byte(`"label": "Full name"`), 1)
	if bytes.Equal(changed, nameJSON) {
		t.Fatal("Has_name.json has no label to change")
	}
	if err := os.WriteFile(nameFile, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	third := run(t, st, dir, commitC)
	want = summary(map[string]store.KindSummary{
		"category": unchanged(7), "property": {Added: 1, Updated: 1, Unchanged: 14}, "subobject": unchanged(1),
		"module": unchanged(1), "bundle": unchanged(1),
	})
	if diff := cmp.Diff(want, third.Summary); diff != "" {
		t.Errorf("summary after restoring (-want +got):\n%s", diff)
	}
	after := rows(t, st)
	for key, label := range map[string]string{"property/Has_website": "Website", "property/Has_name": "Full name"} {
		a, b := after[key], before[key]
		if a.Deleted || a.Label != label || *a.Commit != commitC || a.Generation != third.Generation || a.Updated.Equal(b.Updated) {
			t.Errorf("%s = %+v, want it live, labelled %q, changed by %s", key, a, label, commitC)
		}
		// Restored and changed rows are the same rows, not new ones.
		if a.UUID != b.UUID {
			t.Errorf("%s has a new uuid %s, was %s", key, a.UUID, b.UUID)
		}
	}
	// The module stays deleted as commit B left it; the rest as commit A did.
	if lab := after["module/Lab"]; !lab.Deleted || *lab.Commit != commitB || lab.Generation != second.Generation || lab.Xmin != afterRemoval["module/Lab"].Xmin {
		t.Errorf("module/Lab = %+v, want it as %s left it", lab, commitB)
	}
	if agent := after["category/Agent"]; *agent.Commit != commitA || agent.Generation != first.Generation {
		t.Errorf("category/Agent = %+v, want it as %s left it", agent, commitA)
	}
	if n := queryString(t, st, `SELECT count(*)::text FROM entities`); n != fmt.Sprint(len(before)) {
		t.Errorf("%s rows, want %d (restored, not re-created)", n, len(before))
	}
}

// TestRunRuleBreaksDoNotAbort: a checkout that breaks rules of the ontology (not of JSON) is
// ingested as it is, with the findings on it.
func TestRunRuleBreaksDoNotAbort(t *testing.T) {
	st := openStore(t)
	for _, tc := range []struct {
		name, file, content string
		label               string             // the label stored
		want                []validate.Finding // among the stored findings (message ignored)
	}{
		{"id differs from the file name", "categories/Person.json",
			`{"id": "Persona", "label": "Person", "description": "A human being"}`, "Person",
			[]validate.Finding{{Severity: "error", Code: "id_mismatch", EntityType: "category", EntityID: "Person", File: "categories/Person.json", Path: "/id"}}},
		{"unknown datatype", "properties/Has_name.json",
			`{"id": "Has_name", "label": "Name", "description": "The name", "datatype": "Txt", "cardinality": "single"}`, "Name",
			[]validate.Finding{{Severity: "error", Code: "schema_violation", EntityType: "property", EntityID: "Has_name", File: "properties/Has_name.json", Path: "/datatype"}}},
		{"label not a string", "categories/Agent.json",
			`{"id": "Agent", "label": ["Agent"], "description": "Anything that can act", "required_properties": ["Has_name"]}`, "Agent",
			[]validate.Finding{{Severity: "error", Code: "schema_violation", EntityType: "category", EntityID: "Agent", File: "categories/Agent.json", Path: "/label"}}},
		{"broken reference", "categories/Student.json",
			`{"id": "Student", "label": "Student", "description": "Enrolled", "parents": ["Nobody"]}`, "Student",
			[]validate.Finding{{Severity: "error", Code: "unresolved_reference", EntityType: "category", EntityID: "Student", File: "categories/Student.json", Path: "/parents/0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, exampleDir)
			addFiles(t, dir, map[string]string{tc.file: tc.content})
			var out bytes.Buffer
			if _, err := Run(context.Background(), st, dir, Options{Commit: commitB}, &out); err != nil {
				t.Fatalf("Run = %v, want the checkout ingested", err)
			}
			if !strings.HasPrefix(out.String(), "ingested ") {
				t.Errorf("no summary printed:\n%s", out.String())
			}
			kind, id, _ := checkout.KindOf(tc.file)
			r := rows(t, st)[string(kind)+"/"+id]
			if r.Deleted || r.Source != tc.content || r.Label != tc.label {
				t.Errorf("%s stored as %+v, want it live with the file's text and label %q", tc.file, r, tc.label)
			}
			findings := storedFindings(t, st)
			for _, w := range tc.want {
				found := false
				for _, f := range findings {
					found = found || cmp.Equal(w, f, ignoreMessage)
				}
				if !found {
					t.Errorf("finding %+v not stored; stored: %+v", w, findings)
				}
			}
		})
	}
}

func TestRunFileProblemsLeaveDatabaseUnchanged(t *testing.T) {
	st := openStore(t)
	run(t, st, exampleDir, commitA)
	before := dump(t, st)
	for _, tc := range problemCases {
		t.Run(tc.name, func(t *testing.T) {
			// Beside the broken files, make changes that would show in the dump if anything
			// were written: a removed file and a new label.
			dir := makeProblemCheckout(t, tc)
			if err := os.Remove(filepath.Join(dir, "properties", "Has_website.json")); err != nil {
				t.Fatal(err)
			}
			addFiles(t, dir, map[string]string{"categories/Agent.json": `{"id": "Agent", "label": "Actor"}`})

			// A symlink to /dev/zero must be refused, not read: an endless read would hang here.
			type outcome struct {
				out bytes.Buffer
				err error
			}
			done := make(chan *outcome, 1)
			go func() {
				o := &outcome{}
				_, o.err = Run(context.Background(), st, dir, Options{Commit: commitB, Limits: tc.limits}, &o.out)
				done <- o
			}()
			var o *outcome
			select {
			case o = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return within 30s")
			}
			checkProblemsError(t, o.err, dir, tc.want)
			if o.out.Len() != 0 {
				t.Errorf("Run printed a summary for a failed ingest:\n%s", o.out.String())
			}
			if after := dump(t, st); after != before {
				t.Errorf("a failed ingest changed the database")
			}
		})
	}
}

func TestRunTypoedDirectoryChangesNothing(t *testing.T) {
	st := openStore(t)
	run(t, st, exampleDir, commitA)
	before := dump(t, st)
	file := filepath.Join(t.TempDir(), "file.json")
	if err := os.WriteFile(file, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{
		t.TempDir(),                           // empty: must not read as an empty ontology
		filepath.Join(t.TempDir(), "missing"), // does not exist
		file,                                  // not a folder
		writeFiles(t, map[string]string{"docs/Agent.json": `{"id": "Agent"}`}), // no kind folder
		filepath.Join(exampleDir, "categories"),                                // one level too deep
	} {
		var out bytes.Buffer
		if _, err := Run(context.Background(), st, dir, Options{Commit: commitB}, &out); err == nil {
			t.Errorf("Run(%s) succeeded, want an error", dir)
		}
		if out.Len() != 0 {
			t.Errorf("Run(%s) printed %q", dir, out.String())
		}
	}
	if after := dump(t, st); after != before {
		t.Errorf("a failed ingest changed the database")
	}
}

func TestRunConcurrent(t *testing.T) {
	ctx := context.Background()
	full := load(t, exampleDir)
	reducedDir := copyDir(t, exampleDir)
	for _, rel := range []string{"properties/Has_website.json", "modules/Lab.json", "categories/Student.json"} {
		if err := os.Remove(filepath.Join(reducedDir, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
	}
	reduced := load(t, reducedDir)
	// Different category ids in the two ingests: their first upserts do not wait for each other
	// on the unique index, so without the advisory lock each would soft-delete only what it
	// sees and both category sets would end up live, a state neither serial order produces.
	for i, e := range reduced.Entities {
		if e.EntityType == "category" {
			id := "Reduced_" + e.EntityID
			r, err := Record("category", id, "categories/"+id+".json", e.Source)
			if err != nil {
				t.Fatal(err)
			}
			reduced.Entities[i] = r
		}
	}
	// Many more rows than the example, so the two transactions overlap.
	for i := range 300 {
		id := fmt.Sprintf("Has_generated_%d", i)
		e, err := Record("property", id, "properties/"+id+".json", []byte(`{"id": "`+id+`", "label": "Generated `+fmt.Sprint(i)+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		full.Entities = append(full.Entities, e)
		if i%2 == 0 {
			reduced.Entities = append(reduced.Entities, e)
		}
	}
	full.CommitSHA, reduced.CommitSHA = ptr(commitA), ptr(commitB)
	ingests := [2]store.Ingest{full, reduced}

	// What each serial order produces, to compare the concurrent runs with.
	type outcome struct {
		Summaries [2]store.IngestSummary // indexed like ingests
		State     string
		Commit    string // of the last ingest
	}
	last := func(st *store.Store) string {
		return queryString(t, st, `SELECT commit_sha FROM ingests ORDER BY generation DESC LIMIT 1`)
	}
	serial := func(first, second int) outcome {
		st := openStore(t)
		var o outcome
		for _, i := range []int{first, second} {
			result, err := st.Ingest(ctx, ingests[i])
			if err != nil {
				t.Fatal(err)
			}
			o.Summaries[i] = result.Summary
		}
		o.State, o.Commit = liveState(t, st), last(st)
		return o
	}
	orders := []outcome{serial(0, 1), serial(1, 0)}
	if cmp.Equal(orders[0], orders[1]) {
		t.Fatal("both serial orders give the same outcome: the test cannot tell them apart")
	}

	for range 5 {
		st := openStore(t)
		// Open both connections first, so neither ingest waits for a connect.
		warm := make([]*pgxpool.Conn, 2)
		for i := range warm {
			c, err := st.Pool().Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			warm[i] = c
		}
		for _, c := range warm {
			c.Release()
		}
		var o outcome
		var results [2]store.IngestResult
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range ingests {
			wg.Go(func() {
				<-start
				results[i], errs[i] = st.Ingest(ctx, ingests[i])
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		for i, r := range results {
			o.Summaries[i] = r.Summary
		}
		if results[0].Generation == results[1].Generation {
			t.Errorf("both ingests got generation %d", results[0].Generation)
		}
		o.State, o.Commit = liveState(t, st), last(st)
		if !cmp.Equal(o, orders[0]) && !cmp.Equal(o, orders[1]) {
			t.Fatalf("concurrent ingests match neither serial order:\ngot %+v\nwant %+v\n  or %+v", o, orders[0], orders[1])
		}
		// The later generation is the one whose state is live.
		later := 0
		if results[1].Generation > results[0].Generation {
			later = 1
		}
		if want := *ingests[later].CommitSHA; o.Commit != want {
			t.Errorf("last ingest recorded %s, but generation %d was the ingest at %s", o.Commit, results[later].Generation, want)
		}
	}
}

func TestRunCommit(t *testing.T) {
	repo, head := gitRepo(t)
	plain := writeFiles(t, map[string]string{"categories/Agent.json": `{"id": "Agent"}`})
	for _, tc := range []struct {
		name, dir, flag string
		want            string // "" for none
	}{
		{"--commit wins over git", repo, commitA, commitA},
		{"HEAD of the checkout", repo, "", head},
		{"--commit without git", plain, commitB, commitB},
		{"neither", plain, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			var out bytes.Buffer
			result, err := Run(context.Background(), st, tc.dir, Options{Commit: tc.flag}, &out)
			if err != nil {
				t.Fatal(err)
			}
			got := queryString(t, st, `
SELECT jsonb_build_array(i.commit_sha, e.commit_sha)::text
FROM ingests i, entities e
WHERE e.entity_id = 'Agent'`)
			commit, shown := "null", "unknown (not a git checkout and no --commit)"
			if tc.want != "" {
				commit, shown = `"`+tc.want+`"`, tc.want
			}
			if want := "[" + commit + ", " + commit + "]"; got != want {
				t.Errorf("commit of the ingest and the row = %s, want %s", got, want)
			}
			if (result.CommitSHA == nil) != (tc.want == "") || (result.CommitSHA != nil && *result.CommitSHA != tc.want) {
				t.Errorf("Result.CommitSHA = %v, want %q", result.CommitSHA, tc.want)
			}
			if !strings.Contains(out.String(), " at commit "+shown+" (generation ") {
				t.Errorf("output does not name the commit %q:\n%s", shown, out.String())
			}
		})
	}

	t.Run("not a commit hash", func(t *testing.T) {
		st := openStore(t)
		run(t, st, plain, commitA)
		before := dump(t, st)
		var out bytes.Buffer
		if _, err := Run(context.Background(), st, repo, Options{Commit: "main"}, &out); err == nil || !strings.Contains(err.Error(), "not a commit hash") {
			t.Errorf("Run(--commit main) = %v, want an error", err)
		}
		if out.Len() != 0 || dump(t, st) != before {
			t.Errorf("a refused --commit printed %q or changed the database", out.String())
		}
	})
}
