package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// ingestTestStore opens the package database with an empty entities and ingests tables, and
// empties them again afterwards: Ingest owns the entities table as a whole (it soft-deletes
// whatever is not in the ingest), so its tests cannot share it with other tests' rows.
func ingestTestStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	empty := func() {
		if _, err := st.pool.Exec(ctx, "DELETE FROM entities; DELETE FROM ingests"); err != nil {
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

// record is an entity record of source, hashed the way ingest hashes (compact JSON).
func record(kind, id, source string) EntityRecord {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(source)); err != nil {
		panic(err)
	}
	sum := sha256.Sum256(compact.Bytes())
	return EntityRecord{EntityType: kind, EntityID: id, FilePath: kind + "s/" + id + ".json", Label: id,
		Source: []byte(source), ContentHash: hex.EncodeToString(sum[:])}
}

// ingestTestInput is one category, one module and one bundle.
func ingestTestInput(commit *string) Ingest {
	return Ingest{
		Entities: []EntityRecord{
			record("category", "Agent", `{"id": "Agent", "label": "Agent", "description": "Anything that can act"}`),
			record("module", "Core", `{"id": "Core", "categories": ["Agent"]}`),
			record("bundle", "Default", `{"id": "Default", "modules": ["Core"]}`),
		},
		CommitSHA: commit,
	}
}

// entityRow is what the tests look at of a row.
type entityRow struct {
	ID         string
	Commit     *string
	Generation int64
	Source     string
	Deleted    bool
	Created    time.Time
	Updated    time.Time
	UUID       string
}

// ingestRows returns every row of entities by kind/id.
func ingestRows(t *testing.T, st *Store) map[string]entityRow {
	t.Helper()
	rows, err := st.pool.Query(context.Background(), `
		SELECT entity_type::text || '/' || entity_id, commit_sha, changed_generation, source,
			deleted_at IS NOT NULL, created_at, updated_at, id::text
		FROM entities`)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[entityRow])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]entityRow{}
	for _, r := range list {
		out[r.ID] = r
	}
	return out
}

func summaryOf(kinds map[string]KindSummary) IngestSummary {
	s := IngestSummary{}
	for _, k := range Kinds {
		s[k] = kinds[k]
	}
	return s
}

func TestIngestSameContentAtANewCommit(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	first, err := st.Ingest(ctx, ingestTestInput(ingestString("aaaa111")))
	if err != nil {
		t.Fatal(err)
	}
	one := KindSummary{Added: 1}
	if diff := cmp.Diff(summaryOf(map[string]KindSummary{"category": one, "module": one, "bundle": one}), first.Summary); diff != "" {
		t.Errorf("first summary (-want +got):\n%s", diff)
	}
	before := ingestRows(t, st)

	// The same content at another commit, then reformatted, then without a commit: unchanged,
	// and each row keeps the commit and generation that last changed it.
	reformatted := ingestTestInput(nil)
	reformatted.Entities[0] = record("category", "Agent", "{\n  \"id\":\"Agent\",\n  \"label\": \"Agent\", \"description\": \"Anything that can act\"\n}\n")
	reformatted.CommitSHA = ingestString("cccc333")
	for _, in := range []Ingest{ingestTestInput(ingestString("bbbb222")), reformatted, ingestTestInput(nil)} {
		got, err := st.Ingest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Generation <= first.Generation {
			t.Errorf("generation %d after %d", got.Generation, first.Generation)
		}
		same := KindSummary{Unchanged: 1}
		if diff := cmp.Diff(summaryOf(map[string]KindSummary{"category": same, "module": same, "bundle": same}), got.Summary); diff != "" {
			t.Errorf("commit %v: summary (-want +got):\n%s", in.CommitSHA, diff)
		}
		after := ingestRows(t, st)
		for key, b := range before {
			a := after[key]
			if *a.Commit != "aaaa111" || a.Generation != first.Generation || !a.Updated.Equal(b.Updated) {
				t.Errorf("commit %v: %s is %+v, want it as last changed by aaaa111", in.CommitSHA, key, a)
			}
			if a.Source != string(sourceOf(in, key)) {
				t.Errorf("commit %v: %s source %q, want the file as read", in.CommitSHA, key, a.Source)
			}
		}
	}
	o, err := st.Ontology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.CommitSHA != nil || o.Generation != first.Generation+3 || len(o.Entities) != 3 {
		t.Errorf("ontology at generation %d, commit %v, %d entities", o.Generation, o.CommitSHA, len(o.Entities))
	}
}

func sourceOf(in Ingest, key string) []byte {
	for _, e := range in.Entities {
		if e.EntityType+"/"+e.EntityID == key {
			return e.Source
		}
	}
	return nil
}

