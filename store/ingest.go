package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// EntityRecord is one category, property or subobject file of a schema
// repository, ready to be written to the entities table.
type EntityRecord struct {
	// EntityType is "category", "property" or "subobject" (the entity_type enum).
	EntityType string
	// EntityID is the entity's id, equal to its file name without ".json".
	EntityID string
	// Label is the display name; callers fall back to EntityID when the file has none.
	Label string
	// Description is nil when the file has none.
	Description *string
	// SchemaDefinition is the whole file.
	SchemaDefinition json.RawMessage
}

// ModuleRecord is one module file of a schema repository.
type ModuleRecord struct {
	ModuleID    string
	Label       string
	Description *string
	// CategoryIDs are the ids listed in the file's "categories"; never nil.
	CategoryIDs []string
	// Dependencies are the module ids listed in the file's "dependencies"; never nil.
	Dependencies []string
	// SchemaDefinition is the whole file.
	SchemaDefinition json.RawMessage
}

// ProfileRecord is one profile file (older layout) or bundle file (newer
// layout) of a schema repository.
type ProfileRecord struct {
	ProfileID   string
	Label       string
	Description *string
	// ModuleIDs are the ids listed in the file's "modules"; never nil.
	ModuleIDs []string
	// SchemaDefinition is the whole file.
	SchemaDefinition json.RawMessage
}

// Snapshot is the complete content of a schema repository at one point in
// time. ApplySnapshot makes the database match it.
type Snapshot struct {
	Entities []EntityRecord
	Modules  []ModuleRecord
	Profiles []ProfileRecord
	// CommitSHA is the repository commit the snapshot was read from, nil when unknown.
	CommitSHA *string
}

// KindSummary counts what ApplySnapshot did to the rows of one kind.
type KindSummary struct {
	// Added counts new rows and soft-deleted rows that came back.
	Added int
	// Updated counts rows whose content (label, description, definition,
	// module lists) changed.
	Updated int
	// Unchanged counts rows in the snapshot whose content did not change,
	// including rows where only commit_sha moved.
	Unchanged int
	// Deleted counts live rows that were absent from the snapshot and are now
	// soft-deleted.
	Deleted int
}

// IngestSummary counts what ApplySnapshot did, per kind.
type IngestSummary struct {
	Category  KindSummary
	Property  KindSummary
	Subobject KindSummary
	Module    KindSummary
	Profile   KindSummary
}

// ingestLockKey is the pg_advisory_xact_lock key that serializes snapshot
// applications: "ontohub" in ASCII. Any constant works as long as every
// ingest uses the same one.
const ingestLockKey int64 = 0x6f6e746f687562

// snapshotEntityTypes lists the entity_type enum values in summary order.
var snapshotEntityTypes = [...]string{"category", "property", "subobject"}

// ApplySnapshot makes the entities, modules and profiles tables match snap in
// one transaction: every record is upserted, live rows absent from snap are
// soft-deleted, and soft-deleted rows present in snap are restored. Rows whose
// content is unchanged keep their updated_at, so applying the same snapshot
// twice changes nothing.
//
// commit_sha is written on every row in the snapshot, but a row whose only
// difference is commit_sha counts as unchanged and keeps its updated_at: a
// new commit that touches one file should report one update, not hundreds,
// while every live row still tells which commit it was last ingested from.
func (s *Store) ApplySnapshot(ctx context.Context, snap Snapshot) (IngestSummary, error) {
	if err := checkSnapshot(snap); err != nil {
		return IngestSummary{}, fmt.Errorf("store: apply snapshot: %w", err)
	}
	var summary IngestSummary
	// READ COMMITTED (the default) matters here: each statement after the lock
	// takes a fresh snapshot, so it sees what a previous ingest committed while
	// this one waited for the lock.
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		summary = IngestSummary{}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", ingestLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		byType := map[string][]EntityRecord{}
		for _, e := range snap.Entities {
			byType[e.EntityType] = append(byType[e.EntityType], e)
		}
		counts := [...]*KindSummary{&summary.Category, &summary.Property, &summary.Subobject}
		for i, entityType := range snapshotEntityTypes {
			var err error
			if *counts[i], err = applyEntities(ctx, tx, entityType, byType[entityType], snap.CommitSHA); err != nil {
				return err
			}
		}
		var err error
		if summary.Module, err = applyModules(ctx, tx, snap.Modules, snap.CommitSHA); err != nil {
			return err
		}
		if summary.Profile, err = applyProfiles(ctx, tx, snap.Profiles, snap.CommitSHA); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return IngestSummary{}, fmt.Errorf("store: apply snapshot: %w", err)
	}
	return summary, nil
}

