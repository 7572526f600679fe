package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
)

const (
	migrateUsage = `usage:
  ontohub migrate diff NAME [--dir migrations] [--schema schema.hcl]
  ontohub migrate apply [--dir DIR]
  ontohub migrate status [--dir DIR]`
	schemaUsage = `usage:
  ontohub schema apply [--dry-run] [--allow-destructive] [--file schema.hcl]`
)

// runMigrate runs `ontohub migrate …`; args are the arguments after "migrate".
//
//   - diff NAME writes the next migration for the changes in schema.hcl (read from disk,
//     --schema) into the directory --dir (default migrations) and updates atlas.sum.
//   - apply applies the pending migrations, creating the database first if needed;
//     without --dir it uses the migrations built into the binary.
//   - status lists applied and pending migrations.
//
// devDatabaseURL (DEV_DATABASE_URL) names an empty database for diff to work in; when
// empty, diff creates and drops a scratch database on the server of databaseURL.
func runMigrate(ctx context.Context, args []string, databaseURL, devDatabaseURL string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: migrate: missing subcommand (try: ontohub help)", errUsage)
	}
	switch args[0] {
	case "diff":
		return migrateDiff(ctx, args[1:], databaseURL, devDatabaseURL, stdout)
	case "apply":
		return migrateApply(ctx, args[1:], databaseURL, stdout)
	case "status":
		return migrateStatus(ctx, args[1:], databaseURL, stdout)
	case "help":
		_, err := io.WriteString(stdout, commandHelp["migrate"])
		return err
	default:
		return fmt.Errorf("%w: migrate: unknown subcommand %q (try: ontohub help)", errUsage, args[0])
	}
}

func migrateDiff(ctx context.Context, args []string, databaseURL, devDatabaseURL string, stdout io.Writer) error {
	flags := newFlagSet("migrate diff")
	dir := flags.String("dir", "migrations", "migration directory to write to")
	schemaFile := flags.String("schema", "schema.hcl", "desired schema in Atlas HCL")
	names, err := parseFlags(flags, args)
	if err != nil {
		return usageError("migrate diff", err, commandHelp["migrate"], stdout)
	}
	if len(names) != 1 {
		return fmt.Errorf("%w: migrate diff: want exactly one migration NAME (try: ontohub help)", errUsage)
	}
	hcl, err := os.ReadFile(*schemaFile)
	if err != nil {
		return fmt.Errorf("migrate diff: %w", err)
	}
	file, err := migrate.Diff(ctx, databaseURL, devDatabaseURL, *dir, names[0], hcl)
	if err != nil {
		return err
	}
	if file == "" {
		_, err = fmt.Fprintf(stdout, "no changes: the migrations in %s already match %s\n", *dir, *schemaFile)
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s\n", file)
	return err
}

func migrateApply(ctx context.Context, args []string, databaseURL string, stdout io.Writer) error {
	flags := newFlagSet("migrate apply")
	dirPath := flags.String("dir", "", "migration directory on disk (default: the migrations built into the binary)")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return usageError("migrate apply", err, commandHelp["migrate"], stdout)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: migrate apply: unexpected argument %q (try: ontohub help)", errUsage, rest[0])
	}
	dir, err := migrationDir(*dirPath)
	if err != nil {
		return err
	}
	if err := migrate.EnsureDatabase(ctx, databaseURL); err != nil {
		return err
	}
	applied, err := migrate.Apply(ctx, databaseURL, dir)
	for _, version := range applied {
		fmt.Fprintf(stdout, "applied %s\n", version)
	}
	if err != nil {
		return err
	}
	switch n := len(applied); n {
	case 0:
		_, err = fmt.Fprintln(stdout, "no pending migrations")
	case 1:
		_, err = fmt.Fprintln(stdout, "applied 1 migration")
	default:
		_, err = fmt.Fprintf(stdout, "applied %d migrations\n", n)
	}
	return err
}

