package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/migrate"
)

// dbURL is this package's own fresh, migrated database.
var dbURL string

func TestMain(m *testing.M) {
	os.Exit(testdb.Run(m, "cmd", &dbURL))
}

// env returns a getenv over the given variables only, so tests never read the machine's.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestHelpVersionAndUsageErrors(t *testing.T) {
	ctx := context.Background()
	deadDB := map[string]string{"DATABASE_URL": "postgres://postgres@" + closedPort(t) + "/x?sslmode=disable&connect_timeout=1"}
	var out bytes.Buffer
	if err := run(ctx, []string{"help"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"serve", "ingest", "sync", "migrate apply", "migrate status", "migrate diff", "schema apply", "version", "help"} {
		if !strings.Contains(out.String(), "ontohub "+sub) {
			t.Errorf("help does not describe %q", sub)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"version"}, env(nil), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "ontohub ") {
		t.Fatalf("version: %q %v", out.String(), err)
	}

	for _, tc := range []struct {
		args []string
		vars map[string]string
		want string
		code int
	}{
		{[]string{}, nil, "missing command", 2},
		{[]string{"frobnicate"}, nil, `unknown command "frobnicate"`, 2},
		{[]string{"serve", "--bogus"}, nil, "flag provided but not defined", 2},
		{[]string{"serve", "extra"}, nil, `unexpected argument "extra"`, 2},
		{[]string{"serve", "--commit", "abc123"}, nil, "--commit needs --ingest", 2},
		// The command line is checked before any database is contacted (none answers here).
		{[]string{"ingest"}, deadDB, "missing DIR", 2},
		{[]string{"ingest", "a", "b"}, deadDB, "unexpected arguments", 2},
		{[]string{"ingest", "a", "--commit"}, deadDB, "flag needs an argument", 2},
		{[]string{"serve"}, map[string]string{"DRAFT_TTL": "soon"}, `invalid DRAFT_TTL="soon"`, 1},
		{[]string{"serve"}, map[string]string{"RATE_LIMIT_DRAFT_CREATE": "20 per hour"}, "RATE_LIMIT_DRAFT_CREATE", 1},
		{[]string{"serve"}, map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT", 1},
		{[]string{"serve"}, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/99"}, "TRUSTED_PROXIES", 1},
	} {
		err := run(ctx, tc.args, env(tc.vars), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %v: error %v, want it to mention %q", tc.args, err, tc.want)
			continue
		}
		if got := exitCode(err); got != tc.code {
			t.Errorf("run %v: exit code %d, want %d", tc.args, got, tc.code)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("run %v: error is not one line: %q", tc.args, err)
		}
	}
}

func TestUnreachableDatabaseIsAOneLineError(t *testing.T) {
	dead := closedPort(t)
	vars := map[string]string{"DATABASE_URL": "postgres://postgres@" + dead + "/x?sslmode=disable&connect_timeout=1"}
	for _, args := range [][]string{{"serve"}, {"migrate", "status"}, {"ingest", "."}} {
		err := run(context.Background(), args, env(vars), io.Discard, io.Discard)
		if err == nil {
			t.Fatalf("run %v against a dead database succeeded", args)
		}
		if strings.Contains(err.Error(), "\n") || exitCode(err) != 1 {
			t.Errorf("run %v: %q (exit %d), want a one-line error and exit 1", args, err, exitCode(err))
		}
	}
}

func TestBadMigrationDirectory(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": dbURL}
	err := run(context.Background(), []string{"migrate", "apply", "--dir", t.TempDir() + "/missing"}, env(vars), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("migrate apply with a missing directory succeeded")
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServeAnswersAndStopsOnSignal(t *testing.T) {
	addr := closedPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	vars := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": addr, "LOG_LEVEL": "warn", "SHUTDOWN_DRAIN": "0s"}
	go func() {
		done <- run(ctx, []string{"serve", "--ingest", "../../examples/ontology"}, env(vars), io.Discard, io.Discard)
	}()

	client, err := gen.NewClientWithResponses("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, addr, done)
	counts, err := client.GetEntityCountsWithResponse(context.Background())
	if err != nil || counts.JSON200 == nil || counts.JSON200.Total == 0 {
		t.Fatalf("serve --ingest left nothing to browse: %v %s", err, counts.Body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after the signal", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
}

func TestMigrateApplyStatusAndSchemaDryRun(t *testing.T) {
	ctx := context.Background()
	url, drop, err := testdb.Create(ctx, "cmdmigrate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	vars := map[string]string{"DATABASE_URL": url}
	runOut := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, env(vars), &out, io.Discard); err != nil {
			t.Fatalf("run %v: %v", args, err)
		}
		return out.String()
	}
	if out := runOut("migrate", "status"); !strings.Contains(out, "0 applied, ") || strings.Contains(out, ", 0 pending") {
		t.Fatalf("status before apply: %q", out)
	}
	if out := runOut("migrate", "apply"); !strings.Contains(out, "applied ") {
		t.Fatalf("first apply: %q", out)
	}
	if out := runOut("migrate", "apply"); !strings.Contains(out, "no pending migrations") {
		t.Fatalf("second apply changed something: %q", out)
	}
	if out := runOut("migrate", "status"); !strings.Contains(out, "0 pending") {
		t.Fatalf("status: %q", out)
	}
	if out := runOut("schema", "apply", "--dry-run"); !strings.Contains(out, "no changes") {
		t.Fatalf("schema apply --dry-run on a migrated database: %q", out)
	}
}

func TestIngestCreatesAndMigratesAMissingDatabase(t *testing.T) {
	ctx := context.Background()
	// A database name that does not exist yet on the test server.
	url, drop, err := testdb.Create(ctx, "cmdingest")
	if err != nil {
		t.Fatal(err)
	}
	drop()
	t.Cleanup(func() { _ = migrate.DropDatabase(context.Background(), url) })

	var out bytes.Buffer
	if err := run(ctx, []string{"ingest", "../../examples/ontology", "--commit", "0123abcd"}, env(map[string]string{"DATABASE_URL": url}), &out, io.Discard); err != nil {
		t.Fatalf("ingest into a missing database: %v", err)
	}
	for _, want := range []string{"at commit 0123abcd", "category", "added"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	// With MIGRATE_ON_START=false nothing is created: the error says the database is missing.
	other := strings.Replace(url, "/test_cmdingest_", "/test_cmdingest_never_", 1)
	err = run(ctx, []string{"ingest", "../../examples/ontology"}, env(map[string]string{"DATABASE_URL": other, "MIGRATE_ON_START": "false"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("ingest with MIGRATE_ON_START=false into a missing database: %v", err)
	}
}
