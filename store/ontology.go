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

// OntologyEntity is one live entity as the in-memory snapshot needs it.
type OntologyEntity struct {
	ID                uuid.UUID
	EntityType        string
	EntityID          string
	Label             string
	Description       *string
	Source            []byte
	FilePath          string
	CommitSHA         *string
	ChangedGeneration int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Ontology is the whole canonical ontology at one generation, read consistently.
type Ontology struct {
	// Generation is the last ingest's generation; 0 when nothing was ever ingested.
	Generation   int64
	CommitSHA    *string
	IngestedAt   time.Time
	RepoVersion  string
	BundleFolder string
	// Schemas holds each kind folder's _schema.json by kind, as read.
	Schemas map[string]json.RawMessage
	// Findings are the validation findings stored with the ingest (a JSON array).
	Findings json.RawMessage
	// Summary is what the ingest changed, by kind.
	Summary IngestSummary
	// Entities are the live entities ordered by kind and id.
	Entities []OntologyEntity
}

const lastIngestSQL = `
SELECT generation, commit_sha, ingested_at, repo_version, bundle_folder, schemas::text, findings, summary
FROM ingests
ORDER BY generation DESC
LIMIT 1`

const liveEntitiesSQL = `
SELECT id, entity_type::text, entity_id, label, description, source, file_path, commit_sha,
	changed_generation, created_at, updated_at
FROM entities
WHERE deleted_at IS NULL
ORDER BY entity_type, entity_id`

// Ontology reads the last ingest and every live entity in one REPEATABLE READ transaction, so
// the generation it reports is exactly the state the entities are in, even while an ingest
// commits meanwhile.
func (s *Store) Ontology(ctx context.Context) (Ontology, error) {
	var o Ontology
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		o = Ontology{BundleFolder: "bundles", Findings: json.RawMessage("[]"), Summary: IngestSummary{}}
		var schemas string
		var findings, summary []byte
		err := tx.QueryRow(ctx, lastIngestSQL).Scan(&o.Generation, &o.CommitSHA, &o.IngestedAt, &o.RepoVersion,
			&o.BundleFolder, &schemas, &findings, &summary)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("last ingest: %w", err)
		default:
			if err := json.Unmarshal([]byte(schemas), &o.Schemas); err != nil {
				return fmt.Errorf("last ingest schemas: %w", err)
			}
			if err := json.Unmarshal(summary, &o.Summary); err != nil {
				return fmt.Errorf("last ingest summary: %w", err)
			}
			o.Findings = findings
		}
		rows, err := tx.Query(ctx, liveEntitiesSQL)
		if err != nil {
			return fmt.Errorf("entities: %w", err)
		}
		o.Entities, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OntologyEntity])
		if err != nil {
			return fmt.Errorf("entities: %w", err)
		}
		return nil
	})
	if err != nil {
		return Ontology{}, fmt.Errorf("store: ontology: %w", err)
	}
	return o, nil
}

// Generation returns the last ingest's generation, 0 when nothing was ever ingested: a cheap
// question that saves reading the whole ontology when nothing changed.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var generation int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(generation), 0) FROM ingests`).Scan(&generation); err != nil {
		return 0, fmt.Errorf("store: generation: %w", err)
	}
	return generation, nil
}

// EntitySource is the file text of one live entity.
type EntitySource struct {
	EntityType string
	EntityID   string
	FilePath   string
	Source     []byte
}

// EntitySources returns the file text of the live entities named by keys ([kind, id] pairs);
// keys without a live entity are absent from the result.
func (s *Store) EntitySources(ctx context.Context, keys [][2]string) (map[[2]string]EntitySource, error) {
	out := map[[2]string]EntitySource{}
	if len(keys) == 0 {
		return out, nil
	}
	kinds := make([]string, len(keys))
	ids := make([]string, len(keys))
	for i, k := range keys {
		kinds[i], ids[i] = k[0], k[1]
	}
	const q = `
		SELECT e.entity_type::text, e.entity_id, e.file_path, e.source
		FROM entities e
		JOIN unnest($1::text[], $2::text[]) AS k(entity_type, entity_id)
			ON e.entity_type::text = k.entity_type AND e.entity_id = k.entity_id
		WHERE e.deleted_at IS NULL`
	rows, err := s.pool.Query(ctx, q, kinds, ids)
	if err != nil {
		return nil, fmt.Errorf("store: entity sources: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[EntitySource])
	if err != nil {
		return nil, fmt.Errorf("store: entity sources: %w", err)
	}
	for _, f := range found {
		out[[2]string{f.EntityType, f.EntityID}] = f
	}
	return out, nil
}
