package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ErrConflict is returned when a change is not allowed in the row's current state. The error
// returned alongside it is a *DraftConflictError that says why.
var ErrConflict = errors.New("conflict")

// Values of Draft.Status (the draft_status enum).
const (
	// DraftPending is the status of a new draft.
	DraftPending = "pending"
	// DraftValidated is the status after pending.
	DraftValidated = "validated"
	// DraftSubmitted is the last status a client may set; a submitted draft cannot change.
	DraftSubmitted = "submitted"
	// DraftExpired is set by SweepDrafts only.
	DraftExpired = "expired"
)

// Draft is a draft change proposal as clients see it. The capability hash is deliberately not
// part of it, so no caller can hand it out by accident.
type Draft struct {
	ID            uuid.UUID
	Status        string
	Payload       json.RawMessage
	SourceWiki    *string
	BaseCommitSHA *string
	ExpiresAt     time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// NewDraft is what CreateDraft stores.
type NewDraft struct {
	// CapabilityHash is the hex SHA-256 of the capability token; the token itself never reaches
	// the store.
	CapabilityHash string
	// Payload is a JSON object.
	Payload       json.RawMessage
	SourceWiki    *string
	BaseCommitSHA *string
	// TTL is how long the draft lives. expires_at is computed by the database from its own clock,
	// the same clock every access checks expiry against.
	TTL time.Duration
}

// OptionalString is a field of a change that may be left alone, set, or cleared.
type OptionalString struct {
	// Set reports whether the field changes at all.
	Set bool
	// Value is the new value; nil clears the field.
	Value *string
}

// DraftChange is a change to a draft with replace semantics per field.
type DraftChange struct {
	// Payload replaces the whole payload; nil leaves it.
	Payload       json.RawMessage
	SourceWiki    OptionalString
	BaseCommitSHA OptionalString
	// Status is the next status; "" leaves it.
	Status string
}

// touchesContent reports whether the change sets any field other than the status.
func (c DraftChange) touchesContent() bool {
	return c.Payload != nil || c.SourceWiki.Set || c.BaseCommitSHA.Set
}

// DraftConflictError says why a change to a draft is not allowed. It matches ErrConflict.
type DraftConflictError struct {
	// Reason is safe to show to the client: it holds statuses, never the token or its hash.
	Reason string
}

// Error returns the reason, prefixed with where it comes from.
func (e *DraftConflictError) Error() string { return "store: draft conflict: " + e.Reason }

// Is makes errors.Is(err, ErrConflict) hold.
func (e *DraftConflictError) Is(target error) bool { return target == ErrConflict }

// liveDraft is the condition a draft must meet to be reachable by its token: not withdrawn, not
// expired by the database's clock, and not marked expired by a sweep (whose clock may run ahead).
const liveDraft = `deleted_at IS NULL AND expires_at > now() AND status <> 'expired'`

// draftColumns are the columns scanned by scanDraft, in order.
const draftColumns = `id, status::text, payload, source_wiki, base_commit_sha, expires_at, created_at, updated_at`

func scanDraft(row pgx.CollectableRow) (Draft, error) {
	var d Draft
	var payload []byte
	err := row.Scan(&d.ID, &d.Status, &payload, &d.SourceWiki, &d.BaseCommitSHA,
		&d.ExpiresAt, &d.CreatedAt, &d.UpdatedAt)
	d.Payload = json.RawMessage(payload)
	return d, err
}

// CreateDraft stores a new pending draft and returns it.
func (s *Store) CreateDraft(ctx context.Context, nd NewDraft) (Draft, error) {
	// The TTL travels as whole microseconds, Postgres's timestamp resolution, so the interval is
	// exact rather than a float of seconds.
	const q = `
		INSERT INTO drafts (capability_hash, payload, source_wiki, base_commit_sha, expires_at)
		VALUES ($1, $2::json, $3, $4, now() + $5 * INTERVAL '1 microsecond')
		RETURNING ` + draftColumns
	rows, _ := s.pool.Query(ctx, q, nd.CapabilityHash, string(nd.Payload), nd.SourceWiki, nd.BaseCommitSHA,
		nd.TTL.Microseconds())
	d, err := pgx.CollectOneRow(rows, scanDraft)
	if err != nil {
		return Draft{}, fmt.Errorf("store: create draft: %w", err)
	}
	return d, nil
}

// DraftByHash returns the live draft whose capability token hashes to capabilityHash. Withdrawn
// and expired drafts are ErrNotFound, like unknown ones; expiry is checked against the
// database's clock on every call, so a draft is unreachable the moment it expires.
func (s *Store) DraftByHash(ctx context.Context, capabilityHash string) (Draft, error) {
	const q = `
		SELECT ` + draftColumns + `
		FROM drafts
		WHERE capability_hash = $1
		  AND ` + liveDraft
	d, err := queryOne(ctx, s, scanDraft, q, capabilityHash)
	if err != nil {
		return Draft{}, fmt.Errorf("store: draft by hash: %w", err)
	}
	return d, nil
}

// UpdateDraft applies change to the live draft whose token hashes to capabilityHash and returns
// the result. The status moves at most one step along pending → validated → submitted; setting
// the current status again is a no-op. Any other move, and any change to a submitted draft, is a
// *DraftConflictError. expires_at never moves. The row is locked while the transition is checked,
// so concurrent changes cannot both pass the check against the same old status.
func (s *Store) UpdateDraft(ctx context.Context, capabilityHash string, change DraftChange) (Draft, error) {
	var updated Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		const lock = `
			SELECT id, status::text
			FROM drafts
			WHERE capability_hash = $1
			  AND ` + liveDraft + `
			FOR UPDATE`
		var id uuid.UUID
		var current string
		if err := tx.QueryRow(ctx, lock, capabilityHash).Scan(&id, &current); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if err := checkDraftChange(current, change); err != nil {
			return err
		}

		// updated_at moves only when something actually changed: a no-op PATCH is not a change.
		const update = `
			WITH next AS (
				SELECT
					COALESCE($2::json, payload) AS payload,
					CASE WHEN $3 THEN $4 ELSE source_wiki END AS source_wiki,
					CASE WHEN $5 THEN $6 ELSE base_commit_sha END AS base_commit_sha,
					COALESCE($7::text::draft_status, status) AS status
				FROM drafts
				WHERE id = $1
			)
			UPDATE drafts d
			SET payload = next.payload,
			    source_wiki = next.source_wiki,
			    base_commit_sha = next.base_commit_sha,
			    status = next.status,
			    updated_at = CASE
			        WHEN (d.payload::text, d.source_wiki, d.base_commit_sha, d.status)
			             IS DISTINCT FROM (next.payload::text, next.source_wiki, next.base_commit_sha, next.status)
			        THEN now()
			        ELSE d.updated_at
			    END
			FROM next
			WHERE d.id = $1
			RETURNING d.id, d.status::text, d.payload, d.source_wiki, d.base_commit_sha,
			          d.expires_at, d.created_at, d.updated_at`
		rows, _ := tx.Query(ctx, update, id,
			nullableText(change.Payload),
			change.SourceWiki.Set, change.SourceWiki.Value,
			change.BaseCommitSHA.Set, change.BaseCommitSHA.Value,
			nullableStatus(change.Status))
		d, err := pgx.CollectOneRow(rows, scanDraft)
		if err != nil {
			return err
		}
		updated = d
		return nil
	})
	if err != nil {
		return Draft{}, fmt.Errorf("store: update draft: %w", err)
	}
	return updated, nil
}

