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
	// DraftPending is the status of a new draft and of one whose change set changed since it
	// was last validated.
	DraftPending = "pending"
	// DraftValidated is set only by MarkValidated: the change set of revision ValidatedRevision
	// passed validation with no error.
	DraftValidated = "validated"
	// DraftSubmitted is set when the draft was submitted; a submitted draft cannot change.
	DraftSubmitted = "submitted"
	// DraftExpired is set by SweepDrafts only.
	DraftExpired = "expired"
)

// Draft is a draft change proposal as clients see it. The capability hash is deliberately not
// part of it, so no caller can hand it out by accident.
type Draft struct {
	ID             uuid.UUID
	Status         string
	Title          *string
	Description    *string
	Payload        json.RawMessage
	SourceWiki     *string
	BaseCommitSHA  *string
	BaseGeneration int64
	// Revision counts the edits of the change set.
	Revision int64
	// ChangeCount is the number of changes in the change set.
	ChangeCount int
	// ValidatedRevision is the revision the last validation without errors checked.
	ValidatedRevision *int64
	// Submission is where the draft was submitted; nil until it is.
	Submission *Submission
	// LastValidation is the report of the last validation (JSON), nil before any; it checked
	// revision LastValidationRevision at LastValidationAt.
	LastValidation         json.RawMessage
	LastValidationRevision *int64
	LastValidationAt       *time.Time
	ExpiresAt              time.Time
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Change types of a draft change (the draft_change_type enum).
const (
	ChangeCreate = "create"
	ChangeUpdate = "update"
	ChangeDelete = "delete"
)

// Change is one change of a draft's change set: the entity as the draft makes it.
type Change struct {
	ID         uuid.UUID
	ChangeType string
	EntityType string
	EntityID   string
	// Entity is the whole entity after the change (JSON, key order kept); nil for a delete.
	Entity json.RawMessage
	// Patch holds the RFC 6902 operations the updates were sent as (a JSON array); nil for a
	// create or delete.
	Patch json.RawMessage
	// BaseGeneration is the canonical entity's changed_generation when the change was first
	// made; nil when the entity did not exist.
	BaseGeneration *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NewDraft is what CreateDraft stores.
type NewDraft struct {
	// CapabilityHash is the hex SHA-256 of the capability token; the token itself never reaches
	// the store.
	CapabilityHash string
	Title          *string
	Description    *string
	// Payload is a JSON object, or nil for {}.
	Payload        json.RawMessage
	SourceWiki     *string
	BaseCommitSHA  *string
	BaseGeneration int64
	// Changes are the initial change set (Change.ID is ignored).
	Changes []Change
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

// DraftUpdate is a PATCH of a draft's details with replace semantics per field.
type DraftUpdate struct {
	Title       OptionalString
	Description OptionalString
	// Payload replaces the whole payload; nil leaves it.
	Payload    json.RawMessage
	SourceWiki OptionalString
	// BaseCommitSHA is deprecated: only the current value is accepted.
	BaseCommitSHA OptionalString
	// Status is the requested status; "" leaves it. Only pending may be set.
	Status string
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
const draftColumns = `id, status::text, title, description, payload::text, source_wiki, base_commit_sha,
	base_generation, revision,
	(SELECT count(*) FROM draft_changes c WHERE c.draft_id = drafts.id)::int,
	validated_revision, submitted_branch, submitted_commit_sha, pull_request_url,
	last_validation::text, last_validation_revision, last_validation_at,
	expires_at, created_at, updated_at`

func scanDraft(row pgx.CollectableRow) (Draft, error) {
	var d Draft
	var payload string
	var branch, commit *string
	var pullRequest, lastValidation *string
	err := row.Scan(&d.ID, &d.Status, &d.Title, &d.Description, &payload, &d.SourceWiki, &d.BaseCommitSHA,
		&d.BaseGeneration, &d.Revision, &d.ChangeCount, &d.ValidatedRevision, &branch, &commit, &pullRequest,
		&lastValidation, &d.LastValidationRevision, &d.LastValidationAt,
		&d.ExpiresAt, &d.CreatedAt, &d.UpdatedAt)
	d.Payload = json.RawMessage(payload)
	if lastValidation != nil {
		d.LastValidation = json.RawMessage(*lastValidation)
	}
	if branch != nil && commit != nil {
		d.Submission = &Submission{Branch: *branch, CommitSHA: *commit, PullRequestURL: pullRequest}
	}
	return d, err
}

// changeColumns are the columns scanned by scanChange, in order.
const changeColumns = `id, change_type::text, entity_type::text, entity_id, entity::text, patch::text,
	base_generation, created_at, updated_at`

func scanChange(row pgx.CollectableRow) (Change, error) {
	var c Change
	var entity, patch *string
	err := row.Scan(&c.ID, &c.ChangeType, &c.EntityType, &c.EntityID, &entity, &patch, &c.BaseGeneration,
		&c.CreatedAt, &c.UpdatedAt)
	if entity != nil {
		c.Entity = json.RawMessage(*entity)
	}
	if patch != nil {
		c.Patch = json.RawMessage(*patch)
	}
	return c, err
}

// CreateDraft stores a new pending draft with its initial change set in one transaction and
// returns it.
func (s *Store) CreateDraft(ctx context.Context, nd NewDraft) (Draft, error) {
	payload := nd.Payload
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	var d Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The TTL travels as whole microseconds, Postgres's timestamp resolution, so the
		// interval is exact rather than a float of seconds.
		const q = `
			INSERT INTO drafts (capability_hash, title, description, payload, source_wiki, base_commit_sha,
				base_generation, revision, expires_at)
			VALUES ($1, $2, $3, $4::json, $5, $6, $7, $8, now() + $9 * INTERVAL '1 microsecond')
			RETURNING id`
		var id uuid.UUID
		if err := tx.QueryRow(ctx, q, nd.CapabilityHash, nd.Title, nd.Description, string(payload), nd.SourceWiki,
			nd.BaseCommitSHA, nd.BaseGeneration, len(nd.Changes), nd.TTL.Microseconds()).Scan(&id); err != nil {
			return err
		}
		for _, c := range nd.Changes {
			if err := putChange(ctx, tx, id, c); err != nil {
				return err
			}
		}
		var err error
		d, err = draftByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return Draft{}, fmt.Errorf("store: create draft: %w", err)
	}
	return d, nil
}

// lockDraft reads the live draft of capabilityHash and locks its row until tx ends, so that
// checks of its state and the change that follows cannot interleave with another change.
func lockDraft(ctx context.Context, tx pgx.Tx, capabilityHash string) (Draft, error) {
	rows, _ := tx.Query(ctx, `SELECT `+draftColumns+` FROM drafts WHERE capability_hash = $1 AND `+liveDraft+` FOR UPDATE`, capabilityHash)
	d, err := pgx.CollectOneRow(rows, scanDraft)
	if errors.Is(err, pgx.ErrNoRows) {
		return Draft{}, ErrNotFound
	}
	return d, err
}

func draftByID(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Draft, error) {
	rows, _ := tx.Query(ctx, `SELECT `+draftColumns+` FROM drafts WHERE id = $1`, id)
	return pgx.CollectOneRow(rows, scanDraft)
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

// DraftWithChanges returns the live draft of capabilityHash and its change set, read in one
// snapshot of the database so the two agree.
func (s *Store) DraftWithChanges(ctx context.Context, capabilityHash string) (Draft, []Change, error) {
	return s.draftWithChanges(ctx, capabilityHash, changeColumns)
}

// DraftWithChangeKeys is DraftWithChanges without the entities and patches: which entities the
// draft changes and against which generation, all a rebase status needs.
func (s *Store) DraftWithChangeKeys(ctx context.Context, capabilityHash string) (Draft, []Change, error) {
	return s.draftWithChanges(ctx, capabilityHash, changeKeyColumns)
}

func (s *Store) draftWithChanges(ctx context.Context, capabilityHash, columns string) (Draft, []Change, error) {
	var d Draft
	var changes []Change
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+draftColumns+` FROM drafts WHERE capability_hash = $1 AND `+liveDraft, capabilityHash)
		var err error
		if d, err = pgx.CollectOneRow(rows, scanDraft); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT `+columns+` FROM draft_changes WHERE draft_id = $1
			ORDER BY entity_type, entity_id COLLATE "C"`, d.ID)
		changes, err = pgx.CollectRows(rows, scanChange)
		return err
	})
	if err != nil {
		return Draft{}, nil, fmt.Errorf("store: draft with changes: %w", err)
	}
	return d, changes, nil
}

// draftChanges lists a draft's change set ordered by entity type (enum order) and id.
func draftChanges(ctx context.Context, tx pgx.Tx, draftID uuid.UUID) ([]Change, error) {
	rows, _ := tx.Query(ctx, `SELECT `+changeColumns+` FROM draft_changes WHERE draft_id = $1
		ORDER BY entity_type, entity_id COLLATE "C"`, draftID)
	return pgx.CollectRows(rows, scanChange)
}

// changeKeyColumns are changeColumns without the entity and the patch.
const changeKeyColumns = `id, change_type::text, entity_type::text, entity_id, NULL::text, NULL::text,
	base_generation, created_at, updated_at`

// ChangeSetEdit is what an edit of a change set does: store one change (insert, or replace the
// change of the same entity), or remove one.
type ChangeSetEdit struct {
	// Put is stored when set, replacing the change of the same entity if there is one.
	Put *Change
	// Remove is the id of a change to remove (uuid.Nil for none).
	Remove uuid.UUID
}

// EditChanges changes the change set of the live draft of capabilityHash. It locks the draft,
// reads its change set and hands both to edit, which decides (or returns an error, passed back
// unchanged, and nothing is written). Any edit bumps the draft's revision and moves a validated
// draft back to pending; a submitted draft is a *DraftConflictError. It returns the change
// stored (nil when edit removed one).
func (s *Store) EditChanges(ctx context.Context, capabilityHash string, edit func(Draft, []Change) (ChangeSetEdit, error)) (*Change, error) {
	var stored *Change
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := lockDraft(ctx, tx, capabilityHash)
		if err != nil {
			return err
		}
		if d.Status == DraftSubmitted {
			return &DraftConflictError{Reason: "a submitted draft cannot be changed"}
		}
		changes, err := draftChanges(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		e, err := edit(d, changes)
		if err != nil {
			return err
		}
		if e.Remove != uuid.Nil {
			tag, err := tx.Exec(ctx, `DELETE FROM draft_changes WHERE draft_id = $1 AND id = $2`, d.ID, e.Remove)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return ErrNotFound
			}
		}
		if e.Put != nil {
			if err := putChange(ctx, tx, d.ID, *e.Put); err != nil {
				return err
			}
			rows, _ := tx.Query(ctx, `SELECT `+changeColumns+` FROM draft_changes
				WHERE draft_id = $1 AND entity_type = $2 AND entity_id = $3`, d.ID, e.Put.EntityType, e.Put.EntityID)
			c, err := pgx.CollectOneRow(rows, scanChange)
			if err != nil {
				return err
			}
			stored = &c
		}
		const bump = `
			UPDATE drafts
			SET revision = revision + 1,
			    status = 'pending',
			    validated_revision = NULL,
			    updated_at = now()
			WHERE id = $1`
		_, err = tx.Exec(ctx, bump, d.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: edit draft changes: %w", err)
	}
	return stored, nil
}

// putChange inserts a change, or replaces the draft's change of the same entity (keeping its id
// and created_at).
func putChange(ctx context.Context, tx pgx.Tx, draftID uuid.UUID, c Change) error {
	const q = `
		INSERT INTO draft_changes (draft_id, change_type, entity_type, entity_id, entity, patch, base_generation)
		VALUES ($1, $2::draft_change_type, $3::entity_type, $4, $5::json, $6::json, $7)
		ON CONFLICT (draft_id, entity_type, entity_id) DO UPDATE
		SET change_type = EXCLUDED.change_type,
		    entity = EXCLUDED.entity,
		    patch = EXCLUDED.patch,
		    base_generation = EXCLUDED.base_generation,
		    updated_at = now()`
	_, err := tx.Exec(ctx, q, draftID, c.ChangeType, c.EntityType, c.EntityID, nullableText(c.Entity), nullableText(c.Patch), c.BaseGeneration)
	return err
}

// MarkValidated records a validation without errors of the draft's change set at revision: the
// draft becomes validated unless its change set moved on meanwhile or it was submitted. It
// returns the status the draft has afterwards.
func (s *Store) MarkValidated(ctx context.Context, draftID uuid.UUID, revision int64) (string, error) {
	const q = `
		UPDATE drafts
		SET status = CASE WHEN status = 'pending' AND revision = $2 THEN 'validated'::draft_status ELSE status END,
		    validated_revision = CASE WHEN status IN ('pending', 'validated') AND revision = $2 THEN $2 ELSE validated_revision END,
		    updated_at = CASE WHEN status = 'pending' AND revision = $2 THEN now() ELSE updated_at END
		WHERE id = $1
		  AND ` + liveDraft + `
		RETURNING status::text`
	var status string
	if err := s.pool.QueryRow(ctx, q, draftID, revision).Scan(&status); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("store: mark validated: %w", ErrNotFound)
		}
		return "", fmt.Errorf("store: mark validated: %w", err)
	}
	return status, nil
}

// SaveValidation keeps the report of a validation of the draft's change set at revision, so
// that the draft shows its last validation; a report of an older revision than the one kept is
// not stored over it.
func (s *Store) SaveValidation(ctx context.Context, draftID uuid.UUID, revision int64, report json.RawMessage) error {
	const q = `
		UPDATE drafts
		SET last_validation = $3::json, last_validation_revision = $2, last_validation_at = now()
		WHERE id = $1
		  AND (last_validation_revision IS NULL OR last_validation_revision <= $2)`
	if _, err := s.pool.Exec(ctx, q, draftID, revision, string(report)); err != nil {
		return fmt.Errorf("store: save validation: %w", err)
	}
	return nil
}

// UpdateDraft applies a PATCH to the live draft whose token hashes to capabilityHash and returns
// the result. Only pending may be set as status (it takes back a validation); setting the
// current status again is a no-op; anything else, and any change to a submitted draft, is a
// *DraftConflictError. The base commit is the server's: only its current value is accepted.
// expires_at never moves. The row is locked while the change is checked.
func (s *Store) UpdateDraft(ctx context.Context, capabilityHash string, u DraftUpdate) (Draft, error) {
	var updated Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := lockDraft(ctx, tx, capabilityHash)
		if err != nil {
			return err
		}
		if err := checkDraftUpdate(d, u); err != nil {
			return err
		}
		// updated_at moves only when something actually changed: a no-op PATCH is not a change.
		const update = `
			WITH next AS (
				SELECT
					CASE WHEN $2 THEN $3 ELSE title END AS title,
					CASE WHEN $4 THEN $5 ELSE description END AS description,
					COALESCE($6::json, payload) AS payload,
					CASE WHEN $7 THEN $8 ELSE source_wiki END AS source_wiki,
					COALESCE($9::text::draft_status, status) AS status
				FROM drafts
				WHERE id = $1
			)
			UPDATE drafts d
			SET title = next.title,
			    description = next.description,
			    payload = next.payload,
			    source_wiki = next.source_wiki,
			    status = next.status,
			    validated_revision = CASE WHEN next.status = 'pending' THEN NULL ELSE d.validated_revision END,
			    updated_at = CASE
			        WHEN (d.title, d.description, d.payload::text, d.source_wiki, d.status)
			             IS DISTINCT FROM (next.title, next.description, next.payload::text, next.source_wiki, next.status)
			        THEN now()
			        ELSE d.updated_at
			    END
			FROM next
			WHERE d.id = $1`
		if _, err := tx.Exec(ctx, update, d.ID,
			u.Title.Set, u.Title.Value, u.Description.Set, u.Description.Value,
			nullableText(u.Payload), u.SourceWiki.Set, u.SourceWiki.Value, nullableStatus(u.Status)); err != nil {
			return err
		}
		updated, err = draftByID(ctx, tx, d.ID)
		return err
	})
	if err != nil {
		return Draft{}, fmt.Errorf("store: update draft: %w", err)
	}
	return updated, nil
}

// checkDraftUpdate enforces what a PATCH may do to draft d.
func checkDraftUpdate(d Draft, u DraftUpdate) error {
	if d.Status == DraftSubmitted {
		if u.Title.Set || u.Description.Set || u.Payload != nil || u.SourceWiki.Set || u.BaseCommitSHA.Set ||
			(u.Status != "" && u.Status != d.Status) {
			return &DraftConflictError{Reason: "a submitted draft cannot be changed"}
		}
		return nil
	}
	if u.BaseCommitSHA.Set && !sameString(u.BaseCommitSHA.Value, d.BaseCommitSHA) {
		return &DraftConflictError{Reason: "base_commit_sha is set by the server: the draft is based on the commit served when it was created, moved forward by each ingest that conflicts with none of its changes"}
	}
	switch {
	case u.Status == "" || u.Status == d.Status || u.Status == DraftPending:
		return nil
	case u.Status == DraftValidated:
		return &DraftConflictError{Reason: "status validated is set only by POST /api/v1/drafts/{token}/validate, when the change set has no error"}
	default:
		return &DraftConflictError{Reason: fmt.Sprintf("status cannot change from %s to %s by PATCH", d.Status, u.Status)}
	}
}

func sameString(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
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

// rebaseDrafts runs inside an ingest's transaction, after the entities of generation are
// written: every open draft none of whose changes conflicts with the new canonical ontology is
// moved onto the new commit. A change conflicts when the canonical entity's changed_generation
// is no longer the one the change was made against (changed, deleted or created upstream).
// Conflicted drafts keep their base; the conflicts themselves are computed when a draft is read.
func rebaseDrafts(ctx context.Context, tx pgx.Tx, generation int64) error {
	const q = `
		UPDATE drafts d
		SET base_generation = $1,
		    base_commit_sha = (SELECT commit_sha FROM ingests WHERE generation = $1)
		WHERE d.deleted_at IS NULL
		  AND d.status IN ('pending', 'validated')
		  AND d.base_generation <> $1
		  AND NOT EXISTS (
		      SELECT 1
		      FROM draft_changes c
		      LEFT JOIN entities e
		        ON e.entity_type = c.entity_type AND e.entity_id = c.entity_id AND e.deleted_at IS NULL
		      WHERE c.draft_id = d.id
		        AND c.base_generation IS DISTINCT FROM e.changed_generation
		  )`
	_, err := tx.Exec(ctx, q, generation)
	return err
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

// Submission is where a submitted draft went.
type Submission struct {
	Branch         string
	CommitSHA      string
	PullRequestURL *string
}

// MarkSubmitted records that the draft was submitted at revision: it must still be validated
// for that revision (no change slipped in since the caller checked it). A draft already
// submitted is a *DraftConflictError, so a change set is never submitted twice.
func (s *Store) MarkSubmitted(ctx context.Context, draftID uuid.UUID, revision int64, sub Submission) (Draft, error) {
	var d Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		var current int64
		var validated *int64
		const lock = `SELECT status::text, revision, validated_revision FROM drafts WHERE id = $1 AND ` + liveDraft + ` FOR UPDATE`
		if err := tx.QueryRow(ctx, lock, draftID).Scan(&status, &current, &validated); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		switch {
		case status == DraftSubmitted:
			return &DraftConflictError{Reason: "the draft was already submitted"}
		case status != DraftValidated || current != revision || validated == nil || *validated != revision:
			return &DraftConflictError{Reason: "the draft changed since it was validated; validate it again"}
		}
		const q = `
			UPDATE drafts
			SET status = 'submitted', submitted_branch = $2, submitted_commit_sha = $3, pull_request_url = $4,
			    submitted_at = now(), updated_at = now()
			WHERE id = $1`
		if _, err := tx.Exec(ctx, q, draftID, sub.Branch, sub.CommitSHA, sub.PullRequestURL); err != nil {
			return err
		}
		var err error
		d, err = draftByID(ctx, tx, draftID)
		return err
	})
	if err != nil {
		return Draft{}, fmt.Errorf("store: mark submitted: %w", err)
	}
	return d, nil
}
