// Package ontology computes over parsed ontology definitions, without any I/O: the inheritance
// graph of categories (ancestors, descendants, cycles), the properties and subobjects a category
// has once inheritance is applied, who uses a property or subobject, what belongs to a module,
// and the dependency closure of modules.
//
// Both layouts of the schema repository are understood. The older one gives a category one
// "parent" and unqualified "properties" and "subobjects" lists (and a subobject a "properties"
// list); the newer one gives "parents" (multiple inheritance) and splits the lists into
// "required_*" and "optional_*". Lists of the older layout count as optional.
package ontology

import (
	"encoding/json"
)

// Member is a property or subobject that a definition lists.
type Member struct {
	// ID is the listed property's or subobject's id.
	ID string
	// Required is true when it comes from a "required_*" list.
	Required bool
}

// Category is a category definition reduced to what the graph needs.
type Category struct {
	// ID is the category's entity_id.
	ID string
	// Parents are the direct parents in file order, each once: the newer layout's "parents",
	// then the older layout's "parent".
	Parents []string
	// Properties and Subobjects are the members the category lists itself, each once, required
	// lists first; an id listed both as required and optional counts as required.
	Properties []Member
	Subobjects []Member
}

// Subobject is a subobject definition reduced to the properties it lists.
type Subobject struct {
	// ID is the subobject's entity_id.
	ID string
	// Properties are the properties it lists, each once, required first.
	Properties []Member
}

// ParseCategory reads a category's schema_definition. Parsing is lenient: ingest has validated
// the file, but rows can come from elsewhere, and a field of an unexpected shape is ignored
// rather than failing a whole graph (entries of a list that are not strings are skipped).
func ParseCategory(id string, definition []byte) Category {
	fields := objectFields(definition)
	c := Category{ID: id}
	c.Parents = unique(append(stringList(fields["parents"]), parentField(fields["parent"])...))
	c.Properties = members(fields, "required_properties", "optional_properties", "properties")
	c.Subobjects = members(fields, "required_subobjects", "optional_subobjects", "subobjects")
	return c
}

// ParseSubobject reads a subobject's schema_definition, leniently like ParseCategory.
func ParseSubobject(id string, definition []byte) Subobject {
	fields := objectFields(definition)
	return Subobject{ID: id, Properties: members(fields, "required_properties", "optional_properties", "properties")}
}

// objectFields splits a JSON object into its fields; anything else yields no fields.
func objectFields(definition []byte) map[string]json.RawMessage {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(definition, &fields); err != nil {
		return nil
	}
	return fields
}

// stringList returns the non-empty strings of a JSON array, in order; anything else yields none.
func stringList(raw json.RawMessage) []string {
	var items []any
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, item := range items {
		if s, ok := item.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parentField reads the older layout's "parent": a category id or null.
func parentField(raw json.RawMessage) []string {
	var parent string
	if len(raw) == 0 || json.Unmarshal(raw, &parent) != nil || parent == "" {
		return nil
	}
	return []string{parent}
}

// members merges a definition's required, optional and unqualified (older layout) lists. The
// required list comes first, so an id found in both keeps Required.
func members(fields map[string]json.RawMessage, required, optional, unqualified string) []Member {
	var out []Member
	seen := map[string]bool{}
	add := func(ids []string, isRequired bool) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, Member{ID: id, Required: isRequired})
			}
		}
	}
	add(stringList(fields[required]), true)
	add(stringList(fields[optional]), false)
	add(stringList(fields[unqualified]), false)
	return out
}

// unique drops repeated ids, keeping the first occurrence.
func unique(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Module is a module definition reduced to its lists and version.
type Module struct {
	ID string
	// Version is the module's "version", nil when it has none (or not a string).
	Version *string
	// The lists, in file order, each id once.
	Categories, Properties, Subobjects, Templates, Dashboards, Resources, Dependencies []string
}

// ParseModule reads a module definition. Like the other parsers it is lenient: a field of the
// wrong type counts as absent (the validation engine reports it).
func ParseModule(id string, definition []byte) Module {
	fields := objectFields(definition)
	return Module{
		ID:           id,
		Version:      stringField(fields["version"]),
		Categories:   unique(stringList(fields["categories"])),
		Properties:   unique(stringList(fields["properties"])),
		Subobjects:   unique(stringList(fields["subobjects"])),
		Templates:    unique(stringList(fields["templates"])),
		Dashboards:   unique(stringList(fields["dashboards"])),
		Resources:    unique(stringList(fields["resources"])),
		Dependencies: unique(stringList(fields["dependencies"])),
	}
}

// Bundle is a bundle (profile) definition reduced to its lists and version.
type Bundle struct {
	ID      string
	Version *string
	// Modules and Dashboards are the lists, in file order, each id once.
	Modules, Dashboards []string
}

// ParseBundle reads a bundle (or profile) definition, leniently like ParseModule.
func ParseBundle(id string, definition []byte) Bundle {
	fields := objectFields(definition)
	return Bundle{
		ID:         id,
		Version:    stringField(fields["version"]),
		Modules:    unique(stringList(fields["modules"])),
		Dashboards: unique(stringList(fields["dashboards"])),
	}
}

func stringField(raw json.RawMessage) *string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return &s
}
