package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// fieldType is the JSON shape a known field must have.
type fieldType int

const (
	stringField     fieldType = iota // a string
	nullableString                   // a string or null
	stringListField                  // an array of strings
	allowedValues                    // an array of strings or an object naming a category
)

// field is one known field of an entity file.
type field struct {
	name string
	typ  fieldType
}

// fields lists, per kind, the fields whose type is checked beyond id, label
// and description. It is the union of both layouts: the older one has
// "parent", "properties" and "subobjects" on categories; the newer one has
// "parents" and the required_/optional_ lists. Fields not listed are kept in
// schema_definition unchecked, so new optional fields do not break ingest.
var fields = map[string][]field{
	"category": {
		{"parent", nullableString},
		{"parents", stringListField},
		{"properties", stringListField},
		{"subobjects", stringListField},
		{"required_properties", stringListField},
		{"optional_properties", stringListField},
		{"required_subobjects", stringListField},
		{"optional_subobjects", stringListField},
	},
	"property": {
		{"allowed_values", allowedValues},
		{"allowed_pattern", stringField},
		{"allowed_value_list", stringField},
		{"display_units", stringListField},
		{"has_display_template", stringField},
		{"Allows_value_from_category", stringField},
	},
	"subobject": {
		{"properties", stringListField},
		{"required_properties", stringListField},
		{"optional_properties", stringListField},
	},
	"module": {
		{"version", stringField},
		{"categories", stringListField},
		{"properties", stringListField},
		{"subobjects", stringListField},
		{"dependencies", stringListField},
		{"templates", stringListField},
		{"dashboards", stringListField},
		{"resources", stringListField},
	},
	"profile": {
		{"version", stringField},
		{"modules", stringListField},
		{"dashboards", stringListField},
	},
}

// datatypes is the union of both layouts' property datatype vocabularies
// (the older one says "Telephone" and "Geographic coordinate", the newer one
// "Telephone number" and "Geographic coordinates").
var datatypes = []string{
	"Annotation URI", "Boolean", "Code", "Date", "Email", "External identifier",
	"Geographic coordinate", "Geographic coordinates", "Keyword", "Monolingual text",
	"Number", "Page", "Quantity", "Record", "Reference", "Telephone",
	"Telephone number", "Temperature", "Text", "URL",
}

var cardinalities = []string{"single", "multiple"}

// parsedFile is what the database needs from a valid entity file.
type parsedFile struct {
	id          string
	label       string
	description *string
	// lists holds every stringListField of the kind, [] when absent.
	lists map[string][]string
}

// parseFile validates one file of the given kind whose name says its id is
// wantID. It returns every problem found, or none and the parsed file.
func parseFile(kindName, wantID string, data []byte) (parsedFile, []string) {
	if !utf8.Valid(data) {
		return parsedFile{}, []string{"not valid UTF-8"}
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return parsedFile{}, []string{"invalid JSON: " + describeJSONError(data, err)}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return parsedFile{}, []string{fmt.Sprintf("top level is %s, expected a JSON object", jsonType(doc))}
	}
	if containsNUL(obj) {
		// PostgreSQL's jsonb and text cannot hold U+0000; say so here rather
		// than fail inside the transaction without naming the file.
		return parsedFile{}, []string{`contains the character \u0000, which PostgreSQL cannot store`}
	}

	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var f parsedFile
	f.id, f.label, f.description = parseIdentity(obj, wantID, add)
	f.lists = parseFields(obj, fields[kindName], add)
	if kindName == "property" {
		checkVocabulary(obj, "datatype", datatypes, add)
		checkVocabulary(obj, "cardinality", cardinalities, add)
	}
	return f, problems
}

