package reposync

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/internal/testgit"
	"github.com/ontohub/ontohub/internal/testlog"
	"github.com/ontohub/ontohub/store"
)

// dbURL is this package's own fresh, migrated database.
var dbURL string

func TestMain(m *testing.M) {
	os.Exit(testdb.Run(m, "reposync", &dbURL))
}

// sample is a small real schema repository.
const sample = "../ingest/testdata/samples/bundles-layout"

// newSyncer returns a Syncer of a fresh clone of remote against a store with empty tables.
func newSyncer(t *testing.T, url string) (*Syncer, *store.Store, *testlog.Buffer) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Pool().Exec(ctx, "DELETE FROM entities; DELETE FROM ingests; DELETE FROM sync_state"); err != nil {
		t.Fatal(err)
	}
	repo, err := gitrepo.New(gitrepo.Remote{URL: url, Ref: "main", Token: "tok3n-secret"}, filepath.Join(t.TempDir(), "clone"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	return New(st, repo, ingest.Options{}, slog.New(slog.NewJSONHandler(logs, nil))), st, logs
}

func TestSyncIngestsNewCommitsOnly(t *testing.T) {
	ctx := context.Background()
	remote := testgit.New(t)
	first := remote.CommitDir(t, "sample", sample)
	syncer, st, _ := newSyncer(t, remote.URL)
	var after []string
	syncer.AfterIngest(func(_ context.Context, commit string, generation int64) error {
		after = append(after, commit)
		return nil
	})

	got, err := syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Ingested || got.Commit != first || got.Generation == 0 {
		t.Fatalf("first sync = %+v, want %s ingested", got, first)
	}
	status, err := st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if State(true, status) != StateSynced || *status.CommitSHA != first || status.Summary["category"].Added != 3 {
		t.Fatalf("status after first sync: %s %+v", State(true, status), status)
	}

	again, err := syncer.Sync(ctx)
	if err != nil || again.Ingested || again.Generation != got.Generation {
		t.Fatalf("sync without a new commit = %+v, %v", again, err)
	}

	second := remote.Commit(t, "new property", map[string]*string{
		"properties/Has_phone.json": testgit.Ptr(`{"id": "Has_phone", "label": "Phone", "datatype": "Telephone", "cardinality": "single"}` + "\n"),
	})
	next, err := syncer.Sync(ctx)
	if err != nil || !next.Ingested || next.Commit != second || next.Generation <= got.Generation {
		t.Fatalf("sync of a new commit = %+v, %v", next, err)
	}
	if len(after) != 2 || after[0] != first || after[1] != second {
		t.Errorf("AfterIngest ran for %v, want [%s %s]", after, first, second)
	}

	// A failing hook fails the sync; the commit stays ingested.
	syncer.AfterIngest(func(context.Context, string, int64) error { return errors.New("rebase failed") })
	third := remote.Commit(t, "again", map[string]*string{"VERSION": testgit.Ptr("2.0.0\n")})
	if _, err := syncer.Sync(ctx); err == nil || !strings.Contains(err.Error(), "rebase failed") {
		t.Fatalf("sync with a failing hook = %v", err)
	}
	status, err = st.SyncStatus(ctx)
	if err != nil || *status.CommitSHA != third || State(true, status) != StateError {
		t.Fatalf("after a failing hook: %s %+v %v", State(true, status), status, err)
	}
}

func TestFailedSyncLeavesTheOntologyAndSaysWhy(t *testing.T) {
	ctx := context.Background()
	remote := testgit.New(t)
	good := remote.CommitDir(t, "sample", sample)
	syncer, st, logs := newSyncer(t, remote.URL)
	first, err := syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}

	bad := remote.Commit(t, "broken", map[string]*string{"categories/Person.json": testgit.Ptr(`{"id": "Person",`)})
	if _, err := syncer.Sync(ctx); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("sync of an unparsable commit = %v, want an error naming %s", err, bad)
	}
	status, err := st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Generation != first.Generation || *status.CommitSHA != good {
		t.Fatalf("a failed sync moved the ontology: %+v", status)
	}
	if State(true, status) != StateError || status.LastError == nil || !strings.Contains(*status.LastError, "Person.json") {
		t.Fatalf("status after an unparsable commit: %s %v", State(true, status), status.LastError)
	}
	if *status.RemoteCommitSHA != bad {
		t.Errorf("remote commit = %s, want %s", *status.RemoteCommitSHA, bad)
	}
	if n := strings.Count(logs.String(), "sync with the schema repository failed"); n != 1 {
		t.Errorf("%d failure log lines, want 1:\n%s", n, logs)
	}

	// A fixed commit heals it.
	fixed := remote.Commit(t, "fixed", map[string]*string{"categories/Person.json": testgit.Ptr(`{"id": "Person", "label": "Person"}` + "\n")})
	healed, err := syncer.Sync(ctx)
	if err != nil || !healed.Ingested || healed.Commit != fixed {
		t.Fatalf("sync of the fixed commit = %+v, %v", healed, err)
	}
	if status, err = st.SyncStatus(ctx); err != nil || State(true, status) != StateSynced || status.LastError != nil {
		t.Fatalf("status after the fix: %+v, %v", status, err)
	}

	// The remote goes away: the same, and the token appears nowhere.
	if err := os.RemoveAll(remote.Bare); err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.Sync(ctx); err == nil {
		t.Fatal("sync with the remote gone succeeded")
	}
	status, err = st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Generation != healed.Generation || State(true, status) != StateError {
		t.Fatalf("status with the remote gone: %s %+v", State(true, status), status)
	}
	if strings.Contains(logs.String(), "tok3n-secret") || strings.Contains(*status.LastError, "tok3n-secret") {
		t.Error("the token was logged or stored")
	}
}