// checkDraftChange enforces the draft state machine on a change to a draft in status current.
func checkDraftChange(current string, change DraftChange) error {
	if current == DraftSubmitted && (change.touchesContent() || change.Status != "" && change.Status != current) {
		return &DraftConflictError{Reason: "a submitted draft cannot be changed"}
	}
	if change.Status == "" || change.Status == current {
		return nil
	}
	if next, ok := nextDraftStatus[current]; !ok || next != change.Status {
		return &DraftConflictError{Reason: fmt.Sprintf("status cannot change from %s to %s", current, change.Status)}
	}
	return nil
}

// nextDraftStatus is the one status each status may move to.
var nextDraftStatus = map[string]string{
	DraftPending:   DraftValidated,
	DraftValidated: DraftSubmitted,
}

// nullableText turns an absent JSON value into SQL NULL.
func nullableText(raw json.RawMessage) *string {
	if raw == nil {
		return nil
	}
	s := string(raw)
	return &s
}

func nullableStatus(status string) *string {
	if status == "" {
		return nil
	}
	return &status
}

// DeleteDraft withdraws the live draft whose token hashes to capabilityHash (a soft delete: the
// row stays until SweepDrafts purges it). An unknown, expired or already withdrawn draft is
// ErrNotFound.
func (s *Store) DeleteDraft(ctx context.Context, capabilityHash string) error {
	const q = `
		UPDATE drafts
		SET deleted_at = now(),
		    updated_at = now()
		WHERE capability_hash = $1
		  AND ` + liveDraft
	tag, err := s.pool.Exec(ctx, q, capabilityHash)
	if err != nil {
		return fmt.Errorf("store: delete draft: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: delete draft: %w", ErrNotFound)
	}
	return nil
}

// SweepDrafts tidies the drafts table as of now. It hard-deletes (purges) drafts that expired
// more than retention before now, and drafts withdrawn more than retention before now: a
// withdrawn draft is unreachable like an expired one and is kept just as long, for the same
// reason (a window in which an operator can still look at it). Then it sets status 'expired' on
// the remaining drafts whose expires_at has passed. Expiry itself does not wait for the sweep:
// every read checks expires_at. It returns how many drafts it marked expired and purged.
func (s *Store) SweepDrafts(ctx context.Context, now time.Time, retention time.Duration) (expired, purged int64, err error) {
	cutoff := now.Add(-retention)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		const purge = `
			DELETE FROM drafts
			WHERE expires_at < $1
			   OR deleted_at < $1`
		tag, err := tx.Exec(ctx, purge, cutoff)
		if err != nil {
			return err
		}
		purged = tag.RowsAffected()

		const mark = `
			UPDATE drafts
			SET status = 'expired',
			    updated_at = $1
			WHERE expires_at <= $1
			  AND status <> 'expired'`
		tag, err = tx.Exec(ctx, mark, now)
		if err != nil {
			return err
		}
		expired = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: sweep drafts: %w", err)
	}
	return expired, purged, nil
}

// DraftExists reports whether a live draft's token hashes to capabilityHash: the cheap check that
// lets a request to an unknown draft be answered before its body is read.
func (s *Store) DraftExists(ctx context.Context, capabilityHash string) (bool, error) {
	const q = `
		SELECT EXISTS (
			SELECT 1
			FROM drafts
			WHERE capability_hash = $1
			  AND ` + liveDraft + `
		)`
	var exists bool
	if err := s.pool.QueryRow(ctx, q, capabilityHash).Scan(&exists); err != nil {
		return false, fmt.Errorf("store: draft exists: %w", err)
	}
	return exists, nil
}
