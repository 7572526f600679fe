package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// syncLockKey is the session advisory lock the replica that syncs with the schema repository
// holds: "ontysync" in ASCII. Both 32-bit halves are below 2^31, as pg_locks shows them as oids.
const syncLockKey int64 = 0x6f6e7479_73796e63

// ErrSyncBusy is TryLockSync's answer when another session holds the sync lock.
var ErrSyncBusy = errors.New("store: another replica is syncing")

// TryLockSync takes the sync lock on a pooled connection of its own, without waiting: with
// several replicas only one syncs at a time, the others skip. The lock is a session lock, so it
// ends with the connection if the replica dies. unlock gives it back; a connection whose unlock
// fails is closed rather than returned to the pool still holding the lock.
func (s *Store) TryLockSync(ctx context.Context) (unlock func(), err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: sync lock: %w", err)
	}
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", syncLockKey).Scan(&locked); err != nil {
		conn.Release()
		return nil, fmt.Errorf("store: sync lock: %w", err)
	}
	if !locked {
		conn.Release()
		return nil, ErrSyncBusy
	}
	return func() {
		// The caller's context may be done by now; unlocking must still happen.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", syncLockKey); err != nil {
			_ = conn.Hijack().Close(ctx)
			return
		}
		conn.Release()
	}, nil
}

// syncStateRow creates the one sync_state row the first time it is written.
const syncStateRow = `INSERT INTO sync_state (id) VALUES (true) ON CONFLICT (id) DO NOTHING`

// updateSyncState runs one UPDATE of the sync_state row, creating the row first if needed.
func (s *Store) updateSyncState(ctx context.Context, op, update string, args ...any) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, syncStateRow); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, update, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// RequestSync records that a sync was asked for now (a webhook, say). The replica holding the
// sync lock runs one more sync when it sees a request newer than the start of its last one.
func (s *Store) RequestSync(ctx context.Context) error {
	return s.updateSyncState(ctx, "request sync", `
		UPDATE sync_state
		SET requested_at = clock_timestamp()`)
}

// StartSync records that a sync starts now and returns that time.
func (s *Store) StartSync(ctx context.Context) (time.Time, error) {
	var started time.Time
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, syncStateRow); err != nil {
			return err
		}
		const q = `
			UPDATE sync_state
			SET attempted_at = clock_timestamp()
			RETURNING attempted_at`
		return tx.QueryRow(ctx, q).Scan(&started)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: start sync: %w", err)
	}
	return started, nil
}

// RecordRemoteCommit records the commit the remote's followed ref points at.
func (s *Store) RecordRemoteCommit(ctx context.Context, sha string) error {
	return s.updateSyncState(ctx, "record remote commit", `
		UPDATE sync_state
		SET remote_commit_sha = $1`, sha)
}

// FinishSync records the end of a sync: failed with syncErr (already free of secrets), or
// succeeded when it is "".
func (s *Store) FinishSync(ctx context.Context, syncErr string) error {
	return s.updateSyncState(ctx, "finish sync", `
		UPDATE sync_state
		SET finished_at = clock_timestamp(),
			last_error = nullif($1, ''),
			succeeded_at = CASE WHEN $1 = '' THEN clock_timestamp() ELSE succeeded_at END`, syncErr)
}

// SyncRequestedSince reports whether a sync was asked for after t.
func (s *Store) SyncRequestedSince(ctx context.Context, t time.Time) (bool, error) {
	var requested bool
	const q = `SELECT EXISTS (SELECT 1 FROM sync_state WHERE requested_at > $1)`
	if err := s.pool.QueryRow(ctx, q, t).Scan(&requested); err != nil {
		return false, fmt.Errorf("store: sync requested: %w", err)
	}
	return requested, nil
}

// SyncStatus is where following the schema repository stands, the same on every replica.
type SyncStatus struct {
	// Syncing reports whether some replica holds the sync lock now.
	Syncing         bool
	RemoteCommitSHA *string
	LastError       *string
	AttemptedAt     *time.Time
	FinishedAt      *time.Time
	SucceededAt     *time.Time
	RequestedAt     *time.Time

	// Generation is the last ingest's (0 when nothing was ever ingested); CommitSHA,
	// IngestedAt and Summary are that ingest's.
	Generation int64
	CommitSHA  *string
	IngestedAt *time.Time
	Summary    IngestSummary
	// Findings counts the last ingest's validation findings by severity and by code.
	Findings FindingCounts
}

// FindingCounts summarizes a list of validation findings.
type FindingCounts struct {
	Errors   int
	Warnings int
	ByCode   map[string]int
}

const syncStatusSQL = `
SELECT
	EXISTS (
		SELECT 1
		FROM pg_locks
		WHERE locktype = 'advisory'
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid::bigint = $1
			AND objid::bigint = $2
			AND objsubid = 1
			AND granted
	),
	st.remote_commit_sha, st.last_error, st.attempted_at, st.finished_at, st.succeeded_at, st.requested_at,
	coalesce(i.generation, 0), i.commit_sha, i.ingested_at, coalesce(i.summary, '{}'),
	coalesce(f.by_code, '{}')
FROM (SELECT 1) AS one
LEFT JOIN sync_state st ON true
LEFT JOIN LATERAL (
	SELECT generation, commit_sha, ingested_at, summary, findings
	FROM ingests
	ORDER BY generation DESC
	LIMIT 1
) i ON true
LEFT JOIN LATERAL (
	SELECT jsonb_object_agg(key, n) AS by_code
	FROM (
		SELECT (f->>'severity') || '/' || (f->>'code') AS key, count(*) AS n
		FROM jsonb_array_elements(i.findings) f
		GROUP BY 1
	) c
) f ON true`

// SyncStatus reads the sync state, the last ingest and a summary of its findings in one query.
func (s *Store) SyncStatus(ctx context.Context) (SyncStatus, error) {
	var st SyncStatus
	var summary, byCode []byte
	err := s.pool.QueryRow(ctx, syncStatusSQL, syncLockKey>>32, syncLockKey&0xffffffff).Scan(
		&st.Syncing, &st.RemoteCommitSHA, &st.LastError, &st.AttemptedAt, &st.FinishedAt, &st.SucceededAt, &st.RequestedAt,
		&st.Generation, &st.CommitSHA, &st.IngestedAt, &summary, &byCode)
	if err != nil {
		return SyncStatus{}, fmt.Errorf("store: sync status: %w", err)
	}
	if err := json.Unmarshal(summary, &st.Summary); err != nil {
		return SyncStatus{}, fmt.Errorf("store: sync status: summary: %w", err)
	}
	var counts map[string]int
	if err := json.Unmarshal(byCode, &counts); err != nil {
		return SyncStatus{}, fmt.Errorf("store: sync status: findings: %w", err)
	}
	st.Findings = FindingCounts{ByCode: map[string]int{}}
	for key, n := range counts {
		severity, code, _ := strings.Cut(key, "/")
		switch severity {
		case "error":
			st.Findings.Errors += n
		case "warning":
			st.Findings.Warnings += n
		}
		st.Findings.ByCode[code] += n
	}
	return st, nil
}
