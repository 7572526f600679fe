-- Create enum type "draft_change_type"
CREATE TYPE "public"."draft_change_type" AS ENUM ('create', 'update', 'delete');
-- Modify "drafts" table
ALTER TABLE "public"."drafts" ALTER COLUMN "payload" TYPE json, ALTER COLUMN "payload" SET DEFAULT '{}', ADD COLUMN "title" text NULL, ADD COLUMN "description" text NULL, ADD COLUMN "base_generation" bigint NOT NULL DEFAULT 0, ADD COLUMN "revision" bigint NOT NULL DEFAULT 0, ADD COLUMN "validated_revision" bigint NULL, ADD COLUMN "submitted_branch" text NULL, ADD COLUMN "submitted_commit_sha" text NULL, ADD COLUMN "submitted_at" timestamptz NULL, ADD COLUMN "pull_request_url" text NULL;
-- Set comment to column: "payload" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."payload" IS 'Free notes beside the changes, exactly as submitted (json, not jsonb: jsonb would print a number such as 1e300 in full, turning a few bytes into hundreds).';
-- Set comment to column: "base_commit_sha" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."base_commit_sha" IS 'Repository commit the draft is based on: the one ingested when it was created, moved forward by each ingest that conflicts with none of its changes.';
-- Set comment to column: "title" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."title" IS 'What the proposal is about, in a line.';
-- Set comment to column: "description" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."description" IS 'Why, at length.';
-- Set comment to column: "base_generation" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."base_generation" IS 'The ingests.generation of base_commit_sha.';
-- Set comment to column: "revision" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."revision" IS 'Counts the changes to the change set; a validation holds only for the revision it checked.';
-- Set comment to column: "validated_revision" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."validated_revision" IS 'The revision the last successful validation checked; status is validated while it equals revision.';
-- Set comment to column: "submitted_branch" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."submitted_branch" IS 'The branch the draft was pushed to when submitted.';
-- Set comment to column: "submitted_commit_sha" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."submitted_commit_sha" IS 'The commit holding the change set on that branch.';
-- Set comment to column: "pull_request_url" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."pull_request_url" IS 'The pull request opened for it, when the remote is on GitHub.';
-- Create "draft_changes" table
CREATE TABLE "public"."draft_changes" (
  "id" uuid NOT NULL DEFAULT gen_random_uuid(),
  "draft_id" uuid NOT NULL,
  "change_type" "public"."draft_change_type" NOT NULL,
  "entity_type" "public"."entity_type" NOT NULL,
  "entity_id" text NOT NULL,
  "entity" json NULL,
  "patch" json NULL,
  "base_generation" bigint NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("id"),
  CONSTRAINT "draft_changes_draft_id_fkey" FOREIGN KEY ("draft_id") REFERENCES "public"."drafts" ("id") ON UPDATE NO ACTION ON DELETE CASCADE
);
-- Create index "draft_changes_entity_key" to table: "draft_changes"
CREATE UNIQUE INDEX "draft_changes_entity_key" ON "public"."draft_changes" ("draft_id", "entity_type", "entity_id");
-- Set comment to table: "draft_changes"
COMMENT ON TABLE "public"."draft_changes" IS 'The change set of a draft: at most one change per entity, kept as the entity will be once the draft is applied.';
-- Set comment to column: "entity" on table: "draft_changes"
COMMENT ON COLUMN "public"."draft_changes"."entity" IS 'The whole entity as the draft makes it, key order kept (json, not jsonb); NULL for a delete.';
-- Set comment to column: "patch" on table: "draft_changes"
COMMENT ON COLUMN "public"."draft_changes"."patch" IS 'The RFC 6902 operations the updates of this entity were sent as, in order; NULL for a create or delete sent whole.';
-- Set comment to column: "base_generation" on table: "draft_changes"
COMMENT ON COLUMN "public"."draft_changes"."base_generation" IS 'The canonical entity''s changed_generation when the change was first made; NULL when it did not exist. A different one now means it was changed upstream: a rebase conflict.';
-- Set comment to index: "draft_changes_entity_key" on table: "draft_changes"
COMMENT ON INDEX "public"."draft_changes_entity_key" IS 'At most one change per entity in a draft; also serves listing a draft''s changes.';
