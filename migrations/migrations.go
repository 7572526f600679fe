// Package migrations holds the versioned SQL migrations of the database, generated from
// schema.hcl by `ontohub migrate diff` in Atlas's format, with their atlas.sum.
// Reviewed once, an applied file is never edited: change schema.hcl and diff again.
package migrations

import "embed"

// FS holds the migration files and atlas.sum, for migrate.Apply and migrate.Status.
//
//go:embed *.sql atlas.sum
var FS embed.FS