func TestIngestContentChanges(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	first, err := st.Ingest(ctx, ingestTestInput(ingestString("aaaa111")))
	if err != nil {
		t.Fatal(err)
	}
	before := ingestRows(t, st)

	in := ingestTestInput(ingestString("bbbb222"))
	in.Entities[0] = record("category", "Agent", `{"id": "Agent", "label": "Agent"}`)
	in.Entities = in.Entities[:2] // the bundle goes
	second, err := st.Ingest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := summaryOf(map[string]KindSummary{
		"category": {Updated: 1},
		"module":   {Unchanged: 1},
		"bundle":   {Deleted: 1},
	})
	if diff := cmp.Diff(want, second.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	after := ingestRows(t, st)
	for _, key := range []string{"category/Agent", "bundle/Default"} {
		a, b := after[key], before[key]
		if *a.Commit != "bbbb222" || a.Generation != second.Generation || a.Updated.Equal(b.Updated) {
			t.Errorf("%s = %+v, want it changed by bbbb222", key, a)
		}
		if a.UUID != b.UUID || !a.Created.Equal(b.Created) {
			t.Errorf("%s lost its identity: %+v, was %+v", key, a, b)
		}
	}
	if m := after["module/Core"]; *m.Commit != "aaaa111" || m.Generation != first.Generation {
		t.Errorf("unchanged module = %+v", m)
	}
	if !after["bundle/Default"].Deleted {
		t.Error("bundle not soft-deleted")
	}

	// The bundle comes back: added, same row, changed now.
	third, err := st.Ingest(ctx, ingestTestInput(ingestString("cccc333")))
	if err != nil {
		t.Fatal(err)
	}
	if third.Summary["bundle"] != (KindSummary{Added: 1}) {
		t.Errorf("bundle summary = %+v, want one added", third.Summary["bundle"])
	}
	restored := ingestRows(t, st)["bundle/Default"]
	if restored.Deleted || restored.UUID != before["bundle/Default"].UUID || restored.Generation != third.Generation {
		t.Errorf("restored bundle = %+v", restored)
	}
}

func TestIngestRejects(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	if _, err := st.Ingest(ctx, ingestTestInput(nil)); err != nil {
		t.Fatal(err)
	}
	before := ingestRows(t, st)
	beforeOntology, err := st.Ontology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Ingest)
		want   string
	}{
		{"duplicate entity", func(in *Ingest) { in.Entities = append(in.Entities, in.Entities[0]) }, `category "Agent" appears twice`},
		{"unknown entity type", func(in *Ingest) { in.Entities[0].EntityType = "widget" }, `unknown entity type "widget"`},
		// Caught by PostgreSQL mid-transaction, after other rows were written.
		{"NUL in a label", func(in *Ingest) { in.Entities[2].Label = "a\x00b" }, "stage"},
		{"not JSON", func(in *Ingest) { in.Entities[2].Source = []byte("{") }, "upsert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ingestTestInput(ingestString("cccc333"))
			tc.change(&in)
			_, err := st.Ingest(ctx, in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Ingest = %v, want an error containing %q", err, tc.want)
			}
			if diff := cmp.Diff(before, ingestRows(t, st)); diff != "" {
				t.Errorf("a rejected ingest changed the table (-before +after):\n%s", diff)
			}
			o, err := st.Ontology(ctx)
			if err != nil || o.Generation != beforeOntology.Generation {
				t.Errorf("a rejected ingest recorded a generation: %d (was %d), %v", o.Generation, beforeOntology.Generation, err)
			}
		})
	}
}

func TestIngestNotifiesOnCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := ingestTestStore(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+OntologyChannel); err != nil {
		t.Fatal(err)
	}
	// A failing ingest announces nothing.
	bad := ingestTestInput(nil)
	bad.Entities[2].Source = []byte("{")
	if _, err := st.Ingest(ctx, bad); err == nil {
		t.Fatal("bad ingest succeeded")
	}
	got, err := st.Ingest(ctx, ingestTestInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Channel != OntologyChannel || n.Payload != strconv.FormatInt(got.Generation, 10) {
		t.Errorf("notification %s %q, want %s %d", n.Channel, n.Payload, OntologyChannel, got.Generation)
	}
}

func TestIngestWaitsForTheLock(t *testing.T) {
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
		_, err := st.Ingest(ctx, ingestTestInput(nil))
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
			t.Fatalf("Ingest finished (%v) while another transaction held the lock", err)
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
		t.Errorf("after the lock was released: %v, want three rows", rows)
	}
}
