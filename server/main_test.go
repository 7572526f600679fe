package server

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/internal/testlog"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// dbURL is this package's own fresh, migrated database.
var dbURL string

func TestMain(m *testing.M) {
	os.Exit(testdb.Run(m, "server", &dbURL))
}

// testEnv is a real handler chain on an httptest server, reached through the generated client.
type testEnv struct {
	URL    string
	Client *gen.ClientWithResponses
	Store  *store.Store
	Server *Server
	// Snapshots holds the ontology the server reads; tests Load it after an ingest.
	Snapshots *snapshot.Holder
	Limiter   *ratelimit.Limiter
	Logs      *testlog.Buffer
}

// testOptions tune a testEnv; the zero value is a server with rate limiting off.
type testOptions struct {
	Server    Config
	RateLimit ratelimit.Config
	// DatabaseURL overrides the package database (e.g. to point at a dead server).
	DatabaseURL string
}

// newTestEnv starts the full handler chain against the package database.
func newTestEnv(t testing.TB, opts testOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	url := dbURL
	if opts.DatabaseURL != "" {
		url = opts.DatabaseURL
	}
	st, err := store.Open(ctx, url, 8)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)

	logs := &testlog.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rl := opts.RateLimit
	rl.Logger = log
	if rl.OnLimited == nil {
		rl.OnLimited = WriteTooManyRequests
	}
	limiter, err := ratelimit.New(rl)
	if err != nil {
		t.Fatalf("new limiter: %v", err)
	}
	t.Cleanup(func() { _ = limiter.Close() })

	snapshots := snapshot.NewHolder(st, log)
	if _, err := snapshots.Load(ctx); err != nil && opts.DatabaseURL == "" {
		t.Fatalf("load snapshot: %v", err)
	}
	srv := New(st, snapshots, limiter, opts.Server, log)
	h, err := srv.Handler()
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	client, err := gen.NewClientWithResponses(ts.URL)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return &testEnv{URL: ts.URL, Client: client, Store: st, Server: srv, Snapshots: snapshots, Limiter: limiter, Logs: logs}
}
