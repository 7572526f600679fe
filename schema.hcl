// schema.hcl is the desired state of ontohub's PostgreSQL database (15 and later).
// Change it, then run `ontohub migrate diff NAME` to generate the versioned migration
// in migrations/; a test fails when the two drift apart.

schema "public" {
}

enum "entity_type" {
  schema = schema.public
  values = ["category", "property", "subobject"]
}

enum "draft_status" {
  schema = schema.public
  values = ["pending", "validated", "submitted", "expired"]
}

table "entities" {
  schema  = schema.public
  comment = "Categories, properties and subobjects of the ontology, one row per entity file; soft-deleted rows keep their history."
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
    comment = "Repository commit the row was last ingested from."
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
  column "search_vector" {
    type    = tsvector
    null    = true
    comment = "Full-text search document: the id (also split at underscores), label and description, with the simple configuration so ids are not stemmed."
    as {
      expr = "to_tsvector('simple', entity_id || ' ' || replace(entity_id, '_', ' ') || ' ' || label || ' ' || coalesce(description, ''))"
      type = STORED
    }
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
  index "entities_search_idx" {
    type    = GIN
    columns = [column.search_vector]
    where   = "deleted_at IS NULL"
    comment = "Serves full-text search over live entities."
  }
}

table "modules" {
  schema  = schema.public
  comment = "Modules of the ontology: named bundles of categories with their dependencies on other modules."
  column "id" {
    type    = uuid
    null    = false
    default = sql("gen_random_uuid()")
  }
  column "module_id" {
    type    = text
    null    = false
    comment = "Identifier from the ontology repository (file name without extension)."
  }
  column "label" {
    type = text
    null = false
  }
  column "description" {
    type = text
    null = true
  }
  column "category_ids" {
    type    = jsonb
    null    = false
    default = "[]"
    comment = "JSON array of the entity_ids of the categories the module holds."
  }
  column "dependencies" {
    type    = jsonb
    null    = false
    default = "[]"
    comment = "JSON array of the module_ids this module depends on."
  }
  column "schema_definition" {
    type    = jsonb
    null    = false
    default = "{}"
    comment = "The whole module file as JSON; the only place for the properties and subobjects lists of the newer layout."
  }
  column "commit_sha" {
    type    = text
    null    = true
    comment = "Repository commit the row was last ingested from."
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
    comment = "Set when the module disappeared from the repository; NULL for live rows."
  }
  primary_key {
    columns = [column.id]
  }
  index "modules_module_id_key" {
    unique  = true
    columns = [column.module_id]
  }
}

table "profiles" {
  schema  = schema.public
  comment = "Profiles of the ontology: named selections of modules."
  column "id" {
    type    = uuid
    null    = false
    default = sql("gen_random_uuid()")
  }
  column "profile_id" {
    type    = text
    null    = false
    comment = "Identifier from the ontology repository (file name without extension)."
  }
  column "label" {
    type = text
    null = false
  }
  column "description" {
    type = text
    null = true
  }
  column "module_ids" {
    type    = jsonb
    null    = false
    default = "[]"
    comment = "JSON array of the module_ids the profile selects."
  }
  column "schema_definition" {
    type    = jsonb
    null    = false
    default = "{}"
    comment = "The whole profile file as JSON, exactly as read from the repository."
  }
  column "commit_sha" {
    type    = text
    null    = true
    comment = "Repository commit the row was last ingested from."
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
    comment = "Set when the profile disappeared from the repository; NULL for live rows."
  }
  primary_key {
    columns = [column.id]
  }
  index "profiles_profile_id_key" {
    unique  = true
    columns = [column.profile_id]
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
    type    = jsonb
    null    = false
    comment = "The proposed changes as submitted."
  }
  column "source_wiki" {
    type    = text
    null    = true
    comment = "The wiki the draft came from, as it identified itself."
  }
  column "base_commit_sha" {
    type    = text
    null    = true
    comment = "Repository commit the draft was written against."
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
