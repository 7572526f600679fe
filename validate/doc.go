// Package validate is the validation engine: it checks a schema repository (or a draft of
// changes over one) against the rules the repository's own CI enforces, and classifies changes
// for version advice. It is pure: plain values in, plain values out, no database, no HTTP, no
// file I/O (FromCheckout takes a checkout package reads).
//
// Two uses shape it. A whole checkout is checked once (the validate command, ingest): Prepare
// parses every file, compiles each kind's _schema.json from memory (JSON Schema 2020-12; no
// $ref is ever fetched) and runs every check. A draft is checked many times against the
// canonical ontology kept in memory: Prepare runs once, and CheckChanges lays the draft's
// changes over the prepared ontology (With), runs the checks on single entities for the
// changed ones only and the checks across entities over the overlay, and reports what the draft
// is answerable for.
//
// # Rules and codes
//
// Every finding carries one stable code. Severity error makes the ontology invalid.
//
//	code                       severity  meaning
//	unreadable_file            error     a file or folder cannot be read (symlink, too large, not a regular file)
//	invalid_json               error     a file is not one strict JSON object
//	invalid_id                 error     the id a file path gives is unusable (empty, not NFC, control characters, spaces around a segment)
//	duplicate_id               error     two ids of one kind differ only in case or Unicode normalization
//	invalid_schema             error     a kind's _schema.json cannot be compiled (entities of that kind then get the required-fields check)
//	id_mismatch                error     the "id" inside a file differs from the id its path gives (path "/id")
//	schema_violation           error     a file breaks its kind's _schema.json; path = instance location, message names the keyword
//	missing_field              error     a kind without _schema.json (older layout) lacks a required field
//	unresolved_reference       error     a reference names an entity that does not exist
//	self_reference             error     an entity is its own parent, parent_property or dependency
//	inheritance_cycle          error     category parents form a cycle (one finding per cycle, on its smallest id)
//	property_cycle             error     parent_property chains form a cycle
//	dependency_cycle           error     module dependencies form a cycle
//	required_optional_overlap  error     an id is listed both as required and as optional (path = the optional entry)
//	module_scope               error     an entity of a module references one of a module outside its own and its transitive dependencies
//	module_empty               error     a module has none of the lists categories, properties, subobjects, templates, dashboards, resources
//	invalid_version            error     a module's or bundle's "version", or the root VERSION, is not semver
//	orphan                     warning   a category, property, subobject, template, dashboard or resource that no module lists
//
// # What counts
//
// References: category parents (parent in the older layout), required_/optional_ properties and
// subobjects (unqualified properties/subobjects in the older layout); subobject required_/optional_
// properties (properties); property parent_property, has_display_template (a template),
// allowed_values.from_category and Allows_value_from_category (a category); module categories,
// properties, subobjects, templates, dashboards, resources, dependencies; bundle modules,
// dashboards; resource category.
//
// Module membership: an entity belongs to every module that lists it. In the older layout (no
// _schema.json at all), whose modules list only categories, a module also owns the properties
// and subobjects its categories list and those subobjects' properties. Module scope is checked
// for references from categories, properties, subobjects and resources (modules and bundles
// define scope), skipping references to entities in no module and from entities in no module.
//
// # Version advice
//
// A change is major (entity deleted, id changed, datatype changed, cardinality multiple →
// single, allowed value removed, required property added to a category or optional one
// removed, categories/properties/id/label/description removed from a module or bundle), minor
// (entity added, allowed value or optional property added, any other field or list item added)
// or patch (anything else: label, description, other values changed, other fields or list
// items removed). A module takes the highest bump among its own change, the entities it lists
// and its transitive dependencies; a bundle the highest among its own change and its modules;
// the ontology the highest of all changes.
package validate
