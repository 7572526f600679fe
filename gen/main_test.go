package gen_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/server"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// serverURL is the root of a real ontohub server for the examples: the full handler chain on
// httptest, over a fresh database holding the example ontology (../examples/ontology).
var serverURL string

func TestMain(m *testing.M) {
	os.Exit(runWithServer(m))
}

// runWithServer starts the server the examples talk to, runs them, and tears everything down.
// It does by hand what testdb.Run does (create, migrate, drop) because the server has to start
// between migrating the database and running the examples.
func runWithServer(m *testing.M) int {
	ctx := context.Background()
	dbURL, drop, err := testdb.Create(ctx, "gen")
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: %v\n", err)
		return 1
	}
	defer drop()
	if _, err := migrate.Apply(ctx, dbURL, migrations.FS); err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: %v\n", err)
		return 1
	}
	st, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: %v\n", err)
		return 1
	}
	defer st.Close()
	if _, err := ingest.Run(ctx, st, "../examples/ontology", ingest.Options{}, io.Discard); err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: ingest: %v\n", err)
		return 1
	}
	limiter, err := ratelimit.New(ratelimit.Config{Enabled: false})
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: %v\n", err)
		return 1
	}
	defer limiter.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	snapshots := snapshot.NewHolder(st, logger)
	if _, err := snapshots.Load(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: %v\n", err)
		return 1
	}
	handler, err := server.New(st, snapshots, limiter, server.Config{}, logger).Handler()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen examples: %v\n", err)
		return 1
	}
	ts := httptest.NewServer(handler)
	defer ts.Close()
	serverURL = ts.URL
	return m.Run()
}
