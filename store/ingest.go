package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// EntityRecord is one entity file of a schema repository, ready to be written.
type EntityRecord struct {
	// EntityType is one of the eight kinds (the entity_type enum).
	EntityType string
	// EntityID is the id the file's path gives.
	EntityID string
	// FilePath is the file's path relative to the repository root.
	FilePath string
	// Label is the display name; callers fall back to EntityID when the file has none.
	Label string
	// Description is nil when the file has none.
	Description *string
	// Source is the file exactly as read; it must be one JSON object.
	Source []byte
	// ContentHash identifies the content regardless of formatting (see schema.hcl).
	ContentHash string
}

// Ingest is the complete content of a schema repository at one commit. Ingest makes the
// database match it.
type Ingest struct {
	Entities []EntityRecord
	// CommitSHA is the repository commit, nil when unknown.
	CommitSHA *string
	// RepoVersion is the repository's VERSION file, "" when it has none.
	RepoVersion string
	// BundleFolder is "bundles" or "profiles".
	BundleFolder string
	// Schemas holds each kind folder's _schema.json, exactly as read, by kind.
	Schemas map[string]json.RawMessage
	// Findings are the validation findings on the ingested ontology (a JSON array).
	Findings json.RawMessage
}

// KindSummary counts what an ingest did to the entities of one kind.
type KindSummary struct {
	// Added counts new entities and deleted ones that came back.
	Added int `json:"added"`
	// Updated counts entities whose content changed.
	Updated int `json:"updated"`
	// Unchanged counts entities whose content did not change, reformatted ones included.
	Unchanged int `json:"unchanged"`
	// Deleted counts entities absent from the repository, now soft-deleted.
	Deleted int `json:"deleted"`
}

// IngestSummary counts what an ingest did, by kind (every kind present, zero or not).
type IngestSummary map[string]KindSummary

// IngestResult is what Ingest wrote.
type IngestResult struct {
	// Generation is the new ingests.generation; every replica's snapshot moves to it.
	Generation int64
	Summary    IngestSummary
}

// ingestLockKey is the pg_advisory_xact_lock key that serializes ingests: "ontohub" in ASCII.
const ingestLockKey int64 = 0x6f6e746f687562

// OntologyChannel is the PostgreSQL notification channel on which an ingest announces its
// generation when it commits.
const OntologyChannel = "ontohub_ontology"

// Kinds are the values of the entity_type enum, in reporting order.
var Kinds = []string{"category", "property", "subobject", "template", "module", "bundle", "dashboard", "resource"}

// Ingest makes the entities match in in one transaction, records it as a new generation in
// ingests and notifies OntologyChannel with that generation (delivered on commit, so a replica
// that hears it can read the new state). Entities are upserted, live rows absent from in are
// soft-deleted, deleted rows present in it come back.
//
// An entity's commit_sha and changed_generation move only when its content changes (compared
// by ContentHash) or it is deleted or restored: an entity a new commit leaves as it was keeps
// its body, and so its ETag, on every replica. Its source moves whenever the file's bytes do,
// so a patch is always made against the text the repository holds.
func (s *Store) Ingest(ctx context.Context, in Ingest) (IngestResult, error) {
	if err := checkIngest(in); err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest: %w", err)
	}
	var result IngestResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// READ COMMITTED (the default) matters: each statement after the lock sees what an
		// ingest that held it before committed.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", ingestLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		generation, err := insertIngest(ctx, tx, in)
		if err != nil {
			return err
		}
		summary, err := writeEntities(ctx, tx, in, generation)
		if err != nil {
			return err
		}
		if err := finishIngest(ctx, tx, generation, summary); err != nil {
			return err
		}
		result = IngestResult{Generation: generation, Summary: summary}
		return nil
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest: %w", err)
	}
	return result, nil
}

