package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/reposync"
	"github.com/ontohub/ontohub/store"
)

const syncUsage = "usage: ontohub sync"

// runSync is the "sync" subcommand: one sync with ONTOLOGY_REPO_URL (fetch or clone into
// ONTOLOGY_REPO_DIR, check out ONTOLOGY_REPO_REF, ingest that commit unless it is the one
// served), recorded in the database like the syncs of serve. Like ingest, it creates the
// database and applies pending migrations first unless MIGRATE_ON_START=false.
func runSync(ctx context.Context, cfg config, args []string, stdout, logOut io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: sync: unexpected argument %q (%s)", errUsage, args[0], syncUsage)
	}
	if cfg.Repo.URL == "" {
		return fmt.Errorf("%w: sync: ONTOLOGY_REPO_URL is not set", errUsage)
	}
	st, err := openPreparedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	syncer, err := newSyncer(cfg, st, newLogger(cfg, logOut))
	if err != nil {
		return err
	}
	outcome, err := syncer.Sync(ctx)
	switch {
	case err != nil:
		return err
	case outcome.Skipped:
		_, err = fmt.Fprintln(stdout, "another replica is syncing; nothing done")
	case outcome.Ingested:
		_, err = fmt.Fprintf(stdout, "ingested commit %s (generation %d)\n", outcome.Commit, outcome.Generation)
	default:
		_, err = fmt.Fprintf(stdout, "commit %s is already served (generation %d)\n", outcome.Commit, outcome.Generation)
	}
	return err
}

// openPreparedStore prepares the database (prepareDatabase) and connects to it, for the
// one-shot commands that write the ontology.
func openPreparedStore(ctx context.Context, cfg config) (*store.Store, error) {
	if _, err := prepareDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	return openStore(ctx, cfg)
}

// newSyncer builds the syncer of the configured repository.
func newSyncer(cfg config, st *store.Store, log *slog.Logger) (*reposync.Syncer, error) {
	repo, err := gitrepo.New(cfg.Repo.Remote(), cfg.Repo.Dir)
	if err != nil {
		return nil, err
	}
	return reposync.New(st, repo, ingestOptions(cfg, ""), log), nil
}

// startSync starts serve's background syncs when ONTOLOGY_REPO_URL is set: at once (the
// listener does not wait for it), then every SYNC_INTERVAL and on each webhook. It returns nil
// when the hub follows no repository.
func startSync(ctx context.Context, cfg config, st *store.Store, log *slog.Logger) (*reposync.Syncer, error) {
	if cfg.Repo.URL == "" {
		return nil, nil
	}
	syncer, err := newSyncer(cfg, st, log)
	if err != nil {
		return nil, err
	}
	go syncer.Run(ctx, cfg.Repo.SyncInterval)
	return syncer, nil
}
