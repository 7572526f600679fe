package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// checkCheckout reads the checkout in dir back from disk and returns every way it breaks the
// rules the schema repositories enforce (see shared/validation-rules.md): each file against its
// kind folder's _schema.json, the id inside against the path, references that resolve, no
// self-references or cycles (parents, parent_property, module dependencies), no id both
// required and optional, module scope, and — stricter than a warning there — no entity that no
// module lists. It judges the files only, not the generator's memory of them.
func checkCheckout(dir string) ([]string, error) {
	co, err := readBack(dir)
	if err != nil {
		return nil, err
	}
	c := &checker{co: co}
	c.schemas()
	c.references()
	c.cycles()
	c.scope()
	return c.problems, nil
}

// readEntity is one entity file as read back.
type readEntity struct {
	kind, id, path string
	doc            map[string]any
}

type readCheckout struct {
	files   []*readEntity
	byKind  map[string]map[string]*readEntity
	schemas map[string]map[string]any
}

// readBack reads every entity file and _schema.json of dir.
func readBack(dir string) (*readCheckout, error) {
	co := &readCheckout{byKind: map[string]map[string]*readEntity{}, schemas: map[string]map[string]any{}}
	for _, kind := range kindOrder {
		folder := kindFolders[kind]
		co.byKind[kind] = map[string]*readEntity{}
		err := filepath.WalkDir(filepath.Join(dir, folder), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(dir, folder), p)
			rel = filepath.ToSlash(rel)
			switch {
			case d.IsDir() && d.Name() == "versions":
				return fs.SkipDir
			case d.IsDir() || !strings.HasSuffix(rel, ".json"):
				return nil
			}
			var doc map[string]any
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				return fmt.Errorf("%s/%s: %w", folder, rel, err)
			}
			if rel == "_schema.json" {
				co.schemas[kind] = doc
				return nil
			}
			e := &readEntity{kind: kind, id: strings.TrimSuffix(rel, ".json"), path: path.Join(folder, rel), doc: doc}
			co.files = append(co.files, e)
			co.byKind[kind][e.id] = e
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return co, nil
}

type checker struct {
	co       *readCheckout
	problems []string
	// members maps kind and id to the modules that list the entity.
	members map[[2]string][]string
	// closure maps a module to itself and its transitive dependencies.
	closure map[string]map[string]bool
}

func (c *checker) problem(e *readEntity, format string, args ...any) {
	c.problems = append(c.problems, e.path+": "+fmt.Sprintf(format, args...))
}

// schemas checks every file against its kind's _schema.json and its id against its path.
func (c *checker) schemas() {
	var sv schemaValidator
	for _, kind := range kindOrder {
		if c.co.schemas[kind] == nil {
			c.problems = append(c.problems, kindFolders[kind]+"/_schema.json: missing")
		}
	}
	for _, e := range c.co.files {
		if id, _ := e.doc["id"].(string); id != e.id {
			c.problem(e, "id %q does not match the path (want %q)", id, e.id)
		}
		if schema := c.co.schemas[e.kind]; schema != nil {
			var problems []string
			sv.validate(schema, any(e.doc), "", &problems)
			for _, p := range problems {
				c.problem(e, "%s", p)
			}
		}
	}
}

// reference is one field of a kind that names entities of another kind.
type reference struct {
	field, target string
	scoped        bool // subject to the module scope rule
}

// references lists, per kind, the fields that refer to other entities.
var references = map[string][]reference{
	"category": {{"parents", "category", true}, {"required_properties", "property", true}, {"optional_properties", "property", true},
		{"required_subobjects", "subobject", true}, {"optional_subobjects", "subobject", true}},
	"subobject": {{"required_properties", "property", true}, {"optional_properties", "property", true}},
	"property": {{"parent_property", "property", true}, {"has_display_template", "template", true},
		{"allowed_values.from_category", "category", true}, {"Allows_value_from_category", "category", true}},
	"module": {{"categories", "category", false}, {"properties", "property", false}, {"subobjects", "subobject", false},
		{"templates", "template", false}, {"dashboards", "dashboard", false}, {"resources", "resource", false},
		{"dependencies", "module", false}},
	"bundle":   {{"modules", "module", false}, {"dashboards", "dashboard", false}},
	"resource": {{"category", "category", true}},
}

