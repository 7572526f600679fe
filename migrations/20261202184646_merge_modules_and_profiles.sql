-- Modules and profiles become entities of kind module and bundle (a profile is a bundle), so
-- every kind is read the same way. Rows keep their ids, timestamps and soft deletes; their
-- source is the stored JSON until the next ingest writes the file as read.
INSERT INTO "public"."entities" (id, entity_id, entity_type, label, description, schema_definition, commit_sha, created_at, updated_at, deleted_at, source, file_path)
SELECT id, module_id, 'module', label, description, schema_definition, commit_sha, created_at, updated_at, deleted_at, schema_definition::text, 'modules/' || module_id || '.json'
FROM "public"."modules";
INSERT INTO "public"."entities" (id, entity_id, entity_type, label, description, schema_definition, commit_sha, created_at, updated_at, deleted_at, source, file_path)
SELECT id, profile_id, 'bundle', label, description, schema_definition, commit_sha, created_at, updated_at, deleted_at, schema_definition::text, 'bundles/' || profile_id || '.json'
FROM "public"."profiles";
-- Entities that were ingested before sources were kept.
UPDATE "public"."entities"
SET source = schema_definition::text,
    file_path = CASE entity_type
        WHEN 'category' THEN 'categories/'
        WHEN 'property' THEN 'properties/'
        ELSE 'subobjects/'
    END || entity_id || '.json'
WHERE entity_type IN ('category', 'property', 'subobject') AND source = '';
-- Drop "modules" table
DROP TABLE "public"."modules";
-- Drop "profiles" table
DROP TABLE "public"."profiles";