// parseIdentity reads the fields every kind has: the id, which must match the file name; the
// label, the id when absent or blank; and the optional description.
func parseIdentity(obj map[string]any, wantID string, add func(string, ...any)) (id, label string, description *string) {
	switch v := obj["id"].(type) {
	case nil:
		add("missing id")
	case string:
		switch {
		case v == "":
			add("id must not be empty")
		case v != wantID:
			add("id %q does not match the file name (expected %q)", v, wantID)
		default:
			id = v
		}
	default:
		add("id must be a string, got %s", jsonType(v))
	}

	switch v := obj["label"].(type) {
	case nil:
		label = wantID
	case string:
		label = v
		if strings.TrimSpace(v) == "" {
			label = wantID
		}
	default:
		add("label must be a string, got %s", jsonType(v))
	}

	switch v := obj["description"].(type) {
	case nil:
	case string:
		description = &v
	default:
		add("description must be a string or null, got %s", jsonType(v))
	}
	return id, label, description
}

// parseFields checks the known fields of a kind and returns every stringListField of it, []
// when absent or invalid.
func parseFields(obj map[string]any, known []field, add func(string, ...any)) map[string][]string {
	lists := map[string][]string{}
	for _, fd := range known {
		value, present := obj[fd.name]
		if fd.typ == stringListField {
			lists[fd.name] = []string{}
		}
		if !present {
			continue
		}
		if msg := checkField(fd, value); msg != "" {
			add("%s", msg)
			continue
		}
		if fd.typ == stringListField {
			lists[fd.name] = toStrings(value.([]any))
		}
	}
	return lists
}

// checkField returns what is wrong with value for fd, or "".
func checkField(fd field, value any) string {
	switch fd.typ {
	case stringField:
		if _, ok := value.(string); !ok {
			return fmt.Sprintf("%s must be a string, got %s", fd.name, jsonType(value))
		}
	case nullableString:
		if _, ok := value.(string); !ok && value != nil {
			return fmt.Sprintf("%s must be a string or null, got %s", fd.name, jsonType(value))
		}
	case stringListField:
		return checkStringList(fd.name, value)
	case allowedValues:
		if obj, ok := value.(map[string]any); ok {
			if _, ok := obj["from_category"].(string); !ok {
				return fmt.Sprintf("%s as an object must have a string from_category", fd.name)
			}
			return ""
		}
		if msg := checkStringList(fd.name, value); msg != "" {
			return fmt.Sprintf("%s must be an array of strings or an object with from_category, got %s", fd.name, jsonType(value))
		}
	}
	return ""
}

func checkStringList(name string, value any) string {
	list, ok := value.([]any)
	if !ok {
		return fmt.Sprintf("%s must be an array of strings, got %s", name, jsonType(value))
	}
	for i, item := range list {
		if _, ok := item.(string); !ok {
			return fmt.Sprintf("%s must be an array of strings, but item %d is %s", name, i, jsonType(item))
		}
	}
	return ""
}

// checkVocabulary requires obj[name] to be one of the accepted strings.
func checkVocabulary(obj map[string]any, name string, accepted []string, add func(string, ...any)) {
	value, present := obj[name]
	if !present || value == nil {
		add("missing %s (one of %s)", name, strings.Join(accepted, ", "))
		return
	}
	s, ok := value.(string)
	if !ok {
		add("%s must be a string, got %s", name, jsonType(value))
		return
	}
	if !slices.Contains(accepted, s) {
		add("unknown %s %q (accepted: %s)", name, s, strings.Join(accepted, ", "))
	}
}

func toStrings(list []any) []string {
	out := make([]string, len(list))
	for i, item := range list {
		out[i] = item.(string)
	}
	return out
}

// jsonType names the JSON type of a decoded value for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// containsNUL reports whether any key or string in v holds U+0000.
func containsNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case []any:
		return slices.ContainsFunc(v, containsNUL)
	case map[string]any:
		for key, item := range v {
			if strings.ContainsRune(key, 0) || containsNUL(item) {
				return true
			}
		}
	}
	return false
}

// describeJSONError adds the line and column to a syntax error, which
// encoding/json reports only as a byte offset.
func describeJSONError(data []byte, err error) string {
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) {
		return err.Error()
	}
	// Offset counts the bytes read, the offending one included.
	before := data[:min(int(syntaxErr.Offset), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	column := len(before) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Sprintf("line %d, column %d: %v", line, column, err)
}
