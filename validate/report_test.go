package validate

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/ontology"
)

// advice renders version advice briefly.
func advice(vs []VersionAdvice) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s %s: %s -> %s (%s)", v.Kind, v.ID, v.CurrentVersion, v.SuggestedVersion, v.Bump))
	}
	return out
}

func changeLines(cs []EntityChange) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s %s", c.ChangeType, c.EntityType, c.EntityID, c.Bump))
	}
	return out
}

func TestCheckChanges(t *testing.T) {
	// The canonical ontology already has an error (Person's parent Nope): a draft that does
	// not touch Person is not blamed for it.
	base := prepare(t, edits{"categories/Person.json": with(personJSON, `["Agent"]`, `["Agent", "Nope"]`)}.apply(t, labki(t)))
	if base.Valid() {
		t.Fatal("the canonical ontology of this test should have an error")
	}
	for _, tc := range []struct {
		name     string
		edits    edits
		findings []string
		changes  []string
		versions []string
	}{
		{name: "label of a listed property",
			edits:    edits{"properties/Has_city.json": with(cityJSON, `"City"`, `"Town"`)},
			findings: []string{},
			changes:  []string{"update property Has_city patch"},
			versions: []string{"module Core: 1.0.0 -> 1.0.1 (patch)", "bundle Default: 1.0.0 -> 1.0.1 (patch)", "ontology : 0.1.2 -> 0.1.3 (patch)"}},
		{name: "touching an entity with an old error",
			edits:    edits{"categories/Person.json": with(personJSON, `["Agent"]`, `["Agent", "Nope"]`, `"A human being"`, `"A person"`)},
			findings: []string{"unresolved_reference categories/Person.json /parents/1"},
			changes:  []string{"update category Person patch"},
			versions: []string{"module Core: 1.0.0 -> 1.0.1 (patch)", "bundle Default: 1.0.0 -> 1.0.1 (patch)", "ontology : 0.1.2 -> 0.1.3 (patch)"}},
		{name: "fixing the old error",
			edits:    edits{"categories/Person.json": personJSON},
			findings: []string{},
			changes:  []string{"update category Person patch"},
			versions: []string{"module Core: 1.0.0 -> 1.0.1 (patch)", "bundle Default: 1.0.0 -> 1.0.1 (patch)", "ontology : 0.1.2 -> 0.1.3 (patch)"}},
		{name: "deletion breaks references in unchanged entities",
			edits: edits{"properties/Has_name.json": ""},
			findings: []string{
				"unresolved_reference categories/Agent.json /required_properties/0",
				"unresolved_reference modules/Core.json /properties/0",
			},
			changes:  []string{"delete property Has_name major"},
			versions: []string{"module Core: 1.0.0 -> 2.0.0 (major)", "bundle Default: 1.0.0 -> 2.0.0 (major)", "ontology : 0.1.2 -> 1.0.0 (major)"}},
		{name: "new module",
			edits:    edits{"modules/Extra.json": `{"id": "Extra", "version": "0.3.0", "label": "x", "description": "x", "templates": ["Property/Page"], "dependencies": ["Core"]}`},
			findings: []string{},
			changes:  []string{"create module Extra minor"},
			versions: []string{"module Extra:  -> 0.3.0 (minor)", "ontology : 0.1.2 -> 0.2.0 (minor)"}},
		{name: "deleted module",
			edits:    edits{"modules/Core.json": ""},
			findings: nil, // checked below: many orphans and the bundle's reference
			changes:  []string{"delete module Core major"},
			versions: []string{"module Core: 1.0.0 ->  (major)", "bundle Default: 1.0.0 -> 2.0.0 (major)", "ontology : 0.1.2 -> 1.0.0 (major)"}},
		{name: "change of an entity in no module",
			edits:    edits{"templates/Property/Page.json": `{"id": "Property/Page", "label": "x", "description": "x", "wikitext": "y"}`},
			findings: []string{"orphan templates/Property/Page.json"},
			changes:  []string{"update template Property/Page patch"},
			versions: []string{"ontology : 0.1.2 -> 0.1.3 (patch)"}},
		{name: "no change at all",
			edits:    edits{"properties/Has_city.json": `{"id": "Has_city", "label": "City", "description": "City or locality name", "datatype": "Text", "cardinality": "single"}`},
			findings: []string{},
			changes:  []string{},
			versions: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base.CheckChanges(tc.edits.changes(t))
			if tc.findings != nil {
				if diff := cmp.Diff(tc.findings, brief(r.Findings)); diff != "" {
					t.Errorf("findings (-want +got):\n%s", diff)
				}
				if r.Valid != !hasError(r.Findings) {
					t.Errorf("valid %v with findings %v", r.Valid, r.Findings)
				}
			}
			if diff := cmp.Diff(tc.changes, changeLines(r.Changes)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.versions, advice(r.Versions)); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionAdvice(t *testing.T) {
	extra := `{"id": "Extra", "version": "0.3.0", "label": "x", "description": "x", "templates": ["Property/Page"], "dependencies": ["Core"]}`
	otherBundle := `{"id": "Other", "version": "4.0.0", "label": "x", "description": "x", "modules": ["Extra"]}`
	for _, tc := range []struct {
		name     string
		base     edits
		version  string
		draft    edits
		versions []string
		reasons  map[string][]string
	}{
		{name: "a dependency's bump reaches its dependents and their bundles",
			base:    edits{"modules/Extra.json": extra, "bundles/Other.json": otherBundle},
			version: "0.1.2",
			draft:   edits{"properties/Has_city.json": with(cityJSON, `"Text"`, `"Email"`)},
			versions: []string{
				"module Core: 1.0.0 -> 2.0.0 (major)",
				"module Extra: 0.3.0 -> 1.0.0 (major)",
				"bundle Default: 1.0.0 -> 2.0.0 (major)",
				"bundle Other: 4.0.0 -> 5.0.0 (major)",
				"ontology : 0.1.2 -> 1.0.0 (major)",
			},
			reasons: map[string][]string{
				"Core":  {"property Has_city: update (major)"},
				"Extra": {"dependency Core: major"},
				"Other": {"module Extra: major"},
				"":      {"property Has_city: update (major)"},
			}},
		{name: "a module takes the highest bump of what it lists and of itself",
			version: "0.1.2",
			draft: edits{
				"properties/Has_city.json": with(cityJSON, `"City"`, `"Town"`),
				"categories/Person.json":   with(personJSON, `["Has_email"]`, `["Has_email", "Has_website"]`),
			},
			versions: []string{"module Core: 1.0.0 -> 1.1.0 (minor)", "bundle Default: 1.0.0 -> 1.1.0 (minor)", "ontology : 0.1.2 -> 0.2.0 (minor)"}},
		{name: "a bundle's own change",
			version:  "0.1.2",
			draft:    edits{"bundles/Default.json": `{"id": "Default", "version": "1.0.0", "label": "x", "description": "x", "modules": ["Core"], "dashboards": ["Core_overview"]}`},
			versions: []string{"bundle Default: 1.0.0 -> 1.1.0 (minor)", "ontology : 0.1.2 -> 0.2.0 (minor)"}},
		{name: "current version not semver",
			base:     edits{"modules/Core.json": with(coreJSON, `"1.0.0"`, `"1.0"`)},
			version:  "0.1.2",
			draft:    edits{"properties/Has_city.json": with(cityJSON, `"City"`, `"Town"`)},
			versions: []string{"module Core: 1.0 ->  (patch)", "bundle Default: 1.0.0 -> 1.0.1 (patch)", "ontology : 0.1.2 -> 0.1.3 (patch)"},
			reasons: map[string][]string{
				"Core": {"property Has_city: update (patch)", `current version "1.0" is not semver: no suggestion`},
			}},
		{name: "no VERSION file",
			version:  "",
			draft:    edits{"properties/Has_city.json": with(cityJSON, `"City"`, `"Town"`)},
			versions: []string{"module Core: 1.0.0 -> 1.0.1 (patch)", "bundle Default: 1.0.0 -> 1.0.1 (patch)", "ontology :  ->  (patch)"},
			reasons: map[string][]string{
				"": {"property Has_city: update (patch)", "the repository has no VERSION file: no suggestion"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := tc.base.apply(t, labki(t))
			repo.Version = tc.version
			r := prepare(t, repo).CheckChanges(tc.draft.changes(t))
			if diff := cmp.Diff(tc.versions, advice(r.Versions)); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			for _, v := range r.Versions {
				if want, ok := tc.reasons[v.ID]; ok {
					if diff := cmp.Diff(want, v.Reasons); diff != "" {
						t.Errorf("reasons of %s %s (-want +got):\n%s", v.Kind, v.ID, diff)
					}
				}
			}
		})
	}
}

func TestCompare(t *testing.T) {
	base := prepare(t, labki(t))
	head := prepare(t, edits{
		"properties/Has_city.json":  with(cityJSON, `"Text"`, `"Email"`),
		"properties/Has_extra.json": `{"id": "Has_extra", "label": "x", "description": "x", "datatype": "Text", "cardinality": "single"}`,
		"modules/Core.json":         with(coreJSON, `"Has_postal_code"]`, `"Has_postal_code", "Has_extra"]`, `"Essential entities"`, `"Essentials"`),
		"categories/Organization.json": `{"id": "Organization", "label": "Organization", "description": "A social entity such as a company, institution, or group",
			"parents": ["Agent"], "optional_properties": ["Has_email"], "optional_subobjects": ["Address"]}`,
		"dashboards/Core_overview.json": "",
	}.apply(t, labki(t)))
	r := Compare(base, head)
	if diff := cmp.Diff([]string{
		"update category Organization major",
		"update property Has_city major",
		"create property Has_extra minor",
		"update module Core minor",
		"delete dashboard Core_overview major",
	}, changeLines(r.Changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"module Core: 1.0.0 -> 2.0.0 (major)", "bundle Default: 1.0.0 -> 2.0.0 (major)", "ontology : 0.1.2 -> 1.0.0 (major)"}, advice(r.Versions)); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(head.Findings(), r.Findings); diff != "" {
		t.Errorf("findings are not head's (-want +got):\n%s", diff)
	}
	if same := Compare(base, base); len(same.Changes) != 0 || len(same.Versions) != 0 {
		t.Errorf("an ontology differs from itself: %+v", same)
	}
}

func TestReportJSON(t *testing.T) {
	o := prepare(t, labki(t))
	empty, err := json.Marshal(o.CheckChanges(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(empty), `{"valid":true,"findings":[],"changes":[],"versions":[]}`; got != want {
		t.Errorf("empty report = %s, want %s", got, want)
	}
	r := o.CheckChanges([]Change{{Kind: ontology.KindCategory, ID: "Person", Data: []byte(with(personJSON, `["Agent"]`, `["Nope"]`))}})
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string { return slices.Sorted(maps.Keys(v.(map[string]any))) }
	if diff := cmp.Diff([]string{"changes", "findings", "valid", "versions"}, keys(decoded)); diff != "" {
		t.Errorf("report keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"code", "entity_id", "entity_type", "file", "message", "path", "severity"}, keys(decoded["findings"].([]any)[0])); diff != "" {
		t.Errorf("finding keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bump", "change_type", "entity_id", "entity_type", "reasons"}, keys(decoded["changes"].([]any)[0])); diff != "" {
		t.Errorf("change keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bump", "current_version", "id", "kind", "reasons", "suggested_version"}, keys(decoded["versions"].([]any)[0])); diff != "" {
		t.Errorf("version keys (-want +got):\n%s", diff)
	}
	want := Finding{Severity: "error", Code: "unresolved_reference", EntityType: "category", EntityID: "Person",
		File: "categories/Person.json", Path: "/parents/0", Message: `parents: category "Nope" does not exist`}
	if diff := cmp.Diff([]Finding{want}, r.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestWithOnAnOverlayAppliesChangesInOrder(t *testing.T) {
	o := prepare(t, labki(t))
	first := []Change{{Kind: ontology.KindProperty, ID: "Has_city"}}
	second := []Change{
		{Kind: ontology.KindProperty, ID: "Has_city", Data: []byte(with(cityJSON, `"Text"`, `"Txt"`))},
		{Kind: ontology.KindProperty, ID: "Has_gone"}, // deleting what does not exist changes nothing
	}
	chained := o.With(first).With(second)
	at := o.With(append(append([]Change{}, first...), second...))
	if diff := cmp.Diff(at.Findings(), chained.Findings()); diff != "" {
		t.Errorf("chained overlay differs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"schema_violation properties/Has_city.json /datatype"}, brief(without(chained.Findings(), o.Findings()))); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// The prepared ontology is untouched.
	if diff := cmp.Diff(prepare(t, labki(t)).Findings(), o.Findings()); diff != "" {
		t.Errorf("the prepared ontology changed (-want +got):\n%s", diff)
	}
}

// TestConcurrentDrafts checks many drafts at once against one prepared ontology (run with
// -race): each must get what it gets alone.
func TestConcurrentDrafts(t *testing.T) {
	o := prepare(t, labki(t))
	drafts := [][]Change{
		{{Kind: ontology.KindProperty, ID: "Has_name"}},
		{{Kind: ontology.KindCategory, ID: "Person", Data: []byte(with(personJSON, `["Agent"]`, `["Nope"]`))}},
		{{Kind: ontology.KindModule, ID: "Extra", Data: []byte(`{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "categories": ["Thing"]}`)},
			{Kind: ontology.KindCategory, ID: "Thing", Data: []byte(`{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"]}`)}},
		{{Kind: ontology.KindProperty, ID: "Has_city", Data: []byte(with(cityJSON, `"City"`, `"Town"`))}},
	}
	want := make([]Report, len(drafts))
	for i, d := range drafts {
		want[i] = o.CheckChanges(d)
	}
	var wg sync.WaitGroup
	got := make([][]Report, 8)
	for g := range got {
		wg.Go(func() {
			for range 5 {
				for _, d := range drafts {
					got[g] = append(got[g], o.CheckChanges(d))
				}
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i, r := range got[g] {
			if diff := cmp.Diff(want[i%len(drafts)], r); diff != "" {
				t.Fatalf("goroutine %d, draft %d (-alone +concurrent):\n%s", g, i%len(drafts), diff)
			}
		}
	}
}

// TestGeneratedDraftMatchesPrepared lays the benchmark's draft over the generated ontology and
// prepares the same ontology with the changes applied: the overlay's shortcuts (references
// resolved once, membership patched, cycles reused) must not change any finding.
func TestGeneratedDraftMatchesPrepared(t *testing.T) {
	if testing.Short() {
		t.Skip("prepares 25,000 entities twice")
	}
	repo := generated(t)
	o := prepare(t, repo)
	draft := draft50()
	applied := repo
	applied.Entities = nil
	changed := map[string]Change{}
	for _, c := range draft {
		changed[string(c.Kind)+"\x00"+c.ID] = c
	}
	for _, e := range repo.Entities {
		key := string(e.Kind) + "\x00" + e.ID
		if c, ok := changed[key]; ok {
			delete(changed, key)
			if c.Data == nil {
				continue
			}
			e.Data = c.Data
		}
		applied.Entities = append(applied.Entities, e)
	}
	for _, c := range draft {
		if _, created := changed[string(c.Kind)+"\x00"+c.ID]; created && c.Data != nil {
			applied.Entities = append(applied.Entities, Entity{Kind: c.Kind, ID: c.ID, File: path.Join(c.Kind.Folder(), c.ID+".json"), Data: c.Data})
		}
	}
	want := prepare(t, applied).Findings()
	got := o.With(draft).Findings()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("overlay findings differ from a full check (-full +overlay):\n%s", diff)
	}
	if len(want) == 0 {
		t.Error("the draft should break something")
	}
}
