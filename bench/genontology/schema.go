package main

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"unicode/utf8"
)

// schemaValidator checks documents against the subset of JSON Schema 2020-12 that the schema
// repository's _schema.json files use. A keyword outside the subset is reported as a problem,
// so a schema that grows a new rule cannot pass here unchecked.
type schemaValidator struct {
	patterns map[string]*regexp.Regexp
}

// annotations are keywords that constrain nothing.
var annotations = []string{"$schema", "$id", "title", "description"}

// validate appends to problems what is wrong with v under schema; at is v's JSON Pointer.
func (sv *schemaValidator) validate(schema map[string]any, v any, at string, problems *[]string) {
	add := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%s: %s", pointer(at), fmt.Sprintf(format, args...)))
	}
	keys := make([]string, 0, len(schema))
	for k := range schema {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := schema[k]
		switch k {
		case "type":
			if !hasType(v, s) {
				add("is %s, want type %v", jsonKind(v), s)
				return // the other keywords assume the type
			}
		case "enum":
			if !slices.ContainsFunc(s.([]any), func(e any) bool { return equalJSON(e, v) }) {
				add("%v is not one of %v", v, s)
			}
		case "const":
			if !equalJSON(s, v) {
				add("%v is not %v", v, s)
			}
		case "pattern":
			if str, ok := v.(string); ok && !sv.regexp(s.(string)).MatchString(str) {
				add("%q does not match %s", str, s)
			}
		case "minLength":
			if str, ok := v.(string); ok && utf8.RuneCountInString(str) < int(s.(float64)) {
				add("shorter than %v", s)
			}
		case "minimum":
			if n, ok := v.(float64); ok && n < s.(float64) {
				add("%v is below %v", n, s)
			}
		case "minItems":
			if list, ok := v.([]any); ok && len(list) < int(s.(float64)) {
				add("has fewer than %v items", s)
			}
		case "uniqueItems":
			if list, ok := v.([]any); ok && s == true && hasDuplicates(list) {
				add("items are not unique")
			}
		case "items":
			if list, ok := v.([]any); ok {
				for i, item := range list {
					sv.validate(s.(map[string]any), item, fmt.Sprintf("%s/%d", at, i), problems)
				}
			}
		case "contains":
			if list, ok := v.([]any); ok && !slices.ContainsFunc(list, func(item any) bool { return sv.valid(s, item) }) {
				add("no item matches %s", compact(s))
			}
		case "required":
			if obj, ok := v.(map[string]any); ok {
				for _, name := range s.([]any) {
					if _, present := obj[name.(string)]; !present {
						add("missing %s", name)
					}
				}
			}
		case "properties":
			if obj, ok := v.(map[string]any); ok {
				for name, sub := range s.(map[string]any) {
					if value, present := obj[name]; present {
						sv.validate(sub.(map[string]any), value, at+"/"+name, problems)
					}
				}
			}
		case "additionalProperties":
			sv.additional(schema, s, v, at, problems)
		case "anyOf", "oneOf":
			matched := 0
			for _, sub := range s.([]any) {
				if sv.valid(sub, v) {
					matched++
				}
			}
			if matched == 0 || (k == "oneOf" && matched > 1) {
				add("matches %d of the %s alternatives %s", matched, k, compact(s))
			}
		case "not":
			if sv.valid(s, v) {
				add("must not match %s", compact(s))
			}
		default:
			if !slices.Contains(annotations, k) {
				add("schema keyword %q is not supported by this checker", k)
			}
		}
	}
}

// additional applies additionalProperties: false (or a schema) to the members properties does
// not name.
func (sv *schemaValidator) additional(schema map[string]any, s, v any, at string, problems *[]string) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	known, _ := schema["properties"].(map[string]any)
	for name, value := range obj {
		if _, listed := known[name]; listed {
			continue
		}
		switch s := s.(type) {
		case bool:
			if !s {
				*problems = append(*problems, fmt.Sprintf("%s: member %q is not allowed", pointer(at), name))
			}
		case map[string]any:
			sv.validate(s, value, at+"/"+name, problems)
		}
	}
}

// valid reports whether v satisfies schema.
func (sv *schemaValidator) valid(schema, v any) bool {
	var problems []string
	sv.validate(schema.(map[string]any), v, "", &problems)
	return len(problems) == 0
}

func (sv *schemaValidator) regexp(pattern string) *regexp.Regexp {
	if sv.patterns == nil {
		sv.patterns = map[string]*regexp.Regexp{}
	}
	re, ok := sv.patterns[pattern]
	if !ok {
		re = regexp.MustCompile(pattern)
		sv.patterns[pattern] = re
	}
	return re
}

func hasType(v, want any) bool {
	if list, ok := want.([]any); ok {
		return slices.ContainsFunc(list, func(t any) bool { return hasType(v, t) })
	}
	switch want {
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return jsonKind(v) == want
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func equalJSON(a, b any) bool {
	if sa, ok := a.(string); ok {
		sb, ok := b.(string)
		return ok && sa == sb
	}
	return compact(a) == compact(b)
}

func hasDuplicates(list []any) bool {
	seen := map[string]bool{}
	for _, item := range list {
		key, ok := item.(string)
		if ok {
			key = `"` + key // strings apart from the JSON text of other values
		} else {
			key = compact(item)
		}
		if seen[key] {
			return true
		}
		seen[key] = true
	}
	return false
}

// compact is v as JSON; encoding/json sorts object keys, so equal values give equal text.
func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func pointer(at string) string {
	if at == "" {
		return "(document)"
	}
	return at
}
