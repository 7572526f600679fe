// schema.hcl is the desired state of ontohub's PostgreSQL database (15 and later).
// Change it, then run `ontohub migrate diff NAME` to generate the versioned migration
// in migrations/; a test fails when the two drift apart.

schema "public" {
}

enum "entity_type" {
  schema = schema.public
  values = ["category", "property", "subobject", "template", "module", "bundle", "dashboard", "resource"]
}

enum "draft_change_type" {
  schema = schema.public
  values = ["create", "update", "delete"]
}

enum "draft_status" {
  schema = schema.public
  values = ["pending", "validated", "submitted", "expired"]
}

table "entities" {
  schema  = schema.public
  comment = "Every entity of the ontology (all eight kinds, modules and bundles included), one row per entity file; soft-deleted rows keep their history. Read whole into each replica's in-memory snapshot."
  column "id" {
    type    = uuid
    null    = false
    default = sql("gen_random_uuid()")
  }
  column "entity_id" {
    type    = text
    null    = false
    comment = "Identifier from the ontology repository (file name without extension), unique per entity_type."
  }
  column "entity_type" {
    type = enum.entity_type
    null = false
  }
  column "label" {
    type = text
    null = false
  }
  column "description" {
    type = text
    null = true
  }
  column "schema_definition" {
    type    = jsonb
    null    = false
    default = "{}"
    comment = "The entity file as JSON, exactly as read from the repository."
  }
  column "commit_sha" {
    type    = text
    null    = true
    comment = "Repository commit of the ingest that last changed the row (not the last one that saw it), so its body and ETag stay put while it does not change."
  }
  column "created_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  column "updated_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  column "deleted_at" {
    type    = timestamptz
    null    = true
    comment = "Set when the entity disappeared from the repository; NULL for live rows."
  }
  column "source" {
    type    = text
    null    = false
    default = ""
    comment = "The entity file exactly as read from the repository (key order and formatting kept), so a draft's patch can be made against it."
  }
  column "file_path" {
    type    = text
    null    = false
    default = ""
    comment = "Path of the file in the repository, relative to its root (profiles/X.json in the older layout)."
  }
  column "content_hash" {
    type    = text
    null    = false
    default = ""
    comment = "Hex SHA-256 of the file as compact JSON: what tells a changed entity from a reformatted one."
  }
  column "changed_generation" {
    type    = bigint
    null    = false
    default = 0
    comment = "The ingests.generation that last added, changed, deleted or restored the row; drafts compare it to find upstream changes."
  }
  primary_key {
    columns = [column.id]
  }
  index "entities_entity_type_entity_id_key" {
    unique  = true
    columns = [column.entity_type, column.entity_id]
  }
  index "entities_live_idx" {
    columns = [column.entity_type, column.entity_id]
    where   = "deleted_at IS NULL"
    comment = "Serves listings and lookups of live entities."
  }
}

