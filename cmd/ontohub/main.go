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

// version and commit are set at build time with -ldflags "-X main.version=… -X main.commit=…";
// without them, Go's build information is asked.
var version, commit = "", ""

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

// run dispatches a subcommand. It is main without the process: tests call it directly. Help
// and the command line are dealt with before the configuration is read and before any command
// touches a database.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: missing command (try: ontohub help)", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--h", "--help":
		cmd = "help"
	case "--version":
		cmd = "version"
	}
	help, known := commandHelp[cmd]
	if !known {
		return fmt.Errorf("%w: unknown command %q (try: ontohub help)", errUsage, cmd)
	}
	// migrate and schema also take "help" as their subcommand.
	if wantsHelp(rest) || (cmd == "migrate" || cmd == "schema") && len(rest) > 0 && rest[0] == "help" {
		_, err := io.WriteString(stdout, help)
		return err
	}
	switch cmd {
	case "help":
		return runHelp(rest, stdout)
	case "version":
		return runVersion(rest, stdout)
	case "validate":
		return runValidate(rest, stdout)
	case "healthcheck":
		return runHealthcheck(ctx, rest, getenv, stdout)
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
	return fmt.Errorf("ontohub: command %q has help but no implementation", cmd)
}

// runVersion is `ontohub version`: the version and the commit on one line.
func runVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: version: unexpected argument %q", errUsage, args[0])
	}
	_, err := fmt.Fprintf(stdout, "ontohub %s (commit %s)\n", buildVersion(), buildCommit())
	return err
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

// buildVersion is the version set at build time, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	return "dev"
}

// buildCommit is the commit set at build time, else the VCS revision Go recorded (with
// "-modified" for a dirty tree), else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	revision, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	switch {
	case revision == "":
		return "unknown"
	case modified:
		return revision + "-modified"
	}
	return revision
}
