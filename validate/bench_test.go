package validate

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/ontology"
)

// Size of the generated ontology: 5,000 categories and about 25,000 entities in all.
const (
	genModules    = 100
	genCategories = 5000
	genProperties = 12000
	genSubobjects = 1000
	genTemplates  = 500
	genDashboards = 500
	genResources  = 6000
	genBundles    = 10
)

// letters spells n with lowercase letters only, since the repository's id patterns allow no
// digits: 0 → "a", 25 → "z", 26 → "ba".
func letters(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('a' + n%26)}, b...)
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

func genID(prefix string, n int) string { return prefix + "_" + letters(n) }

// generated builds a valid ontology of the newest layout (checked against the labki sample's
// _schema.json files): modules in a dependency chain, each owning a slice of every kind;
// categories inherit from earlier categories and use properties and subobjects of their own or
// earlier modules, so every reference is in scope.
func generated(t testing.TB) Repo {
	t.Helper()
	repo := Repo{Schemas: labki(t).Schemas, Version: "1.4.2", BundleFolder: "bundles"}
	lists := make([]map[string][]string, genModules)
	for m := range lists {
		lists[m] = map[string][]string{}
	}
	add := func(kind ontology.Kind, id string, module int, body string) {
		file := path.Join(kind.Folder(), id+".json")
		data := fmt.Sprintf(`{"id": %q, "label": "%s label", "description": "Generated %s"%s}`, id, id, kind, body)
		repo.Entities = append(repo.Entities, Entity{Kind: kind, ID: id, File: file, Data: []byte(data)})
		if module >= 0 {
			lists[module][kind.Folder()] = append(lists[module][kind.Folder()], id)
		}
	}
	moduleOf := func(i, n int) int { return i * genModules / n }
	quoted := func(ids ...string) string {
		q := make([]string, len(ids))
		for i, id := range ids {
			q[i] = fmt.Sprintf("%q", id)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	for i := range genProperties {
		body := `, "datatype": "Text", "cardinality": "single"`
		if i%10 == 1 {
			body += fmt.Sprintf(`, "parent_property": %q`, genID("Has", i-1))
		}
		if i%7 == 0 {
			body += `, "allowed_values": ["one", "two", "three"]`
		}
		add(ontology.KindProperty, genID("Has", i), moduleOf(i, genProperties), body)
	}
	for i := range genSubobjects {
		p := i * genProperties / genSubobjects
		add(ontology.KindSubobject, genID("Part", i), moduleOf(i, genSubobjects),
			fmt.Sprintf(`, "required_properties": %s, "optional_properties": %s`, quoted(genID("Has", p)), quoted(genID("Has", p+1))))
	}
	for i := range genCategories {
		m := moduleOf(i, genCategories)
		p := i * genProperties / genCategories
		required := []string{genID("Has", p), genID("Has", p+1), genID("Has", p+2)}
		var optional []string
		for _, q := range []int{p / 2, p / 3, p / 5} {
			if id := genID("Has", q); !slices.Contains(required, id) && !slices.Contains(optional, id) {
				optional = append(optional, id)
			}
		}
		body := fmt.Sprintf(`, "required_properties": %s, "optional_properties": %s, "optional_subobjects": %s`,
			quoted(required...), quoted(optional...), quoted(genID("Part", i*genSubobjects/genCategories)))
		switch {
		case i%50 == 0:
		case i%3 == 0:
			body += fmt.Sprintf(`, "parents": %s`, quoted(genID("Kind", i-1), genID("Kind", i/2)))
		default:
			body += fmt.Sprintf(`, "parents": %s`, quoted(genID("Kind", i-1)))
		}
		add(ontology.KindCategory, genID("Kind", i), m, body)
	}
	for i := range genTemplates {
		add(ontology.KindTemplate, "Gen/"+genID("Page", i), moduleOf(i, genTemplates), `, "wikitext": "{{{value}}}"`)
	}
	for i := range genDashboards {
		add(ontology.KindDashboard, genID("Board", i), moduleOf(i, genDashboards), `, "pages": [{"name": "", "wikitext": "x"}]`)
	}
	for i := range genResources {
		add(ontology.KindResource, "Gen/"+genID("Item", i), moduleOf(i, genResources),
			fmt.Sprintf(`, "category": %q`, genID("Kind", i*genCategories/genResources)))
	}
	for m := range genModules {
		body := `, "version": "1.0.0"`
		for _, folder := range []string{"categories", "properties", "subobjects", "templates", "dashboards", "resources"} {
			body += fmt.Sprintf(`, %q: %s`, folder, quoted(lists[m][folder]...))
		}
		if m > 0 {
			body += fmt.Sprintf(`, "dependencies": %s`, quoted(genID("Mod", m-1)))
		}
		add(ontology.KindModule, genID("Mod", m), -1, body)
	}
	for b := range genBundles {
		var modules []string
		for m := b * genModules / genBundles; m < (b+1)*genModules/genBundles; m++ {
			modules = append(modules, genID("Mod", m))
		}
		add(ontology.KindBundle, genID("Set", b), -1, fmt.Sprintf(`, "version": "2.3.4", "modules": %s`, quoted(modules...)))
	}
	return repo
}

// draft50 is a draft of 50 changes over the generated ontology: label edits, datatype changes,
// new parents, new entities and deletions (which break references elsewhere).
func draft50() []Change {
	var out []Change
	for i := range 20 {
		id := genID("Kind", 100+i*200)
		p := (100 + i*200) * genProperties / genCategories
		out = append(out, Change{Kind: ontology.KindCategory, ID: id, Data: fmt.Appendf(nil,
			`{"id": %q, "label": "Renamed", "description": "Changed", "parents": [%q], "required_properties": [%q, %q]}`,
			id, genID("Kind", 99+i*200), genID("Has", p), genID("Has", p+3))})
	}
	for i := range 15 {
		id := genID("Has", 500+i*700)
		out = append(out, Change{Kind: ontology.KindProperty, ID: id, Data: fmt.Appendf(nil,
			`{"id": %q, "label": "x", "description": "x", "datatype": "Email", "cardinality": "multiple"}`, id)})
	}
	for i := range 5 {
		id := genID("Mod", 10+i*20)
		out = append(out, Change{Kind: ontology.KindModule, ID: id, Data: fmt.Appendf(nil,
			`{"id": %q, "version": "1.0.0", "label": "x", "description": "x", "templates": ["Gen/%s"], "dependencies": [%q]}`,
			id, genID("Page", 50+i*100), genID("Mod", 9+i*20))})
	}
	for i := range 5 {
		id := genID("New", i)
		out = append(out, Change{Kind: ontology.KindCategory, ID: id, Data: fmt.Appendf(nil,
			`{"id": %q, "label": "x", "description": "x", "parents": [%q]}`, id, genID("Kind", i))})
	}
	for i := range 5 {
		out = append(out, Change{Kind: ontology.KindProperty, ID: genID("Has", 3050+i*1000)})
	}
	return out
}

func TestGeneratedOntologyIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("prepares 25,000 entities")
	}
	repo := generated(t)
	start := time.Now()
	o := prepare(t, repo)
	t.Logf("prepared %d entities in %v", len(repo.Entities), time.Since(start))
	if fs := o.Findings(); len(fs) > 0 {
		t.Fatalf("%d findings, the first %+v", len(fs), fs[0])
	}
	start = time.Now()
	r := o.CheckChanges(draft50())
	t.Logf("checked a draft of %d changes in %v: %d findings, %d changes, %d version advices",
		len(draft50()), time.Since(start), len(r.Findings), len(r.Changes), len(r.Versions))
	if len(r.Changes) != 50 || r.Valid {
		t.Errorf("report: %d changes, valid %v; want 50 changes, invalid (deletions break references)", len(r.Changes), r.Valid)
	}
}

// BenchmarkCheckDraft checks a 50-change draft over a prepared ontology of 5,000 categories
// (about 25,000 entities); the target is under 200 ms per draft on two cores.
func BenchmarkCheckDraft(b *testing.B) {
	o := prepare(b, generated(b))
	draft := draft50()
	b.ResetTimer()
	for b.Loop() {
		r := o.CheckChanges(draft)
		if len(r.Changes) != len(draft) {
			b.Fatalf("%d changes", len(r.Changes))
		}
	}
}
