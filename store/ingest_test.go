package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ingestTestStore opens the package database with empty entities, modules
// and profiles tables, and empties them again afterwards: ApplySnapshot owns
// those tables as a whole (it soft-deletes whatever is not in the snapshot),
// so its tests cannot share them with other tests' rows.
func ingestTestStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	empty := func() {
		if _, err := st.pool.Exec(ctx, "DELETE FROM entities; DELETE FROM modules; DELETE FROM profiles"); err != nil {
			t.Errorf("clear ingest tables: %v", err)
		}
	}
	empty()
	t.Cleanup(func() {
		empty()
		st.Close()
	})
	return st
}

func ingestString(s string) *string { return &s }

// ingestTestSnapshot is one category, one module and one profile.
func ingestTestSnapshot(commit *string) Snapshot {
	return Snapshot{
		Entities: []EntityRecord{{
			EntityType:       "category",
			EntityID:         "Agent",
			Label:            "Agent",
			Description:      ingestString("Anything that can act"),
			SchemaDefinition: json.RawMessage(`{"id": "Agent", "label": "Agent", "description": "Anything that can act"}`),
		}},
		Modules: []ModuleRecord{{
			ModuleID:         "Core",
			Label:            "Core",
			CategoryIDs:      []string{"Agent"},
			SchemaDefinition: json.RawMessage(`{"id": "Core", "categories": ["Agent"]}`),
		}},
		Profiles: []ProfileRecord{{
			ProfileID:        "Default",
			Label:            "Default",
			ModuleIDs:        []string{"Core"},
			SchemaDefinition: json.RawMessage(`{"id": "Default", "modules": ["Core"]}`),
		}},
		CommitSHA: commit,
	}
}

// ingestRows returns, per table, id, uuid, commit_sha, the list columns and
// both timestamps of every row, as JSON.
func ingestRows(t *testing.T, st *Store) map[string]string {
	t.Helper()
	queries := map[string]string{
		"entities": `SELECT jsonb_agg(jsonb_build_object('id', entity_id, 'uuid', id, 'commit', commit_sha, 'description', description, 'deleted', deleted_at IS NOT NULL, 'created', created_at, 'updated', updated_at) ORDER BY entity_id)::text FROM entities`,
		"modules":  `SELECT jsonb_agg(jsonb_build_object('id', module_id, 'uuid', id, 'commit', commit_sha, 'categories', category_ids, 'deps', dependencies, 'deleted', deleted_at IS NOT NULL, 'created', created_at, 'updated', updated_at) ORDER BY module_id)::text FROM modules`,
		"profiles": `SELECT jsonb_agg(jsonb_build_object('id', profile_id, 'uuid', id, 'commit', commit_sha, 'modules', module_ids, 'deleted', deleted_at IS NOT NULL, 'created', created_at, 'updated', updated_at) ORDER BY profile_id)::text FROM profiles`,
	}
	out := map[string]string{}
	for table, sql := range queries {
		var rows *string
		if err := st.pool.QueryRow(context.Background(), sql).Scan(&rows); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if rows != nil {
			out[table] = *rows
		}
	}
	return out
}

// ingestField extracts one field of the only row of a table dump.
func ingestField(t *testing.T, rows map[string]string, table, field string) string {
	t.Helper()
	var parsed []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rows[table]), &parsed); err != nil || len(parsed) != 1 {
		t.Fatalf("%s rows %s: %v", table, rows[table], err)
	}
	return string(parsed[0][field])
}

func TestApplySnapshotCommitOnlyChange(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	got, err := st.ApplySnapshot(ctx, ingestTestSnapshot(ingestString("aaaa111")))
	if err != nil {
		t.Fatal(err)
	}
	one := KindSummary{Added: 1}
	if diff := cmp.Diff(IngestSummary{Category: one, Module: one, Profile: one}, got); diff != "" {
		t.Errorf("first summary (-want +got):\n%s", diff)
	}
	before := ingestRows(t, st)

	// The same content at another commit, then without a commit: unchanged,
	// same updated_at, but commit_sha follows.
	for _, commit := range []*string{ingestString("bbbb222"), nil} {
		got, err := st.ApplySnapshot(ctx, ingestTestSnapshot(commit))
		if err != nil {
			t.Fatal(err)
		}
		same := KindSummary{Unchanged: 1}
		if diff := cmp.Diff(IngestSummary{Category: same, Module: same, Profile: same}, got); diff != "" {
			t.Errorf("commit %v: summary (-want +got):\n%s", commit, diff)
		}
		after := ingestRows(t, st)
		wantCommit := "null"
		if commit != nil {
			wantCommit = fmt.Sprintf("%q", *commit)
		}
		for _, table := range []string{"entities", "modules", "profiles"} {
			if got := ingestField(t, after, table, "commit"); got != wantCommit {
				t.Errorf("commit %v: %s commit_sha = %s", commit, table, got)
			}
			if b, a := ingestField(t, before, table, "updated"), ingestField(t, after, table, "updated"); a != b {
				t.Errorf("commit %v: %s updated_at moved from %s to %s", commit, table, b, a)
			}
		}
	}
}

