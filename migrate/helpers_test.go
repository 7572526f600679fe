package migrate

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/ontohub/ontohub/migrations"
)

// testServerURL is the server the tests create their databases on. This package cannot
// use internal/testdb, which imports it.
func testServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// newDatabase creates an empty database for one test and drops it when the test ends.
func newDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	databaseURL, err := CreateDatabase(ctx, testServerURL(), RandomName("test_migrate"))
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := DropDatabase(context.Background(), databaseURL); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return databaseURL
}

// migratedDatabase is newDatabase with the project's migrations applied.
func migratedDatabase(t *testing.T) string {
	t.Helper()
	databaseURL := newDatabase(t)
	if _, err := Apply(context.Background(), databaseURL, migrations.FS); err != nil {
		t.Fatalf("apply migrations: %v", err)
	}
	return databaseURL
}

// connect opens the database for the test's own queries.
func connect(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	db, err := openURL(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queryStrings runs a query returning one text column.
func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// migrationFiles returns the versions of the project's migration files, in order.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	files, err := fsDir{migrations.FS}.Files()
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, f := range files {
		versions = append(versions, f.Version())
	}
	return versions
}

// migrationDir builds an in-memory migration directory from SQL files and gives it a
// correct atlas.sum.
func migrationDir(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	dir := fstest.MapFS{}
	for name, content := range files {
		dir[name] = &fstest.MapFile{Data: []byte(content)}
	}
	sum, err := fsDir{dir}.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	b, err := sum.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	dir[atlasmigrate.HashFileName] = &fstest.MapFile{Data: b}
	return dir
}

// copyMigrations copies the project's migrations (SQL and atlas.sum) into a new
// temporary directory on disk.
func copyMigrations(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range embeddedMigrations(t) {
		if err := os.WriteFile(dir+"/"+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// embeddedMigrations reads every file of the project's migrations (SQL and atlas.sum) by name.
func embeddedMigrations(t *testing.T) map[string][]byte {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte, len(entries))
	for _, e := range entries {
		b, err := fs.ReadFile(migrations.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}
