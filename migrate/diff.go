package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
)

// validName matches migration names: they become part of a file name.
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// Diff writes the next versioned migration into the directory dir on disk: the SQL that
// takes the database its migrations build to the state hcl (schema.hcl) describes. The
// file is named VERSION_name.sql in Atlas's format (VERSION is the UTC time
// YYYYMMDDHHMMSS) and atlas.sum is rewritten to cover it. It returns the path of the new
// file, or "" when the migrations already match hcl and nothing was written.
//
// The migrations are replayed, and hcl normalized, on a dev database: devURL when set
// (it must be empty), otherwise a scratch database created on the server of databaseURL
// and dropped afterwards.
func Diff(ctx context.Context, databaseURL, devURL, dir, name string, hcl []byte) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("migrate: diff: migration name %q must be lowercase letters, digits and underscores", name)
	}
	local, err := atlasmigrate.NewLocalDir(dir)
	if err != nil {
		return "", fmt.Errorf("migrate: bad migration directory %s: %w", dir, err)
	}
	if err := validate(local, dir, true); err != nil {
		return "", err
	}
	desired, err := parseHCL(hcl)
	if err != nil {
		return "", err
	}
	var file string
	err = devDatabase(ctx, databaseURL, devURL, func(dev *sql.DB) error {
		plan, planner, err := planDir(ctx, dev, local, name, desired)
		if errors.Is(err, atlasmigrate.ErrNoPlan) {
			return nil
		}
		if err != nil {
			return err
		}
		if plan.Version, err = nextVersion(local); err != nil {
			return err
		}
		if err := planner.WritePlan(plan); err != nil {
			return fmt.Errorf("migrate: diff: write migration: %w", err)
		}
		file = filepath.Join(dir, plan.Version+"_"+plan.Name+".sql")
		return nil
	})
	return file, err
}

// parseHCL reads an Atlas HCL document describing the desired realm.
func parseHCL(hcl []byte) (*schema.Realm, error) {
	var realm schema.Realm
	if err := postgres.EvalHCLBytes(hcl, &realm, nil); err != nil {
		return nil, fmt.Errorf("migrate: schema.hcl: %w", err)
	}
	return &realm, nil
}

// planDir plans the migration from the state dir's migrations build to desired, on the
// clean dev database. It returns atlasmigrate.ErrNoPlan when there is nothing to do.
func planDir(ctx context.Context, dev *sql.DB, dir atlasmigrate.Dir, name string, desired *schema.Realm) (*atlasmigrate.Plan, *atlasmigrate.Planner, error) {
	drv, err := postgres.Open(dev)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: dev database: %w", err)
	}
	// Both sides of the diff come from inspecting the dev database: the desired state
	// after Atlas creates it there, the current one after replaying the migrations.
	normalized, err := normalize(ctx, drv, desired)
	if err != nil {
		return nil, nil, err
	}
	planner := atlasmigrate.NewPlanner(drv, dir, atlasmigrate.PlanWithIndent("  "))
	plan, err := planner.Plan(ctx, name, atlasmigrate.Realm(normalized))
	if err != nil && !errors.Is(err, atlasmigrate.ErrNoPlan) {
		err = fmt.Errorf("migrate: diff: %w", err)
	}
	return plan, planner, err
}

// normalize creates desired on the clean dev database behind drv and inspects it back, so that
// defaults, expressions and index predicates compare in PostgreSQL's own spelling rather than ours.
func normalize(ctx context.Context, drv atlasmigrate.Driver, desired *schema.Realm) (*schema.Realm, error) {
	normalized, err := drv.(schema.Normalizer).NormalizeRealm(ctx, desired)
	if err != nil {
		return nil, fmt.Errorf("migrate: schema.hcl on the dev database: %w", err)
	}
	return normalized, nil
}

// nextVersion returns the version of a migration written now, after every existing one
// even when the clock disagrees, so the directory stays linear.
func nextVersion(dir atlasmigrate.Dir) (string, error) {
	version := atlasmigrate.NewVersion()
	files, err := dir.Files()
	if err != nil {
		return "", fmt.Errorf("migrate: diff: %w", err)
	}
	if n := len(files); n > 0 && files[n-1].Version() >= version {
		return "", fmt.Errorf("migrate: diff: newest migration %s is not older than now (%s); check the clock", files[n-1].Name(), version)
	}
	return version, nil
}