func TestApplySnapshotContentChanges(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	if _, err := st.ApplySnapshot(ctx, ingestTestSnapshot(nil)); err != nil {
		t.Fatal(err)
	}
	before := ingestRows(t, st)

	snap := ingestTestSnapshot(nil)
	snap.Entities[0].Description = nil
	snap.Modules[0].Dependencies = []string{"Base"}
	snap.Profiles = nil
	got, err := st.ApplySnapshot(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	want := IngestSummary{
		Category: KindSummary{Updated: 1},
		Module:   KindSummary{Updated: 1},
		Profile:  KindSummary{Deleted: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	after := ingestRows(t, st)
	for _, table := range []string{"entities", "modules", "profiles"} {
		if b, a := ingestField(t, before, table, "updated"), ingestField(t, after, table, "updated"); a == b {
			t.Errorf("%s updated_at did not move", table)
		}
		for _, kept := range []string{"uuid", "created"} {
			if b, a := ingestField(t, before, table, kept), ingestField(t, after, table, kept); a != b {
				t.Errorf("%s %s changed from %s to %s", table, kept, b, a)
			}
		}
	}
	if got := ingestField(t, after, "entities", "description"); got != "null" {
		t.Errorf("description = %s, want null", got)
	}
	if got := ingestField(t, after, "modules", "deps"); got != `["Base"]` {
		t.Errorf("dependencies = %s", got)
	}
	if got := ingestField(t, after, "profiles", "deleted"); got != "true" {
		t.Errorf("profile deleted = %s, want true", got)
	}

	// The profile comes back: added, same row.
	got, err = st.ApplySnapshot(ctx, ingestTestSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.Profile != (KindSummary{Added: 1}) {
		t.Errorf("profile summary = %+v, want one added", got.Profile)
	}
	restored := ingestRows(t, st)
	if got := ingestField(t, restored, "profiles", "deleted"); got != "false" {
		t.Errorf("profile deleted = %s after restoring, want false", got)
	}
	if b, a := ingestField(t, before, "profiles", "uuid"), ingestField(t, restored, "profiles", "uuid"); a != b {
		t.Errorf("restored profile has a new uuid %s, was %s", a, b)
	}
}

func TestApplySnapshotDefaults(t *testing.T) {
	st := ingestTestStore(t)
	snap := Snapshot{Modules: []ModuleRecord{{ModuleID: "Bare", Label: "Bare"}}}
	if _, err := st.ApplySnapshot(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	var categories, deps, def string
	err := st.pool.QueryRow(context.Background(),
		`SELECT category_ids::text, dependencies::text, schema_definition::text FROM modules WHERE module_id = 'Bare'`,
	).Scan(&categories, &deps, &def)
	if err != nil {
		t.Fatal(err)
	}
	if categories != "[]" || deps != "[]" || def != "{}" {
		t.Errorf("nil lists and definition stored as %s %s %s, want [] [] {}", categories, deps, def)
	}
}

func TestApplySnapshotRejects(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	if _, err := st.ApplySnapshot(ctx, ingestTestSnapshot(nil)); err != nil {
		t.Fatal(err)
	}
	before := ingestRows(t, st)
	for _, tc := range []struct {
		name   string
		change func(*Snapshot)
		want   string
	}{
		{"duplicate entity", func(s *Snapshot) { s.Entities = append(s.Entities, s.Entities[0]) }, `category "Agent" appears twice`},
		{"unknown entity type", func(s *Snapshot) { s.Entities[0].EntityType = "template" }, `unknown entity type "template"`},
		{"duplicate module", func(s *Snapshot) { s.Modules = append(s.Modules, s.Modules[0]) }, `module "Core" appears twice`},
		{"duplicate profile", func(s *Snapshot) { s.Profiles = append(s.Profiles, s.Profiles[0]) }, `profile "Default" appears twice`},
		// Caught by PostgreSQL mid-transaction, after other rows were written.
		{"NUL in a label", func(s *Snapshot) { s.Entities = nil; s.Profiles[0].Label = "a\x00b" }, "profile: upsert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := ingestTestSnapshot(ingestString("cccc333"))
			tc.change(&snap)
			_, err := st.ApplySnapshot(ctx, snap)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ApplySnapshot = %v, want an error containing %q", err, tc.want)
			}
			if diff := cmp.Diff(before, ingestRows(t, st)); diff != "" {
				t.Errorf("a rejected snapshot changed the tables (-before +after):\n%s", diff)
			}
		})
	}
}

func TestApplySnapshotWaitsForTheLock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := ingestTestStore(t)

	// Hold the ingest lock in another transaction.
	holder, err := st.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", ingestLockKey); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := st.ApplySnapshot(ctx, ingestTestSnapshot(nil))
		done <- err
	}()

	// Wait until PostgreSQL shows the ingest waiting for that lock.
	const waitingSQL = `
SELECT count(*)
FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted
	AND (classid::bigint << 32 | objid::bigint) = $1`
	for {
		var waiting int
		if err := st.pool.QueryRow(ctx, waitingSQL, ingestLockKey).Scan(&waiting); err != nil {
			t.Fatalf("waiting for the ingest to block on the lock: %v", err)
		}
		if waiting == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("ApplySnapshot finished (%v) while another transaction held the lock", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if rows := ingestRows(t, st); len(rows) != 0 {
		t.Errorf("rows written while waiting for the lock: %v", rows)
	}

	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rows := ingestRows(t, st); len(rows) != 3 {
		t.Errorf("after the lock was released: %v, want a row in each table", rows)
	}
}
