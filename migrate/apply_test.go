package migrate

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/migrations"
)

func TestApplyCreatesTheDataModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := newDatabase(t)

	applied, err := Apply(ctx, databaseURL, migrations.FS)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(migrationFiles(t), applied); diff != "" {
		t.Errorf("Apply applied (-want +got):\n%s", diff)
	}

	db := connect(t, databaseURL)
	columns := queryStrings(t, db, `
SELECT table_name || '.' || column_name || ' ' || udt_name || ' ' || is_nullable || ' ' || is_generated
FROM information_schema.columns
WHERE table_schema = 'public'
ORDER BY table_name, ordinal_position`)
	wantColumns := []string{
		"draft_changes.id uuid NO NEVER",
		"draft_changes.draft_id uuid NO NEVER",
		"draft_changes.change_type draft_change_type NO NEVER",
		"draft_changes.entity_type entity_type NO NEVER",
		"draft_changes.entity_id text NO NEVER",
		"draft_changes.entity json YES NEVER",
		"draft_changes.patch json YES NEVER",
		"draft_changes.base_generation int8 YES NEVER",
		"draft_changes.created_at timestamptz NO NEVER",
		"draft_changes.updated_at timestamptz NO NEVER",
		"drafts.id uuid NO NEVER",
		"drafts.capability_hash text NO NEVER",
		"drafts.status draft_status NO NEVER",
		"drafts.payload json NO NEVER",
		"drafts.source_wiki text YES NEVER",
		"drafts.base_commit_sha text YES NEVER",
		"drafts.expires_at timestamptz NO NEVER",
		"drafts.created_at timestamptz NO NEVER",
		"drafts.updated_at timestamptz NO NEVER",
		"drafts.deleted_at timestamptz YES NEVER",
		"drafts.title text YES NEVER",
		"drafts.description text YES NEVER",
		"drafts.base_generation int8 NO NEVER",
		"drafts.revision int8 NO NEVER",
		"drafts.validated_revision int8 YES NEVER",
		"drafts.submitted_branch text YES NEVER",
		"drafts.submitted_commit_sha text YES NEVER",
		"drafts.submitted_at timestamptz YES NEVER",
		"drafts.pull_request_url text YES NEVER",
		"drafts.last_validation json YES NEVER",
		"drafts.last_validation_revision int8 YES NEVER",
		"drafts.last_validation_at timestamptz YES NEVER",
		"entities.id uuid NO NEVER",
		"entities.entity_id text NO NEVER",
		"entities.entity_type entity_type NO NEVER",
		"entities.label text NO NEVER",
		"entities.description text YES NEVER",
		"entities.schema_definition jsonb NO NEVER",
		"entities.commit_sha text YES NEVER",
		"entities.created_at timestamptz NO NEVER",
		"entities.updated_at timestamptz NO NEVER",
		"entities.deleted_at timestamptz YES NEVER",
		"entities.source text NO NEVER",
		"entities.file_path text NO NEVER",
		"entities.content_hash text NO NEVER",
		"entities.changed_generation int8 NO NEVER",
		"ingests.generation int8 NO NEVER",
		"ingests.commit_sha text YES NEVER",
		"ingests.ingested_at timestamptz NO NEVER",
		"ingests.repo_version text NO NEVER",
		"ingests.bundle_folder text NO NEVER",
		"ingests.schemas json NO NEVER",
		"ingests.findings jsonb NO NEVER",
		"ingests.summary jsonb NO NEVER",
		"sync_state.id bool NO NEVER",
		"sync_state.remote_commit_sha text YES NEVER",
		"sync_state.last_error text YES NEVER",
		"sync_state.attempted_at timestamptz YES NEVER",
		"sync_state.finished_at timestamptz YES NEVER",
		"sync_state.succeeded_at timestamptz YES NEVER",
		"sync_state.requested_at timestamptz YES NEVER",
	}
	if diff := cmp.Diff(wantColumns, columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}

	indexes := queryStrings(t, db, `
SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' ORDER BY indexname`)
	wantIndexes := []string{
		`CREATE UNIQUE INDEX draft_changes_entity_key ON public.draft_changes USING btree (draft_id, entity_type, entity_id)`,
		`CREATE UNIQUE INDEX drafts_capability_hash_key ON public.drafts USING btree (capability_hash)`,
		`CREATE INDEX drafts_expires_at_idx ON public.drafts USING btree (expires_at)`,
		`CREATE UNIQUE INDEX entities_entity_type_entity_id_key ON public.entities USING btree (entity_type, entity_id)`,
		`CREATE INDEX entities_live_idx ON public.entities USING btree (entity_type, entity_id) WHERE (deleted_at IS NULL)`,
	}
	if diff := cmp.Diff(wantIndexes, indexes); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}

	again, err := Apply(ctx, databaseURL, migrations.FS)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("second Apply applied %v, want nothing", again)
	}

	gotApplied, pending, err := Status(ctx, databaseURL, migrations.FS)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if diff := cmp.Diff(migrationFiles(t), gotApplied); diff != "" {
		t.Errorf("Status applied (-want +got):\n%s", diff)
	}
	if len(pending) != 0 {
		t.Errorf("Status pending = %v, want none", pending)
	}
}

