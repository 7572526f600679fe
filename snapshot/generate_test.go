package snapshot

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/ontohub/ontohub/store"
)

// letters spells n in lowercase letters, since ids of the schema take no digits.
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

// generated is an ontology shaped like the real one, scaled to categories categories and five
// entities per category in all: a DAG of categories (most with one parent, some with two),
// three properties and some subobjects per category, templates, modules, bundles, dashboards
// and resources. Deterministic.
func generated(categories int) store.Ontology {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []store.OntologyEntity
	add := func(kind, id, source string) { rows = append(rows, row(kind, id, source)) }
	words := []string{"person", "sample", "instrument", "project", "grant", "protocol", "dataset", "paper", "lab", "course"}
	word := func() string { return words[rng.IntN(len(words))] }
	properties := categories * 3
	subobjects := categories / 8
	for i := range properties {
		id := "Has_" + letters(i)
		add("property", id, fmt.Sprintf(`{"id":%q,"label":"%s %s","description":"The %s of a %s","datatype":"Text","cardinality":"single"}`,
			id, strings.ToUpper(word()[:1]), word(), word(), word()))
	}
	for i := range subobjects {
		id := "Sub_" + letters(i)
		add("subobject", id, fmt.Sprintf(`{"id":%q,"label":"Sub %s","description":"Part of a %s","required_properties":["Has_%s"]}`,
			id, word(), word(), letters(rng.IntN(properties))))
	}
	for i := range categories {
		id := "Cat_" + letters(i)
		parents := ""
		if i > 0 {
			p := []string{fmt.Sprintf("%q", "Cat_"+letters(rng.IntN(i)))}
			if i > 10 && rng.IntN(5) == 0 {
				p = append(p, fmt.Sprintf("%q", "Cat_"+letters(rng.IntN(i))))
			}
			parents = `,"parents":[` + strings.Join(p, ",") + `]`
		}
		subs := ""
		if rng.IntN(4) == 0 {
			subs = fmt.Sprintf(`,"optional_subobjects":["Sub_%s"]`, letters(rng.IntN(subobjects)))
		}
		add("category", id, fmt.Sprintf(`{"id":%q,"label":"Category %s","description":"A %s that %s"%s,"required_properties":["Has_%s"],"optional_properties":["Has_%s","Has_%s"]%s}`,
			id, word(), word(), word(), parents, letters(3*i), letters(3*i+1), letters(3*i+2), subs))
	}
	templates, modules, dashboards := categories/10, categories/100, categories/50
	for i := range templates {
		add("template", "Property/"+letters(i), fmt.Sprintf(`{"id":"Property/%s","label":"T","description":"D","wikitext":"<includeonly>{{{value}}}</includeonly>"}`, letters(i)))
	}
	for i := range modules {
		var cats []string
		for j := i; j < categories; j += modules {
			cats = append(cats, fmt.Sprintf("%q", "Cat_"+letters(j)))
		}
		add("module", "Mod_"+letters(i), fmt.Sprintf(`{"id":"Mod_%s","version":"1.0.0","label":"M","description":"D","categories":[%s]}`, letters(i), strings.Join(cats, ",")))
	}
	for i := range max(modules/10, 1) {
		add("bundle", "Bundle_"+letters(i), fmt.Sprintf(`{"id":"Bundle_%s","version":"1.0.0","label":"B","description":"D","modules":["Mod_%s"]}`, letters(i), letters(i)))
	}
	for i := range dashboards {
		add("dashboard", "Dash_"+letters(i), fmt.Sprintf(`{"id":"Dash_%s","label":"D","description":"D","pages":[{"name":"","wikitext":"== %s =="}]}`, letters(i), word()))
	}
	for len(rows) < 5*categories {
		i := len(rows)
		add("resource", fmt.Sprintf("Cat_%s/%s", letters(i%categories), letters(i)), fmt.Sprintf(`{"id":"Cat_%s/%s","category":"Cat_%s","Has_%s":"%s"}`,
			letters(i%categories), letters(i), letters(i%categories), letters(3*(i%categories)), word()))
	}
	return store.Ontology{Generation: 1, Entities: rows}
}

// BenchmarkSnapshotMemory reports the heap a snapshot of a generated ontology keeps: the issue's
// budget is 40 MiB for 5,000 categories (25,000 entities).
func BenchmarkSnapshotMemory(b *testing.B) {
	for _, categories := range []int{5000, 50000} {
		b.Run(fmt.Sprint(categories), func(b *testing.B) {
			o := generated(categories)
			var kept *Snapshot
			var before, after runtime.MemStats
			for b.Loop() {
				kept = nil
				runtime.GC()
				runtime.ReadMemStats(&before)
				s, err := Build(o)
				if err != nil {
					b.Fatal(err)
				}
				kept = s
				runtime.GC()
				runtime.ReadMemStats(&after)
			}
			runtime.KeepAlive(kept)
			heap := float64(after.HeapAlloc - before.HeapAlloc)
			b.ReportMetric(heap/(1<<20), "MiB")
			b.ReportMetric(heap/float64(len(o.Entities)), "B/entity")
		})
	}
}

// previewChanges is a 50-change draft over generated(categories): 20 updated categories, 20
// new properties listed by them, 10 deleted resources.
func previewChanges(s *Snapshot) []Change {
	var changes []Change
	cats := s.Entities("category")
	for i := range 20 {
		id := "Has_new" + letters(i)
		changes = append(changes, Change{Kind: "property", ID: id,
			Data: []byte(fmt.Sprintf(`{"id":%q,"label":"New","description":"D","datatype":"Text","cardinality":"single"}`, id))})
		c := cats[i*len(cats)/20]
		changes = append(changes, Change{Kind: "category", ID: c.ID,
			Data: []byte(strings.Replace(string(c.Def), `"optional_properties":[`, `"optional_properties":["`+id+`",`, 1))})
	}
	res := s.Entities("resource")
	for i := range 10 {
		changes = append(changes, Change{Kind: "resource", ID: res[i*len(res)/10].ID})
	}
	return changes
}

// previewBench is the snapshot of 5,000 generated categories and a 50-change draft over it.
func previewBench(b *testing.B) (*Snapshot, []Change) {
	b.Helper()
	s, err := Build(generated(5000))
	if err != nil {
		b.Fatal(err)
	}
	return s, previewChanges(s)
}

// BenchmarkPreview is the cost of the first preview request of a 50-change draft over 5,000
// categories (later ones come from the preview cache), and the heap one preview keeps.
func BenchmarkPreview(b *testing.B) {
	s, changes := previewBench(b)
	var kept *Snapshot
	var before, after runtime.MemStats
	for b.Loop() {
		kept = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		p, err := s.With(changes)
		if err != nil {
			b.Fatal(err)
		}
		kept = p
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	runtime.KeepAlive(kept)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
}

// BenchmarkPreviewBuild is the time alone (no forced collections) of building that preview.
func BenchmarkPreviewBuild(b *testing.B) {
	s, changes := previewBench(b)
	for b.Loop() {
		if _, err := s.With(changes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidation is the heap the prepared validation of 5,000 categories keeps (built on
// the first draft validation of a snapshot) and the time to prepare it.
func BenchmarkValidation(b *testing.B) {
	o := generated(5000)
	var before, after runtime.MemStats
	var kept *Snapshot
	for b.Loop() {
		kept = nil
		s, err := Build(o)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := s.Validation(); err != nil {
			b.Fatal(err)
		}
		kept = s
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	runtime.KeepAlive(kept)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
}
