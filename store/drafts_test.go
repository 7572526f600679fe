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
			if _, err := st.UpdateDraft(ctx, hash, DraftChange{Status: DraftValidated}); !errors.Is(err, ErrNotFound) {
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

	// Absent fields stay; a present payload replaces the whole payload.
	got, err := st.UpdateDraft(ctx, hash, DraftChange{Payload: json.RawMessage(`{"b": 2}`)})
	if err != nil {
		t.Fatalf("update payload: %v", err)
	}
	draftJSONEqual(t, got.Payload, json.RawMessage(`{"b": 2}`))
	if got.SourceWiki == nil || *got.SourceWiki != *created.SourceWiki || got.BaseCommitSHA != nil || got.Status != DraftPending {
		t.Errorf("absent fields moved: %+v", got)
	}
	if !got.ExpiresAt.Equal(created.ExpiresAt) || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("expires_at/created_at moved: %v/%v, want %v/%v", got.ExpiresAt, got.CreatedAt, created.ExpiresAt, created.CreatedAt)
	}
	if got.UpdatedAt.Before(created.UpdatedAt) {
		t.Errorf("updated_at went back: %v < %v", got.UpdatedAt, created.UpdatedAt)
	}

	// Set, then clear, the optional strings.
	got, err = st.UpdateDraft(ctx, hash, DraftChange{
		SourceWiki:    OptionalString{Set: true, Value: draftString("https://other.example.org")},
		BaseCommitSHA: OptionalString{Set: true, Value: draftString("abc123")},
	})
	if err != nil {
		t.Fatalf("set strings: %v", err)
	}
	if got.SourceWiki == nil || *got.SourceWiki != "https://other.example.org" || got.BaseCommitSHA == nil || *got.BaseCommitSHA != "abc123" {
		t.Errorf("strings not set: %v, %v", got.SourceWiki, got.BaseCommitSHA)
	}
	draftJSONEqual(t, got.Payload, json.RawMessage(`{"b": 2}`))

	got, err = st.UpdateDraft(ctx, hash, DraftChange{SourceWiki: OptionalString{Set: true}})
	if err != nil {
		t.Fatalf("clear source_wiki: %v", err)
	}
	if got.SourceWiki != nil || got.BaseCommitSHA == nil || *got.BaseCommitSHA != "abc123" {
		t.Errorf("after clearing source_wiki: %v, %v", got.SourceWiki, got.BaseCommitSHA)
	}

	// A no-op is not a change: updated_at stays.
	before := got
	got, err = st.UpdateDraft(ctx, hash, DraftChange{Status: DraftPending})
	if err != nil {
		t.Fatalf("no-op: %v", err)
	}
	if diff := cmp.Diff(before, got); diff != "" {
		t.Errorf("no-op changed the draft (-before +after):\n%s", diff)
	}
	if !got.ExpiresAt.Equal(created.ExpiresAt) {
		t.Errorf("expires_at moved: %v, want %v", got.ExpiresAt, created.ExpiresAt)
	}
}

func TestUpdateDraftStatusMachine(t *testing.T) {
	st := openTestStore(t, dbURL)
	ctx := context.Background()
	tests := []struct {
		from, to string
		content  bool // the change also sets the payload
		conflict bool
	}{
		{from: DraftPending, to: DraftPending},
		{from: DraftPending, to: DraftValidated},
		{from: DraftPending, to: DraftSubmitted, conflict: true},
		{from: DraftValidated, to: DraftPending, conflict: true},
		{from: DraftValidated, to: DraftValidated},
		{from: DraftValidated, to: DraftSubmitted},
		{from: DraftValidated, to: "", content: true},
		{from: DraftSubmitted, to: DraftPending, conflict: true},
		{from: DraftSubmitted, to: DraftValidated, conflict: true},
		{from: DraftSubmitted, to: DraftSubmitted},
		{from: DraftSubmitted, to: "", content: true, conflict: true},
		{from: DraftSubmitted, to: DraftSubmitted, content: true, conflict: true},
		{from: DraftPending, to: DraftExpired, conflict: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s to %q content=%v", tt.from, tt.to, tt.content), func(t *testing.T) {
			hash := newDraftHash(t)
			created := createStoreDraft(t, st, hash)
			draftExec(t, st, `UPDATE drafts SET status = $2::text::draft_status WHERE capability_hash = $1`, hash, tt.from)
			change := DraftChange{Status: tt.to}
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

// TestUpdateDraftConcurrently races payload changes against the submission of a validated draft.
// The row lock makes the submission a cut: whatever payload it returned is the final one, since
// no change can slip in after a draft is submitted.
func TestUpdateDraftConcurrently(t *testing.T) {
	st := openTestStore(t, dbURL)
	// A race shows itself only sometimes; a few rounds make a missing lock all but certain to fail.
	for round := range 8 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) { raceSubmission(t, st) })
	}
}

func raceSubmission(t *testing.T, st *Store) {
	ctx := context.Background()
	hash := newDraftHash(t)
	createStoreDraft(t, st, hash)
	if _, err := st.UpdateDraft(ctx, hash, DraftChange{Status: DraftValidated}); err != nil {
		t.Fatal(err)
	}

	const writers = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var submitted []json.RawMessage
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := st.UpdateDraft(ctx, hash, DraftChange{Payload: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))})
			if err != nil && !errors.Is(err, ErrConflict) {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			d, err := st.UpdateDraft(ctx, hash, DraftChange{Status: DraftSubmitted})
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			submitted = append(submitted, d.Payload)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	final, err := st.DraftByHash(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != DraftSubmitted {
		t.Fatalf("final status = %q", final.Status)
	}
	if len(submitted) != writers {
		t.Fatalf("%d submissions succeeded, want %d (repeats are no-ops)", len(submitted), writers)
	}
	for _, p := range submitted {
		draftJSONEqual(t, final.Payload, p)
	}
}

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
