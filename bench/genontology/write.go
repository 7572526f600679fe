package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The files' shapes, field for field as in the labki-schemas sample and its _schema.json files
// (field order as there).

type categoryFile struct {
	ID                 string   `json:"id"`
	Label              string   `json:"label"`
	Description        string   `json:"description"`
	Parents            []string `json:"parents,omitempty"`
	RequiredProperties []string `json:"required_properties,omitempty"`
	OptionalProperties []string `json:"optional_properties,omitempty"`
	RequiredSubobjects []string `json:"required_subobjects,omitempty"`
	OptionalSubobjects []string `json:"optional_subobjects,omitempty"`
}

type propertyFile struct {
	ID                      string   `json:"id"`
	Label                   string   `json:"label"`
	Description             string   `json:"description"`
	Datatype                string   `json:"datatype"`
	Cardinality             string   `json:"cardinality"`
	ParentProperty          string   `json:"parent_property,omitempty"`
	AllowedValues           any      `json:"allowed_values,omitempty"`
	AllowedPattern          string   `json:"allowed_pattern,omitempty"`
	DisplayUnits            []string `json:"display_units,omitempty"`
	DisplayPrecision        *int     `json:"display_precision,omitempty"`
	UniqueValues            bool     `json:"unique_values,omitempty"`
	HasDisplayTemplate      string   `json:"has_display_template,omitempty"`
	AllowsValueFromCategory string   `json:"Allows_value_from_category,omitempty"`
}

type subobjectFile struct {
	ID                 string   `json:"id"`
	Label              string   `json:"label"`
	Description        string   `json:"description"`
	RequiredProperties []string `json:"required_properties,omitempty"`
	OptionalProperties []string `json:"optional_properties,omitempty"`
}

type templateFile struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Wikitext    string `json:"wikitext"`
}

type moduleFile struct {
	ID           string   `json:"id"`
	Version      string   `json:"version"`
	Label        string   `json:"label"`
	Description  string   `json:"description"`
	Dependencies []string `json:"dependencies,omitempty"`
	Categories   []string `json:"categories"`
	Properties   []string `json:"properties,omitempty"`
	Subobjects   []string `json:"subobjects,omitempty"`
	Templates    []string `json:"templates,omitempty"`
	Dashboards   []string `json:"dashboards,omitempty"`
	Resources    []string `json:"resources,omitempty"`
}

