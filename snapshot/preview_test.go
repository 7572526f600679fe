package snapshot

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// TestPreviewEqualsRebuild checks a preview against the snapshot of the changed ontology built
// from scratch: every answer that does not carry per-row metadata (ids, timestamps, commits)
// must be the same.
func TestPreviewEqualsRebuild(t *testing.T) {
	o := generated(300)
	base, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	changes := previewChanges(base)
	// A new category under an existing one, and a deleted module.
	changes = append(changes,
		Change{Kind: "category", ID: "Cat_new", Data: []byte(`{"id":"Cat_new","label":"New one","description":"Fresh","parents":["Cat_b"],"optional_properties":["Has_newa"]}`)},
		Change{Kind: "module", ID: base.Entities("module")[0].ID})

	preview, err := base.With(changes)
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]Change{}
	for _, c := range changes {
		changed[string(c.Kind)+"/"+c.ID] = c
	}
	var rows []store.OntologyEntity
	for _, r := range o.Entities {
		if _, ok := changed[r.EntityType+"/"+r.EntityID]; !ok {
			rows = append(rows, r)
		}
	}
	for _, c := range changes {
		if c.Data != nil {
			rows = append(rows, row(string(c.Kind), c.ID, string(c.Data)))
		}
	}
	rebuilt, err := Build(store.Ontology{Generation: 1, Entities: rows})
	if err != nil {
		t.Fatal(err)
	}

	same := func(what string, a, b any) {
		t.Helper()
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		if string(x) != string(y) {
			t.Errorf("%s differs:\npreview %s\nrebuilt %s", what, x, y)
		}
	}
	ids := func(p Page) []string {
		var out []string
		for _, e := range p.Items {
			out = append(out, e.ID+"|"+e.Label+"|"+string(e.Def))
		}
		return out
	}
	for _, kind := range ontology.Kinds {
		for _, q := range []PageQuery{{Limit: 1000}, {Limit: 1000, Words: SearchWords("new")}, {Limit: 7, After: "Cat_c"}} {
			a, err1 := preview.Page(kind, q)
			b, err2 := rebuilt.Page(kind, q)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			same(fmt.Sprintf("%s page %+v", kind, q), ids(a), ids(b))
		}
	}
	for _, e := range rebuilt.Entities("category") {
		a, _ := preview.CategoryGraph(e.ID)
		b, _ := rebuilt.CategoryGraph(e.ID)
		same("graph of "+e.ID, a, b)
	}
	for _, kind := range []ontology.Kind{"property", "subobject"} {
		for _, e := range rebuilt.Entities(kind) {
			a, _ := preview.UsedBy(kind, e.ID)
			b, _ := rebuilt.UsedBy(kind, e.ID)
			same("used-by of "+e.ID, a, b)
		}
	}
	for _, e := range rebuilt.Entities("module") {
		a, _, _ := preview.Module(e.ID)
		b, _, _ := rebuilt.Module(e.ID)
		same("module "+e.ID, json.RawMessage(a), json.RawMessage(b))
	}
	if _, _, ok := preview.Module(changes[len(changes)-1].ID); ok {
		t.Error("the deleted module is still in the preview")
	}
	same("counts", json.RawMessage(preview.CountsBody()), json.RawMessage(rebuilt.CountsBody()))
	// The base is untouched.
	if _, ok := base.Entity("category", "Cat_new"); ok || !slices.ContainsFunc(base.Entities("module"), func(e *Entity) bool { return e.ID == changes[len(changes)-1].ID }) {
		t.Error("With changed its base")
	}
}
