package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

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
        ingest that commit unless it is already served; recorded for GET /api/v1/sync. With
        several replicas only one syncs at a time.
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
  ontohub healthcheck [--url URL]
        Exit 0 when the server's /health says healthy, 1 otherwise, within 3 seconds: the
        container image's health check (it has no curl).
  ontohub version
        Print the version and the commit it was built from.
  ontohub help [COMMAND]
        Print this help, or one command's.

Every command also takes -h or --help. Errors are one line on stderr with exit code 1, or 2
for a bad command line. Configuration is read from environment variables; see README.md and
.env.example.
`

// commandHelp is each command's help, printed by `ontohub help CMD`, `ontohub CMD -h` and
// `ontohub CMD --help` alike, on stdout.
var commandHelp = map[string]string{
	"serve": `usage: ontohub serve [--ingest DIR [--commit SHA]]

Serves the API on LISTEN_ADDR (default :8080) until SIGINT or SIGTERM, then lets requests in
flight finish (SHUTDOWN_TIMEOUT). Creates the database and applies pending migrations first
unless MIGRATE_ON_START=false. /metrics is served on the API port, or on METRICS_ADDR when set.

  --ingest DIR   load the schema repository checkout in DIR before serving
  --commit SHA   commit recorded for --ingest (default: git rev-parse HEAD in DIR)
`,
	"ingest": ingestUsage + `

Loads a schema repository checkout (categories/, properties/, subobjects/, templates/,
modules/, bundles/ or profiles/, dashboards/, resources/) into the database in one
transaction, as a new generation every replica serves. Like serve, creates the database and
applies pending migrations first unless MIGRATE_ON_START=false.

  --commit SHA   commit the checkout is at (default: git rev-parse HEAD in DIR)
`,
	"sync": syncUsage + `

Fetches ONTOLOGY_REPO_REF (default main) of ONTOLOGY_REPO_URL into the clone in
ONTOLOGY_REPO_DIR, checks it out and ingests that commit in one transaction unless it is
already the one served. Only one replica syncs at a time; when another one is syncing, this
does nothing and says so. Like ingest, creates the database and applies pending migrations
first unless MIGRATE_ON_START=false.
`,
	"validate": validateUsage + `

Checks a schema repository checkout against the schema repository's rules and prints every
finding. Needs no configuration or database. Exit code 0 when there is no error finding
(warnings allowed), 1 when there is, 2 on a bad command line.

  --base DIR      also list what changed since the checkout in DIR, with version advice
  --format FMT    text (default: one line per finding) or json (one object)
`,
	"migrate": migrateUsage + `

  diff NAME   write the next migration for the changes in schema.hcl (--schema) into the
              directory --dir (default migrations) and update atlas.sum; DEV_DATABASE_URL
              names an empty database to work in (default: a scratch one on DATABASE_URL's server)
  apply       create the database if needed and apply the pending migrations (built into
              the binary unless --dir)
  status      list applied and pending migrations
`,
	"schema": schemaUsage + `

Diffs the live database against schema.hcl (built into the binary unless --file), prints the
SQL plan and applies it.

  --dry-run             print the plan only
  --allow-destructive   apply plans that drop tables, columns or indexes
  --file FILE           desired schema in Atlas HCL
`,
	"healthcheck": healthcheckUsage + `

Asks the server's /health and exits 0 when it answers 200 with status "healthy", 1 otherwise
(degraded, draining, unhealthy, unreachable, or no answer within 3 seconds). Reads only
LISTEN_ADDR, for the default URL; the container image runs it as its HEALTHCHECK.

  --url URL   the health endpoint (default: http://127.0.0.1:PORT/health, PORT from LISTEN_ADDR)
`,
	"version": `usage: ontohub version

Prints the version and the commit the binary was built from (set with
-ldflags "-X main.version=… -X main.commit=…", else read from Go's build information).
`,
	"help": `usage: ontohub help [COMMAND]

Prints the list of commands, or the help of COMMAND.
`,
}

// runHelp is `ontohub help [COMMAND]`.
func runHelp(args []string, stdout io.Writer) error {
	switch len(args) {
	case 0:
		_, err := io.WriteString(stdout, usage)
		return err
	case 1:
		help, ok := commandHelp[args[0]]
		if !ok {
			return fmt.Errorf("%w: help: unknown command %q (commands: %s)", errUsage, args[0], commandNames())
		}
		_, err := io.WriteString(stdout, help)
		return err
	default:
		return fmt.Errorf("%w: help: want at most one COMMAND, got %q", errUsage, args)
	}
}

// wantsHelp reports whether a command's arguments ask for its help: -h or -help, with one dash
// or two, anywhere
// before a "--". No flag of ontohub takes a value that starts with "-h".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// commandNames lists the commands, sorted, for error messages.
func commandNames() string {
	names := make([]string, 0, len(commandHelp))
	for name := range commandHelp {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
