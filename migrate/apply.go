// Package migrate is ontohub's database migration engine, built on the Atlas library
// (ariga.io/atlas) since the Atlas CLI is not available: it generates versioned
// migrations from schema.hcl (Diff), applies them with Atlas's revision bookkeeping
// (Apply, Status), applies schema.hcl declaratively (SchemaApply) and creates the
// database when missing (EnsureDatabase). Migration files, atlas.sum and the revision
// table are in Atlas's formats, so the Atlas CLI can take over the same database.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
)

const (
	// lockName is the advisory lock the Atlas CLI takes for `migrate apply`; sharing
	// it keeps replicas of ontohub and the CLI from applying at the same time.
	lockName = "atlas_migrate_execute"
	// lockTimeout is how long a replica waits for another one to finish applying.
	lockTimeout = 5 * time.Minute
)

// embeddedName names a migration directory that does not say where it came from,
// normally the embedded migrations.FS.
const embeddedName = "migrations"

// namedFS is a directory on disk that remembers its path for error messages.
type namedFS struct {
	fs.FS
	path string
}

// String returns the path of the directory.
func (n namedFS) String() string { return n.path }

// DirFS returns the migration directory at path on disk, for Apply and Status.
func DirFS(path string) fs.FS {
	return namedFS{FS: os.DirFS(path), path: path}
}

// dirName returns how messages name dir.
func dirName(dir fs.FS) string {
	if s, ok := dir.(fmt.Stringer); ok {
		return s.String()
	}
	return embeddedName
}

// Apply applies the pending versioned migrations of dir (the embedded migrations.FS or
// DirFS of a directory) to the database, each file in its own transaction, and returns
// the versions it applied, none when the database is up to date. It checks atlas.sum
// first, records every migration in Atlas's revision table and holds an advisory lock
// meanwhile, so replicas starting together apply each migration once.
func Apply(ctx context.Context, databaseURL string, dir fs.FS) ([]string, error) {
	mdir := fsDir{dir}
	if err := validate(mdir, dirName(dir), false); err != nil {
		return nil, err
	}
	db, err := openURL(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, fmt.Errorf("migrate: apply: %w", err)
	}
	unlock, err := lock(ctx, drv)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := createRevisionTable(ctx, db); err != nil {
		return nil, err
	}
	ex, err := atlasmigrate.NewExecutor(drv, mdir, &revisions{db: db})
	if err != nil {
		return nil, fmt.Errorf("migrate: apply: %w", err)
	}
	pending, err := ex.Pending(ctx)
	if errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: apply: %w", err)
	}
	var applied []string
	for _, file := range pending {
		if err := applyFile(ctx, db, mdir, file); err != nil {
			return applied, err
		}
		applied = append(applied, file.Version())
	}
	return applied, nil
}

// lock takes the migration advisory lock, waiting up to lockTimeout.
func lock(ctx context.Context, drv atlasmigrate.Driver) (schema.UnlockFunc, error) {
	locker, ok := drv.(schema.Locker)
	if !ok {
		return nil, fmt.Errorf("migrate: driver %T cannot take advisory locks", drv)
	}
	unlock, err := locker.Lock(ctx, lockName, lockTimeout)
	if errors.Is(err, schema.ErrLocked) {
		return nil, fmt.Errorf("migrate: another process held the migration lock %q for %s", lockName, lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: take migration lock: %w", err)
	}
	return unlock, nil
}

// applyFile executes one migration file and records it, in one transaction unless the
// file opts out with the Atlas directive `-- atlas:txmode none` (needed for statements
// such as CREATE INDEX CONCURRENTLY).
func applyFile(ctx context.Context, db *sql.DB, dir atlasmigrate.Dir, file atlasmigrate.File) error {
	if local, ok := file.(*atlasmigrate.LocalFile); ok && slices.Contains(local.Directive("txmode"), "none") {
		return executeFile(ctx, db, dir, file)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: apply %s: %w", file.Name(), err)
	}
	if err := executeFile(ctx, tx, dir, file); err != nil {
		// The failed file leaves no trace, not even a revision: the next run starts it
		// from the beginning.
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: apply %s: commit: %w", file.Name(), err)
	}
	return nil
}

// executeFile runs Atlas's executor for file on conn, a transaction or the pool.
func executeFile(ctx context.Context, conn dbtx, dir atlasmigrate.Dir, file atlasmigrate.File) error {
	drv, err := postgres.Open(conn)
	if err != nil {
		return fmt.Errorf("migrate: apply %s: %w", file.Name(), err)
	}
	ex, err := atlasmigrate.NewExecutor(drv, dir, &revisions{db: conn},
		atlasmigrate.WithOperatorVersion(operatorVersion()))
	if err != nil {
		return fmt.Errorf("migrate: apply %s: %w", file.Name(), err)
	}
	err = ex.Execute(ctx, file)
	var stmtErr *atlasmigrate.StmtExecError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stmtErr):
		return fmt.Errorf("migrate: apply %s: statement %q: %w", file.Name(), stmtErr.Stmt.Text, stmtErr.Err)
	default:
		return fmt.Errorf("migrate: apply %s: %w", file.Name(), err)
	}
}

// Status returns the versions of dir already applied to the database and those still
// pending, both in order. It changes nothing, not even on a database never migrated.
func Status(ctx context.Context, databaseURL string, dir fs.FS) (applied, pending []string, err error) {
	mdir := fsDir{dir}
	if err := validate(mdir, dirName(dir), false); err != nil {
		return nil, nil, err
	}
	db, err := openURL(ctx, databaseURL)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: status: %w", err)
	}
	exists, err := revisionTableExists(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	rrw := &revisions{db: db, missing: !exists}
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, rev := range revs {
		if rev.Applied == rev.Total && rev.Error == "" {
			applied = append(applied, rev.Version)
		}
	}
	ex, err := atlasmigrate.NewExecutor(drv, mdir, rrw)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: status: %w", err)
	}
	files, err := ex.Pending(ctx)
	if err != nil && !errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
		return nil, nil, fmt.Errorf("migrate: status: %w", err)
	}
	for _, file := range files {
		pending = append(pending, file.Version())
	}
	return applied, pending, nil
}