func migrateStatus(ctx context.Context, args []string, databaseURL string, stdout io.Writer) error {
	flags := newFlagSet("migrate status")
	dirPath := flags.String("dir", "", "migration directory on disk (default: the migrations built into the binary)")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return usageError("migrate status", err, commandHelp["migrate"], stdout)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: migrate status: unexpected argument %q (try: ontohub help)", errUsage, rest[0])
	}
	dir, err := migrationDir(*dirPath)
	if err != nil {
		return err
	}
	// Like apply, status creates a missing database (then reports every migration pending).
	if err := migrate.EnsureDatabase(ctx, databaseURL); err != nil {
		return err
	}
	applied, pending, err := migrate.Status(ctx, databaseURL, dir)
	if err != nil {
		return err
	}
	for _, version := range applied {
		fmt.Fprintf(stdout, "applied %s\n", version)
	}
	for _, version := range pending {
		fmt.Fprintf(stdout, "pending %s\n", version)
	}
	_, err = fmt.Fprintf(stdout, "%d applied, %d pending\n", len(applied), len(pending))
	return err
}

// runSchema runs `ontohub schema apply …`; args are the arguments after "schema". It
// brings the database to the schema in hcl (the embedded schema.hcl) or in --file,
// printing the SQL plan; --dry-run only prints it, and a plan that drops anything
// needs --allow-destructive. devDatabaseURL is as for runMigrate.
func runSchema(ctx context.Context, args []string, databaseURL, devDatabaseURL string, hcl []byte, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: schema: missing subcommand (try: ontohub help)", errUsage)
	}
	switch args[0] {
	case "apply":
	case "help":
		_, err := io.WriteString(stdout, commandHelp["schema"])
		return err
	default:
		return fmt.Errorf("%w: schema: unknown subcommand %q (try: ontohub help)", errUsage, args[0])
	}
	flags := newFlagSet("schema apply")
	dryRun := flags.Bool("dry-run", false, "print the plan without applying it")
	allowDestructive := flags.Bool("allow-destructive", false, "apply plans that drop tables, columns, indexes, …")
	file := flags.String("file", "", "desired schema in Atlas HCL (default: the schema.hcl built into the binary)")
	rest, err := parseFlags(flags, args[1:])
	if err != nil {
		return usageError("schema apply", err, commandHelp["schema"], stdout)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: schema apply: unexpected argument %q (try: ontohub help)", errUsage, rest[0])
	}
	if *file != "" {
		if hcl, err = os.ReadFile(*file); err != nil {
			return fmt.Errorf("schema apply: %w", err)
		}
	}
	if !*dryRun {
		if err := migrate.EnsureDatabase(ctx, databaseURL); err != nil {
			return err
		}
	}
	return migrate.SchemaApply(ctx, databaseURL, devDatabaseURL, hcl, *dryRun, *allowDestructive, stdout)
}

// migrationDir returns the directory at path, or the embedded migrations when path is empty.
func migrationDir(path string) (fs.FS, error) {
	if path == "" {
		return migrations.FS, nil
	}
	if info, err := os.Stat(path); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("migration directory %s does not exist or is not a directory", path)
	}
	return migrate.DirFS(path), nil
}

// newFlagSet returns a flag set that reports errors to its caller instead of printing them.
func newFlagSet(name string) *flag.FlagSet {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	return flags
}

// parseFlags parses args allowing flags after positional arguments
// (`migrate diff NAME --dir x`), and returns the positional ones. flag.FlagSet stops at the first
// positional argument, so parsing resumes after each one; after "--" everything is positional,
// even what starts with "-".
func parseFlags(flags *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError turns a flag error into the command's usage error (errUsage, exit code 2);
// -h prints the command's help instead (run catches it first; this is for direct callers).
func usageError(command string, err error, help string, stdout io.Writer) error {
	if errors.Is(err, flag.ErrHelp) {
		_, werr := io.WriteString(stdout, help)
		return werr
	}
	return fmt.Errorf("%w: %s: %v (try: ontohub help)", errUsage, command, err)
}
