-- Create enum type "entity_type"
CREATE TYPE "public"."entity_type" AS ENUM ('category', 'property', 'subobject');
-- Create enum type "draft_status"
CREATE TYPE "public"."draft_status" AS ENUM ('pending', 'validated', 'submitted', 'expired');
-- Create "drafts" table
CREATE TABLE "public"."drafts" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid(),
  "capability_hash" text NOT NULL,
  "status" "public"."draft_status" NOT NULL DEFAULT 'pending',
  "payload" jsonb NOT NULL,
  "source_wiki" text NULL,
  "base_commit_sha" text NULL,
  "expires_at" timestamptz NOT NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  "deleted_at" timestamptz NULL,
  PRIMARY KEY ("id")
);
-- Create index "drafts_capability_hash_key" to table: "drafts"
CREATE UNIQUE INDEX "drafts_capability_hash_key" ON "public"."drafts" ("capability_hash");
-- Create index "drafts_expires_at_idx" to table: "drafts"
CREATE INDEX "drafts_expires_at_idx" ON "public"."drafts" ("expires_at");
-- Set comment to table: "drafts"
COMMENT ON TABLE "public"."drafts" IS 'Proposed ontology changes submitted by wikis, reachable only through their capability token.';
-- Set comment to column: "capability_hash" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."capability_hash" IS 'Hex SHA-256 of the capability token; the token itself is never stored.';
-- Set comment to column: "payload" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."payload" IS 'The proposed changes as submitted.';
-- Set comment to column: "source_wiki" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."source_wiki" IS 'The wiki the draft came from, as it identified itself.';
-- Set comment to column: "base_commit_sha" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."base_commit_sha" IS 'Repository commit the draft was written against.';
-- Set comment to column: "expires_at" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."expires_at" IS 'After this instant the draft is expired and may be purged.';
-- Set comment to index: "drafts_expires_at_idx" on table: "drafts"
COMMENT ON INDEX "public"."drafts_expires_at_idx" IS 'Serves the sweep of expired drafts.';
-- Create "entities" table
CREATE TABLE "public"."entities" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid(),
  "entity_id" text NOT NULL,
  "entity_type" "public"."entity_type" NOT NULL,
  "label" text NOT NULL,
  "description" text NULL,
  "schema_definition" jsonb NOT NULL DEFAULT '{}',
  "commit_sha" text NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  "deleted_at" timestamptz NULL,
  "search_vector" tsvector NULL GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, ((((((entity_id || ' '::text) || replace(entity_id, '_'::text, ' '::text)) || ' '::text) || label) || ' '::text) || COALESCE(description, ''::text)))) STORED,
  PRIMARY KEY ("id")
);
-- Create index "entities_entity_type_entity_id_key" to table: "entities"
CREATE UNIQUE INDEX "entities_entity_type_entity_id_key" ON "public"."entities" ("entity_type", "entity_id");
-- Create index "entities_live_idx" to table: "entities"
CREATE INDEX "entities_live_idx" ON "public"."entities" ("entity_type", "entity_id") WHERE (deleted_at IS NULL);
-- Create index "entities_search_idx" to table: "entities"
CREATE INDEX "entities_search_idx" ON "public"."entities" USING gin ("search_vector") WHERE (deleted_at IS NULL);
-- Set comment to table: "entities"
COMMENT ON TABLE "public"."entities" IS 'Categories, properties and subobjects of the ontology, one row per entity file; soft-deleted rows keep their history.';
-- Set comment to column: "entity_id" on table: "entities"
COMMENT ON COLUMN "public"."entities"."entity_id" IS 'Identifier from the ontology repository (file name without extension), unique per entity_type.';
-- Set comment to column: "schema_definition" on table: "entities"
COMMENT ON COLUMN "public"."entities"."schema_definition" IS 'The entity file as JSON, exactly as read from the repository.';
-- Set comment to column: "commit_sha" on table: "entities"
COMMENT ON COLUMN "public"."entities"."commit_sha" IS 'Repository commit the row was last ingested from.';
-- Set comment to column: "deleted_at" on table: "entities"
COMMENT ON COLUMN "public"."entities"."deleted_at" IS 'Set when the entity disappeared from the repository; NULL for live rows.';
-- Set comment to column: "search_vector" on table: "entities"
COMMENT ON COLUMN "public"."entities"."search_vector" IS 'Full-text search document: the id (also split at underscores), label and description, with the simple configuration so ids are not stemmed.';
-- Set comment to index: "entities_live_idx" on table: "entities"
COMMENT ON INDEX "public"."entities_live_idx" IS 'Serves listings and lookups of live entities.';
-- Set comment to index: "entities_search_idx" on table: "entities"
COMMENT ON INDEX "public"."entities_search_idx" IS 'Serves full-text search over live entities.';
-- Create "modules" table
CREATE TABLE "public"."modules" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid(),
  "module_id" text NOT NULL,
  "label" text NOT NULL,
  "description" text NULL,
  "category_ids" jsonb NOT NULL DEFAULT '[]',
  "dependencies" jsonb NOT NULL DEFAULT '[]',
  "schema_definition" jsonb NOT NULL DEFAULT '{}',
  "commit_sha" text NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  "deleted_at" timestamptz NULL,
  PRIMARY KEY ("id")
);
-- Create index "modules_module_id_key" to table: "modules"
CREATE UNIQUE INDEX "modules_module_id_key" ON "public"."modules" ("module_id");
-- Set comment to table: "modules"
COMMENT ON TABLE "public"."modules" IS 'Modules of the ontology: named bundles of categories with their dependencies on other modules.';
-- Set comment to column: "module_id" on table: "modules"
COMMENT ON COLUMN "public"."modules"."module_id" IS 'Identifier from the ontology repository (file name without extension).';
-- Set comment to column: "category_ids" on table: "modules"
COMMENT ON COLUMN "public"."modules"."category_ids" IS 'JSON array of the entity_ids of the categories the module holds.';
-- Set comment to column: "dependencies" on table: "modules"
COMMENT ON COLUMN "public"."modules"."dependencies" IS 'JSON array of the module_ids this module depends on.';
-- Set comment to column: "schema_definition" on table: "modules"
COMMENT ON COLUMN "public"."modules"."schema_definition" IS 'The whole module file as JSON; the only place for the properties and subobjects lists of the newer layout.';
-- Set comment to column: "commit_sha" on table: "modules"
COMMENT ON COLUMN "public"."modules"."commit_sha" IS 'Repository commit the row was last ingested from.';
-- Set comment to column: "deleted_at" on table: "modules"
COMMENT ON COLUMN "public"."modules"."deleted_at" IS 'Set when the module disappeared from the repository; NULL for live rows.';
-- Create "profiles" table
CREATE TABLE "public"."profiles" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid(),
  "profile_id" text NOT NULL,
  "label" text NOT NULL,
  "description" text NULL,
  "module_ids" jsonb NOT NULL DEFAULT '[]',
  "schema_definition" jsonb NOT NULL DEFAULT '{}',
  "commit_sha" text NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  "deleted_at" timestamptz NULL,
  PRIMARY KEY ("id")
);
-- Create index "profiles_profile_id_key" to table: "profiles"
CREATE UNIQUE INDEX "profiles_profile_id_key" ON "public"."profiles" ("profile_id");
-- Set comment to table: "profiles"
COMMENT ON TABLE "public"."profiles" IS 'Profiles of the ontology: named selections of modules.';
-- Set comment to column: "profile_id" on table: "profiles"
COMMENT ON COLUMN "public"."profiles"."profile_id" IS 'Identifier from the ontology repository (file name without extension).';
-- Set comment to column: "module_ids" on table: "profiles"
COMMENT ON COLUMN "public"."profiles"."module_ids" IS 'JSON array of the module_ids the profile selects.';
-- Set comment to column: "schema_definition" on table: "profiles"
COMMENT ON COLUMN "public"."profiles"."schema_definition" IS 'The whole profile file as JSON, exactly as read from the repository.';
-- Set comment to column: "commit_sha" on table: "profiles"
COMMENT ON COLUMN "public"."profiles"."commit_sha" IS 'Repository commit the row was last ingested from.';
-- Set comment to column: "deleted_at" on table: "profiles"
COMMENT ON COLUMN "public"."profiles"."deleted_at" IS 'Set when the profile disappeared from the repository; NULL for live rows.';
