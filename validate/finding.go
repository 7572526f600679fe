package validate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Finding is one broken rule (or warning) about one place in the ontology. Its JSON form is part
// of the API contract.
type Finding struct {
	// Severity is SeverityError or SeverityWarning.
	Severity string `json:"severity"`
	// Code names the rule: one of the Code constants.
	Code string `json:"code"`
	// EntityType is the kind of the entity (ontology.Kind), "" for a repository-level finding
	// (VERSION, a folder).
	EntityType string `json:"entity_type"`
	// EntityID is the entity's id, "" when the finding is about a kind's _schema.json or the
	// repository.
	EntityID string `json:"entity_id"`
	// File is the path relative to the checkout root, with forward slashes.
	File string `json:"file"`
	// Path is an RFC 6901 JSON Pointer inside the file ("" = the whole entity).
	Path string `json:"path"`
	// Message says what is wrong, for people.
	Message string `json:"message"`
}

// Severities.
const (
	// SeverityError makes an ontology invalid.
	SeverityError = "error"
	// SeverityWarning is reported but does not make an ontology invalid.
	SeverityWarning = "warning"
)

// Codes, one per rule; doc.go has the table the API contract copies.
const (
	// CodeUnreadableFile: a file or folder cannot be read (symlink, too large, not a regular
	// file, I/O error).
	CodeUnreadableFile = "unreadable_file"
	// CodeInvalidJSON: a file is not one strict JSON object.
	CodeInvalidJSON = "invalid_json"
	// CodeInvalidID: the id a file's path gives is unusable (empty, not NFC, control
	// characters, surrounding spaces), or a change names an unknown kind.
	CodeInvalidID = "invalid_id"
	// CodeDuplicateID: two ids of one kind differ only in case or Unicode normalization.
	CodeDuplicateID = "duplicate_id"
	// CodeInvalidSchema: a kind's _schema.json cannot be compiled (bad JSON Schema, or a $ref
	// to something outside the repository's schemas, which is never fetched).
	CodeInvalidSchema = "invalid_schema"
	// CodeIDMismatch: the "id" inside a file differs from the id its path gives.
	CodeIDMismatch = "id_mismatch"
	// CodeSchemaViolation: a file breaks its kind's _schema.json; Path is the instance location
	// and the message names the failing keyword.
	CodeSchemaViolation = "schema_violation"
	// CodeMissingField: a kind without _schema.json (older layout) lacks a required field.
	CodeMissingField = "missing_field"
	// CodeUnresolvedReference: a reference names an entity that does not exist.
	CodeUnresolvedReference = "unresolved_reference"
	// CodeSelfReference: an entity names itself as parent, parent property or dependency.
	CodeSelfReference = "self_reference"
	// CodeInheritanceCycle: category parents form a cycle.
	CodeInheritanceCycle = "inheritance_cycle"
	// CodePropertyCycle: parent_property chains form a cycle.
	CodePropertyCycle = "property_cycle"
	// CodeDependencyCycle: module dependencies form a cycle.
	CodeDependencyCycle = "dependency_cycle"
	// CodeRequiredOptionalOverlap: an id is listed both as required and as optional.
	CodeRequiredOptionalOverlap = "required_optional_overlap"
	// CodeModuleScope: an entity of a module references an entity of a module that is neither
	// its own nor one of its transitive dependencies.
	CodeModuleScope = "module_scope"
	// CodeModuleEmpty: a module lists nothing (no categories, properties, subobjects,
	// templates, dashboards or resources list).
	CodeModuleEmpty = "module_empty"
	// CodeInvalidVersion: a module's or bundle's "version", or the root VERSION, is not semver.
	CodeInvalidVersion = "invalid_version"
	// CodeOrphan (warning): an entity that no module lists.
	CodeOrphan = "orphan"
)

// compareFindings orders findings by file, path, code, then the rest, so output is stable.
func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.EntityType, b.EntityType),
		cmp.Compare(a.EntityID, b.EntityID),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Severity, b.Severity),
	)
}

// sortFindings sorts in place and drops exact repeats.
func sortFindings(fs []Finding) []Finding {
	slices.SortFunc(fs, compareFindings)
	return slices.Compact(fs)
}

// pointerToken escapes one RFC 6901 reference token.
func pointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// pointer joins tokens into a JSON Pointer.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerToken(t))
	}
	return b.String()
}

// indexPointer is the pointer of item i of the top-level field.
func indexPointer(field string, i int) string {
	return "/" + pointerToken(field) + "/" + strconv.Itoa(i)
}
