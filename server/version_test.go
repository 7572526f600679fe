package server

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
)

func TestVersionReportsBuildAndServedOntology(t *testing.T) {
	ctx := context.Background()
	url, drop, err := testdb.Create(ctx, "server_version")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	if _, err := migrate.Apply(ctx, url, migrations.FS); err != nil {
		t.Fatal(err)
	}
	b := &browseEnv{testEnv: newTestEnv(t, testOptions{DatabaseURL: url, Server: Config{Version: "v9.8.7", Commit: "c0ffee"}}), t: t, ctx: ctx}

	before := time.Now()
	b.ingest(browseExample)
	r, err := b.Client.GetVersionWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	browseStatus(t, "version", r.HTTPResponse, r.Body, http.StatusOK)
	v := r.JSON200
	if v.Version != "v9.8.7" || v.Commit != "c0ffee" {
		t.Errorf("build = %q %q, want v9.8.7 c0ffee", v.Version, v.Commit)
	}
	state := b.Snapshots.State()
	if v.Ontology.Generation != state.Generation || v.Ontology.Generation == 0 {
		t.Errorf("generation = %d, want the served %d", v.Ontology.Generation, state.Generation)
	}
	if v.Ontology.CommitSha == nil || *v.Ontology.CommitSha != browseCommit {
		t.Errorf("commit_sha = %v, want %s", v.Ontology.CommitSha, browseCommit)
	}
	// The database's clock and this one may differ a little; the ingest ran during the test.
	if at := v.Ontology.IngestedAt; at == nil || at.Before(before.Add(-time.Minute)) || at.After(time.Now().Add(time.Minute)) {
		t.Errorf("ingested_at = %v, want about %v", at, before)
	}
}

func TestVersionAnswersWhileTheOntologyLoads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	env := newTestEnv(t, testOptions{DatabaseURL: "postgres://postgres@" + dead + "/x?sslmode=disable&connect_timeout=1"})
	r, err := env.Client.GetVersionWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.JSON200 == nil {
		t.Fatalf("version while loading: %d %s", r.StatusCode(), r.Body)
	}
	o := r.JSON200.Ontology
	if o.Generation != 0 || o.CommitSha != nil || o.IngestedAt != nil || r.JSON200.Version != "dev" || r.JSON200.Commit != "unknown" {
		t.Errorf("version while loading = %+v, want dev, unknown and an empty ontology", r.JSON200)
	}
}
