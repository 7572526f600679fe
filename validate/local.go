package validate

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"

	"github.com/ontohub/ontohub/ontology"
)

// requiredFields are checked for a kind that has no _schema.json (the older layout, or a
// repository that lacks one folder's schema): the required fields of the repository's schemas,
// except the "version" of modules and bundles, which the older layout does not have. A
// "version" that is present must still be semver (invalid_version).
var requiredFields = map[int][]string{
	kCategory:  {"id", "label", "description"},
	kProperty:  {"id", "label", "description", "datatype", "cardinality"},
	kSubobject: {"id", "label", "description"},
	kTemplate:  {"id", "label", "description", "wikitext"},
	kModule:    {"id", "label", "description"},
	kBundle:    {"id", "label", "description", "modules"},
	kDashboard: {"id", "label", "description", "pages"},
	kResource:  {"id", "category"},
}

// overlapPairs are the required/optional lists of a kind that must not share an id.
var overlapPairs = map[int][][2]string{
	kCategory:  {{"required_properties", "optional_properties"}, {"required_subobjects", "optional_subobjects"}},
	kSubobject: {{"required_properties", "optional_properties"}},
}

// localChecker runs the checks that need only the entity itself.
type localChecker struct {
	// schemas holds the compiled _schema.json per kind index; nil means required fields only.
	schemas []*jsonschema.Schema
	printer *message.Printer
}

// parse builds the entity for a usable file: its references and version for the checks across
// entities, and the findings of the checks on it alone.
func (c *localChecker) parse(k int, id, file string, data []byte) *entity {
	e := &entity{kind: k, id: id, file: file, data: data}
	fs := &findings{kind: k, id: id, file: file}
	obj, err := decode(data)
	if err != nil {
		// Callers check files with checkout.FileProblem first; this guards entities handed in
		// some other way.
		e.broken, e.data = true, nil
		fs.add(CodeInvalidJSON, "", "invalid JSON: %v", err)
		e.local = fs.out
		return e
	}
	e.refs = extractRefs(k, obj)
	if v, ok := obj["version"].(string); ok && (k == kModule || k == kBundle) {
		e.version = v
	}
	if v, ok := obj["id"]; ok && v != id {
		fs.add(CodeIDMismatch, "/id", "id %s does not match %q, the id the file path gives", jsonText(v), id)
	}
	suppress := moduleRules(k, obj, fs)
	if sch := c.schemas[k]; sch != nil {
		for _, sf := range schemaFindings(sch, obj, c.printer) {
			if !suppress[sf.path+"\x00"+sf.keyword] && !suppress[sf.path+"\x00*"] {
				fs.add(CodeSchemaViolation, sf.path, "%s", sf.message)
			}
		}
	} else {
		for _, name := range requiredFields[k] {
			if v, ok := obj[name]; !ok || v == nil {
				fs.add(CodeMissingField, "", "missing required field %q", name)
			}
		}
	}
	referenceRules(e, fs)
	e.local = fs.out
	return e
}

// findings collects the findings about one entity.
type findings struct {
	kind     int
	id, file string
	out      []Finding
}

func (fs *findings) add(code, path, format string, args ...any) {
	fs.out = append(fs.out, Finding{Severity: SeverityError, Code: code, EntityType: string(ontology.Kinds[fs.kind]), EntityID: fs.id,
		File: fs.file, Path: path, Message: fmt.Sprintf(format, args...)})
}

// moduleRules checks that a module lists something and that a module's or bundle's version
// is semver. It returns the schema failures these findings already report (by path and
// keyword, "*" for any keyword), which the schema check then leaves out.
func moduleRules(k int, obj map[string]any, fs *findings) map[string]bool {
	suppress := map[string]bool{}
	if k == kModule && !hasModuleList(obj) {
		fs.add(CodeModuleEmpty, "", "module lists nothing: it needs at least one of the lists %s", strings.Join(moduleListFields, ", "))
		suppress["\x00anyOf"] = true
	}
	if v, ok := obj["version"]; ok && (k == kModule || k == kBundle) {
		if s, isString := v.(string); !isString {
			fs.add(CodeInvalidVersion, "/version", "version %s is not a string", jsonText(v))
			suppress["/version\x00*"] = true
		} else if _, ok := parseSemver(s); !ok {
			fs.add(CodeInvalidVersion, "/version", "version %q is not semver (MAJOR.MINOR.PATCH)", s)
			suppress["/version\x00*"] = true
		}
	}
	return suppress
}

// referenceRules checks what an entity's own references must not do: list an id both as
// required and as optional, or name the entity itself.
func referenceRules(e *entity, fs *findings) {
	for _, pair := range overlapPairs[e.kind] {
		required := map[string]bool{}
		for _, r := range e.refs {
			if r.field == pair[0] {
				required[r.id] = true
			}
		}
		for _, r := range e.refs {
			if r.field == pair[1] && required[r.id] {
				fs.add(CodeRequiredOptionalOverlap, r.pointer, "%q is listed both in %s and in %s", r.id, pair[0], pair[1])
			}
		}
	}
	for _, r := range e.refs {
		if r.target == e.kind && r.id == e.id {
			fs.add(CodeSelfReference, r.pointer, "%s %q names itself in %s", ontology.Kinds[e.kind], e.id, r.field)
		}
	}
}

// hasModuleList reports whether a module has at least one of its member lists (present as an
// array, as the repository's schema requires with anyOf/required; an empty list counts).
func hasModuleList(obj map[string]any) bool {
	for _, name := range moduleListFields {
		if _, ok := obj[name].([]any); ok {
			return true
		}
	}
	return false
}

// jsonText renders a decoded JSON value briefly for a message.
func jsonText(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprint(v)
}
