// Command ontohub is the Ontology Hub backend: the API server and the tools that manage its
// database (migrations, declarative schema apply) and load the canonical ontology into it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ontohub/ontohub"
	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
	"github.com/ontohub/ontohub/store"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the VCS revision.
var version = ""

const usage = `ontohub — the Ontology Hub backend

Usage:
  ontohub serve [--ingest DIR [--commit SHA]]
        Serve the API on LISTEN_ADDR (default :8080). Applies pending migrations first unless
        MIGRATE_ON_START=false; with --ingest, loads the schema repository DIR before serving.
        With ONTOLOGY_REPO_URL, syncs with it in the background at start, every SYNC_INTERVAL
        and on signed GitHub webhooks.
  ontohub ingest DIR [--commit SHA]
        Load a schema repository checkout into the database (one transaction, all or nothing).
        commit_sha is --commit, else DIR's git HEAD, else empty. Like serve, creates the
        database and applies pending migrations first unless MIGRATE_ON_START=false.
  ontohub sync
        Fetch ONTOLOGY_REPO_REF of ONTOLOGY_REPO_URL into ONTOLOGY_REPO_DIR, check it out and
        ingest that commit (as ingest does) unless it is already served; recorded in the
        database for GET /api/v1/sync. With several replicas only one syncs at a time.
  ontohub validate DIR [--base DIR] [--format text|json]
        Check a schema repository checkout against the repository's rules; with --base, also
        list what changed since the checkout in that folder and the version bumps it needs.
        Needs no configuration or database. Exit code 1 when there is an error finding.
  ontohub migrate apply [--dir DIR]
        Apply pending versioned migrations (built into the binary unless --dir).
  ontohub migrate status [--dir DIR]
        List applied and pending migrations.
  ontohub migrate diff NAME [--dir migrations] [--schema schema.hcl]
        Write the next migration file for the changes in schema.hcl and update atlas.sum.
  ontohub schema apply [--dry-run] [--allow-destructive] [--file schema.hcl]
        Diff the live database against schema.hcl, print the SQL plan, apply it unless
        --dry-run; refuses drops unless --allow-destructive.
  ontohub version
        Print the version.
  ontohub help
        Print this help.

Configuration is read from environment variables; see README.md and .env.example.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ontohub:", err)
		os.Exit(exitCode(err))
	}
}

// errUsage marks errors caused by the command line rather than the environment.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run dispatches a subcommand. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: missing command (try: ontohub help)", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintln(stdout, "ontohub", buildVersion())
		return nil
	case "validate":
		return runValidate(rest, stdout)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		return runServe(ctx, cfg, rest, stderr)
	case "migrate":
		return runMigrate(ctx, rest, cfg.DatabaseURL, cfg.DevDatabaseURL, stdout)
	case "schema":
		return runSchema(ctx, rest, cfg.DatabaseURL, cfg.DevDatabaseURL, ontohub.SchemaHCL, stdout)
	case "ingest":
		return runIngest(ctx, cfg, rest, stdout)
	case "sync":
		return runSync(ctx, cfg, rest, stdout, stderr)
	}
	return fmt.Errorf("%w: unknown command %q (try: ontohub help)", errUsage, cmd)
}

// openStore connects to the database and checks that it answers, for the one-shot commands.
func openStore(ctx context.Context, cfg config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	if err := st.Ping(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("database unreachable (DATABASE_URL): %w", err)
	}
	return st, nil
}

// prepareDatabase creates the database if it is missing and applies pending migrations, unless
// MIGRATE_ON_START=false: what serve and ingest need before they touch any table.
func prepareDatabase(ctx context.Context, cfg config) ([]string, error) {
	if !cfg.MigrateOnStart {
		return nil, nil
	}
	if err := migrate.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	return migrate.Apply(ctx, cfg.DatabaseURL, migrations.FS)
}

// newLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