func TestOnlyOneReplicaSyncs(t *testing.T) {
	ctx := context.Background()
	remote := testgit.New(t)
	remote.CommitDir(t, "sample", sample)
	syncer, st, _ := newSyncer(t, remote.URL)
	other, err := store.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	unlock, err := other.TryLockSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := syncer.Sync(ctx)
	if err != nil || !got.Skipped {
		t.Fatalf("sync while another replica holds the lock = %+v, %v", got, err)
	}
	status, err := st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if State(true, status) != StateSyncing || status.Generation != 0 {
		t.Fatalf("status while another replica syncs: %s %+v", State(true, status), status)
	}
	unlock()

	// A sync asked for meanwhile is not lost: Trigger records it, Run picks it up.
	if err := syncer.Trigger(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { syncer.Run(runCtx, 0); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, err := st.SyncStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if status.Generation > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not sync")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestState(t *testing.T) {
	a, b := "a", "b"
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	errText := "boom"
	for _, tc := range []struct {
		name       string
		configured bool
		status     store.SyncStatus
		want       string
	}{
		{"not configured", false, store.SyncStatus{Syncing: true}, StateOff},
		{"lock held", true, store.SyncStatus{Syncing: true, LastError: &errText}, StateSyncing},
		{"last failed", true, store.SyncStatus{LastError: &errText, RemoteCommitSHA: &a, CommitSHA: &a}, StateError},
		{"never fetched", true, store.SyncStatus{CommitSHA: &a}, StateBehind},
		{"remote moved", true, store.SyncStatus{CommitSHA: &a, RemoteCommitSHA: &b}, StateBehind},
		{"asked since", true, store.SyncStatus{CommitSHA: &a, RemoteCommitSHA: &a, FinishedAt: &t0, RequestedAt: &t1}, StateBehind},
		{"in step", true, store.SyncStatus{CommitSHA: &a, RemoteCommitSHA: &a, FinishedAt: &t1, RequestedAt: &t0}, StateSynced},
	} {
		if got := State(tc.configured, tc.status); got != tc.want {
			t.Errorf("%s: State = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestInterruptedSyncIsNotAFailure(t *testing.T) {
	remote := testgit.New(t)
	remote.CommitDir(t, "sample", sample)
	syncer, st, logs := newSyncer(t, remote.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := syncer.Sync(ctx); err == nil {
		t.Fatal("a cancelled sync succeeded")
	}
	status, err := st.SyncStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if status.LastError != nil || strings.Contains(logs.String(), "failed") {
		t.Fatalf("an interrupted sync was recorded as a failure: %v\n%s", status.LastError, logs)
	}
}
