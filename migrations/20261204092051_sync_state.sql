-- Create "sync_state" table
CREATE TABLE "public"."sync_state" (
  "id" boolean NOT NULL DEFAULT true,
  "remote_commit_sha" text NULL,
  "last_error" text NULL,
  "attempted_at" timestamptz NULL,
  "finished_at" timestamptz NULL,
  "succeeded_at" timestamptz NULL,
  "requested_at" timestamptz NULL,
  PRIMARY KEY ("id"),
  CONSTRAINT "sync_state_one_row" CHECK (id)
);
-- Set comment to table: "sync_state"
COMMENT ON TABLE "public"."sync_state" IS 'Where following the schema repository stands: one row, shared by every replica, written by the one that holds the sync lock.';
-- Set comment to column: "id" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."id" IS 'Always true: the table holds one row.';
-- Set comment to column: "remote_commit_sha" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."remote_commit_sha" IS 'The commit the followed ref pointed at when the remote was last asked; NULL before the first fetch.';
-- Set comment to column: "last_error" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."last_error" IS 'Why the last sync failed (credentials scrubbed); NULL when it succeeded.';
-- Set comment to column: "attempted_at" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."attempted_at" IS 'When the last sync started.';
-- Set comment to column: "finished_at" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."finished_at" IS 'When the last sync ended, successfully or not.';
-- Set comment to column: "succeeded_at" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."succeeded_at" IS 'When a sync last succeeded.';
-- Set comment to column: "requested_at" on table: "sync_state"
COMMENT ON COLUMN "public"."sync_state"."requested_at" IS 'When a sync was last asked for (webhook, timer); one asked for while another runs is run after it.';
