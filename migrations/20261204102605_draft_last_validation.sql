-- Modify "drafts" table
ALTER TABLE "public"."drafts" ADD COLUMN "last_validation" json NULL, ADD COLUMN "last_validation_revision" bigint NULL, ADD COLUMN "last_validation_at" timestamptz NULL;
-- Set comment to column: "last_validation" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."last_validation" IS 'The report of the last validation, as answered (findings, changes, versions, status).';
-- Set comment to column: "last_validation_revision" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."last_validation_revision" IS 'The revision of the change set the last validation checked.';
-- Set comment to column: "last_validation_at" on table: "drafts"
COMMENT ON COLUMN "public"."drafts"."last_validation_at" IS 'When the last validation ran.';
