-- Add value to enum type: "entity_type"
ALTER TYPE "public"."entity_type" ADD VALUE 'template';
-- Add value to enum type: "entity_type"
ALTER TYPE "public"."entity_type" ADD VALUE 'module';
-- Add value to enum type: "entity_type"
ALTER TYPE "public"."entity_type" ADD VALUE 'bundle';
-- Add value to enum type: "entity_type"
ALTER TYPE "public"."entity_type" ADD VALUE 'dashboard';
-- Add value to enum type: "entity_type"
ALTER TYPE "public"."entity_type" ADD VALUE 'resource';
-- Modify "entities" table
ALTER TABLE "public"."entities" DROP COLUMN "search_vector", ADD COLUMN "source" text NOT NULL DEFAULT '', ADD COLUMN "file_path" text NOT NULL DEFAULT '', ADD COLUMN "content_hash" text NOT NULL DEFAULT '', ADD COLUMN "changed_generation" bigint NOT NULL DEFAULT 0;
-- Set comment to table: "entities"
COMMENT ON TABLE "public"."entities" IS 'Every entity of the ontology (all eight kinds, modules and bundles included), one row per entity file; soft-deleted rows keep their history. Read whole into each replica''s in-memory snapshot.';
-- Set comment to column: "commit_sha" on table: "entities"
COMMENT ON COLUMN "public"."entities"."commit_sha" IS 'Repository commit of the ingest that last changed the row (not the last one that saw it), so its body and ETag stay put while it does not change.';
-- Set comment to column: "source" on table: "entities"
COMMENT ON COLUMN "public"."entities"."source" IS 'The entity file exactly as read from the repository (key order and formatting kept), so a draft''s patch can be made against it.';
-- Set comment to column: "file_path" on table: "entities"
COMMENT ON COLUMN "public"."entities"."file_path" IS 'Path of the file in the repository, relative to its root (profiles/X.json in the older layout).';
-- Set comment to column: "content_hash" on table: "entities"
COMMENT ON COLUMN "public"."entities"."content_hash" IS 'Hex SHA-256 of the file as compact JSON: what tells a changed entity from a reformatted one.';
-- Set comment to column: "changed_generation" on table: "entities"
COMMENT ON COLUMN "public"."entities"."changed_generation" IS 'The ingests.generation that last added, changed, deleted or restored the row; drafts compare it to find upstream changes.';
-- Create "ingests" table
CREATE TABLE "public"."ingests" (
  "generation" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
  "commit_sha" text NULL,
  "ingested_at" timestamptz NOT NULL DEFAULT now(),
  "repo_version" text NOT NULL DEFAULT '',
  "bundle_folder" text NOT NULL DEFAULT 'bundles',
  "schemas" json NOT NULL DEFAULT '{}',
  "findings" jsonb NOT NULL DEFAULT '[]',
  "summary" jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY ("generation")
);
-- Set comment to table: "ingests"
COMMENT ON TABLE "public"."ingests" IS 'One row per applied ingest: the generation every replica''s snapshot is keyed by, and what the repository held beside its entities.';
-- Set comment to column: "commit_sha" on table: "ingests"
COMMENT ON COLUMN "public"."ingests"."commit_sha" IS 'Repository commit ingested; NULL when unknown.';
-- Set comment to column: "repo_version" on table: "ingests"
COMMENT ON COLUMN "public"."ingests"."repo_version" IS 'The repository''s VERSION file, trimmed; empty when it has none.';
-- Set comment to column: "bundle_folder" on table: "ingests"
COMMENT ON COLUMN "public"."ingests"."bundle_folder" IS 'Folder bundles live in: bundles, or profiles in the older layout.';
-- Set comment to column: "schemas" on table: "ingests"
COMMENT ON COLUMN "public"."ingests"."schemas" IS 'The _schema.json of each kind folder, by kind, exactly as read (json keeps key order).';
-- Set comment to column: "findings" on table: "ingests"
COMMENT ON COLUMN "public"."ingests"."findings" IS 'Validation findings on the ingested ontology; never a reason to refuse it.';
-- Set comment to column: "summary" on table: "ingests"
COMMENT ON COLUMN "public"."ingests"."summary" IS 'What the ingest added, updated, left unchanged and deleted, per kind.';
