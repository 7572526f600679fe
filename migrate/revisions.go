package migrate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
)

// The revision table is the one the Atlas CLI keeps when connected to a whole database
// (a URL without search_path): schema and table both named atlas_schema_revisions, the
// columns its ent schema (cmd/atlas/internal/migrate/ent/schema/revision.go) creates on
// PostgreSQL. Keeping that layout lets `atlas migrate apply --dir file://migrations` and
// `atlas migrate status` work on a database this package migrated, and vice versa.
const (
	revisionSchema = "atlas_schema_revisions"
	revisionTable  = "atlas_schema_revisions"
	// revisionIdentifier is the row the Atlas CLI keeps for its cloud identifier; it
	// is no migration and never read as one.
	revisionIdentifier = ".atlas_cloud_identifier"
)

// dbtx is what *sql.DB and *sql.Tx have in common.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// revisions implements Atlas's RevisionReadWriter over the revision table. When missing
// is set the table does not exist (a database never migrated, seen by Status, which
// must not create it) and it reads as empty.
type revisions struct {
	db      dbtx
	missing bool
}

var _ atlasmigrate.RevisionReadWriter = (*revisions)(nil)

// createRevisionTable creates the revision schema and table unless they exist.
func createRevisionTable(ctx context.Context, db dbtx) error {
	const createSchema = `CREATE SCHEMA IF NOT EXISTS "atlas_schema_revisions"`
	// Same columns, types, defaults and key as the Atlas CLI creates, so it sees no
	// difference to migrate when it opens the table.
	const createTable = `CREATE TABLE IF NOT EXISTS "atlas_schema_revisions"."atlas_schema_revisions" (
  "version" character varying NOT NULL,
  "description" character varying NOT NULL,
  "type" bigint NOT NULL DEFAULT 2,
  "applied" bigint NOT NULL DEFAULT 0,
  "total" bigint NOT NULL DEFAULT 0,
  "executed_at" timestamptz NOT NULL,
  "execution_time" bigint NOT NULL,
  "error" text NULL,
  "error_stmt" text NULL,
  "hash" character varying NOT NULL,
  "partial_hashes" jsonb NULL,
  "operator_version" character varying NOT NULL,
  PRIMARY KEY ("version")
)`
	for _, stmt := range []string{createSchema, createTable} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate: create revision table: %w", err)
		}
	}
	return nil
}

// revisionTableExists reports whether the revision table exists.
func revisionTableExists(ctx context.Context, db dbtx) (bool, error) {
	const query = `SELECT to_regclass('"atlas_schema_revisions"."atlas_schema_revisions"') IS NOT NULL`
	var exists bool
	if err := db.QueryRowContext(ctx, query).Scan(&exists); err != nil {
		return false, fmt.Errorf("migrate: look for revision table: %w", err)
	}
	return exists, nil
}

// Ident names the revision table, so Atlas's clean-database check ignores it.
func (r *revisions) Ident() *atlasmigrate.TableIdent {
	return &atlasmigrate.TableIdent{Schema: revisionSchema, Name: revisionTable}
}

const revisionColumns = `version, description, type, applied, total, executed_at, execution_time,
  error, error_stmt, hash, partial_hashes, operator_version`

// ReadRevisions returns all revisions ordered by version.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*atlasmigrate.Revision, error) {
	if r.missing {
		return nil, nil
	}
	const query = `SELECT ` + revisionColumns + `
FROM "atlas_schema_revisions"."atlas_schema_revisions"
WHERE version <> $1
ORDER BY version`
	rows, err := r.db.QueryContext(ctx, query, revisionIdentifier)
	if err != nil {
		return nil, fmt.Errorf("migrate: read revisions: %w", err)
	}
	defer rows.Close()
	var revs []*atlasmigrate.Revision
	for rows.Next() {
		rev, err := scanRevision(rows)
		if err != nil {
			return nil, fmt.Errorf("migrate: read revisions: %w", err)
		}
		revs = append(revs, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read revisions: %w", err)
	}
	return revs, nil
}