// checkSnapshot rejects what the upserts cannot handle: an unknown entity type
// and an id that appears twice in one kind (ON CONFLICT cannot touch a row
// twice in one statement).
func checkSnapshot(snap Snapshot) error {
	seen := map[[2]string]bool{}
	for _, e := range snap.Entities {
		switch e.EntityType {
		case "category", "property", "subobject":
		default:
			return fmt.Errorf("entity %q: unknown entity type %q", e.EntityID, e.EntityType)
		}
		key := [2]string{e.EntityType, e.EntityID}
		if seen[key] {
			return fmt.Errorf("%s %q appears twice", e.EntityType, e.EntityID)
		}
		seen[key] = true
	}
	for _, m := range snap.Modules {
		key := [2]string{"module", m.ModuleID}
		if seen[key] {
			return fmt.Errorf("module %q appears twice", m.ModuleID)
		}
		seen[key] = true
	}
	for _, p := range snap.Profiles {
		key := [2]string{"profile", p.ProfileID}
		if seen[key] {
			return fmt.Errorf("profile %q appears twice", p.ProfileID)
		}
		seen[key] = true
	}
	return nil
}

// upsertOutcome is what the upsert statements return for each row they wrote.
type upsertOutcome struct {
	Inserted bool // the row did not exist
	Restored bool // the row existed but was soft-deleted
	Changed  bool // an existing row's content changed
}

// tallyOutcomes turns the written rows into a summary; rows the upsert skipped
// because nothing differed are the unchanged ones.
func tallyOutcomes(rows []upsertOutcome, total int, deleted int64) KindSummary {
	summary := KindSummary{Deleted: int(deleted)}
	for _, r := range rows {
		switch {
		case r.Inserted || r.Restored:
			summary.Added++
		case r.Changed:
			summary.Updated++
		}
	}
	summary.Unchanged = total - summary.Added - summary.Updated
	return summary
}

// The upserts share one shape. The "old" CTE sees the table as it was before
// the INSERT (every part of a WITH statement runs on the same snapshot; the
// advisory lock keeps other ingests from writing meanwhile), which is how a
// restored or changed row is told apart from a new one. The DO UPDATE WHERE
// skips rows where nothing, commit_sha included, differs, so they are not even
// rewritten; the CASE moves updated_at only when the content differs, not
// when only commit_sha does.

const upsertEntitiesSQL = `
WITH old AS (
	SELECT entity_id, label, description, schema_definition, deleted_at
	FROM entities
	WHERE entity_type = $1::text::entity_type
), upserted AS (
	INSERT INTO entities AS t (entity_type, entity_id, label, description, schema_definition, commit_sha)
	SELECT $1::text::entity_type, r.entity_id, r.label, r.description, r.schema_definition, $3::text
	FROM jsonb_to_recordset($2::jsonb) AS r(entity_id text, label text, description text, schema_definition jsonb)
	ON CONFLICT (entity_type, entity_id) DO UPDATE SET
		label = EXCLUDED.label,
		description = EXCLUDED.description,
		schema_definition = EXCLUDED.schema_definition,
		commit_sha = EXCLUDED.commit_sha,
		deleted_at = NULL,
		updated_at = CASE
			WHEN (t.label, t.description, t.schema_definition, t.deleted_at IS NOT NULL)
				IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.schema_definition, false)
			THEN now()
			ELSE t.updated_at
		END
	WHERE (t.label, t.description, t.schema_definition, t.commit_sha, t.deleted_at IS NOT NULL)
		IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.schema_definition, EXCLUDED.commit_sha, false)
	RETURNING t.entity_id, t.label, t.description, t.schema_definition
)
SELECT
	o.entity_id IS NULL AS inserted,
	coalesce(o.deleted_at IS NOT NULL, false) AS restored,
	(o.label, o.description, o.schema_definition) IS DISTINCT FROM (u.label, u.description, u.schema_definition) AS changed
FROM upserted u
LEFT JOIN old o USING (entity_id)`

const softDeleteEntitiesSQL = `
UPDATE entities
SET deleted_at = now(), updated_at = now()
WHERE entity_type = $1::text::entity_type
	AND deleted_at IS NULL
	AND entity_id <> ALL($2::text[])`

// snapshotEntityRow is the JSON shape jsonb_to_recordset reads in upsertEntitiesSQL.
type snapshotEntityRow struct {
	EntityID         string          `json:"entity_id"`
	Label            string          `json:"label"`
	Description      *string         `json:"description"`
	SchemaDefinition json.RawMessage `json:"schema_definition"`
}

