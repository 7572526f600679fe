package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
)

// TestTwoReplicasServeAnIngestWithinASecond runs two servers on one database, each with its own
// snapshot kept current by LISTEN/NOTIFY, as two replicas of a deployment: an ingest of a new
// commit (on either, or anywhere) moves the ETag of a changed entity on both within a second,
// and leaves the ETag of an unchanged one where it was.
func TestTwoReplicasServeAnIngestWithinASecond(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := browseCopyTree(t, browseExample)
	b.ingest(dir)
	// The second replica shares the first one's database.
	other := newTestEnv(t, testOptions{DatabaseURL: b.Store.Pool().Config().ConnString()})
	for _, env := range []*testEnv{b.testEnv, other} {
		go env.Snapshots.Run(ctx)
		go env.Snapshots.Listen(ctx, env.Store.Connect)
	}
	etag := func(env *testEnv, id string) string {
		t.Helper()
		r, err := env.Client.GetEntityWithResponse(context.Background(), gen.EntityTypeCategory, id, nil)
		if err != nil || r.StatusCode() != http.StatusOK {
			t.Fatalf("GET %s: %v %d", id, err, r.StatusCode())
		}
		return r.HTTPResponse.Header.Get("ETag")
	}
	personBefore, agentBefore := etag(b.testEnv, "Person"), etag(b.testEnv, "Agent")
	if etag(other, "Person") != personBefore {
		t.Fatal("the replicas disagree on Person before the ingest")
	}

	path := filepath.Join(dir, "categories", "Person.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), `"label": "Person"`, `"label": "Human"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ingestOnly(dir, "fedcba9876543210fedcba9876543210fedcba98"); err != nil {
		t.Fatal(err)
	}
	ingested := time.Now()
	for name, env := range map[string]*testEnv{"first": b.testEnv, "second": other} {
		for etag(env, "Person") == personBefore {
			if time.Since(ingested) > time.Second {
				t.Fatalf("the %s replica still serves the old Person a second after the ingest", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if got := etag(env, "Agent"); got != agentBefore {
			t.Errorf("the %s replica moved the ETag of the unchanged Agent: %s, was %s", name, got, agentBefore)
		}
		r, _ := env.Client.GetEntityWithResponse(context.Background(), gen.EntityTypeCategory, "Agent", nil)
		if c := r.JSON200.CommitSha; c == nil || *c != browseCommit {
			t.Errorf("the %s replica: Agent's commit_sha %v, want the commit that last changed it", name, c)
		}
	}
}
