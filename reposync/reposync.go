// Package reposync keeps the served ontology in step with the schema repository: it fetches the
// followed ref into the local clone, checks its commit out and ingests it (ingest.Run, one
// transaction). With several replicas only the one holding the sync lock does the work; what it
// did is kept in PostgreSQL (sync_state), so every replica reports the same state.
package reposync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/store"
)

// Syncer syncs one clone with its remote. Its methods are safe for concurrent use; syncs of one
// process take turns.
type Syncer struct {
	store *store.Store
	repo  *gitrepo.Repo
	opts  ingest.Options
	log   *slog.Logger
	// kick wakes Run for a sync asked for on this replica.
	kick chan struct{}
	// mu makes this process's syncs take turns (the advisory lock is per session, so two
	// goroutines of one replica would not exclude each other through it).
	mu sync.Mutex
	// afterIngest runs after each ingest of a new commit; nil for nothing.
	afterIngest func(ctx context.Context, commit string, generation int64) error
}

// New returns a Syncer that ingests the clone repo into st with limits from opts (its Commit
// is set by each sync).
func New(st *store.Store, repo *gitrepo.Repo, opts ingest.Options, log *slog.Logger) *Syncer {
	return &Syncer{store: st, repo: repo, opts: opts, log: log, kick: make(chan struct{}, 1)}
}

// AfterIngest makes fn run after each sync that ingested a new commit, still under the sync
// lock (the rebase of open drafts onto it, say). Call it before Run or Sync. An error of fn
// makes the sync fail (state error, logged) although the commit stays ingested.
func (s *Syncer) AfterIngest(fn func(ctx context.Context, commit string, generation int64) error) {
	s.afterIngest = fn
}

// Repo is the clone the Syncer keeps: the one Repo of the process, whose operations (sync,
// submit) take turns.
func (s *Syncer) Repo() *gitrepo.Repo { return s.repo }

// RefName is the full name of the followed reference ("refs/heads/main").
func (s *Syncer) RefName() string { return s.repo.Remote().RefName().String() }

// Outcome is what one Sync did.
type Outcome struct {
	// Skipped reports that another replica held the sync lock; it syncs instead.
	Skipped bool
	// Commit is the remote's commit now served.
	Commit string
	// Ingested reports whether the commit was new and was ingested (as Generation).
	Ingested   bool
	Generation int64
}

// Sync fetches the followed ref and ingests its commit unless that commit is already the last
// one ingested, when this replica gets the sync lock; otherwise it does nothing and says so.
// Every attempt is recorded in sync_state; a failed one leaves the ontology as it was, with
// the reason in sync_state and in one log line. A sync asked for (Trigger, on any replica)
// while it ran is run after it.
func (s *Syncer) Sync(ctx context.Context) (Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last Outcome
	for {
		unlock, err := s.store.TryLockSync(ctx)
		if errors.Is(err, store.ErrSyncBusy) {
			if last.Commit != "" {
				return last, nil
			}
			return Outcome{Skipped: true}, nil
		}
		if err != nil {
			return Outcome{}, s.fail(ctx, err)
		}
		started, outcome, err := s.syncLocked(ctx)
		unlock()
		if err != nil {
			return Outcome{}, err
		}
		last = outcome
		// Asked after unlocking: a request made while this sync held the lock was either seen
		// here or made by a replica that then got the lock itself.
		again, err := s.store.SyncRequestedSince(ctx, started)
		if err != nil || !again {
			return last, nil
		}
	}
}

// syncLocked is one sync under the lock; it returns when the attempt started.
func (s *Syncer) syncLocked(ctx context.Context) (time.Time, Outcome, error) {
	started, err := s.store.StartSync(ctx)
	if err != nil {
		return time.Time{}, Outcome{}, s.fail(ctx, err)
	}
	begun := time.Now() // the local clock: started is the database's
	outcome, err := s.fetchAndIngest(ctx)
	metrics.ObserveIngest(metrics.SourceSync, begun, err)
	if err != nil {
		return started, Outcome{}, s.fail(ctx, err)
	}
	if err := s.store.FinishSync(ctx, ""); err != nil {
		return started, Outcome{}, s.fail(ctx, err)
	}
	s.log.Info("synced with the schema repository", "remote", s.repo.Remote().Redacted(), "ref", s.repo.Remote().Ref,
		"commit", outcome.Commit, "ingested", outcome.Ingested, "generation", outcome.Generation)
	return started, outcome, nil
}