// checkIngest refuses what the statements cannot take: an unknown kind, an id twice in a kind.
func checkIngest(in Ingest) error {
	seen := make(map[[2]string]bool, len(in.Entities))
	for _, e := range in.Entities {
		if !validKind(e.EntityType) {
			return fmt.Errorf("entity %q: unknown entity type %q", e.EntityID, e.EntityType)
		}
		key := [2]string{e.EntityType, e.EntityID}
		if seen[key] {
			return fmt.Errorf("%s %q appears twice", e.EntityType, e.EntityID)
		}
		seen[key] = true
	}
	return nil
}

func validKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

func insertIngest(ctx context.Context, tx pgx.Tx, in Ingest) (int64, error) {
	const q = `
		INSERT INTO ingests (commit_sha, repo_version, bundle_folder, schemas, findings)
		VALUES ($1, $2, $3, $4::json, $5::jsonb)
		RETURNING generation`
	schemas, err := rawObject(in.Schemas)
	if err != nil {
		return 0, fmt.Errorf("encode schemas: %w", err)
	}
	findings := in.Findings
	if len(findings) == 0 {
		findings = json.RawMessage("[]")
	}
	bundleFolder := in.BundleFolder
	if bundleFolder == "" {
		bundleFolder = "bundles"
	}
	var generation int64
	if err := tx.QueryRow(ctx, q, in.CommitSHA, in.RepoVersion, bundleFolder, string(schemas), string(findings)).Scan(&generation); err != nil {
		return 0, fmt.Errorf("record ingest: %w", err)
	}
	return generation, nil
}

