package validate

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ontohub/ontohub/ontology"
)

// numKinds sizes the per-kind tables, indexed by a kind's position in ontology.Kinds.
var numKinds = len(ontology.Kinds)

// Positions of the kinds in ontology.Kinds, for the per-kind tables.
var (
	kCategory  = ontology.KindCategory.Index()
	kProperty  = ontology.KindProperty.Index()
	kSubobject = ontology.KindSubobject.Index()
	kTemplate  = ontology.KindTemplate.Index()
	kModule    = ontology.KindModule.Index()
	kBundle    = ontology.KindBundle.Index()
	kDashboard = ontology.KindDashboard.Index()
	kResource  = ontology.KindResource.Index()
)

// ref is one reference from an entity to another, found when the entity is parsed so that the
// checks across entities never decode JSON again.
type ref struct {
	// field is the top-level field holding it ("parents", "allowed_values").
	field string
	// pointer locates it in the entity ("/parents/0", "/allowed_values/from_category").
	pointer string
	// target is the kind referred to, as an index into ontology.Kinds.
	target int
	// id is the id referred to.
	id string
	// to is the entity referred to in the prepared ontology (nil: none), valid when resolved
	// is set. Prepare resolves the references of its entities once, so that an overlay looks
	// up only the ids its changes touch.
	to       *entity
	resolved bool
}

// entity is one entity as the engine keeps it: what the checks across entities need, and the
// findings of the checks on the entity alone, computed once.
type entity struct {
	kind int
	id   string
	file string
	// data is the file's content (kept to classify changes); nil when broken.
	data []byte
	// broken marks a file with a file-level problem (unreadable, invalid JSON, bad or duplicate
	// id): it exists, so references to it resolve, but nothing inside it counts.
	broken bool
	refs   []ref
	// version is the "version" field of a module or bundle when it is a string.
	version string
	// local are the findings about this entity alone (file, id, schema, overlap, module lists,
	// version, self-reference).
	local []Finding
	// members are the modules the entity belongs to in the prepared ontology, sorted; valid
	// when membersKnown (entities of a prepared ontology, once it is prepared).
	members      []string
	membersKnown bool
}

// refField describes a field that holds references.
type refField struct {
	name string
	// sub, when set, is the key inside an object-valued field that holds the reference
	// (allowed_values.from_category).
	sub string
	// list fields hold an array of ids; the others one id.
	list   bool
	target int
}

// referenceFields lists, per kind, the fields that name other entities, in both layouts: the
// older layout's single "parent" and unqualified "properties"/"subobjects" lists too.
var referenceFields = map[int][]refField{
	kCategory: {
		{name: "parents", list: true, target: kCategory},
		{name: "parent", target: kCategory},
		{name: "required_properties", list: true, target: kProperty},
		{name: "optional_properties", list: true, target: kProperty},
		{name: "properties", list: true, target: kProperty},
		{name: "required_subobjects", list: true, target: kSubobject},
		{name: "optional_subobjects", list: true, target: kSubobject},
		{name: "subobjects", list: true, target: kSubobject},
	},
	kSubobject: {
		{name: "required_properties", list: true, target: kProperty},
		{name: "optional_properties", list: true, target: kProperty},
		{name: "properties", list: true, target: kProperty},
	},
	kProperty: {
		{name: "parent_property", target: kProperty},
		{name: "has_display_template", target: kTemplate},
		{name: "allowed_values", sub: "from_category", target: kCategory},
		{name: "Allows_value_from_category", target: kCategory},
	},
	kModule: {
		{name: "categories", list: true, target: kCategory},
		{name: "properties", list: true, target: kProperty},
		{name: "subobjects", list: true, target: kSubobject},
		{name: "templates", list: true, target: kTemplate},
		{name: "dashboards", list: true, target: kDashboard},
		{name: "resources", list: true, target: kResource},
		{name: "dependencies", list: true, target: kModule},
	},
	kBundle: {
		{name: "modules", list: true, target: kModule},
		{name: "dashboards", list: true, target: kDashboard},
	},
	kResource: {
		{name: "category", target: kCategory},
	},
}

// moduleListFields are the lists of a module that make entities its members; at least one must
// be present.
var moduleListFields = []string{"categories", "properties", "subobjects", "templates", "dashboards", "resources"}

// decode parses an entity's bytes into the generic form JSON Schema validation uses
// (map[string]any, numbers as json.Number).
func decode(data []byte) (map[string]any, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is not a JSON object")
	}
	return obj, nil
}

// extractRefs finds every reference of an entity of kind k. A list field given as a single
// string counts as a list of one (as the repository's CI reads it); entries of other types are
// left to the schema check.
func extractRefs(k int, obj map[string]any) []ref {
	var out []ref
	for _, f := range referenceFields[k] {
		v, ok := obj[f.name]
		if !ok {
			continue
		}
		switch {
		case f.sub != "":
			if inner, ok := v.(map[string]any); ok {
				if id, ok := inner[f.sub].(string); ok {
					out = append(out, ref{field: f.name, pointer: pointer(f.name, f.sub), target: f.target, id: id})
				}
			}
		case f.list:
			switch list := v.(type) {
			case []any:
				for i, item := range list {
					if id, ok := item.(string); ok {
						out = append(out, ref{field: f.name, pointer: indexPointer(f.name, i), target: f.target, id: id})
					}
				}
			case string:
				out = append(out, ref{field: f.name, pointer: pointer(f.name), target: f.target, id: list})
			}
		default:
			// A single reference: null or "" means none (the older layout writes "parent": null).
			if id, ok := v.(string); ok && id != "" {
				out = append(out, ref{field: f.name, pointer: pointer(f.name), target: f.target, id: id})
			}
		}
	}
	return out
}
