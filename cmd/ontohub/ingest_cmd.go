package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ontohub/ontohub/ingest"
)

const ingestUsage = "usage: ontohub ingest DIR [--commit SHA]"

// runIngest is the "ingest" subcommand: it loads the schema repository
// checkout in DIR into the database. args are the arguments after "ingest".
// The command line is checked before the database is touched; like serve, it
// creates the database and applies pending migrations first unless
// MIGRATE_ON_START=false.
func runIngest(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	dir, commit, err := parseIngestArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		_, err := io.WriteString(stdout, commandHelp["ingest"])
		return err
	}
	if err != nil {
		return err
	}
	st, err := openPreparedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = ingest.Run(ctx, st, dir, ingestOptions(cfg, commit), stdout)
	return err
}

// parseIngestArgs parses "DIR [--commit SHA]", the flag allowed before or after DIR.
func parseIngestArgs(args []string) (dir, commit string, err error) {
	flags := newFlagSet("ingest")
	flags.StringVar(&commit, "commit", "", "commit the checkout is at")
	positional, err := parseFlags(flags, args)
	if errors.Is(err, flag.ErrHelp) {
		return "", "", err
	}
	if err != nil {
		return "", "", fmt.Errorf("%w: ingest: %v (%s)", errUsage, err, ingestUsage)
	}
	switch len(positional) {
	case 0:
		return "", "", fmt.Errorf("%w: ingest: missing DIR (%s)", errUsage, ingestUsage)
	case 1:
		return positional[0], commit, nil
	default:
		return "", "", fmt.Errorf("%w: ingest: unexpected arguments %q after DIR (%s)", errUsage, positional[1:], ingestUsage)
	}
}

// ingestOptions are the options every ingest of the binary uses: the configured limits and the
// validation findings stored with the ontology.
func ingestOptions(cfg config, commit string) ingest.Options {
	return ingest.Options{Commit: commit, Limits: cfg.IngestLimits}
}
