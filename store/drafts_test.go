package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
)

// openTestStore opens the package database.
func openTestStore(t *testing.T, url string) *Store {
	t.Helper()
	st, err := Open(context.Background(), url, 8)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// newDraftHash returns a fresh capability hash; the store never sees tokens, so any unique hex will do.
func newDraftHash(t *testing.T) string {
	t.Helper()
	var b [32]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

func draftString(s string) *string { return &s }

// draftJSONEqual compares two JSON documents by value (jsonb normalizes whitespace and key order).
func draftJSONEqual(t *testing.T, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
}

func createStoreDraft(t *testing.T, st *Store, hash string) Draft {
	t.Helper()
	d, err := st.CreateDraft(context.Background(), NewDraft{
		CapabilityHash: hash,
		Payload:        json.RawMessage(`{"entities": [{"entity_id": "Person", "entity_type": "category"}]}`),
		SourceWiki:     draftString("https://wiki.example.org"),
		TTL:            168 * time.Hour,
	})
	if err != nil {
		t.Fatalf("create draft: %v", err)
	}
	return d
}

func TestCreateDraftAndReadItBack(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	hash := newDraftHash(t)
	created := createStoreDraft(t, st, hash)

	if created.Status != DraftPending {
		t.Errorf("status = %q, want pending", created.Status)
	}
	if got := created.ExpiresAt.Sub(created.CreatedAt); got != 168*time.Hour {
		t.Errorf("expires_at - created_at = %v, want 168h", got)
	}
	if created.SourceWiki == nil || *created.SourceWiki != "https://wiki.example.org" || created.BaseCommitSHA != nil {
		t.Errorf("source_wiki, base_commit_sha = %v, %v", created.SourceWiki, created.BaseCommitSHA)
	}
	draftJSONEqual(t, created.Payload, json.RawMessage(`{"entities":[{"entity_type":"category","entity_id":"Person"}]}`))

	got, err := st.DraftByHash(ctx, hash)
	if err != nil {
		t.Fatalf("draft by hash: %v", err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("read back differs (-created +read):\n%s", diff)
	}

	var stored string
	if err := st.Pool().QueryRow(ctx, `SELECT capability_hash FROM drafts WHERE id = $1`, created.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != hash {
		t.Errorf("stored hash = %q, want %q", stored, hash)
	}
}

func TestCreateDraftRejectsDuplicateHash(t *testing.T) {
	st := openTestStore(t, dbURL)
	hash := newDraftHash(t)
	createStoreDraft(t, st, hash)
	_, err := st.CreateDraft(context.Background(), NewDraft{CapabilityHash: hash, Payload: json.RawMessage(`{}`), TTL: time.Hour})
	if err == nil {
		t.Fatal("second draft with the same hash was stored")
	}
}

func TestUnreachableDrafts(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, hash string) // nil: never created
	}{
		{name: "unknown"},
		{name: "expired", prepare: func(t *testing.T, hash string) {
			createStoreDraft(t, st, hash)
			draftExec(t, st, `UPDATE drafts SET expires_at = now() - INTERVAL '1 second' WHERE capability_hash = $1`, hash)
		}},
		{name: "expiring now", prepare: func(t *testing.T, hash string) {
			createStoreDraft(t, st, hash)
			draftExec(t, st, `UPDATE drafts SET expires_at = now() WHERE capability_hash = $1`, hash)
		}},
		{name: "marked expired by a sweep", prepare: func(t *testing.T, hash string) {
			createStoreDraft(t, st, hash)
			draftExec(t, st, `UPDATE drafts SET status = 'expired' WHERE capability_hash = $1`, hash)
		}},
		{name: "withdrawn", prepare: func(t *testing.T, hash string) {
			createStoreDraft(t, st, hash)
			if err := st.DeleteDraft(ctx, hash); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := newDraftHash(t)
			if tt.prepare != nil {
				tt.prepare(t, hash)
			}
			if _, err := st.DraftByHash(ctx, hash); !errors.Is(err, ErrNotFound) {
				t.Errorf("DraftByHash err = %v, want ErrNotFound", err)
			}
			if _, err := st.UpdateDraft(ctx, hash, DraftUpdate{Status: DraftPending}); !errors.Is(err, ErrNotFound) {
				t.Errorf("UpdateDraft err = %v, want ErrNotFound", err)
			}
			if err := st.DeleteDraft(ctx, hash); !errors.Is(err, ErrNotFound) {
				t.Errorf("DeleteDraft err = %v, want ErrNotFound", err)
			}
		})
	}
}

func draftExec(t *testing.T, st *Store, sql string, args ...any) {
	t.Helper()
	if _, err := st.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestUpdateDraftFields(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	hash := newDraftHash(t)
	created := createStoreDraft(t, st, hash)

	// Absent fields stay; a present payload replaces the whole payload, as sent.
	got, err := st.UpdateDraft(ctx, hash, DraftUpdate{Payload: json.RawMessage(`{"b": 2, "a": 1}`)})
	if err != nil {
		t.Fatalf("update payload: %v", err)
	}
	if string(got.Payload) != `{"b": 2, "a": 1}` {
		t.Errorf("payload = %s, want it as sent", got.Payload)
	}
	if got.SourceWiki == nil || *got.SourceWiki != *created.SourceWiki || got.Status != DraftPending {
		t.Errorf("absent fields moved: %+v", got)
	}
	if !got.ExpiresAt.Equal(created.ExpiresAt) || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("expires_at/created_at moved: %v/%v, want %v/%v", got.ExpiresAt, got.CreatedAt, created.ExpiresAt, created.CreatedAt)
	}

	// Set, then clear, the optional strings.
	got, err = st.UpdateDraft(ctx, hash, DraftUpdate{
		Title:       OptionalString{Set: true, Value: draftString("A title")},
		Description: OptionalString{Set: true, Value: draftString("Why")},
		SourceWiki:  OptionalString{Set: true, Value: draftString("https://other.example.org")},
	})
	if err != nil {
		t.Fatalf("set strings: %v", err)
	}
	if *got.Title != "A title" || *got.Description != "Why" || *got.SourceWiki != "https://other.example.org" {
		t.Errorf("strings not set: %v, %v, %v", got.Title, got.Description, got.SourceWiki)
	}
	got, err = st.UpdateDraft(ctx, hash, DraftUpdate{SourceWiki: OptionalString{Set: true}, Title: OptionalString{Set: true}})
	if err != nil {
		t.Fatalf("clear: %v", err)
	}
	if got.SourceWiki != nil || got.Title != nil || got.Description == nil {
		t.Errorf("after clearing: %v, %v, %v", got.SourceWiki, got.Title, got.Description)
	}

	// The base commit is the server's: its current value is a no-op, another one a conflict.
	if _, err := st.UpdateDraft(ctx, hash, DraftUpdate{BaseCommitSHA: OptionalString{Set: true, Value: draftString("abc123")}}); !errors.Is(err, ErrConflict) {
		t.Errorf("setting base_commit_sha: err = %v, want a conflict", err)
	}
	// A no-op is not a change: updated_at stays.
	before := got
	got, err = st.UpdateDraft(ctx, hash, DraftUpdate{Status: DraftPending, BaseCommitSHA: OptionalString{Set: true}})
	if err != nil {
		t.Fatalf("no-op: %v", err)
	}
	if diff := cmp.Diff(before, got); diff != "" {
		t.Errorf("no-op changed the draft (-before +after):\n%s", diff)
	}
}

func TestUpdateDraftStatus(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	tests := []struct {
		from, to string
		content  bool // the change also sets the payload
		conflict bool
	}{
		{from: DraftPending, to: DraftPending},
		{from: DraftPending, to: DraftValidated, conflict: true},
		{from: DraftPending, to: DraftSubmitted, conflict: true},
		{from: DraftValidated, to: DraftPending},
		{from: DraftValidated, to: DraftValidated},
		{from: DraftValidated, to: DraftSubmitted, conflict: true},
		{from: DraftValidated, to: "", content: true},
		{from: DraftSubmitted, to: DraftPending, conflict: true},
		{from: DraftSubmitted, to: DraftValidated, conflict: true},
		{from: DraftSubmitted, to: DraftSubmitted},
		{from: DraftSubmitted, to: "", content: true, conflict: true},
		{from: DraftPending, to: DraftExpired, conflict: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s to %q content=%v", tt.from, tt.to, tt.content), func(t *testing.T) {
			hash := newDraftHash(t)
			created := createStoreDraft(t, st, hash)
			draftExec(t, st, `UPDATE drafts SET status = $2::text::draft_status WHERE capability_hash = $1`, hash, tt.from)
			change := DraftUpdate{Status: tt.to}
			if tt.content {
				change.Payload = json.RawMessage(`{"changed": true}`)
			}
			got, err := st.UpdateDraft(ctx, hash, change)
			if tt.conflict {
				var conflict *DraftConflictError
				if !errors.Is(err, ErrConflict) || !errors.As(err, &conflict) || conflict.Reason == "" {
					t.Fatalf("err = %v, want a DraftConflictError", err)
				}
				after, err := st.DraftByHash(ctx, hash)
				if err != nil {
					t.Fatal(err)
				}
				if after.Status != tt.from {
					t.Errorf("status after refused change = %q, want %q", after.Status, tt.from)
				}
				draftJSONEqual(t, after.Payload, created.Payload)
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want none", err)
			}
			want := tt.to
			if want == "" {
				want = tt.from
			}
			if got.Status != want {
				t.Errorf("status = %q, want %q", got.Status, want)
			}
		})
	}
}

// putEdit is an edit storing a delete of a category.
func putEdit(id string) func(Draft, []Change) (ChangeSetEdit, error) {
	return func(Draft, []Change) (ChangeSetEdit, error) {
		return ChangeSetEdit{Put: &Change{ChangeType: ChangeDelete, EntityType: "category", EntityID: id}}, nil
	}
}

func TestEditChangesAndValidation(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	hash := newDraftHash(t)
	d := createStoreDraft(t, st, hash)

	c, err := st.EditChanges(ctx, hash, func(_ Draft, changes []Change) (ChangeSetEdit, error) {
		if len(changes) != 0 {
			t.Errorf("new draft has changes: %+v", changes)
		}
		return ChangeSetEdit{Put: &Change{ChangeType: ChangeUpdate, EntityType: "category", EntityID: "Person",
			Entity: json.RawMessage(`{"label":"P","id":"Person"}`), Patch: json.RawMessage(`[{"op":"add","path":"/label","value":"P"}]`)}}, nil
	})
	if err != nil || c == nil || string(c.Entity) != `{"label":"P","id":"Person"}` || c.BaseGeneration != nil {
		t.Fatalf("put = %+v, %v", c, err)
	}
	// An edit that fails writes nothing.
	boom := errors.New("boom")
	if _, err := st.EditChanges(ctx, hash, func(Draft, []Change) (ChangeSetEdit, error) { return ChangeSetEdit{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing edit: %v", err)
	}
	d, changes, err := st.DraftWithChanges(ctx, hash)
	if err != nil || d.Revision != 1 || d.ChangeCount != 1 || len(changes) != 1 {
		t.Fatalf("after one edit: revision %d, %d changes (%v)", d.Revision, len(changes), err)
	}

	// A validation of the current revision validates; a stale one does not.
	if status, err := st.MarkValidated(ctx, d.ID, d.Revision-1); err != nil || status != DraftPending {
		t.Errorf("stale validation: %q, %v", status, err)
	}
	if status, err := st.MarkValidated(ctx, d.ID, d.Revision); err != nil || status != DraftValidated {
		t.Errorf("validation: %q, %v", status, err)
	}
	// Any edit moves it back to pending.
	if _, err := st.EditChanges(ctx, hash, putEdit("Agent")); err != nil {
		t.Fatal(err)
	}
	d, changes, _ = st.DraftWithChanges(ctx, hash)
	if d.Status != DraftPending || d.Revision != 2 || len(changes) != 2 {
		t.Errorf("after a second edit: %s revision %d, %d changes", d.Status, d.Revision, len(changes))
	}
	if _, err := st.EditChanges(ctx, hash, func(_ Draft, cs []Change) (ChangeSetEdit, error) {
		return ChangeSetEdit{Remove: cs[0].ID}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if d, _ = st.DraftByHash(ctx, hash); d.ChangeCount != 1 {
		t.Errorf("after removal: %d changes", d.ChangeCount)
	}
}

// TestEditsRaceSubmission races edits against the submission of a validated draft. The row lock
// makes the submission a cut: once it succeeded no edit does, and it succeeds only for the
// revision that was validated.
func TestEditsRaceSubmission(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	for round := range 8 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			hash := newDraftHash(t)
			d := createStoreDraft(t, st, hash)
			if _, err := st.MarkValidated(ctx, d.ID, d.Revision); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var edits, submits atomicCount
			for i := range 10 {
				wg.Add(2)
				go func() {
					defer wg.Done()
					if _, err := st.EditChanges(ctx, hash, putEdit(fmt.Sprint("C", i))); err == nil {
						edits.add()
					} else if !errors.Is(err, ErrConflict) {
						t.Errorf("edit: %v", err)
					}
				}()
				go func() {
					defer wg.Done()
					if _, err := st.MarkSubmitted(ctx, d.ID, d.Revision, Submission{Branch: "b", CommitSHA: "c"}); err == nil {
						submits.add()
					} else if !errors.Is(err, ErrConflict) {
						t.Errorf("submit: %v", err)
					}
				}()
			}
			wg.Wait()
			final, changes, err := st.DraftWithChanges(ctx, hash)
			if err != nil {
				t.Fatal(err)
			}
			if submits.n > 1 {
				t.Errorf("submitted %d times", submits.n)
			}
			if submits.n == 1 && (final.Status != DraftSubmitted || len(changes) != 0) {
				t.Errorf("submitted, yet status %s with %d changes", final.Status, len(changes))
			}
			if submits.n == 0 && (final.Status != DraftPending || len(changes) != 10) {
				t.Errorf("not submitted: status %s with %d changes", final.Status, len(changes))
			}
		})
	}
}

type atomicCount struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCount) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }

