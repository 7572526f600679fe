// Package testdb gives each test package its own fresh PostgreSQL database, migrated
// with the project's own migrations, on the server of TEST_DATABASE_URL.
package testdb

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
)

// defaultServerURL is used when TEST_DATABASE_URL is unset: the local server of the
// development setup.
const defaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Run creates a fresh database (name from prefix plus a random suffix) on the server of
// TEST_DATABASE_URL, applies the project's migrations to it, stores its URL in *url,
// runs m.Run, drops the database and returns the exit code. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Run(m, "store", &dbURL)) }
//
// When the server cannot be reached or migrating fails it reports why and returns 1:
// tests fail loudly rather than skip.
func Run(m *testing.M, prefix string, url *string) int {
	ctx := context.Background()
	databaseURL, drop, err := Create(ctx, prefix)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	defer drop()
	if _, err := migrate.Apply(ctx, databaseURL, migrations.FS); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	*url = databaseURL
	return m.Run()
}

// Create creates a fresh, empty database (no migrations applied) on the server of
// TEST_DATABASE_URL and returns its URL and a function that drops it. For a migrated
// one, pass the URL to migrate.Apply with migrations.FS.
func Create(ctx context.Context, prefix string) (url string, drop func(), err error) {
	serverURL := os.Getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = defaultServerURL
	}
	url, err = migrate.CreateDatabase(ctx, serverURL, migrate.RandomName("test_"+sanitize(prefix)))
	if err != nil {
		return "", nil, err
	}
	drop = func() {
		if err := migrate.DropDatabase(context.Background(), url); err != nil {
			fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		}
	}
	return url, drop, nil
}

// sanitize makes prefix usable in an unquoted-looking, lowercase database name, short
// enough that the name with its random suffix stays within PostgreSQL's 63 bytes.
func sanitize(prefix string) string {
	const maxPrefix = 40
	var b strings.Builder
	for _, r := range strings.ToLower(prefix) {
		if b.Len() == maxPrefix {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
