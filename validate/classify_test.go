package validate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	const (
		prop = `{"id": "Has_x", "label": "X", "description": "d", "datatype": "Text", "cardinality": "multiple", "allowed_values": ["a", "b"]}`
		cat  = `{"id": "Thing", "label": "T", "description": "d", "required_properties": ["Has_a"], "optional_properties": ["Has_b"]}`
		mod  = `{"id": "Core", "version": "1.0.0", "label": "C", "description": "d", "categories": ["Thing"], "properties": ["Has_a"]}`
	)
	for _, tc := range []struct {
		name          string
		k             int
		before, after string
		want          EntityChange
		unchanged     bool
	}{
		{name: "created", k: kProperty, after: prop,
			want: EntityChange{ChangeType: ChangeCreate, Bump: BumpMinor, Reasons: []string{"new property"}}},
		{name: "deleted", k: kProperty, before: prop,
			want: EntityChange{ChangeType: ChangeDelete, Bump: BumpMajor, Reasons: []string{"property deleted"}}},
		{name: "formatting only", k: kProperty, before: prop, after: "{\n" + prop[1:], unchanged: true},
		{name: "label", k: kProperty, before: prop, after: with(prop, `"X"`, `"Y"`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpPatch, Reasons: []string{"label changed"}}},
		{name: "datatype", k: kProperty, before: prop, after: with(prop, `"Text"`, `"Email"`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"datatype changed from Text to Email"}}},
		{name: "cardinality narrowed", k: kProperty, before: prop, after: with(prop, `"multiple"`, `"single"`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"cardinality changed from multiple to single"}}},
		{name: "cardinality widened", k: kProperty, before: with(prop, `"multiple"`, `"single"`), after: prop,
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpPatch, Reasons: []string{"cardinality changed"}}},
		{name: "allowed value removed", k: kProperty, before: prop, after: with(prop, `["a", "b"]`, `["a"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{`allowed value "b" removed`}}},
		{name: "allowed value added", k: kProperty, before: prop, after: with(prop, `["a", "b"]`, `["a", "b", "c"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMinor, Reasons: []string{`allowed value "c" added`}}},
		{name: "allowed value swapped", k: kProperty, before: prop, after: with(prop, `["a", "b"]`, `["a", "c"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{`allowed value "b" removed`, `allowed value "c" added`}}},
		{name: "field added", k: kProperty, before: prop, after: with(prop, `"cardinality"`, `"display_units": ["m"], "cardinality"`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMinor, Reasons: []string{"field display_units added"}}},
		{name: "id changed", k: kProperty, before: prop, after: with(prop, `"Has_x"`, `"Has_y"`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"id changed from Has_x to Has_y"}}},

		{name: "required property added", k: kCategory, before: cat, after: with(cat, `["Has_a"]`, `["Has_a", "Has_c"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"required property Has_c added"}}},
		{name: "optional property removed", k: kCategory, before: cat, after: with(cat, `["Has_b"]`, `[]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"optional property Has_b removed"}}},
		{name: "optional property added", k: kCategory, before: cat, after: with(cat, `["Has_b"]`, `["Has_b", "Has_c"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMinor, Reasons: []string{"optional property Has_c added"}}},
		{name: "required property removed", k: kCategory, before: cat, after: with(cat, `["Has_a"]`, `[]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpPatch, Reasons: []string{"required property Has_a removed"}}},
		{name: "optional made required", k: kCategory, before: cat, after: with(cat, `["Has_a"], "optional_properties": ["Has_b"]`, `["Has_a", "Has_b"], "optional_properties": []`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"required property Has_b added", "optional property Has_b removed"}}},
		{name: "parent added", k: kCategory, before: cat, after: with(cat, `"description": "d"`, `"description": "d", "parents": ["Agent"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMinor, Reasons: []string{"field parents added"}}},
		{name: "older layout property removed", k: kCategory, before: `{"id": "A", "properties": ["p", "q"]}`, after: `{"id": "A", "properties": ["p"]}`,
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"optional property q removed"}}},

		{name: "module list removed", k: kModule, before: mod, after: with(mod, `, "properties": ["Has_a"]`, ``),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"field properties removed"}}},
		{name: "module entry added", k: kModule, before: mod, after: with(mod, `["Thing"]`, `["Thing", "Other"]`),
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMinor, Reasons: []string{"Other added to categories"}}},
		{name: "module entry removed", k: kModule, before: with(mod, `["Thing"]`, `["Thing", "Other"]`), after: mod,
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpPatch, Reasons: []string{"Other removed from categories"}}},
		{name: "module non-structural field removed", k: kModule, before: with(mod, `"version"`, `"dependencies": ["Base"], "version"`), after: mod,
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpPatch, Reasons: []string{"field dependencies removed"}}},
		{name: "bundle description removed", k: kBundle, before: `{"id": "B", "description": "d", "modules": ["Core"]}`, after: `{"id": "B", "modules": ["Core"]}`,
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpMajor, Reasons: []string{"field description removed"}}},
		{name: "list reordered", k: kModule, before: mod, after: with(mod, `"categories": ["Thing"], "properties": ["Has_a"]`, `"properties": ["Has_a"], "categories": ["Thing"]`), unchanged: true},
		{name: "pages changed", k: kDashboard, before: `{"id": "D", "pages": [{"name": "", "wikitext": "a"}]}`, after: `{"id": "D", "pages": [{"name": "", "wikitext": "b"}]}`,
			want: EntityChange{ChangeType: ChangeUpdate, Bump: BumpPatch, Reasons: []string{"pages changed"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after []byte
			if tc.before != "" {
				before = []byte(tc.before)
			}
			if tc.after != "" {
				after = []byte(tc.after)
			}
			got, changed := classify(tc.k, "x", before, after)
			if tc.unchanged {
				if changed {
					t.Errorf("classified as changed: %+v", got)
				}
				return
			}
			if !changed {
				t.Fatal("classified as unchanged")
			}
			got.EntityType, got.EntityID = "", ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("classification (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSemver(t *testing.T) {
	for _, tc := range []struct {
		version, bump, want string
	}{
		{"1.2.3", BumpMajor, "2.0.0"},
		{"1.2.3", BumpMinor, "1.3.0"},
		{"1.2.3", BumpPatch, "1.2.4"},
		{"0.1.2", BumpMinor, "0.2.0"},
		{"1.2.3-rc.1+build.5", BumpPatch, "1.2.4"},
		{"1.2", BumpPatch, ""},
		{"v1.2.3", BumpPatch, ""},
		{"01.2.3", BumpPatch, ""},
		{"1.2.3 ", BumpPatch, ""},
		{"99999999999999999999.0.0", BumpPatch, ""},
	} {
		v, ok := parseSemver(tc.version)
		got := ""
		if ok {
			got = v.bumped(tc.bump).String()
		}
		if got != tc.want {
			t.Errorf("%q +%s = %q, want %q", tc.version, tc.bump, got, tc.want)
		}
	}
}