func applyEntities(ctx context.Context, tx pgx.Tx, entityType string, records []EntityRecord, commitSHA *string) (KindSummary, error) {
	rows := make([]snapshotEntityRow, len(records))
	ids := make([]string, len(records))
	for i, r := range records {
		rows[i] = snapshotEntityRow{r.EntityID, r.Label, r.Description, definitionOrEmpty(r.SchemaDefinition)}
		ids[i] = r.EntityID
	}
	kind := kindStatements{name: entityType, upsert: upsertEntitiesSQL, softDelete: softDeleteEntitiesSQL, leading: []any{entityType}}
	return applyKind(ctx, tx, kind, rows, ids, commitSHA)
}

const upsertModulesSQL = `
WITH old AS (
	SELECT module_id, label, description, category_ids, dependencies, schema_definition, deleted_at
	FROM modules
), upserted AS (
	INSERT INTO modules AS t (module_id, label, description, category_ids, dependencies, schema_definition, commit_sha)
	SELECT r.module_id, r.label, r.description, r.category_ids, r.dependencies, r.schema_definition, $2::text
	FROM jsonb_to_recordset($1::jsonb) AS r(module_id text, label text, description text, category_ids jsonb, dependencies jsonb, schema_definition jsonb)
	ON CONFLICT (module_id) DO UPDATE SET
		label = EXCLUDED.label,
		description = EXCLUDED.description,
		category_ids = EXCLUDED.category_ids,
		dependencies = EXCLUDED.dependencies,
		schema_definition = EXCLUDED.schema_definition,
		commit_sha = EXCLUDED.commit_sha,
		deleted_at = NULL,
		updated_at = CASE
			WHEN (t.label, t.description, t.category_ids, t.dependencies, t.schema_definition, t.deleted_at IS NOT NULL)
				IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.category_ids, EXCLUDED.dependencies, EXCLUDED.schema_definition, false)
			THEN now()
			ELSE t.updated_at
		END
	WHERE (t.label, t.description, t.category_ids, t.dependencies, t.schema_definition, t.commit_sha, t.deleted_at IS NOT NULL)
		IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.category_ids, EXCLUDED.dependencies, EXCLUDED.schema_definition, EXCLUDED.commit_sha, false)
	RETURNING t.module_id, t.label, t.description, t.category_ids, t.dependencies, t.schema_definition
)
SELECT
	o.module_id IS NULL AS inserted,
	coalesce(o.deleted_at IS NOT NULL, false) AS restored,
	(o.label, o.description, o.category_ids, o.dependencies, o.schema_definition)
		IS DISTINCT FROM (u.label, u.description, u.category_ids, u.dependencies, u.schema_definition) AS changed
FROM upserted u
LEFT JOIN old o USING (module_id)`

const softDeleteModulesSQL = `
UPDATE modules
SET deleted_at = now(), updated_at = now()
WHERE deleted_at IS NULL
	AND module_id <> ALL($1::text[])`

// snapshotModuleRow is the JSON shape jsonb_to_recordset reads in upsertModulesSQL.
type snapshotModuleRow struct {
	ModuleID         string          `json:"module_id"`
	Label            string          `json:"label"`
	Description      *string         `json:"description"`
	CategoryIDs      []string        `json:"category_ids"`
	Dependencies     []string        `json:"dependencies"`
	SchemaDefinition json.RawMessage `json:"schema_definition"`
}

func applyModules(ctx context.Context, tx pgx.Tx, records []ModuleRecord, commitSHA *string) (KindSummary, error) {
	rows := make([]snapshotModuleRow, len(records))
	ids := make([]string, len(records))
	for i, r := range records {
		rows[i] = snapshotModuleRow{r.ModuleID, r.Label, r.Description, nonNilIDs(r.CategoryIDs), nonNilIDs(r.Dependencies), definitionOrEmpty(r.SchemaDefinition)}
		ids[i] = r.ModuleID
	}
	kind := kindStatements{name: "module", upsert: upsertModulesSQL, softDelete: softDeleteModulesSQL}
	return applyKind(ctx, tx, kind, rows, ids, commitSHA)
}