table "drafts" {
  schema  = schema.public
  comment = "Proposed ontology changes submitted by wikis, reachable only through their capability token."
  column "id" {
    type    = uuid
    null    = false
    default = sql("gen_random_uuid()")
  }
  column "capability_hash" {
    type    = text
    null    = false
    comment = "Hex SHA-256 of the capability token; the token itself is never stored."
  }
  column "status" {
    type    = enum.draft_status
    null    = false
    default = "pending"
  }
  column "payload" {
    type    = json
    null    = false
    default = "{}"
    comment = "Free notes beside the changes, exactly as submitted (json, not jsonb: jsonb would print a number such as 1e300 in full, turning a few bytes into hundreds)."
  }
  column "title" {
    type    = text
    null    = true
    comment = "What the proposal is about, in a line."
  }
  column "description" {
    type    = text
    null    = true
    comment = "Why, at length."
  }
  column "source_wiki" {
    type    = text
    null    = true
    comment = "The wiki the draft came from, as it identified itself."
  }
  column "base_commit_sha" {
    type    = text
    null    = true
    comment = "Repository commit the draft is based on: the one ingested when it was created, moved forward by each ingest that conflicts with none of its changes."
  }
  column "base_generation" {
    type    = bigint
    null    = false
    default = 0
    comment = "The ingests.generation of base_commit_sha."
  }
  column "revision" {
    type    = bigint
    null    = false
    default = 0
    comment = "Counts the changes to the change set; a validation holds only for the revision it checked."
  }
  column "last_validation" {
    type    = json
    null    = true
    comment = "The report of the last validation, as answered (findings, changes, versions, status)."
  }
  column "last_validation_revision" {
    type    = bigint
    null    = true
    comment = "The revision of the change set the last validation checked."
  }
  column "last_validation_at" {
    type    = timestamptz
    null    = true
    comment = "When the last validation ran."
  }
  column "validated_revision" {
    type    = bigint
    null    = true
    comment = "The revision the last successful validation checked; status is validated while it equals revision."
  }
  column "submitted_branch" {
    type    = text
    null    = true
    comment = "The branch the draft was pushed to when submitted."
  }
  column "submitted_commit_sha" {
    type    = text
    null    = true
    comment = "The commit holding the change set on that branch."
  }
  column "submitted_at" {
    type = timestamptz
    null = true
  }
  column "pull_request_url" {
    type    = text
    null    = true
    comment = "The pull request opened for it, when the remote is on GitHub."
  }
  column "expires_at" {
    type    = timestamptz
    null    = false
    comment = "After this instant the draft is expired and may be purged."
  }
  column "created_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  column "updated_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  column "deleted_at" {
    type = timestamptz
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "drafts_capability_hash_key" {
    unique  = true
    columns = [column.capability_hash]
  }
  index "drafts_expires_at_idx" {
    columns = [column.expires_at]
    comment = "Serves the sweep of expired drafts."
  }
}

table "ingests" {
  schema  = schema.public
  comment = "One row per applied ingest: the generation every replica's snapshot is keyed by, and what the repository held beside its entities."
  column "generation" {
    type = bigint
    null = false
    identity {
      generated = ALWAYS
    }
  }
  column "commit_sha" {
    type    = text
    null    = true
    comment = "Repository commit ingested; NULL when unknown."
  }
  column "ingested_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  column "repo_version" {
    type    = text
    null    = false
    default = ""
    comment = "The repository's VERSION file, trimmed; empty when it has none."
  }
  column "bundle_folder" {
    type    = text
    null    = false
    default = "bundles"
    comment = "Folder bundles live in: bundles, or profiles in the older layout."
  }
  column "schemas" {
    type    = json
    null    = false
    default = "{}"
    comment = "The _schema.json of each kind folder, by kind, exactly as read (json keeps key order)."
  }
  column "findings" {
    type    = jsonb
    null    = false
    default = "[]"
    comment = "Validation findings on the ingested ontology; never a reason to refuse it."
  }
  column "summary" {
    type    = jsonb
    null    = false
    default = "{}"
    comment = "What the ingest added, updated, left unchanged and deleted, per kind."
  }
  primary_key {
    columns = [column.generation]
  }
}

table "draft_changes" {
  schema  = schema.public
  comment = "The change set of a draft: at most one change per entity, kept as the entity will be once the draft is applied."
  column "id" {
    type    = uuid
    null    = false
    default = sql("gen_random_uuid()")
  }
  column "draft_id" {
    type = uuid
    null = false
  }
  column "change_type" {
    type = enum.draft_change_type
    null = false
  }
  column "entity_type" {
    type = enum.entity_type
    null = false
  }
  column "entity_id" {
    type = text
    null = false
  }
  column "entity" {
    type    = json
    null    = true
    comment = "The whole entity as the draft makes it, key order kept (json, not jsonb); NULL for a delete."
  }
  column "patch" {
    type    = json
    null    = true
    comment = "The RFC 6902 operations the updates of this entity were sent as, in order; NULL for a create or delete sent whole."
  }
  column "base_generation" {
    type    = bigint
    null    = true
    comment = "The canonical entity's changed_generation when the change was first made; NULL when it did not exist. A different one now means it was changed upstream: a rebase conflict."
  }
  column "created_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  column "updated_at" {
    type    = timestamptz
    null    = false
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "draft_changes_draft_id_fkey" {
    columns     = [column.draft_id]
    ref_columns = [table.drafts.column.id]
    on_delete   = CASCADE
  }
  index "draft_changes_entity_key" {
    unique  = true
    columns = [column.draft_id, column.entity_type, column.entity_id]
    comment = "At most one change per entity in a draft; also serves listing a draft's changes."
  }
}

table "sync_state" {
  schema  = schema.public
  comment = "Where following the schema repository stands: one row, shared by every replica, written by the one that holds the sync lock."
  column "id" {
    type    = boolean
    null    = false
    default = true
    comment = "Always true: the table holds one row."
  }
  column "remote_commit_sha" {
    type    = text
    null    = true
    comment = "The commit the followed ref pointed at when the remote was last asked; NULL before the first fetch."
  }
  column "last_error" {
    type    = text
    null    = true
    comment = "Why the last sync failed (credentials scrubbed); NULL when it succeeded."
  }
  column "attempted_at" {
    type    = timestamptz
    null    = true
    comment = "When the last sync started."
  }
  column "finished_at" {
    type    = timestamptz
    null    = true
    comment = "When the last sync ended, successfully or not."
  }
  column "succeeded_at" {
    type    = timestamptz
    null    = true
    comment = "When a sync last succeeded."
  }
  column "requested_at" {
    type    = timestamptz
    null    = true
    comment = "When a sync was last asked for (webhook, timer); one asked for while another runs is run after it."
  }
  primary_key {
    columns = [column.id]
  }
  check "sync_state_one_row" {
    expr = "id"
  }
}
