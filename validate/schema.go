package validate

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/ontohub/ontohub/ontology"
)

// schemaFileName names a kind folder's JSON Schema.
const schemaFileName = "_schema.json"

// errNoFetch refuses every schema the compiler would load from outside the repository: a
// validator that follows $ref over the network (or to the local disk) would let a checkout make
// the server fetch URLs or read files.
var errNoFetch = errors.New("schemas are never fetched: only the repository's own _schema.json files and the JSON Schema meta-schemas are available")

// refuseLoader is the compiler's loader: it loads nothing.
type refuseLoader struct{}

func (refuseLoader) Load(string) (any, error) { return nil, errNoFetch }

// compileSchemas compiles each kind's _schema.json from memory. A schema that does not compile
// is an invalid_schema finding, and its kind is then checked for required fields only.
// Schemas may $ref one another through their $id; nothing else is resolved.
func compileSchemas(raw map[ontology.Kind][]byte, files func(ontology.Kind) string) ([]*jsonschema.Schema, []Finding) {
	compiled := make([]*jsonschema.Schema, numKinds)
	var findings []Finding
	invalid := func(k ontology.Kind, format string, args ...any) {
		findings = append(findings, Finding{Severity: SeverityError, Code: CodeInvalidSchema, EntityType: string(k),
			File: files(k), Message: fmt.Sprintf(format, args...)})
	}
	docs := map[ontology.Kind]any{}
	locations := map[ontology.Kind]string{}
	taken := map[string]bool{}
	for _, k := range ontology.Kinds {
		data, ok := raw[k]
		if !ok {
			continue
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			invalid(k, "%s is not JSON: %v", schemaFileName, err)
			continue
		}
		docs[k] = doc
		// Registered under its own $id, a schema can be the target of another's $ref; without
		// a usable $id it gets a private address.
		loc := "urn:ontohub:schema:" + k.Folder()
		if obj, ok := doc.(map[string]any); ok {
			if id, ok := obj["$id"].(string); ok && isAbsoluteURL(id) && !taken[id] {
				loc = strings.TrimSuffix(id, "#")
			}
		}
		taken[loc] = true
		locations[k] = loc
	}
	for _, k := range ontology.Kinds {
		loc, ok := locations[k]
		if !ok {
			continue
		}
		c := jsonschema.NewCompiler()
		c.UseLoader(refuseLoader{})
		c.DefaultDraft(jsonschema.Draft2020)
		for other, otherLoc := range locations {
			if err := c.AddResource(otherLoc, docs[other]); err != nil {
				invalid(other, "%s cannot be used: %v", schemaFileName, err)
			}
		}
		sch, err := c.Compile(loc)
		if err != nil {
			invalid(k, "%s cannot be compiled: %s", schemaFileName, oneLine(err.Error()))
			continue
		}
		compiled[k.Index()] = sch
	}
	return compiled, findings
}

func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// schemaFindings validates an entity against its kind's schema and returns one finding per
// failing leaf of the error tree, at the instance location. anyOf, oneOf and contains are
// reported once, as themselves, rather than once per failing alternative: the alternatives'
// failures only make sense together.
func schemaFindings(sch *jsonschema.Schema, obj map[string]any, p *message.Printer) []schemaFinding {
	err := sch.Validate(obj)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []schemaFinding{{message: oneLine(err.Error())}}
	}
	var out []schemaFinding
	collectLeaves(verr, p, &out)
	return out
}

// schemaFinding is one failure of a schema keyword.
type schemaFinding struct {
	path    string
	keyword string
	message string
}

func collectLeaves(e *jsonschema.ValidationError, p *message.Printer, out *[]schemaFinding) {
	loc := pointer(e.InstanceLocation...)
	switch k := e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf, *kind.Contains, *kind.MinContains:
		*out = append(*out, schemaFinding{path: loc, keyword: keywordOf(k),
			message: describeKeyword(k, p) + alternatives(e.Causes, p, k)})
		return
	case *kind.Required:
		for _, name := range k.Missing {
			*out = append(*out, schemaFinding{path: loc, keyword: "required",
				message: fmt.Sprintf("schema keyword %q failed: missing required field %q", "required", name)})
		}
		return
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			*out = append(*out, schemaFinding{path: loc + pointer(name), keyword: "additionalProperties",
				message: fmt.Sprintf("schema keyword %q failed: field %q is not allowed", "additionalProperties", name)})
		}
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectLeaves(c, p, out)
		}
		return
	}
	*out = append(*out, schemaFinding{path: loc, keyword: keywordOf(e.ErrorKind), message: describeKeyword(e.ErrorKind, p)})
}

// alternatives summarises why each alternative of anyOf/oneOf (or each item for contains)
// failed, briefly.
func alternatives(causes []*jsonschema.ValidationError, p *message.Printer, k jsonschema.ErrorKind) string {
	label := "alternative"
	switch k.(type) {
	case *kind.Contains, *kind.MinContains:
		label = "item"
	}
	var parts []string
	for i, c := range causes {
		var leaves []schemaFinding
		collectLeaves(c, p, &leaves)
		var why []string
		for _, l := range leaves {
			why = append(why, strings.TrimPrefix(l.message, "schema keyword "))
		}
		parts = append(parts, fmt.Sprintf("%s %d: %s", label, i, strings.Join(why, ", ")))
		if i == 5 && len(causes) > 6 {
			parts = append(parts, fmt.Sprintf("and %d more", len(causes)-6))
			break
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// keywordOf names the keyword that failed.
func keywordOf(k jsonschema.ErrorKind) string {
	if path := k.KeywordPath(); len(path) > 0 {
		return path[len(path)-1]
	}
	switch k.(type) {
	case *kind.Not:
		return "not"
	case *kind.FalseSchema:
		return "false"
	}
	return "schema"
}

func describeKeyword(k jsonschema.ErrorKind, p *message.Printer) string {
	keyword := keywordOf(k)
	var detail string
	switch k.(type) {
	case *kind.Not:
		detail = "the value matches a schema it must not match"
	case *kind.AnyOf:
		detail = "no alternative matched"
	case *kind.OneOf:
		if len(k.(*kind.OneOf).Subschemas) == 0 {
			detail = "no alternative matched"
		}
	}
	if detail == "" {
		// The library's text repeats the keyword in front ("minLength: got 0, want 1").
		detail = strings.TrimPrefix(oneLine(k.LocalizedString(p)), keyword+": ")
	}
	return fmt.Sprintf("schema keyword %q failed: %s", keyword, detail)
}

// newPrinter returns the printer schema messages are written with. A printer per check keeps
// concurrent checks independent.
func newPrinter() *message.Printer {
	return message.NewPrinter(language.English)
}