func (s *Syncer) fetchAndIngest(ctx context.Context) (Outcome, error) {
	commit, err := s.repo.Update(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if err := s.store.RecordRemoteCommit(ctx, commit); err != nil {
		return Outcome{}, err
	}
	status, err := s.store.SyncStatus(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if status.CommitSHA != nil && *status.CommitSHA == commit {
		return Outcome{Commit: commit, Generation: status.Generation}, nil
	}
	opts := s.opts
	opts.Commit = commit
	result, err := ingest.Run(ctx, s.store, s.repo.Dir(), opts, io.Discard)
	if err != nil {
		return Outcome{}, fmt.Errorf("commit %s: %w", commit, err)
	}
	if s.afterIngest != nil {
		if err := s.afterIngest(ctx, commit, result.Generation); err != nil {
			return Outcome{}, fmt.Errorf("after ingesting commit %s: %w", commit, err)
		}
	}
	return Outcome{Commit: commit, Ingested: true, Generation: result.Generation}, nil
}

// fail records a failed sync and logs it in one line; the recorded text and the returned error
// carry no credentials.
func (s *Syncer) fail(ctx context.Context, err error) error {
	msg := s.repo.Remote().Scrub(err.Error())
	if ctx.Err() != nil {
		// Shutting down (or the caller gave up): not the repository's fault, nothing to record.
		s.log.Info("sync interrupted", "remote", s.repo.Remote().Redacted(), "error", msg)
		return &syncError{msg: msg, cause: err}
	}
	// A deadline of the attempt's own must not stop the recording of its failure.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if recErr := s.store.FinishSync(recordCtx, msg); recErr != nil {
		s.log.Warn("sync failure not recorded", "error", s.repo.Remote().Scrub(recErr.Error()))
	}
	s.log.Error("sync with the schema repository failed; the served ontology is unchanged",
		"remote", s.repo.Remote().Redacted(), "ref", s.repo.Remote().Ref, "error", msg)
	return &syncError{msg: msg, cause: err}
}

// syncError is a failed sync's error: its text scrubbed, its cause kept for errors.Is.
type syncError struct {
	msg   string
	cause error
}

func (e *syncError) Error() string { return "sync: " + e.msg }
func (e *syncError) Unwrap() error { return e.cause }

// Trigger asks for a sync: it is recorded in the database, so the replica holding the sync lock
// sees it, and this replica's Run is woken to try. It returns once the request is recorded.
func (s *Syncer) Trigger(ctx context.Context) error {
	if err := s.store.RequestSync(ctx); err != nil {
		return err
	}
	select {
	case s.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// Run syncs at once, then every interval (never when it is 0) and whenever Trigger is called,
// until ctx is done. Failures are recorded and logged by Sync; Run goes on.
func (s *Syncer) Run(ctx context.Context, interval time.Duration) {
	var tick <-chan time.Time
	if interval > 0 {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		if _, err := s.Sync(ctx); err != nil && ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-s.kick:
		}
	}
}

// States of GET /api/v1/sync.
const (
	StateOff     = "off"
	StateSyncing = "syncing"
	StateError   = "error"
	StateBehind  = "behind"
	StateSynced  = "synced"
)

// State names where a deployment stands: off when it follows no repository; syncing while a
// replica holds the sync lock; error when the last attempt failed; behind when the remote's
// commit is not the one served or a sync was asked for since the last one ended; else synced.
func State(configured bool, st store.SyncStatus) string {
	switch {
	case !configured:
		return StateOff
	case st.Syncing:
		return StateSyncing
	case st.LastError != nil:
		return StateError
	case st.RemoteCommitSHA == nil || st.CommitSHA == nil || *st.RemoteCommitSHA != *st.CommitSHA:
		return StateBehind
	case st.RequestedAt != nil && (st.FinishedAt == nil || st.RequestedAt.After(*st.FinishedAt)):
		return StateBehind
	}
	return StateSynced
}