// ReadRevision returns the revision of version, or atlasmigrate.ErrRevisionNotExist.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*atlasmigrate.Revision, error) {
	if r.missing || version == revisionIdentifier {
		return nil, atlasmigrate.ErrRevisionNotExist
	}
	const query = `SELECT ` + revisionColumns + `
FROM "atlas_schema_revisions"."atlas_schema_revisions"
WHERE version = $1`
	rev, err := scanRevision(r.db.QueryRowContext(ctx, query, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, atlasmigrate.ErrRevisionNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: read revision %s: %w", version, err)
	}
	return rev, nil
}

// WriteRevision inserts or updates the revision. Like the Atlas CLI it keeps the
// description and executed_at of the first write, and stores no partial hashes as the
// JSON null.
func (r *revisions) WriteRevision(ctx context.Context, rev *atlasmigrate.Revision) error {
	if r.missing {
		return errors.New("migrate: write revision: revision table does not exist")
	}
	if rev.Version == revisionIdentifier {
		return errors.New("migrate: write revision: the revision-table identifier is not a migration")
	}
	partialHashes, err := json.Marshal(rev.PartialHashes)
	if err != nil {
		return fmt.Errorf("migrate: write revision %s: %w", rev.Version, err)
	}
	const query = `INSERT INTO "atlas_schema_revisions"."atlas_schema_revisions" (` + revisionColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (version) DO UPDATE SET
  type = EXCLUDED.type,
  applied = EXCLUDED.applied,
  total = EXCLUDED.total,
  execution_time = EXCLUDED.execution_time,
  error = EXCLUDED.error,
  error_stmt = EXCLUDED.error_stmt,
  hash = EXCLUDED.hash,
  partial_hashes = EXCLUDED.partial_hashes,
  operator_version = EXCLUDED.operator_version`
	_, err = r.db.ExecContext(ctx, query,
		rev.Version, rev.Description, int64(rev.Type), rev.Applied, rev.Total,
		rev.ExecutedAt, int64(rev.ExecutionTime), rev.Error, rev.ErrorStmt,
		rev.Hash, string(partialHashes), rev.OperatorVersion)
	if err != nil {
		return fmt.Errorf("migrate: write revision %s: %w", rev.Version, err)
	}
	return nil
}

// DeleteRevision deletes the revision of version.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	if r.missing {
		return nil
	}
	const query = `DELETE FROM "atlas_schema_revisions"."atlas_schema_revisions" WHERE version = $1`
	if _, err := r.db.ExecContext(ctx, query, version); err != nil {
		return fmt.Errorf("migrate: delete revision %s: %w", version, err)
	}
	return nil
}

// scanRevision scans one row of revisionColumns.
func scanRevision(row interface{ Scan(...any) error }) (*atlasmigrate.Revision, error) {
	var (
		rev                      atlasmigrate.Revision
		revType, executionTime   int64
		errText, errStmt, hashes sql.NullString
	)
	err := row.Scan(&rev.Version, &rev.Description, &revType, &rev.Applied, &rev.Total,
		&rev.ExecutedAt, &executionTime, &errText, &errStmt, &rev.Hash, &hashes, &rev.OperatorVersion)
	if err != nil {
		return nil, err
	}
	rev.Type = atlasmigrate.RevisionType(revType)
	rev.ExecutionTime = time.Duration(executionTime)
	rev.Error, rev.ErrorStmt = errText.String, errStmt.String
	if hashes.Valid {
		if err := json.Unmarshal([]byte(hashes.String), &rev.PartialHashes); err != nil {
			return nil, fmt.Errorf("partial_hashes of %s: %w", rev.Version, err)
		}
	}
	return &rev, nil
}

// operatorVersion is stored with each revision to say who applied it, the way the
// Atlas CLI stores "Atlas CLI vX.Y.Z".
func operatorVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "ariga.io/atlas" {
				return "ontohub migrate (ariga.io/atlas " + dep.Version + ")"
			}
		}
	}
	return "ontohub migrate"
}