// rawObject writes a JSON object of raw values, each exactly as given: json.Marshal would
// compact them and escape <, > and &, and the schemas are to be kept as read.
func rawObject(values map[string]json.RawMessage) ([]byte, error) {
	keys := slices.Sorted(maps.Keys(values))
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if !json.Valid(values[k]) {
			return nil, fmt.Errorf("%s: not JSON", k)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k)
		b.Write(key)
		b.WriteByte(':')
		b.Write(values[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeEntities copies the records into a temporary table (COPY streams them; one JSON
// parameter of a large ontology would be hundreds of megabytes) and merges it into entities.
func writeEntities(ctx context.Context, tx pgx.Tx, in Ingest, generation int64) (IngestSummary, error) {
	const create = `
		CREATE TEMPORARY TABLE ingest_rows (
			entity_type text NOT NULL,
			entity_id text NOT NULL,
			file_path text NOT NULL,
			label text NOT NULL,
			description text,
			source text NOT NULL,
			content_hash text NOT NULL,
			PRIMARY KEY (entity_type, entity_id)
		) ON COMMIT DROP`
	if _, err := tx.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	columns := []string{"entity_type", "entity_id", "file_path", "label", "description", "source", "content_hash"}
	rows := pgx.CopyFromSlice(len(in.Entities), func(i int) ([]any, error) {
		e := in.Entities[i]
		return []any{e.EntityType, e.EntityID, e.FilePath, e.Label, e.Description, string(e.Source), e.ContentHash}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ingest_rows"}, columns, rows); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	summary := IngestSummary{}
	for _, k := range Kinds {
		summary[k] = KindSummary{}
	}
	totals := map[string]int{}
	for _, e := range in.Entities {
		totals[e.EntityType]++
	}
	if err := upsertEntities(ctx, tx, in.CommitSHA, generation, summary); err != nil {
		return nil, err
	}
	if err := deleteMissingEntities(ctx, tx, in.CommitSHA, generation, summary); err != nil {
		return nil, err
	}
	for kind, k := range summary {
		k.Unchanged = totals[kind] - k.Added - k.Updated
		summary[kind] = k
	}
	return summary, nil
}

// upsertEntitiesSQL writes the staged rows. The "old" CTE sees the table as it was before the
// INSERT (every part of a WITH statement runs on one snapshot), which tells an inserted, a
// restored and a changed row apart. Rows whose source, path, hash and liveness are all as
// before are skipped, so they are not even rewritten.
const upsertEntitiesSQL = `
WITH old AS (
	SELECT entity_type, entity_id, content_hash, deleted_at
	FROM entities
), upserted AS (
	INSERT INTO entities AS t (entity_type, entity_id, label, description, schema_definition, source,
		file_path, content_hash, commit_sha, changed_generation)
	SELECT r.entity_type::entity_type, r.entity_id, r.label, r.description, r.source::jsonb, r.source,
		r.file_path, r.content_hash, $1, $2
	FROM ingest_rows r
	ON CONFLICT (entity_type, entity_id) DO UPDATE SET
		label = EXCLUDED.label,
		description = EXCLUDED.description,
		schema_definition = EXCLUDED.schema_definition,
		source = EXCLUDED.source,
		file_path = EXCLUDED.file_path,
		content_hash = EXCLUDED.content_hash,
		deleted_at = NULL,
		commit_sha = CASE WHEN t.content_hash <> EXCLUDED.content_hash OR t.deleted_at IS NOT NULL
			THEN EXCLUDED.commit_sha ELSE t.commit_sha END,
		changed_generation = CASE WHEN t.content_hash <> EXCLUDED.content_hash OR t.deleted_at IS NOT NULL
			THEN EXCLUDED.changed_generation ELSE t.changed_generation END,
		updated_at = CASE WHEN t.content_hash <> EXCLUDED.content_hash OR t.deleted_at IS NOT NULL
			THEN now() ELSE t.updated_at END
	WHERE (t.source, t.file_path, t.content_hash, t.deleted_at IS NOT NULL)
		IS DISTINCT FROM (EXCLUDED.source, EXCLUDED.file_path, EXCLUDED.content_hash, false)
	RETURNING t.entity_type, t.entity_id, t.content_hash
)
SELECT
	u.entity_type::text,
	o.entity_id IS NULL AS inserted,
	coalesce(o.deleted_at IS NOT NULL, false) AS restored,
	coalesce(o.content_hash <> u.content_hash, false) AS changed
FROM upserted u
LEFT JOIN old o USING (entity_type, entity_id)`

func upsertEntities(ctx context.Context, tx pgx.Tx, commitSHA *string, generation int64, summary IngestSummary) error {
	rows, err := tx.Query(ctx, upsertEntitiesSQL, commitSHA, generation)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	type outcome struct {
		EntityType string
		Inserted   bool
		Restored   bool
		Changed    bool
	}
	written, err := pgx.CollectRows(rows, pgx.RowToStructByPos[outcome])
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	for _, w := range written {
		k := summary[w.EntityType]
		switch {
		case w.Inserted || w.Restored:
			k.Added++
		case w.Changed:
			k.Updated++
		}
		summary[w.EntityType] = k
	}
	return nil
}

const deleteMissingEntitiesSQL = `
UPDATE entities e
SET deleted_at = now(),
	updated_at = now(),
	commit_sha = $1,
	changed_generation = $2
WHERE e.deleted_at IS NULL
	AND NOT EXISTS (
		SELECT 1
		FROM ingest_rows r
		WHERE r.entity_type = e.entity_type::text
			AND r.entity_id = e.entity_id
	)
RETURNING e.entity_type::text`

func deleteMissingEntities(ctx context.Context, tx pgx.Tx, commitSHA *string, generation int64, summary IngestSummary) error {
	rows, err := tx.Query(ctx, deleteMissingEntitiesSQL, commitSHA, generation)
	if err != nil {
		return fmt.Errorf("soft-delete: %w", err)
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("soft-delete: %w", err)
	}
	for _, kind := range kinds {
		k := summary[kind]
		k.Deleted++
		summary[kind] = k
	}
	return nil
}

// finishIngest stores the summary and announces the generation; pg_notify inside the
// transaction is delivered when it commits, and not at all if it rolls back.
func finishIngest(ctx context.Context, tx pgx.Tx, generation int64, summary IngestSummary) error {
	encoded, err := json.Marshal(summary)
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	const q = `
		UPDATE ingests
		SET summary = $2::jsonb
		WHERE generation = $1`
	if _, err := tx.Exec(ctx, q, generation, string(encoded)); err != nil {
		return fmt.Errorf("record summary: %w", err)
	}
	if err := rebaseDrafts(ctx, tx, generation); err != nil {
		return fmt.Errorf("rebase drafts: %w", err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", OntologyChannel, strconv.FormatInt(generation, 10)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}
