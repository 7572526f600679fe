package snapshot

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// row is an entity row as the store returns it.
func row(kind, id, source string) store.OntologyEntity {
	var fields struct {
		Label       string  `json:"label"`
		Description *string `json:"description"`
	}
	_ = json.Unmarshal([]byte(source), &fields)
	if fields.Label == "" {
		fields.Label = id
	}
	commit := "c0ffee"
	return store.OntologyEntity{
		ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(kind+"/"+id)), EntityType: kind, EntityID: id,
		Label: fields.Label, Description: fields.Description, Source: []byte(source), FilePath: kind + "/" + id + ".json",
		CommitSHA: &commit, ChangedGeneration: 1,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// testOntology is a small ontology with a diamond: Teaching_assistant has two parents that
// share Person.
func testOntology(generation int64) store.Ontology {
	return store.Ontology{
		Generation: generation,
		Entities: []store.OntologyEntity{
			row("category", "Agent", `{"id":"Agent","label":"Agent","required_properties":["Has_name"]}`),
			row("category", "Person", `{"id":"Person","label":"Person","parents":["Agent"],"optional_properties":["Has_email"],"optional_subobjects":["Address"]}`),
			row("category", "Employee", `{"id":"Employee","parents":["Person"],"required_properties":["Has_email"]}`),
			row("category", "Student", `{"id":"Student","parents":["Person"]}`),
			row("category", "Teaching_assistant", `{"id":"Teaching_assistant","description":"Teaches <b>and</b> studies","parents":["Employee","Student","Ghost"]}`),
			row("property", "Has_name", `{"id":"Has_name","label":"Name","description":"The name of an entity"}`),
			row("property", "Has_email", `{ "id": "Has_email", "label": "Email" }`),
			row("property", "Has_street", `{"id":"Has_street"}`),
			row("subobject", "Address", `{"id":"Address","required_properties":["Has_street"]}`),
			row("template", "Property/Page", `{"id":"Property/Page","wikitext":"<includeonly>x</includeonly>"}`),
			row("module", "Core", `{"id":"Core","version":"1.0.0","categories":["Agent","Person"],"templates":["Property/Page"]}`),
			row("module", "Lab", `{"id":"Lab","categories":["Employee","Student","Teaching_assistant"],"dependencies":["Core","Missing"]}`),
			row("bundle", "Default", `{"id":"Default","version":"2.0.0","modules":["Lab"]}`),
		},
	}
}

func build(t *testing.T, o store.Ontology) *Snapshot {
	t.Helper()
	s, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEntityBodyEncodedOnce(t *testing.T) {
	s := build(t, testOntology(1))
	e, ok := s.Entity(ontology.KindProperty, "Has_email")
	if !ok {
		t.Fatal("Has_email missing")
	}
	// The body is the contract's Entity, with the definition compact and in file order.
	var body gen.Entity
	if err := json.Unmarshal(e.Body, &body); err != nil {
		t.Fatal(err)
	}
	if string(body.SchemaDefinition) != `{"id":"Has_email","label":"Email"}` || string(e.Def) != string(body.SchemaDefinition) {
		t.Errorf("definition %s / %s", body.SchemaDefinition, e.Def)
	}
	if body.EntityType != gen.EntityTypeProperty || body.Label != "Email" || *body.CommitSha != "c0ffee" {
		t.Errorf("body %+v", body)
	}
	if e.ETag != ETag(e.Body) || !strings.HasPrefix(e.ETag, `"`) {
		t.Errorf("etag %s", e.ETag)
	}
	// Wikitext stays readable: no HTML escaping.
	tpl, _ := s.Entity(ontology.KindTemplate, "Property/Page")
	if !strings.Contains(string(tpl.Body), "<includeonly>") {
		t.Errorf("template body escaped: %s", tpl.Body)
	}
	// The same row gives the same body and ETag in another snapshot: ETags are stable.
	again, _ := build(t, testOntology(2)).Entity(ontology.KindProperty, "Has_email")
	if again.ETag != e.ETag || string(again.Body) != string(e.Body) {
		t.Error("the same entity encoded differently in a later generation")
	}
}

func ids(items []*Entity) []string {
	out := []string{}
	for _, e := range items {
		out = append(out, e.ID)
	}
	return out
}

func TestPages(t *testing.T) {
	s := build(t, testOntology(1))
	walk := func(kind ontology.Kind, q PageQuery) []string {
		var all []string
		for range 100 {
			page, err := s.Page(kind, q)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ids(page.Items)...)
			if !page.HasNext {
				return all
			}
			q.After = page.Items[len(page.Items)-1].ID
		}
		t.Fatal("endless walk")
		return nil
	}
	for _, tc := range []struct {
		name string
		kind ontology.Kind
		q    PageQuery
		want []string
	}{
		{"all, byte order", ontology.KindCategory, PageQuery{Limit: 2}, []string{"Agent", "Employee", "Person", "Student", "Teaching_assistant"}},
		{"after a missing id", ontology.KindCategory, PageQuery{Limit: 2, After: "F"}, []string{"Person", "Student", "Teaching_assistant"}},
		{"search by label prefix", ontology.KindProperty, PageQuery{Limit: 1, Words: SearchWords("em")}, []string{"Has_email"}},
		{"search by id word", ontology.KindProperty, PageQuery{Limit: 5, Words: SearchWords("has")}, []string{"Has_email", "Has_name", "Has_street"}},
		{"every word must match", ontology.KindProperty, PageQuery{Limit: 5, Words: SearchWords("has NAME")}, []string{"Has_name"}},
		{"description words", ontology.KindCategory, PageQuery{Limit: 5, Words: SearchWords("studies")}, []string{"Teaching_assistant"}},
		{"a slash separates words", ontology.KindTemplate, PageQuery{Limit: 5, Words: SearchWords("page")}, []string{"Property/Page"}},
		{"no match", ontology.KindProperty, PageQuery{Limit: 5, Words: SearchWords("zzz")}, []string{}},
		{"module categories", ontology.KindCategory, PageQuery{Limit: 1, Module: "Lab"}, []string{"Employee", "Student", "Teaching_assistant"}},
		{"module properties through categories and inheritance", ontology.KindProperty, PageQuery{Limit: 10, Module: "Lab"}, []string{"Has_email", "Has_name", "Has_street"}},
		{"module templates listed", ontology.KindTemplate, PageQuery{Limit: 10, Module: "Core"}, []string{"Property/Page"}},
		{"module and search", ontology.KindProperty, PageQuery{Limit: 10, Module: "Core", Words: SearchWords("em")}, []string{"Has_email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := walk(tc.kind, tc.q)
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := s.Page(ontology.KindCategory, PageQuery{Module: "Nope"}); err != ErrNoModule {
		t.Errorf("unknown module: %v", err)
	}
}

func TestGraphAndUsedBy(t *testing.T) {
	s := build(t, testOntology(1))
	g, ok := s.CategoryGraph("Teaching_assistant")
	if !ok {
		t.Fatal("no graph")
	}
	var ancestors []string
	for _, n := range g.Ancestors {
		ancestors = append(ancestors, fmt.Sprintf("%s@%d missing=%v", n.EntityId, n.Depth, n.Missing))
	}
	want := []string{"Employee@1 missing=false", "Student@1 missing=false", "Ghost@1 missing=true", "Person@2 missing=false", "Agent@3 missing=false"}
	if diff := cmp.Diff(want, ancestors); diff != "" {
		t.Errorf("ancestors (-want +got):\n%s", diff)
	}
	var props []string
	for _, m := range g.Properties {
		props = append(props, fmt.Sprintf("%s from %s required=%v", m.EntityId, m.SourceCategory, m.Required))
	}
	// Has_email is required by Employee (depth 1), nearer than Person's optional listing.
	if diff := cmp.Diff([]string{"Has_email from Employee required=true", "Has_name from Agent required=true"}, props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if len(g.Cycles) != 0 || g.Cycles == nil {
		t.Errorf("cycles %v in an acyclic graph", g.Cycles)
	}

	used, ok := s.UsedBy(ontology.KindProperty, "Has_email")
	if !ok {
		t.Fatal("no used-by")
	}
	var users []string
	for _, u := range used.Categories {
		users = append(users, fmt.Sprintf("%s via %s direct=%v required=%v", u.EntityId, u.Via, u.Direct, *u.Required))
	}
	if diff := cmp.Diff([]string{
		"Employee via Employee direct=true required=true",
		"Person via Person direct=true required=false",
		"Student via Person direct=false required=false",
		"Teaching_assistant via Employee direct=false required=true",
	}, users); diff != "" {
		t.Errorf("used-by (-want +got):\n%s", diff)
	}
	street, _ := s.UsedBy(ontology.KindProperty, "Has_street")
	if len(street.Subobjects) != 1 || street.Subobjects[0].EntityId != "Address" || len(street.Categories) != 0 {
		t.Errorf("Has_street used by %+v", street)
	}
	if _, ok := s.UsedBy(ontology.KindCategory, "Agent"); ok {
		t.Error("used-by of a category")
	}
}

func TestCyclesReported(t *testing.T) {
	o := testOntology(1)
	o.Entities = append(o.Entities,
		row("category", "Loop_a", `{"id":"Loop_a","parents":["Loop_b"]}`),
		row("category", "Loop_b", `{"id":"Loop_b","parents":["Loop_a"]}`))
	s := build(t, o)
	g, _ := s.CategoryGraph("Loop_a")
	if diff := cmp.Diff([][]string{{"Loop_a", "Loop_b", "Loop_a"}}, g.Cycles); diff != "" {
		t.Errorf("cycles (-want +got):\n%s", diff)
	}
	if g, _ := s.CategoryGraph("Agent"); len(g.Cycles) != 0 {
		t.Errorf("Agent cycles %v", g.Cycles)
	}
}

func TestModulesAndBundles(t *testing.T) {
	s := build(t, testOntology(1))
	body, etag, ok := s.Module("Lab")
	if !ok || etag != ETag(body) {
		t.Fatal("no Lab")
	}
	var lab gen.ModuleDetail
	if err := json.Unmarshal(body, &lab); err != nil {
		t.Fatal(err)
	}
	var deps []string
	for _, d := range lab.DependencyClosure {
		deps = append(deps, fmt.Sprintf("%s missing=%v", d.ModuleId, d.Missing))
	}
	if diff := cmp.Diff([]string{"Core missing=false", "Missing missing=true"}, deps); diff != "" {
		t.Errorf("closure (-want +got):\n%s", diff)
	}
	if lab.Module.Version != nil {
		t.Errorf("Lab version %v, want none", lab.Module.Version)
	}
	for _, asProfile := range []bool{true, false} {
		body, _, ok := s.Bundle("Default", asProfile)
		if !ok {
			t.Fatal("no Default")
		}
		var detail map[string]json.RawMessage
		if err := json.Unmarshal(body, &detail); err != nil {
			t.Fatal(err)
		}
		_, hasProfile := detail["profile"]
		_, hasBundle := detail["bundle"]
		if hasProfile != asProfile || hasBundle == asProfile {
			t.Errorf("asProfile %v: keys %v", asProfile, slices.Collect(func(yield func(string) bool) {
				for k := range detail {
					yield(k)
				}
			}))
		}
	}
	var counts gen.EntityCounts
	if err := json.Unmarshal(s.CountsBody(), &counts); err != nil {
		t.Fatal(err)
	}
	if counts.Total != 13 || counts.Counts.Category != 5 || counts.Counts.Template != 1 || counts.Counts.Bundle != 1 {
		t.Errorf("counts %+v", counts)
	}
}

func TestBuildRefusesCorruptRows(t *testing.T) {
	o := testOntology(1)
	o.Entities[0].Source = []byte("not json")
	if _, err := Build(o); err == nil {
		t.Error("a row whose source is not JSON built")
	}
}

// BenchmarkBuild measures loading a snapshot of the generated ontology size the issue names
// (5,000 categories, 25,000 entities) and reports the heap it keeps per entity.
func BenchmarkBuild(b *testing.B) {
	o := generated(5000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInheritedUsesMatchMembers checks the one-pass used-by computation against the per-category
// walk of ontology.Graph.Members on random inheritance graphs with multiple inheritance,
// members declared at several levels, required and optional, missing parents and cycles.
func TestInheritedUsesMatchMembers(t *testing.T) {
	for seed := range 200 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		n := 2 + rng.IntN(40)
		var rows []store.OntologyEntity
		for i := range n {
			var parents, required, optional []string
			for range rng.IntN(4) {
				j := rng.IntN(n + 2)                     // n and n+1 do not exist
				if j < i || rng.IntN(10) == 0 && j < n { // mostly earlier: acyclic, sometimes a cycle
					parents = append(parents, fmt.Sprintf("%q", "C"+letters(j)))
				} else if j >= n {
					parents = append(parents, fmt.Sprintf("%q", "Missing"+letters(j)))
				}
			}
			for range rng.IntN(3) {
				m := fmt.Sprintf("%q", "Has_"+letters(rng.IntN(6)))
				if rng.IntN(2) == 0 {
					required = append(required, m)
				} else {
					optional = append(optional, m)
				}
			}
			rows = append(rows, row("category", "C"+letters(i), fmt.Sprintf(`{"id":"C%s","parents":[%s],"required_properties":[%s],"optional_properties":[%s]}`,
				letters(i), strings.Join(parents, ","), strings.Join(required, ","), strings.Join(optional, ","))))
		}
		s, err := Build(store.Ontology{Generation: 1, Entities: rows})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{}
		for _, id := range s.graph.ids {
			for _, m := range s.graph.graph.Members(id, ontology.Properties) {
				want[m.ID] = append(want[m.ID], fmt.Sprintf("%s via %s required=%v", id, m.Source, m.Required))
			}
		}
		got := map[string][]string{}
		for member, uses := range s.graph.usedBy[ontology.Properties] {
			for _, u := range uses {
				got[member] = append(got[member], fmt.Sprintf("%s via %s required=%v", s.graph.ids[u.category], s.graph.ids[u.via], u.required))
			}
		}
		for member := range want {
			slices.Sort(want[member])
		}
		for member := range got {
			slices.Sort(got[member])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d (-Members +one pass):\n%s", seed, diff)
		}
	}
}

// TestModuleMembership: a module holds its categories, what they have (inherited included), what
// it lists itself, and the properties of all those subobjects; nothing else.
func TestModuleMembership(t *testing.T) {
	s := build(t, store.Ontology{Generation: 1, Entities: []store.OntologyEntity{
		row("category", "Agent", `{"id":"Agent","required_properties":["Has_name"],"optional_subobjects":["Contact"]}`),
		row("category", "Person", `{"id":"Person","parents":["Agent"],"optional_properties":["Has_email"]}`),
		row("category", "Other", `{"id":"Other","optional_properties":["Has_other"]}`),
		row("subobject", "Contact", `{"id":"Contact","required_properties":["Has_phone"]}`),
		row("subobject", "Address", `{"id":"Address","required_properties":["Has_street"]}`),
		row("subobject", "Unused", `{"id":"Unused","required_properties":["Has_unused"]}`),
		row("property", "Has_name", `{"id":"Has_name"}`), row("property", "Has_email", `{"id":"Has_email"}`),
		row("property", "Has_other", `{"id":"Has_other"}`), row("property", "Has_phone", `{"id":"Has_phone"}`),
		row("property", "Has_street", `{"id":"Has_street"}`), row("property", "Has_unused", `{"id":"Has_unused"}`),
		row("property", "Has_extra", `{"id":"Has_extra"}`),
		row("module", "M", `{"id":"M","categories":["Person","Ghost","Person"],"properties":["Has_extra"],"subobjects":["Address"]}`),
	}})
	for kind, want := range map[ontology.Kind][]string{
		ontology.KindCategory:  {"Person"},
		ontology.KindProperty:  {"Has_email", "Has_extra", "Has_name", "Has_phone", "Has_street"},
		ontology.KindSubobject: {"Address", "Contact"},
		ontology.KindModule:    {},
	} {
		page, err := s.Page(kind, PageQuery{Limit: 100, Module: "M"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, ids(page.Items)); diff != "" {
			t.Errorf("%s members (-want +got):\n%s", kind, diff)
		}
	}
}