// TestApplyRecordsAtlasRevisions checks the rows against what the Atlas CLI writes, so
// `atlas migrate apply` and `atlas migrate status` agree with this engine.
// TestApplyMovesModulesAndProfilesIntoEntities upgrades a database that holds modules and
// profiles in their old tables: after the migrations they are entities of kind module and
// bundle, same ids, uuids, timestamps and soft deletes, with their JSON as source.
func TestApplyMovesModulesAndProfilesIntoEntities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := newDatabase(t)
	files, err := fsDir{migrations.FS}.Files()
	if err != nil {
		t.Fatal(err)
	}
	first := migrationDir(t, map[string]string{files[0].Name(): string(files[0].Bytes())})
	if _, err := Apply(ctx, databaseURL, first); err != nil {
		t.Fatal(err)
	}
	db := connect(t, databaseURL)
	for _, stmt := range []string{
		`INSERT INTO modules (id, module_id, label, schema_definition, created_at) VALUES ('00000000-0000-0000-0000-000000000001', 'Core', 'Core', '{"id": "Core", "categories": ["Agent"]}', '2026-01-01T00:00:00Z')`,
		`INSERT INTO modules (module_id, label, deleted_at) VALUES ('Gone', 'Gone', now())`,
		`INSERT INTO profiles (profile_id, label, schema_definition) VALUES ('Default', 'Default', '{"id": "Default", "modules": ["Core"]}')`,
		`INSERT INTO entities (entity_id, entity_type, label, schema_definition) VALUES ('Agent', 'category', 'Agent', '{"id": "Agent"}')`,
		`INSERT INTO drafts (capability_hash, payload, expires_at) VALUES ('h', '{"b": 1e3, "a": [1]}', now() + interval '1 day')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if _, err := Apply(ctx, databaseURL, migrations.FS); err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, db, `
SELECT entity_type || ' ' || entity_id || ' ' || file_path || ' ' || source || ' deleted=' || (deleted_at IS NOT NULL)
	|| CASE WHEN entity_id = 'Core' THEN ' ' || id || ' ' || (created_at = '2026-01-01T00:00:00Z') ELSE '' END
FROM entities
ORDER BY entity_type, entity_id`)
	want := []string{
		`category Agent categories/Agent.json {"id": "Agent"} deleted=false`,
		`module Core modules/Core.json {"id": "Core", "categories": ["Agent"]} deleted=false 00000000-0000-0000-0000-000000000001 true`,
		`module Gone modules/Gone.json {} deleted=true`,
		`bundle Default bundles/Default.json {"id": "Default", "modules": ["Core"]} deleted=false`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entities after the upgrade (-want +got):\n%s", diff)
	}
	if got := queryStrings(t, db, `SELECT payload::text FROM drafts`); len(got) != 1 || got[0] != `{"a": [1], "b": 1000}` {
		t.Errorf("draft payload after the upgrade: %v", got)
	}
}

func TestApplyRecordsAtlasRevisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := migratedDatabase(t)
	db := connect(t, databaseURL)

	sum, err := fsDir{migrations.FS}.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	files, err := fsDir{migrations.FS}.Files()
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, f := range files {
		stmts, err := f.Stmts()
		if err != nil {
			t.Fatal(err)
		}
		hash, err := sum.SumByName(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%s %s type=2 %d/%d error='' stmt='' hash=%s partial=null operator=true",
			f.Version(), f.Desc(), len(stmts), len(stmts), hash))
	}
	rows, err := db.QueryContext(ctx, `
SELECT version, description, type, applied, total, error, error_stmt, hash, partial_hashes::text,
  operator_version LIKE 'ontohub migrate%', execution_time > 0, executed_at <= now()
FROM atlas_schema_revisions.atlas_schema_revisions
ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			version, description, errText, errStmt, hash, partial string
			revType, applied, total                               int
			operator, took, past                                  bool
		)
		if err := rows.Scan(&version, &description, &revType, &applied, &total, &errText, &errStmt, &hash, &partial, &operator, &took, &past); err != nil {
			t.Fatal(err)
		}
		if !took || !past {
			t.Errorf("revision %s: execution_time > 0 is %v, executed_at <= now() is %v", version, took, past)
		}
		got = append(got, fmt.Sprintf("%s %s type=%d %d/%d error='%s' stmt='%s' hash=%s partial=%s operator=%v",
			version, description, revType, applied, total, errText, errStmt, hash, partial, operator))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
}

func TestStatusOfFreshDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := newDatabase(t)

	applied, pending, err := Status(ctx, databaseURL, migrations.FS)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("Status applied = %v, want none", applied)
	}
	if diff := cmp.Diff(migrationFiles(t), pending); diff != "" {
		t.Errorf("Status pending (-want +got):\n%s", diff)
	}
	// Status only looks: it must not have created the revision table.
	schemas := queryStrings(t, connect(t, databaseURL), `SELECT nspname::text FROM pg_namespace WHERE nspname = 'atlas_schema_revisions'`)
	if len(schemas) != 0 {
		t.Errorf("Status created schema atlas_schema_revisions")
	}
}

func TestApplyConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := newDatabase(t)

	const replicas = 3
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []string
		errs    []error
	)
	for range replicas {
		wg.Go(func() {
			versions, err := Apply(ctx, databaseURL, migrations.FS)
			mu.Lock()
			defer mu.Unlock()
			applied = append(applied, versions...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent Apply: %v", errs)
	}
	if diff := cmp.Diff(migrationFiles(t), applied); diff != "" {
		t.Errorf("versions applied by all replicas together (-want +got):\n%s", diff)
	}
}

func TestApplyStopsAtFailingMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := newDatabase(t)
	dir := migrationDir(t, map[string]string{
		"1_first.sql":  "CREATE TABLE first (id int);\n",
		"2_broken.sql": "CREATE TABLE second (id int);\nSELECT no_such_function();\n",
	})

	applied, err := Apply(ctx, databaseURL, dir)
	if err == nil {
		t.Fatal("Apply of a failing migration succeeded")
	}
	for _, want := range []string{"2_broken.sql", "no_such_function"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Apply error %q does not mention %q", err, want)
		}
	}
	if diff := cmp.Diff([]string{"1"}, applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	db := connect(t, databaseURL)
	tables := queryStrings(t, db, `SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if diff := cmp.Diff([]string{"first"}, tables); diff != "" {
		t.Errorf("tables after the failed file rolled back (-want +got):\n%s", diff)
	}
	versions := queryStrings(t, db, `SELECT version::text FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY 1`)
	if diff := cmp.Diff([]string{"1"}, versions); diff != "" {
		t.Errorf("recorded revisions (-want +got):\n%s", diff)
	}

	// Once the file is fixed the next run continues with it.
	dir = migrationDir(t, map[string]string{
		"1_first.sql":  "CREATE TABLE first (id int);\n",
		"2_broken.sql": "CREATE TABLE second (id int);\n",
	})
	applied, err = Apply(ctx, databaseURL, dir)
	if err != nil {
		t.Fatalf("Apply after the fix: %v", err)
	}
	if diff := cmp.Diff([]string{"2"}, applied); diff != "" {
		t.Errorf("applied after the fix (-want +got):\n%s", diff)
	}
}

func TestApplyRejectsBadDirectories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	edited := fstest.MapFS{}
	for name, b := range embeddedMigrations(t) {
		if strings.HasSuffix(name, ".sql") {
			b = append(b, "-- edited after the fact\n"...)
		}
		edited[name] = &fstest.MapFile{Data: b}
	}
	noSum := migrationDir(t, map[string]string{"1_a.sql": "SELECT 1;\n"})
	delete(noSum, atlasmigrate.HashFileName)

	tests := []struct {
		name string
		dir  fs.FS
		want string
	}{
		{"edited file", edited, "migrations/atlas.sum does not match the migration files: " + migrationFiles(t)[0] + "_"},
		{"missing atlas.sum", noSum, "migrations/atlas.sum is missing"},
		{"empty directory", fstest.MapFS{}, "bad migration directory migrations: no migration files"},
		{"directory on disk", DirFS(t.TempDir() + "/nowhere"), "nowhere: no migration files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The database is never reached: the directory is checked first.
			_, err := Apply(ctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable", tt.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := Apply(ctx, "postgres://postgres@127.0.0.1:1/ontohub?sslmode=disable&connect_timeout=2", migrations.FS)
	if err == nil || !strings.Contains(err.Error(), `cannot reach database "ontohub" on 127.0.0.1:1`) {
		t.Errorf("Apply error = %v, want it to say the database cannot be reached", err)
	}
}

func TestAtlasSumMatchesMigrations(t *testing.T) {
	t.Parallel()
	if err := validate(fsDir{migrations.FS}, embeddedName, false); err != nil {
		t.Fatal(err)
	}
}

func TestRevisionPartialHashesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := connect(t, newDatabase(t))
	if err := createRevisionTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	rrw := &revisions{db: db}
	rev := &atlasmigrate.Revision{
		Version: "5", Description: "partial", Type: atlasmigrate.RevisionTypeExecute,
		Applied: 1, Total: 2, Hash: "h", PartialHashes: []string{"h1:abc"},
		Error: "boom", ErrorStmt: "SELECT boom()", OperatorVersion: "test",
	}
	if err := rrw.WriteRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	got, err := rrw.ReadRevision(ctx, "5")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rev, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".ExecutedAt"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("revision round trip (-want +got):\n%s", diff)
	}
	var raw string
	if err := db.QueryRowContext(ctx, `SELECT partial_hashes::text FROM atlas_schema_revisions.atlas_schema_revisions`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var hashes []string
	if err := json.Unmarshal([]byte(raw), &hashes); err != nil || len(hashes) != 1 {
		t.Errorf("partial_hashes stored as %s, want a JSON array of strings", raw)
	}
	if _, err := rrw.ReadRevision(ctx, "6"); err != atlasmigrate.ErrRevisionNotExist {
		t.Errorf("ReadRevision of a missing version: %v, want ErrRevisionNotExist", err)
	}
}