// refs returns the ids e's field names: a string, a list of strings, or (for
// "allowed_values.from_category") a member of an object.
func refs(e *readEntity, field string) []string {
	var v any = e.doc
	for _, step := range strings.Split(field, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[step]
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, item := range v {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// references checks that every reference resolves, that nothing refers to itself, that no id
// is both required and optional, and that every entity but modules and bundles is listed by a
// module.
func (c *checker) references() {
	c.members = map[[2]string][]string{}
	for _, e := range c.co.files {
		for _, r := range references[e.kind] {
			for _, id := range refs(e, r.field) {
				switch {
				case c.co.byKind[r.target][id] == nil:
					c.problem(e, "%s names %s %q, which does not exist", r.field, r.target, id)
				case r.target == e.kind && id == e.id:
					c.problem(e, "%s names itself", r.field)
				}
				if e.kind == "module" && r.target != "module" {
					key := [2]string{r.target, id}
					c.members[key] = append(c.members[key], e.id)
				}
			}
		}
		for _, pair := range [][2]string{{"required_properties", "optional_properties"}, {"required_subobjects", "optional_subobjects"}} {
			required := refs(e, pair[0])
			for _, id := range refs(e, pair[1]) {
				if slices.Contains(required, id) {
					c.problem(e, "%q is both in %s and %s", id, pair[0], pair[1])
				}
			}
		}
	}
	for _, e := range c.co.files {
		if e.kind != "module" && e.kind != "bundle" && len(c.members[[2]string{e.kind, e.id}]) == 0 {
			c.problem(e, "orphan: no module lists this %s", e.kind)
		}
	}
}

// cycles checks the three graphs that must be acyclic.
func (c *checker) cycles() {
	for _, g := range []struct{ kind, field string }{{"category", "parents"}, {"property", "parent_property"}, {"module", "dependencies"}} {
		state := map[string]int{} // 0 unvisited, 1 on the stack, 2 done
		var visit func(id string) bool
		visit = func(id string) bool {
			switch state[id] {
			case 1:
				return true
			case 2:
				return false
			}
			state[id] = 1
			if e := c.co.byKind[g.kind][id]; e != nil {
				for _, next := range refs(e, g.field) {
					if visit(next) {
						state[id] = 2
						c.problem(e, "%s closes a cycle through %q", g.field, next)
						return false
					}
				}
			}
			state[id] = 2
			return false
		}
		for _, e := range c.co.files {
			if e.kind == g.kind {
				visit(e.id)
			}
		}
	}
}

// scope checks the module scope rule: an entity a module lists may only refer to entities that
// module or one of its transitive dependencies lists.
func (c *checker) scope() {
	c.closure = map[string]map[string]bool{}
	for _, e := range c.co.files {
		for _, r := range references[e.kind] {
			if !r.scoped {
				continue
			}
			for _, id := range refs(e, r.field) {
				targetModules := c.members[[2]string{r.target, id}]
				if len(targetModules) == 0 {
					continue // a missing or orphan target is reported already
				}
				for _, m := range c.members[[2]string{e.kind, e.id}] {
					if !slices.ContainsFunc(targetModules, func(t string) bool { return c.moduleClosure(m)[t] }) {
						c.problem(e, "%s names %s %q of module %s, outside the scope of module %s", r.field, r.target, id, strings.Join(targetModules, ","), m)
					}
				}
			}
		}
	}
}

// moduleClosure returns module id and its transitive dependencies.
func (c *checker) moduleClosure(id string) map[string]bool {
	if out, ok := c.closure[id]; ok {
		return out
	}
	out := map[string]bool{id: true}
	c.closure[id] = out // a cycle, reported elsewhere, ends here
	if e := c.co.byKind["module"][id]; e != nil {
		for _, dep := range refs(e, "dependencies") {
			for m := range c.moduleClosure(dep) {
				out[m] = true
			}
		}
	}
	return out
}