type bundleFile struct {
	ID          string   `json:"id"`
	Version     string   `json:"version"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Modules     []string `json:"modules"`
	Dashboards  []string `json:"dashboards,omitempty"`
}

type dashboardFile struct {
	ID          string     `json:"id"`
	Label       string     `json:"label"`
	Description string     `json:"description"`
	Pages       []pageFile `json:"pages"`
}

type pageFile struct {
	Name     string `json:"name"`
	Wikitext string `json:"wikitext"`
}

// orderedObject is a JSON object whose members keep their order: a resource's property values
// follow its id, label, description and category.
type orderedObject []field

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// entityFile is one file of the checkout: its kind folder, its id and its content.
type entityFile struct {
	kind, folder, id, label string
	doc                     any
}

// kindFolders maps each kind, as the API spells it, to its folder.
var kindFolders = map[string]string{
	"category": "categories", "property": "properties", "subobject": "subobjects",
	"template": "templates", "module": "modules", "bundle": "bundles",
	"dashboard": "dashboards", "resource": "resources",
}

// kindOrder is the order kinds are written and reported in.
var kindOrder = []string{"category", "property", "subobject", "template", "module", "bundle", "dashboard", "resource"}

// files returns every entity file of the ontology, kind by kind.
func (o *ontology) files() []entityFile {
	var out []entityFile
	add := func(kind, id, label string, doc any) {
		out = append(out, entityFile{kind: kind, folder: kindFolders[kind], id: id, label: label, doc: doc})
	}
	for _, c := range o.categories {
		add("category", c.id, c.label, o.categoryFile(c))
	}
	for _, p := range o.properties {
		add("property", p.id, p.label, o.propertyFile(p))
	}
	for _, so := range o.subobjects {
		add("subobject", so.id, so.label, subobjectFile{ID: so.id, Label: so.label, Description: so.description,
			RequiredProperties: o.propertyIDs(so.required), OptionalProperties: o.propertyIDs(so.optional)})
	}
	for _, t := range o.templates {
		add("template", t.id, t.label, templateFile{ID: t.id, Label: t.label, Description: t.description, Wikitext: t.wikitext})
	}
	for _, m := range o.modules {
		add("module", m.id, m.label, o.moduleFile(m))
	}
	for _, b := range o.bundles {
		add("bundle", b.id, b.label, bundleFile{ID: b.id, Version: b.version, Label: b.label, Description: b.description,
			Modules: ids(b.modules, func(i int) string { return o.modules[i].id }), Dashboards: ids(b.dashboards, func(i int) string { return o.dashboards[i].id })})
	}
	for _, d := range o.dashboards {
		f := dashboardFile{ID: d.id, Label: d.label, Description: d.description}
		for _, p := range d.pages {
			f.Pages = append(f.Pages, pageFile{Name: p.name, Wikitext: p.wikitext})
		}
		add("dashboard", d.id, d.label, f)
	}
	for _, r := range o.resources {
		doc := orderedObject{{"id", r.id}, {"label", r.label}, {"description", r.description}, {"category", o.categories[r.category].id}}
		add("resource", r.id, r.label, append(doc, r.values...))
	}
	return out
}

func (o *ontology) categoryFile(c category) categoryFile {
	return categoryFile{
		ID: c.id, Label: c.label, Description: c.description,
		Parents:            ids(c.parents, func(i int) string { return o.categories[i].id }),
		RequiredProperties: o.propertyIDs(c.required),
		OptionalProperties: o.propertyIDs(c.optional),
		RequiredSubobjects: ids(c.requiredSubobjects, func(i int) string { return o.subobjects[i].id }),
		OptionalSubobjects: ids(c.optionalSubobjects, func(i int) string { return o.subobjects[i].id }),
	}
}

func (o *ontology) propertyFile(p property) propertyFile {
	f := propertyFile{ID: p.id, Label: p.label, Description: p.description, Datatype: p.datatype, Cardinality: p.cardinality,
		AllowedPattern: p.pattern, DisplayUnits: p.units, UniqueValues: p.unique}
	if p.parent != none {
		f.ParentProperty = o.properties[p.parent].id
	}
	switch {
	case len(p.allowedValues) > 0:
		f.AllowedValues = p.allowedValues
	case p.fromCategory != none && p.fromCategoryObject:
		f.AllowedValues = map[string]string{"from_category": o.categories[p.fromCategory].id}
	case p.fromCategory != none:
		f.AllowsValueFromCategory = o.categories[p.fromCategory].id
	}
	if p.precision != none {
		f.DisplayPrecision = &p.precision
	}
	if p.template != none {
		f.HasDisplayTemplate = o.templates[p.template].id
	}
	return f
}

func (o *ontology) moduleFile(m module) moduleFile {
	return moduleFile{
		ID: m.id, Version: m.version, Label: m.label, Description: m.description,
		Dependencies: ids(m.deps, func(i int) string { return o.modules[i].id }),
		Categories:   ids(m.categories, func(i int) string { return o.categories[i].id }),
		Properties:   o.propertyIDs(m.properties),
		Subobjects:   ids(m.subobjects, func(i int) string { return o.subobjects[i].id }),
		Templates:    ids(m.templates, func(i int) string { return o.templates[i].id }),
		Dashboards:   ids(m.dashboards, func(i int) string { return o.dashboards[i].id }),
		Resources:    ids(m.resources, func(i int) string { return o.resources[i].id }),
	}
}

func (o *ontology) propertyIDs(list []int) []string {
	return ids(list, func(i int) string { return o.properties[i].id })
}

// ids maps indices to ids; nil for an empty list, so omitempty drops it.
func ids(list []int, id func(int) string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return out
}

// encode writes doc as indented JSON ending in a newline, without escaping <, > and & (wikitext
// is full of them).
func encode(doc any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeCheckout writes the entity files into out, which must be missing or empty, and copies
// the VERSION file, each kind folder's _schema.json and the root *.schema.json files from the
// sample checkout schemas, so the result validates like a real repository.
func writeCheckout(files []entityFile, out, schemas string) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: stale files would mix with the new ones", out)
	}
	if err := copySchemas(schemas, out); err != nil {
		return err
	}
	for _, f := range files {
		data, err := encode(f.doc)
		if err != nil {
			return fmt.Errorf("%s %s: %w", f.kind, f.id, err)
		}
		path := filepath.Join(out, f.folder, filepath.FromSlash(f.id)+".json")
		if strings.Contains(f.id, "/") {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copySchemas copies VERSION, <folder>/_schema.json and *.schema.json from the sample checkout
// and creates every kind folder.
func copySchemas(from, to string) error {
	if _, err := os.Stat(filepath.Join(from, "categories", "_schema.json")); err != nil {
		return fmt.Errorf("-schemas %s: not a schema repository checkout with _schema.json files: %w", from, err)
	}
	copyFile := func(rel string) error {
		data, err := os.ReadFile(filepath.Join(from, rel))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	}
	for _, kind := range kindOrder {
		folder := kindFolders[kind]
		if err := os.MkdirAll(filepath.Join(to, folder), 0o755); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(folder, "_schema.json")); err != nil {
			return fmt.Errorf("copy %s schema: %w", kind, err)
		}
	}
	if err := copyFile("VERSION"); err != nil && !os.IsNotExist(err) {
		return err
	}
	root, err := fs.Glob(os.DirFS(from), "*.schema.json")
	if err != nil {
		return err
	}
	for _, rel := range root {
		if err := copyFile(rel); err != nil {
			return err
		}
	}
	return nil
}

// writeManifest writes one line per entity: kind, id and label, separated by tabs (no id or
// label holds a tab or a newline). The load test builds its request paths from it.
func writeManifest(files []entityFile, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, e := range files {
		fmt.Fprintf(w, "%s\t%s\t%s\n", e.kind, e.id, e.label)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
