package store

import (
	"os"
	"testing"

	"github.com/ontohub/ontohub/internal/testdb"
)

// dbURL is this package's own fresh, migrated database, shared by every test file of the package.
var dbURL string

func TestMain(m *testing.M) {
	os.Exit(testdb.Run(m, "store", &dbURL))
}
