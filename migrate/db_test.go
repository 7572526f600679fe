package migrate

import (
	"context"
	"strings"
	"testing"
)

func TestEnsureDatabaseCreatesMissingDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := RandomName("test_ensure")
	databaseURL, err := withDatabase(testServerURL(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := DropDatabase(context.Background(), databaseURL); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	server := connect(t, testServerURL())
	exists := func() bool {
		t.Helper()
		return len(queryStrings(t, server, `SELECT datname::text FROM pg_database WHERE datname = $1`, name)) == 1
	}
	if exists() {
		t.Fatalf("database %s exists before the test", name)
	}

	if err := EnsureDatabase(ctx, databaseURL); err != nil {
		t.Fatalf("EnsureDatabase: %v", err)
	}
	if !exists() {
		t.Fatalf("EnsureDatabase did not create %s", name)
	}
	if err := EnsureDatabase(ctx, databaseURL); err != nil {
		t.Errorf("EnsureDatabase on an existing database: %v", err)
	}
}

func TestEnsureDatabaseUnreachableServer(t *testing.T) {
	t.Parallel()
	err := EnsureDatabase(context.Background(), "postgres://postgres@127.0.0.1:1/ontohub?sslmode=disable")
	if err == nil || !strings.Contains(err.Error(), "cannot reach database") {
		t.Errorf("EnsureDatabase error = %v, want it to say the database cannot be reached", err)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:p@h:5432/old?sslmode=disable", "postgres://u:p@h:5432/new?sslmode=disable"},
		{"postgresql://h/", "postgresql://h/new"},
		{"host=h dbname=old", "host=h dbname=old dbname=new"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.in, "new")
		if err != nil || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
