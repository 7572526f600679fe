package testdb

import (
	"context"
	"database/sql"
	"os"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

var dbURL string

func TestMain(m *testing.M) { os.Exit(Run(m, "TestDB-Self", &dbURL)) }

func open(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRunGivesMigratedDatabase(t *testing.T) {
	db := open(t, dbURL)
	var name string
	var tables int
	err := db.QueryRowContext(context.Background(), `
SELECT current_database(), count(*)
FROM pg_tables
WHERE schemaname = 'public' AND tablename IN ('entities', 'ingests', 'drafts', 'draft_changes')`).Scan(&name, &tables)
	if err != nil {
		t.Fatal(err)
	}
	if tables != 4 {
		t.Errorf("database has %d of the 4 tables", tables)
	}
	if !regexp.MustCompile(`^test_testdb_self_[0-9a-f]{16}$`).MatchString(name) {
		t.Errorf("database name %q is not test_<lowercased prefix>_<random>", name)
	}
}

func TestCreateGivesDistinctEmptyDatabases(t *testing.T) {
	ctx := context.Background()
	first, dropFirst, err := Create(ctx, "extra")
	if err != nil {
		t.Fatal(err)
	}
	defer dropFirst()
	second, dropSecond, err := Create(ctx, "extra")
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Errorf("Create returned %s twice", first)
	}
	var tables int
	if err := open(t, second).QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("new database has %d tables, want none", tables)
	}
	dropSecond()
	if err := open(t, second).PingContext(ctx); err == nil {
		t.Error("database still answers after drop")
	}
}