func TestDeleteDraft(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	hash := newDraftHash(t)
	created := createStoreDraft(t, st, hash)
	if err := st.DeleteDraft(ctx, hash); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := st.DeleteDraft(ctx, hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete err = %v, want ErrNotFound", err)
	}
	var deleted bool
	if err := st.Pool().QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM drafts WHERE id = $1`, created.ID).Scan(&deleted); err != nil {
		t.Fatalf("withdrawn row is gone (want a soft delete): %v", err)
	}
	if !deleted {
		t.Error("deleted_at not set")
	}
}

// TestSweepDrafts runs in a database of its own, so that the sweep's counts are exactly those of
// the rows it sets up, with explicit timestamps, whatever the other tests leave behind.
func TestSweepDrafts(t *testing.T) {
	ctx := context.Background()
	url, drop, err := testdb.Create(ctx, "store_sweep")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	if _, err := migrate.Apply(ctx, url, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, url)

	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	const retention = 720 * time.Hour
	type row struct {
		expiresAt time.Time
		deletedAt *time.Time
		status    string
	}
	at := func(d time.Duration) time.Time { return now.Add(d) }
	atPtr := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	rows := map[string]row{
		"live":                          {expiresAt: at(time.Hour), status: DraftPending},
		"live, submitted":               {expiresAt: at(time.Hour), status: DraftSubmitted},
		"expires exactly now":           {expiresAt: at(0), status: DraftPending},
		"expired recently":              {expiresAt: at(-time.Hour), status: DraftValidated},
		"expired, already marked":       {expiresAt: at(-time.Hour), status: DraftExpired},
		"expired just within retention": {expiresAt: at(-retention), status: DraftExpired},
		"expired beyond retention":      {expiresAt: at(-retention - time.Microsecond), status: DraftExpired},
		"expired long ago, unmarked":    {expiresAt: at(-2 * retention), status: DraftPending},
		"withdrawn recently":            {expiresAt: at(time.Hour), deletedAt: atPtr(-time.Hour), status: DraftPending},
		"withdrawn beyond retention":    {expiresAt: at(time.Hour), deletedAt: atPtr(-retention - time.Hour), status: DraftPending},
	}
	for name, r := range rows {
		draftExec(t, st, `
			INSERT INTO drafts (capability_hash, status, payload, source_wiki, expires_at, created_at, updated_at, deleted_at)
			VALUES ($1, $2::text::draft_status, '{}', $3, $4, $5, $5, $6)`,
			newDraftHash(t), r.status, name, r.expiresAt, r.expiresAt.Add(-168*time.Hour), r.deletedAt)
	}

	expired, purged, err := st.SweepDrafts(ctx, now, retention)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if expired != 2 || purged != 3 {
		t.Errorf("expired, purged = %d, %d; want 2, 3", expired, purged)
	}

	got := map[string]string{}
	dbRows, err := st.Pool().Query(ctx, `SELECT source_wiki, status::text FROM drafts`)
	if err != nil {
		t.Fatal(err)
	}
	for dbRows.Next() {
		var name, status string
		if err := dbRows.Scan(&name, &status); err != nil {
			t.Fatal(err)
		}
		got[name] = status
	}
	if err := dbRows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"live":                          DraftPending,
		"live, submitted":               DraftSubmitted,
		"expires exactly now":           DraftExpired,
		"expired recently":              DraftExpired,
		"expired, already marked":       DraftExpired,
		"expired just within retention": DraftExpired,
		"withdrawn recently":            DraftPending,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drafts after the sweep (-want +got):\n%s", diff)
	}

	// A second sweep at the same instant finds nothing left to do.
	expired, purged, err = st.SweepDrafts(ctx, now, retention)
	if err != nil || expired != 0 || purged != 0 {
		t.Errorf("second sweep = %d, %d, %v; want 0, 0, nil", expired, purged, err)
	}
}
