package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/store"
)

var dbURL string

func TestMain(m *testing.M) { os.Exit(testdb.Run(m, "ingest", &dbURL)) }

const (
	commitA = "1111111111111111111111111111111111111111"
	commitB = "2222222222222222222222222222222222222222"
)

// openStore returns a store on this package's database with empty entity,
// module and profile tables: every ingest replaces the whole ontology, so
// tests cannot share rows anyway.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Pool().Exec(context.Background(), "TRUNCATE entities, modules, profiles"); err != nil {
		t.Fatal(err)
	}
	return st
}

// dump returns every column of every row of the three tables, so that two
// dumps are equal only when nothing at all was written.
func dump(t *testing.T, st *store.Store) string {
	t.Helper()
	const sql = `
SELECT jsonb_build_object(
	'entities', (SELECT coalesce(jsonb_agg(t ORDER BY t.id), '[]') FROM entities t),
	'modules', (SELECT coalesce(jsonb_agg(t ORDER BY t.id), '[]') FROM modules t),
	'profiles', (SELECT coalesce(jsonb_agg(t ORDER BY t.id), '[]') FROM profiles t)
)::text`
	var out string
	if err := st.Pool().QueryRow(context.Background(), sql).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// liveState lists what a reader sees: kind, id and label of every live row,
// plus the soft-deleted ids. Timestamps and uuids are left out so states
// reached at different times compare equal.
func liveState(t *testing.T, st *store.Store) string {
	t.Helper()
	const sql = `
SELECT jsonb_build_object(
	'entities', (SELECT coalesce(jsonb_agg(jsonb_build_array(entity_type, entity_id, label, deleted_at IS NULL) ORDER BY entity_type, entity_id), '[]') FROM entities),
	'modules', (SELECT coalesce(jsonb_agg(jsonb_build_array(module_id, dependencies, deleted_at IS NULL) ORDER BY module_id), '[]') FROM modules),
	'profiles', (SELECT coalesce(jsonb_agg(jsonb_build_array(profile_id, module_ids, deleted_at IS NULL) ORDER BY profile_id), '[]') FROM profiles)
)::text`
	var out string
	if err := st.Pool().QueryRow(context.Background(), sql).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyDir copies a checkout into a temporary directory so a test can change it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func run(t *testing.T, st *store.Store, dir, commit string) store.IngestSummary {
	t.Helper()
	summary, err := Run(context.Background(), st, dir, commit, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return summary
}

func added(n int) store.KindSummary     { return store.KindSummary{Added: n} }
func unchanged(n int) store.KindSummary { return store.KindSummary{Unchanged: n} }

func TestRunLayouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  string
		want store.IngestSummary
	}{
		{"profiles layout", filepath.Join(samplesDir, "profiles-layout"), store.IngestSummary{
			Category: added(6), Property: added(12), Subobject: added(1), Module: added(3), Profile: added(2),
		}},
		{"bundles layout", filepath.Join(samplesDir, "bundles-layout"), store.IngestSummary{
			Category: added(3), Property: added(8), Subobject: added(1), Module: added(1), Profile: added(1),
		}},
		{"example", exampleDir, store.IngestSummary{
			Category: added(7), Property: added(16), Subobject: added(1), Module: added(2), Profile: added(1),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			var out bytes.Buffer
			got, err := Run(context.Background(), st, tc.dir, commitA, &out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if !strings.Contains(out.String(), "at commit "+commitA) {
				t.Errorf("output does not name the commit:\n%s", out.String())
			}
			// The table: a header and one row per kind, in aligned columns.
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			table := lines[len(lines)-6:]
			wantRows := [][]string{
				{"kind", "added", "updated", "unchanged", "deleted"},
				{"category", fmt.Sprint(tc.want.Category.Added), "0", "0", "0"},
				{"property", fmt.Sprint(tc.want.Property.Added), "0", "0", "0"},
				{"subobject", fmt.Sprint(tc.want.Subobject.Added), "0", "0", "0"},
				{"module", fmt.Sprint(tc.want.Module.Added), "0", "0", "0"},
				{"profile", fmt.Sprint(tc.want.Profile.Added), "0", "0", "0"},
			}
			for i, line := range table {
				if diff := cmp.Diff(wantRows[i], strings.Fields(line)); diff != "" {
					t.Errorf("table line %d (-want +got):\n%s", i, diff)
				}
				if got, want := strings.Index(line, wantRows[i][1]), strings.Index(table[0], "added"); got != want {
					t.Errorf("table line %q: added column at %d, header at %d", line, got, want)
				}
			}
			var rows, withCommit int
			err = st.Pool().QueryRow(context.Background(), `
SELECT count(*), count(*) FILTER (WHERE commit_sha = $1)
FROM (
	SELECT commit_sha FROM entities WHERE deleted_at IS NULL
	UNION ALL SELECT commit_sha FROM modules WHERE deleted_at IS NULL
	UNION ALL SELECT commit_sha FROM profiles WHERE deleted_at IS NULL
) AS live`, commitA).Scan(&rows, &withCommit)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, k := range []store.KindSummary{got.Category, got.Property, got.Subobject, got.Module, got.Profile} {
				total += k.Added
			}
			if rows != total || withCommit != total {
				t.Errorf("%d live rows, %d with the commit; want %d", rows, withCommit, total)
			}
		})
	}
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

func TestRunStoredFields(t *testing.T) {
	st := openStore(t)
	// A copy outside any git checkout, so that no commit can be found.
	run(t, st, copyDir(t, filepath.Join(samplesDir, "profiles-layout")), "")
	for _, tc := range []struct{ sql, want string }{
		{`SELECT dependencies::text FROM modules WHERE module_id = 'research'`, `["core"]`},
		{`SELECT dependencies::text FROM modules WHERE module_id = 'core'`, `[]`},
		{`SELECT category_ids::text FROM modules WHERE module_id = 'research'`, `["Researcher", "Student"]`},
		{`SELECT module_ids::text FROM profiles WHERE profile_id = 'full'`, `["core", "projects"]`},
		{`SELECT schema_definition->>'parent' FROM entities WHERE entity_type = 'category' AND entity_id = 'Person'`, `Agent`},
		{`SELECT schema_definition->'allowed_values'->>0 FROM entities WHERE entity_id = 'has_status'`, `planned`},
		{`SELECT description FROM entities WHERE entity_type = 'subobject' AND entity_id = 'Address'`, `A physical or mailing address.`},
		// Not a git checkout and no --commit.
		{`SELECT coalesce(max(commit_sha), 'none') FROM entities`, `none`},
	} {
		if got := queryString(t, st, tc.sql); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
		}
	}

	run(t, st, filepath.Join(samplesDir, "bundles-layout"), "")
	for _, tc := range []struct{ sql, want string }{
		{`SELECT dependencies::text FROM modules WHERE module_id = 'Core'`, `[]`},
		{`SELECT schema_definition->>'version' FROM modules WHERE module_id = 'Core'`, `1.0.0`},
		{`SELECT module_ids::text FROM profiles WHERE profile_id = 'Default'`, `["Core"]`},
		{`SELECT schema_definition->'parents'->>0 FROM entities WHERE entity_type = 'category' AND entity_id = 'Person'`, `Agent`},
		// versions/, _schema.json and templates/ are not entities.
		{`SELECT count(*)::text FROM entities WHERE entity_id IN ('_schema', 'Property/Page', '1.0.0')`, `0`},
		{`SELECT count(*)::text FROM modules WHERE module_id IN ('_schema', '1.0.0')`, `0`},
		// The older layout's rows are soft-deleted, not gone; Agent, Person,
		// Organization and Address have the same ids in both layouts.
		{`SELECT count(*)::text FROM entities WHERE deleted_at IS NOT NULL`, `15`},
		{`SELECT label FROM entities WHERE entity_type = 'category' AND entity_id = 'Person' AND deleted_at IS NULL`, `Person`},
		{`SELECT count(*)::text FROM modules WHERE deleted_at IS NOT NULL`, `3`},
		{`SELECT count(*)::text FROM profiles WHERE deleted_at IS NOT NULL`, `2`},
	} {
		if got := queryString(t, st, tc.sql); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

func TestRunLabelFallback(t *testing.T) {
	st := openStore(t)
	dir := writeFiles(t, map[string]string{
		"categories/Plain.json": `{"id": "Plain"}`,
		"categories/Blank.json": `{"id": "Blank", "label": "", "description": null}`,
	})
	run(t, st, dir, "")
	got := queryString(t, st, `
SELECT jsonb_agg(jsonb_build_array(entity_id, label, description) ORDER BY entity_id)::text
FROM entities`)
	if want := `[["Blank", "Blank", null], ["Plain", "Plain", null]]`; got != want {
		t.Errorf("rows = %s, want %s", got, want)
	}
}

func TestRunSameSnapshotTwice(t *testing.T) {
	st := openStore(t)
	dir := filepath.Join(samplesDir, "bundles-layout")
	run(t, st, dir, commitA)
	before := dump(t, st)
	// xmin is the transaction that wrote a row version: equal xmins mean the
	// rows were not even rewritten with the same values.
	const versionsSQL = `
SELECT concat_ws(' ',
	(SELECT string_agg(xmin::text, ',' ORDER BY id) FROM entities),
	(SELECT string_agg(xmin::text, ',' ORDER BY id) FROM modules),
	(SELECT string_agg(xmin::text, ',' ORDER BY id) FROM profiles))`
	versionsBefore := queryString(t, st, versionsSQL)
	got := run(t, st, dir, commitA)
	want := store.IngestSummary{
		Category: unchanged(3), Property: unchanged(8), Subobject: unchanged(1), Module: unchanged(1), Profile: unchanged(1),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if after := dump(t, st); after != before {
		t.Errorf("re-ingesting the same snapshot changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if after := queryString(t, st, versionsSQL); after != versionsBefore {
		t.Errorf("re-ingesting the same snapshot rewrote rows: xmin %s, was %s", after, versionsBefore)
	}
}

// entityState returns label, deleted and updated_at of one entity.
func entityState(t *testing.T, st *store.Store, entityType, id string) string {
	t.Helper()
	return queryString(t, st, `
SELECT jsonb_build_array(label, deleted_at IS NOT NULL, updated_at)::text
FROM entities
WHERE entity_type = $1::text::entity_type AND entity_id = $2`, entityType, id)
}

func TestRunRemoveChangeRestore(t *testing.T) {
	st := openStore(t)
	dir := copyDir(t, exampleDir)
	run(t, st, dir, commitA)
	websiteBefore := entityState(t, st, "property", "Has_website")
	nameBefore := entityState(t, st, "property", "Has_name")

	website := filepath.Join(dir, "properties", "Has_website.json")
	content, err := os.ReadFile(website)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(website); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "modules", "Lab.json")); err != nil {
		t.Fatal(err)
	}
	got := run(t, st, dir, commitB)
	want := store.IngestSummary{
		Category: unchanged(7), Property: store.KindSummary{Unchanged: 15, Deleted: 1}, Subobject: unchanged(1),
		Module: store.KindSummary{Unchanged: 1, Deleted: 1}, Profile: unchanged(1),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary after removing (-want +got):\n%s", diff)
	}
	if got := queryString(t, st, `SELECT (deleted_at IS NOT NULL)::text FROM modules WHERE module_id = 'Lab'`); got != "true" {
		t.Errorf("Lab deleted = %s, want true", got)
	}
	websiteDeleted := entityState(t, st, "property", "Has_website")
	if !strings.Contains(websiteDeleted, "true") || websiteDeleted == websiteBefore {
		t.Errorf("Has_website after removal = %s (before %s), want soft-deleted with a new updated_at", websiteDeleted, websiteBefore)
	}
	// Only the commit moved for the untouched rows: same updated_at, new commit_sha.
	if got := entityState(t, st, "property", "Has_name"); got != nameBefore {
		t.Errorf("Has_name = %s, want unchanged %s", got, nameBefore)
	}
	if got := queryString(t, st, `SELECT commit_sha FROM entities WHERE entity_id = 'Has_name'`); got != commitB {
		t.Errorf("Has_name commit_sha = %s, want %s", got, commitB)
	}

	// Bring the file back and change a label elsewhere.
	if err := os.WriteFile(website, content, 0o644); err != nil {
		t.Fatal(err)
	}
	nameFile := filepath.Join(dir, "properties", "Has_name.json")
	nameJSON, err := os.ReadFile(nameFile)
	if err != nil {
		t.Fatal(err)
	}
	nameJSON = bytes.Replace(nameJSON, []byte(`"label": "Name"`), []byte(`"label": "Full name"`), 1)
	if err := os.WriteFile(nameFile, nameJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	got = run(t, st, dir, commitB)
	want = store.IngestSummary{
		Category: unchanged(7), Property: store.KindSummary{Added: 1, Updated: 1, Unchanged: 14}, Subobject: unchanged(1),
		Module: unchanged(1), Profile: unchanged(1),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary after restoring (-want +got):\n%s", diff)
	}
	if got := queryString(t, st, `SELECT (deleted_at IS NULL)::text FROM entities WHERE entity_id = 'Has_website'`); got != "true" {
		t.Errorf("Has_website live = %s, want true", got)
	}
	if got := entityState(t, st, "property", "Has_name"); !strings.Contains(got, "Full name") || got == nameBefore {
		t.Errorf("Has_name = %s, want the new label and updated_at", got)
	}
	if got := queryString(t, st, `SELECT count(*)::text FROM entities WHERE entity_id = 'Has_website'`); got != "1" {
		t.Errorf("%s rows for Has_website, want 1 (restored, not re-created)", got)
	}
}

func TestRunMalformedLeavesDatabaseUnchanged(t *testing.T) {
	st := openStore(t)
	run(t, st, exampleDir, commitA)
	before := dump(t, st)
	for _, tc := range malformedCases {
		t.Run(tc.name, func(t *testing.T) {
			// Beside the broken file, make changes that would show in the
			// dump if anything were written: a removed file and a new label.
			dir := copyDir(t, exampleDir)
			if err := os.Remove(filepath.Join(dir, "properties", "Has_website.json")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "categories", "Agent.json"), []byte(`{"id": "Agent", "label": "Actor"}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(tc.file)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			_, err := Run(context.Background(), st, dir, commitB, &out)
			if err == nil || !strings.Contains(err.Error(), filepath.FromSlash(tc.file)+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run = %v, want an error naming %s and saying %q", err, tc.file, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("Run printed a summary for a failed ingest:\n%s", out.String())
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
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		if _, err := Run(context.Background(), st, dir, commitA, io.Discard); err == nil {
			t.Errorf("Run(%s) succeeded, want an error", dir)
		}
	}
	if after := dump(t, st); after != before {
		t.Errorf("a failed ingest changed the database")
	}
}

func TestRunConcurrent(t *testing.T) {
	ctx := context.Background()
	full, err := Load(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	reducedDir := copyDir(t, exampleDir)
	for _, rel := range []string{"properties/Has_website.json", "modules/Lab.json", "categories/Student.json"} {
		if err := os.Remove(filepath.Join(reducedDir, rel)); err != nil {
			t.Fatal(err)
		}
	}
	reduced, err := Load(reducedDir)
	if err != nil {
		t.Fatal(err)
	}
	// Different category ids in the two snapshots: their first upserts do
	// not wait for each other on the unique index, so without the advisory
	// lock each would soft-delete only what it sees and both category sets
	// would end up live, a state neither serial order produces.
	for i, e := range reduced.Entities {
		if e.EntityType == "category" {
			reduced.Entities[i].EntityID = "Reduced_" + e.EntityID
		}
	}
	// Many more rows than the example, so the two transactions overlap.
	for i := range 300 {
		id := fmt.Sprintf("Has_generated_%d", i)
		e := store.EntityRecord{EntityType: "property", EntityID: id, Label: id, SchemaDefinition: []byte(`{"id": "` + id + `"}`)}
		full.Entities = append(full.Entities, e)
		if i%2 == 0 {
			reduced.Entities = append(reduced.Entities, e)
		}
	}
	snaps := [2]store.Snapshot{full, reduced}

	// What each serial order produces, to compare the concurrent runs with.
	type outcome struct {
		summaries [2]store.IngestSummary // indexed like snaps
		state     string
	}
	serial := func(first, second int) outcome {
		st := openStore(t)
		var o outcome
		for _, i := range []int{first, second} {
			summary, err := st.ApplySnapshot(ctx, snaps[i])
			if err != nil {
				t.Fatal(err)
			}
			o.summaries[i] = summary
		}
		o.state = liveState(t, st)
		return o
	}
	orders := []outcome{serial(0, 1), serial(1, 0)}

	for range 5 {
		st := openStore(t)
		var o outcome
		var errs [2]error
		// Open both connections first, so neither ingest waits for a connect.
		warm := make([]*pgxpool.Conn, 2)
		for i := range warm {
			if warm[i], err = st.Pool().Acquire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range warm {
			c.Release()
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range snaps {
			wg.Go(func() {
				<-start
				o.summaries[i], errs[i] = st.ApplySnapshot(ctx, snaps[i])
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		o.state = liveState(t, st)
		if !cmp.Equal(o, orders[0], cmp.AllowUnexported(outcome{})) && !cmp.Equal(o, orders[1], cmp.AllowUnexported(outcome{})) {
			t.Fatalf("concurrent ingests match neither serial order:\ngot %+v\nwant %+v\n  or %+v", o, orders[0], orders[1])
		}
	}
}

func TestRunCommit(t *testing.T) {
	st := openStore(t)
	repo, head := gitRepo(t)
	plain := writeFiles(t, map[string]string{"categories/Agent.json": `{"id": "Agent"}`})
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(plain))
	for _, tc := range []struct {
		name, dir, flag, want string
	}{
		{"--commit", repo, commitA, commitA},
		{"git rev-parse HEAD", repo, "", head},
		{"--commit without git", plain, commitB, commitB},
		{"neither", plain, "", "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := Run(context.Background(), st, tc.dir, tc.flag, &out); err != nil {
				t.Fatal(err)
			}
			got := queryString(t, st, `SELECT coalesce(commit_sha, 'null') FROM entities WHERE entity_id = 'Agent'`)
			if got != tc.want {
				t.Errorf("commit_sha = %s, want %s", got, tc.want)
			}
			if tc.want != "null" && !strings.Contains(out.String(), "at commit "+tc.want) {
				t.Errorf("output does not name the commit:\n%s", out.String())
			}
		})
	}
}