const upsertProfilesSQL = `
WITH old AS (
	SELECT profile_id, label, description, module_ids, schema_definition, deleted_at
	FROM profiles
), upserted AS (
	INSERT INTO profiles AS t (profile_id, label, description, module_ids, schema_definition, commit_sha)
	SELECT r.profile_id, r.label, r.description, r.module_ids, r.schema_definition, $2::text
	FROM jsonb_to_recordset($1::jsonb) AS r(profile_id text, label text, description text, module_ids jsonb, schema_definition jsonb)
	ON CONFLICT (profile_id) DO UPDATE SET
		label = EXCLUDED.label,
		description = EXCLUDED.description,
		module_ids = EXCLUDED.module_ids,
		schema_definition = EXCLUDED.schema_definition,
		commit_sha = EXCLUDED.commit_sha,
		deleted_at = NULL,
		updated_at = CASE
			WHEN (t.label, t.description, t.module_ids, t.schema_definition, t.deleted_at IS NOT NULL)
				IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.module_ids, EXCLUDED.schema_definition, false)
			THEN now()
			ELSE t.updated_at
		END
	WHERE (t.label, t.description, t.module_ids, t.schema_definition, t.commit_sha, t.deleted_at IS NOT NULL)
		IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.module_ids, EXCLUDED.schema_definition, EXCLUDED.commit_sha, false)
	RETURNING t.profile_id, t.label, t.description, t.module_ids, t.schema_definition
)
SELECT
	o.profile_id IS NULL AS inserted,
	coalesce(o.deleted_at IS NOT NULL, false) AS restored,
	(o.label, o.description, o.module_ids, o.schema_definition)
		IS DISTINCT FROM (u.label, u.description, u.module_ids, u.schema_definition) AS changed
FROM upserted u
LEFT JOIN old o USING (profile_id)`

const softDeleteProfilesSQL = `
UPDATE profiles
SET deleted_at = now(), updated_at = now()
WHERE deleted_at IS NULL
	AND profile_id <> ALL($1::text[])`

// snapshotProfileRow is the JSON shape jsonb_to_recordset reads in upsertProfilesSQL.
type snapshotProfileRow struct {
	ProfileID        string          `json:"profile_id"`
	Label            string          `json:"label"`
	Description      *string         `json:"description"`
	ModuleIDs        []string        `json:"module_ids"`
	SchemaDefinition json.RawMessage `json:"schema_definition"`
}

func applyProfiles(ctx context.Context, tx pgx.Tx, records []ProfileRecord, commitSHA *string) (KindSummary, error) {
	rows := make([]snapshotProfileRow, len(records))
	ids := make([]string, len(records))
	for i, r := range records {
		rows[i] = snapshotProfileRow{r.ProfileID, r.Label, r.Description, nonNilIDs(r.ModuleIDs), definitionOrEmpty(r.SchemaDefinition)}
		ids[i] = r.ProfileID
	}
	kind := kindStatements{name: "profile", upsert: upsertProfilesSQL, softDelete: softDeleteProfilesSQL}
	return applyKind(ctx, tx, kind, rows, ids, commitSHA)
}

// kindStatements are the statements that write one kind of row.
type kindStatements struct {
	// name is the kind in error messages.
	name string
	// upsert takes leading, then the JSON rows and the commit SHA; softDelete takes leading,
	// then the ids to keep.
	upsert, softDelete string
	// leading are the parameters both statements start with (the entity type, for entities).
	leading []any
}

// applyKind upserts rows (the JSON records jsonb_to_recordset reads), soft-deletes the live rows
// of the kind whose id is not among ids, and counts what changed.
func applyKind(ctx context.Context, tx pgx.Tx, kind kindStatements, rows any, ids []string, commitSHA *string) (KindSummary, error) {
	payload, err := json.Marshal(rows)
	if err != nil {
		return KindSummary{}, fmt.Errorf("%s: encode: %w", kind.name, err)
	}
	// A failed Query hands its error to CollectRows through the rows.
	upserted, _ := tx.Query(ctx, kind.upsert, append(slices.Clip(kind.leading), payload, commitSHA)...)
	written, err := pgx.CollectRows(upserted, pgx.RowToStructByPos[upsertOutcome])
	if err != nil {
		return KindSummary{}, fmt.Errorf("%s: upsert: %w", kind.name, err)
	}
	tag, err := tx.Exec(ctx, kind.softDelete, append(slices.Clip(kind.leading), ids)...)
	if err != nil {
		return KindSummary{}, fmt.Errorf("%s: soft-delete: %w", kind.name, err)
	}
	return tallyOutcomes(written, len(ids), tag.RowsAffected()), nil
}

// definitionOrEmpty keeps an empty definition from breaking the JSON payload; the
// column's own default is the empty object.
func definitionOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// nonNilIDs makes a nil list encode as [] rather than null, which the NOT NULL
// jsonb columns would reject.
func nonNilIDs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
