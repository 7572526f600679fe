package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSyncLockIsExclusiveAcrossSessions(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	other, err := Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	unlock, err := st.TryLockSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.TryLockSync(ctx); !errors.Is(err, ErrSyncBusy) {
		t.Fatalf("second replica's TryLockSync = %v, want ErrSyncBusy", err)
	}
	status, err := other.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !status.Syncing {
		t.Error("status of another replica does not show the lock as held")
	}
	unlock()
	status, err = other.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Syncing {
		t.Error("status shows syncing after unlock")
	}
	unlockOther, err := other.TryLockSync(ctx)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlockOther()
}

func TestSyncStateRecordsAttemptsAndFindings(t *testing.T) {
	ctx := context.Background()
	st := ingestTestStore(t)
	if _, err := st.pool.Exec(ctx, "DELETE FROM sync_state"); err != nil {
		t.Fatal(err)
	}
	status, err := st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Generation != 0 || status.CommitSHA != nil || status.RemoteCommitSHA != nil || status.LastError != nil || status.AttemptedAt != nil {
		t.Fatalf("fresh status = %+v", status)
	}

	started, err := st.StartSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if requested, err := st.SyncRequestedSince(ctx, started); err != nil || requested {
		t.Fatalf("requested before any request = %v, %v", requested, err)
	}
	if err := st.RequestSync(ctx); err != nil {
		t.Fatal(err)
	}
	if requested, err := st.SyncRequestedSince(ctx, started); err != nil || !requested {
		t.Fatalf("requested after a request = %v, %v", requested, err)
	}
	if err := st.RecordRemoteCommit(ctx, "abc123"); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishSync(ctx, "gitrepo: fetch main: connection refused"); err != nil {
		t.Fatal(err)
	}
	status, err = st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.LastError == nil || *status.LastError != "gitrepo: fetch main: connection refused" || status.SucceededAt != nil {
		t.Fatalf("failed sync status = %+v", status)
	}
	if status.RemoteCommitSHA == nil || *status.RemoteCommitSHA != "abc123" {
		t.Fatalf("remote commit = %v", status.RemoteCommitSHA)
	}

	sha := "abc123"
	findings := `[{"severity":"error","code":"missing_reference"},{"severity":"warning","code":"x"},{"severity":"warning","code":"x"}]`
	if _, err := st.Ingest(ctx, Ingest{CommitSHA: &sha, Findings: []byte(findings),
		Entities: []EntityRecord{{EntityType: "category", EntityID: "A", FilePath: "categories/A.json", Label: "A", Source: []byte(`{"id":"A"}`), ContentHash: "h"}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishSync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	status, err = st.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.LastError != nil || status.SucceededAt == nil || status.CommitSHA == nil || *status.CommitSHA != sha || status.IngestedAt == nil {
		t.Fatalf("succeeded sync status = %+v", status)
	}
	if time.Since(*status.IngestedAt) > time.Hour {
		t.Errorf("ingested_at = %v", status.IngestedAt)
	}
	want := FindingCounts{Errors: 1, Warnings: 2, ByCode: map[string]int{"missing_reference": 1, "x": 2}}
	if diff := cmp.Diff(want, status.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if status.Summary["category"].Added != 1 {
		t.Errorf("summary = %+v", status.Summary)
	}
}
