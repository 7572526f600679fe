package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/internal/testgit"
)

// syncTestDatabase is a database of the test's own: a sync owns the ontology tables.
func syncTestDatabase(t *testing.T) string {
	t.Helper()
	url, drop, err := testdb.Create(context.Background(), "cmdsync")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return url
}

func TestSyncCommand(t *testing.T) {
	ctx := context.Background()
	remote := testgit.New(t)
	head := remote.CommitDir(t, "example", "../../examples/ontology")
	vars := map[string]string{
		"DATABASE_URL":      syncTestDatabase(t),
		"ONTOLOGY_REPO_URL": remote.URL,
		"ONTOLOGY_REPO_DIR": filepath.Join(t.TempDir(), "clone"),
		"LOG_LEVEL":         "warn",
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"sync"}, env(vars), &out, io.Discard); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if !strings.Contains(out.String(), "ingested commit "+head) {
		t.Fatalf("first sync said %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"sync"}, env(vars), &out, io.Discard); err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if !strings.Contains(out.String(), "commit "+head+" is already served") {
		t.Fatalf("second sync said %q", out.String())
	}

	for _, tc := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"sync"}, map[string]string{}, "ONTOLOGY_REPO_URL is not set"},
		{[]string{"sync", "now"}, vars, "unexpected argument"},
	} {
		err := run(ctx, tc.args, env(tc.vars), io.Discard, io.Discard)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
	bad := map[string]string{"ONTOLOGY_REPO_URL": "ssh://user:pw@example.org/repo.git"}
	err := run(ctx, []string{"sync"}, env(bad), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ONTOLOGY_REPO_URL") || strings.Contains(err.Error(), "pw") {
		t.Errorf("unsupported URL: %v", err)
	}
	neg := map[string]string{"SYNC_INTERVAL": "-1s"}
	if err := run(ctx, []string{"sync"}, env(neg), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "SYNC_INTERVAL") {
		t.Errorf("negative interval: %v", err)
	}
}

func TestServeFollowsTheRepositoryThroughWebhooks(t *testing.T) {
	remote := testgit.New(t)
	head := remote.CommitDir(t, "example", "../../examples/ontology")
	addr := closedPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{
		"DATABASE_URL":      syncTestDatabase(t),
		"LISTEN_ADDR":       addr,
		"LOG_LEVEL":         "warn",
		"ONTOLOGY_REPO_URL": remote.URL,
		"ONTOLOGY_REPO_DIR": filepath.Join(t.TempDir(), "clone"),
		"SYNC_INTERVAL":     "0",
		"WEBHOOK_SECRET":    "s",
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), io.Discard, io.Discard) }()
	client, err := gen.NewClientWithResponses("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	waitServing(t, done, "the first sync", func() bool {
		r, err := client.GetSyncWithResponse(context.Background())
		return err == nil && r.JSON200 != nil && r.JSON200.State == gen.SyncStatusStateSynced &&
			r.JSON200.CommitSha != nil && *r.JSON200.CommitSha == head
	})
	// The snapshot follows the ingest a moment later (LISTEN/NOTIFY), on its own.
	waitServing(t, done, "the synced ontology served", func() bool {
		counts, err := client.GetEntityCountsWithResponse(context.Background())
		return err == nil && counts.JSON200 != nil && counts.JSON200.Total > 0
	})

	// A push and its signed webhook: the new commit is served within seconds.
	next := remote.Commit(t, "new category", map[string]*string{
		"categories/Robot.json": testgit.Ptr(`{"id": "Robot", "label": "Robot"}` + "\n"),
	})
	body := []byte(`{"ref":"refs/heads/main","after":"` + next + `"}`)
	mac := hmac.New(sha256.New, []byte(vars["WEBHOOK_SECRET"]))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	hook, err := client.ReceiveGithubWebhookWithBodyWithResponse(context.Background(),
		&gen.ReceiveGithubWebhookParams{XGitHubEvent: "push", XHubSignature256: &sig}, "application/json", bytes.NewReader(body))
	if err != nil || hook.StatusCode() != http.StatusAccepted {
		t.Fatalf("webhook: %v %d %s", err, hook.StatusCode(), hook.Body)
	}
	waitServing(t, done, "the pushed commit", func() bool {
		r, err := client.GetEntityWithResponse(context.Background(), gen.EntityTypeCategory, "Robot", nil)
		return err == nil && r.StatusCode() == http.StatusOK && r.JSON200.CommitSha != nil && *r.JSON200.CommitSha == next
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// waitServing polls ok until it holds, for up to 20 seconds, failing the test when serve (done)
// exits meanwhile.
func waitServing(t *testing.T, done <-chan error, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		select {
		case err := <-done:
			t.Fatalf("serve exited while waiting for %s: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
