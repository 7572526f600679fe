package validate

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/checkout"
)

// Files of the labki sample, as the rule tests vary them.
const (
	personJSON = `{"id": "Person", "label": "Person", "description": "A human being", "parents": ["Agent"],
		"optional_properties": ["Has_email"], "optional_subobjects": ["Address"]}`
	cityJSON = `{"id": "Has_city", "label": "City", "description": "City", "datatype": "Text", "cardinality": "single"}`
	coreJSON = `{"id": "Core", "version": "1.0.0", "label": "Core Module", "description": "Essential entities",
		"categories": ["Agent", "Person", "Organization"],
		"properties": ["Has_name", "Has_description", "Has_email", "Has_website", "Has_street", "Has_city", "Has_country", "Has_postal_code"],
		"subobjects": ["Address"]}`
)

// with returns a sample file with some fields replaced or added (a crude but readable way to
// vary one field).
func with(file string, replace ...string) string {
	for i := 0; i+1 < len(replace); i += 2 {
		file = strings.Replace(file, replace[i], replace[i+1], 1)
	}
	return file
}

func TestSamples(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		// The repository's own CI accepts the newest sample with three orphan warnings.
		{filepath.Join(samplesDir, "labki-schemas"), []string{
			"orphan dashboards/Core_overview.json",
			"orphan resources/Person/John_doe.json",
			"orphan templates/Property/Page.json",
		}},
		{filepath.Join(samplesDir, "bundles-layout"), []string{"orphan templates/Property/Page.json"}},
		// The older layout's Address lists properties that do not exist. Its modules list only
		// categories, whose properties they own: no orphans.
		{filepath.Join(samplesDir, "profiles-layout"), []string{
			"unresolved_reference subobjects/Address.json /properties/0",
			"unresolved_reference subobjects/Address.json /properties/1",
			"unresolved_reference subobjects/Address.json /properties/2",
			"unresolved_reference subobjects/Address.json /properties/3",
		}},
		{filepath.Join("..", "examples", "ontology"), []string{}},
	} {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			o := prepare(t, readRepo(t, tc.dir))
			if diff := cmp.Diff(tc.want, brief(o.Findings())); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleOrphansAreWarnings(t *testing.T) {
	o := prepare(t, labki(t))
	for _, f := range o.Findings() {
		if f.Severity != SeverityWarning {
			t.Errorf("%+v is not a warning", f)
		}
	}
	if !o.Valid() {
		t.Error("the labki sample is not valid")
	}
}

// TestRules shows each rule firing and, beside it, its nearest valid neighbour passing. Every
// case is checked twice, on the repository prepared with the edits and on the edits laid over
// the prepared repository as a draft, which must agree.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits edits
		want  []string
	}{
		{"id mismatch", edits{"categories/Person.json": with(personJSON, `"id": "Person"`, `"id": "Persona"`)},
			[]string{"id_mismatch categories/Person.json /id"}},
		{"id matches", edits{"categories/Person.json": personJSON}, nil},
		{"id of a nested template", edits{"templates/Property/Page.json": `{"id": "Page", "label": "x", "description": "x", "wikitext": "x"}`},
			[]string{"id_mismatch templates/Property/Page.json /id"}},

		{"datatype outside the enum", edits{"properties/Has_city.json": with(cityJSON, `"Text"`, `"Txt"`)},
			[]string{"schema_violation properties/Has_city.json /datatype"}},
		{"datatype in the enum", edits{"properties/Has_city.json": with(cityJSON, `"Text"`, `"Email"`)}, nil},
		{"cardinality outside the enum", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"one"`)},
			[]string{"schema_violation properties/Has_city.json /cardinality"}},
		{"required field missing", edits{"properties/Has_city.json": with(cityJSON, `, "cardinality": "single"`, ``)},
			[]string{"schema_violation properties/Has_city.json"}},
		{"additional field", edits{"categories/Person.json": with(personJSON, `"parents": ["Agent"]`, `"parents": ["Agent"], "parent": "Agent"`)},
			[]string{"schema_violation categories/Person.json /parent"}},
		{"repeated item", edits{"categories/Person.json": with(personJSON, `["Has_email"]`, `["Has_email", "Has_email"]`)},
			[]string{"schema_violation categories/Person.json /optional_properties"}},
		{"id pattern", edits{"categories/Person.json": with(personJSON, `"parents": ["Agent"]`, `"parents": ["agent"]`)},
			[]string{"schema_violation categories/Person.json /parents/0", "unresolved_reference categories/Person.json /parents/0"}},
		{"allowed_values of neither shape (oneOf)", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "allowed_values": 5`)},
			[]string{"schema_violation properties/Has_city.json /allowed_values"}},
		{"allowed_values list", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "allowed_values": ["Paris"]`)}, nil},
		{"allowed_values and Allows_value_from_category (not)", edits{"properties/Has_city.json": with(cityJSON, `"single"`,
			`"single", "allowed_values": ["Paris"], "Allows_value_from_category": "Person"`)},
			[]string{"schema_violation properties/Has_city.json"}},
		{"dashboard without a root page (contains)", edits{"dashboards/Core_overview.json": `{"id": "Core_overview", "label": "x", "description": "x",
			"pages": [{"name": "Setup", "wikitext": "x"}]}`},
			[]string{"schema_violation dashboards/Core_overview.json /pages"}},
		{"dashboard with a root page", edits{"dashboards/Core_overview.json": `{"id": "Core_overview", "label": "x", "description": "x",
			"pages": [{"name": "", "wikitext": "x"}]}`}, nil},

		{"unresolved parent", edits{"categories/Person.json": with(personJSON, `["Agent"]`, `["Agent", "Nope"]`)},
			[]string{"unresolved_reference categories/Person.json /parents/1"}},
		{"unresolved subobject", edits{"categories/Person.json": with(personJSON, `["Address"]`, `["Address", "Nope"]`)},
			[]string{"unresolved_reference categories/Person.json /optional_subobjects/1"}},
		{"unresolved parent_property", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "parent_property": "Has_nope"`)},
			[]string{"unresolved_reference properties/Has_city.json /parent_property"}},
		{"resolved parent_property", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "parent_property": "Has_country"`)}, nil},
		{"unresolved display template", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "has_display_template": "Property/Nope"`)},
			[]string{"unresolved_reference properties/Has_city.json /has_display_template"}},
		{"resolved display template", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "has_display_template": "Property/Page"`)}, nil},
		{"unresolved allowed_values.from_category", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "allowed_values": {"from_category": "Nope"}`)},
			[]string{"unresolved_reference properties/Has_city.json /allowed_values/from_category"}},
		{"unresolved Allows_value_from_category", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "Allows_value_from_category": "Nope"`)},
			[]string{"unresolved_reference properties/Has_city.json /Allows_value_from_category"}},
		{"resolved Allows_value_from_category", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "Allows_value_from_category": "Person"`)}, nil},
		{"unresolved module entries", edits{"modules/Core.json": with(coreJSON, `"subobjects": ["Address"]`,
			`"subobjects": ["Address", "Nope"], "templates": ["Nope/Page"], "dashboards": ["Nope"], "resources": ["Nope/One"], "dependencies": ["Nope"]`)},
			[]string{
				"unresolved_reference modules/Core.json /dashboards/0",
				"unresolved_reference modules/Core.json /dependencies/0",
				"unresolved_reference modules/Core.json /resources/0",
				"unresolved_reference modules/Core.json /subobjects/1",
				"unresolved_reference modules/Core.json /templates/0",
			}},
		{"unresolved bundle entries", edits{"bundles/Default.json": `{"id": "Default", "version": "1.0.0", "label": "x", "description": "x",
			"modules": ["Core", "Nope"], "dashboards": ["Nope"]}`},
			[]string{"unresolved_reference bundles/Default.json /dashboards/0", "unresolved_reference bundles/Default.json /modules/1"}},
		{"resolved bundle dashboard", edits{"bundles/Default.json": `{"id": "Default", "version": "1.0.0", "label": "x", "description": "x",
			"modules": ["Core"], "dashboards": ["Core_overview"]}`}, nil},
		{"unresolved resource category", edits{"resources/Person/John_doe.json": `{"id": "Person/John_doe", "category": "Nope"}`},
			[]string{"unresolved_reference resources/Person/John_doe.json /category"}},
		{"reference to a deleted entity", edits{"properties/Has_city.json": ""},
			[]string{"unresolved_reference modules/Core.json /properties/5", "unresolved_reference subobjects/Address.json /required_properties/1"}},

		{"category is its own parent", edits{"categories/Person.json": with(personJSON, `["Agent"]`, `["Agent", "Person"]`)},
			[]string{"self_reference categories/Person.json /parents/1"}},
		{"property is its own parent", edits{"properties/Has_city.json": with(cityJSON, `"single"`, `"single", "parent_property": "Has_city"`)},
			[]string{"self_reference properties/Has_city.json /parent_property"}},
		{"module depends on itself", edits{"modules/Core.json": with(coreJSON, `"subobjects": ["Address"]`, `"subobjects": ["Address"], "dependencies": ["Core"]`)},
			[]string{"self_reference modules/Core.json /dependencies/0"}},

		{"inheritance cycle", edits{"categories/Agent.json": `{"id": "Agent", "label": "x", "description": "x", "parents": ["Person"], "required_properties": ["Has_name"]}`},
			[]string{"inheritance_cycle categories/Agent.json /parents/0"}},
		{"inheritance diamond", edits{"categories/Organization.json": `{"id": "Organization", "label": "x", "description": "x", "parents": ["Agent", "Person"]}`}, nil},
		{"parent_property cycle", edits{
			"properties/Has_city.json":    with(cityJSON, `"single"`, `"single", "parent_property": "Has_country"`),
			"properties/Has_country.json": `{"id": "Has_country", "label": "x", "description": "x", "datatype": "Text", "cardinality": "single", "parent_property": "Has_city"}`},
			[]string{"property_cycle properties/Has_city.json /parent_property"}},
		{"module dependency cycle", edits{
			"modules/Core.json":  with(coreJSON, `"subobjects": ["Address"]`, `"subobjects": ["Address"], "dependencies": ["Extra"]`),
			"modules/Extra.json": `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "templates": ["Property/Page"], "dependencies": ["Core"]}`},
			[]string{"dependency_cycle modules/Core.json /dependencies/0"}},
		{"module dependency chain", edits{
			"modules/Extra.json": `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "templates": ["Property/Page"], "dependencies": ["Core"]}`},
			nil},

		{"required and optional property", edits{"categories/Person.json": with(personJSON, `"optional_properties"`, `"required_properties": ["Has_email"], "optional_properties"`)},
			[]string{"required_optional_overlap categories/Person.json /optional_properties/0"}},
		{"required and optional subobject", edits{"categories/Person.json": with(personJSON, `"optional_subobjects"`, `"required_subobjects": ["Address"], "optional_subobjects"`)},
			[]string{"required_optional_overlap categories/Person.json /optional_subobjects/0"}},
		{"required and optional subobject property", edits{"subobjects/Address.json": `{"id": "Address", "label": "x", "description": "x",
			"required_properties": ["Has_street"], "optional_properties": ["Has_street", "Has_city"]}`},
			[]string{"required_optional_overlap subobjects/Address.json /optional_properties/0"}},
		{"required and optional distinct", edits{"categories/Person.json": with(personJSON, `"optional_properties"`, `"required_properties": ["Has_name"], "optional_properties"`)}, nil},

		{"reference out of module scope", edits{
			"modules/Extra.json":    `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "categories": ["Thing"]}`,
			"categories/Thing.json": `{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"], "required_properties": ["Has_name"]}`},
			[]string{"module_scope categories/Thing.json /parents/0", "module_scope categories/Thing.json /required_properties/0"}},
		{"reference into a dependency", edits{
			"modules/Extra.json":    `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "categories": ["Thing"], "dependencies": ["Core"]}`,
			"categories/Thing.json": `{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"], "required_properties": ["Has_name"]}`},
			nil},
		{"reference into a transitive dependency", edits{
			"modules/Mid.json":      `{"id": "Mid", "version": "1.0.0", "label": "x", "description": "x", "templates": ["Property/Page"], "dependencies": ["Core"]}`,
			"modules/Extra.json":    `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "categories": ["Thing"], "dependencies": ["Mid"]}`,
			"categories/Thing.json": `{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"]}`},
			nil},
		{"entity in no module is exempt", edits{
			"categories/Thing.json": `{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"], "required_properties": ["Has_name"]}`},
			[]string{"orphan categories/Thing.json"}},
		{"resource out of module scope", edits{
			"modules/Extra.json": `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "resources": ["Person/John_doe"]}`},
			[]string{"module_scope resources/Person/John_doe.json /category"}},
		{"entity in two modules, one in scope", edits{
			"modules/Extra.json":    `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "categories": ["Thing"]}`,
			"modules/Core.json":     with(coreJSON, `"Organization"]`, `"Organization", "Thing"]`),
			"categories/Thing.json": `{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"]}`},
			nil},

		{"module lists nothing", edits{"modules/Extra.json": `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "dependencies": ["Core"]}`},
			[]string{"module_empty modules/Extra.json"}},
		{"module with an empty list", edits{"modules/Extra.json": `{"id": "Extra", "version": "1.0.0", "label": "x", "description": "x", "templates": []}`}, nil},
		{"module version not semver", edits{"modules/Core.json": with(coreJSON, `"1.0.0"`, `"1.0"`)},
			[]string{"invalid_version modules/Core.json /version"}},
		{"module version not a string", edits{"modules/Core.json": with(coreJSON, `"1.0.0"`, `1`)},
			[]string{"invalid_version modules/Core.json /version"}},
		// Semver allows a pre-release; the repository's schema does not.
		{"module version pre-release", edits{"modules/Core.json": with(coreJSON, `"1.0.0"`, `"1.0.0-rc.1"`)},
			[]string{"schema_violation modules/Core.json /version"}},
		{"bundle version not semver", edits{"bundles/Default.json": `{"id": "Default", "version": "v1", "label": "x", "description": "x", "modules": ["Core"]}`},
			[]string{"invalid_version bundles/Default.json /version"}},

		{"orphan property", edits{"properties/Has_extra.json": `{"id": "Has_extra", "label": "x", "description": "x", "datatype": "Text", "cardinality": "single"}`},
			[]string{"orphan properties/Has_extra.json"}},
		{"listed property", edits{
			"properties/Has_extra.json": `{"id": "Has_extra", "label": "x", "description": "x", "datatype": "Text", "cardinality": "single"}`,
			"modules/Core.json":         with(coreJSON, `"Has_postal_code"]`, `"Has_postal_code", "Has_extra"]`)},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := brief(checkBothWays(t, labki(t), tc.edits))
			if diff := cmp.Diff(append([]string{}, tc.want...), got); diff != "" {
				t.Errorf("new findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesOlderLayout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits edits
		want  []string
	}{
		{"required field missing", edits{"categories/Agent.json": `{"id": "Agent", "description": "x", "parent": null, "properties": ["has_name"]}`},
			[]string{"missing_field categories/Agent.json"}},
		{"extra fields are fine without a schema", edits{"categories/Agent.json": `{"id": "Agent", "label": "x", "description": "x", "colour": "red"}`}, nil},
		{"unresolved single parent", edits{"categories/Agent.json": `{"id": "Agent", "label": "x", "description": "x", "parent": "Nope"}`},
			[]string{"unresolved_reference categories/Agent.json /parent"}},
		{"cycle through single parents", edits{"categories/Agent.json": `{"id": "Agent", "label": "x", "description": "x", "parent": "Person", "properties": ["has_name"]}`},
			[]string{"inheritance_cycle categories/Agent.json /parent"}},
		{"unresolved unqualified property", edits{"categories/Agent.json": `{"id": "Agent", "label": "x", "description": "x", "properties": ["has_name", "has_nope"]}`},
			[]string{"unresolved_reference categories/Agent.json /properties/1"}},
		{"module version absent is fine", edits{"modules/core.json": `{"id": "core", "label": "x", "description": "x", "categories": ["Agent", "Person", "Organization"]}`}, nil},
		{"module version present must be semver", edits{"modules/core.json": `{"id": "core", "version": "one", "label": "x", "description": "x", "categories": ["Agent", "Person", "Organization"]}`},
			[]string{"invalid_version modules/core.json /version"}},
		{"profile without modules", edits{"profiles/default.json": `{"id": "default", "label": "x", "description": "x"}`},
			[]string{"missing_field profiles/default.json"}},
		// A property no category of a module lists is an orphan; one a category lists is not.
		{"orphan property", edits{"properties/has_extra.json": `{"id": "has_extra", "label": "x", "description": "x", "datatype": "Text", "cardinality": "single"}`},
			[]string{"orphan properties/has_extra.json"}},
		{"property owned through a category", edits{
			"properties/has_extra.json": `{"id": "has_extra", "label": "x", "description": "x", "datatype": "Text", "cardinality": "single"}`,
			"categories/Project.json": `{"id": "Project", "label": "x", "description": "x", "parent": null,
				"properties": ["has_name", "has_start_date", "has_end_date", "has_status", "has_extra"]}`},
			nil},
		// Researcher (research) may reference Person (core): research depends on core. Project
		// (projects) may not reference Researcher (research).
		{"older layout module scope", edits{"categories/Project.json": `{"id": "Project", "label": "x", "description": "x", "parent": "Researcher",
			"properties": ["has_name", "has_start_date", "has_end_date", "has_status"]}`},
			[]string{"module_scope categories/Project.json /parent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := brief(checkBothWays(t, profiles(t), tc.edits))
			if diff := cmp.Diff(append([]string{}, tc.want...), got); diff != "" {
				t.Errorf("new findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCycleReportedOnceWithItsPath(t *testing.T) {
	// Three categories in a ring, plus one hanging off it: one finding, on the smallest id.
	got := checkBothWays(t, labki(t), edits{
		"categories/Agent.json":        `{"id": "Agent", "label": "x", "description": "x", "parents": ["Organization"], "required_properties": ["Has_name"]}`,
		"categories/Organization.json": `{"id": "Organization", "label": "x", "description": "x", "parents": ["Person"]}`,
		"categories/Thing.json":        `{"id": "Thing", "label": "x", "description": "x", "parents": ["Agent"]}`,
	})
	var cycles []Finding
	for _, f := range got {
		if f.Code == CodeInheritanceCycle {
			cycles = append(cycles, f)
		}
	}
	want := []Finding{{Severity: SeverityError, Code: CodeInheritanceCycle, EntityType: "category", EntityID: "Agent",
		File: "categories/Agent.json", Path: "/parents/0", Message: "category inheritance cycle: Agent → Organization → Person → Agent"}}
	if diff := cmp.Diff(want, cycles); diff != "" {
		t.Errorf("cycle findings (-want +got):\n%s", diff)
	}
}

func TestSchemaFindingMessages(t *testing.T) {
	got := checkBothWays(t, labki(t), edits{
		"properties/Has_city.json": `{"id": "Has_city", "label": "x", "description": "", "datatype": "Txt", "cardinality": "single", "colour": 1}`,
	})
	want := []Finding{
		{Severity: SeverityError, Code: CodeSchemaViolation, EntityType: "property", EntityID: "Has_city", File: "properties/Has_city.json", Path: "/datatype"},
		{Severity: SeverityError, Code: CodeSchemaViolation, EntityType: "property", EntityID: "Has_city", File: "properties/Has_city.json", Path: "/description"},
	}
	keywords := []string{`"enum"`, `"minLength"`}
	if len(got) != len(want) {
		t.Fatalf("findings: %+v", got)
	}
	for i := range want {
		if !strings.Contains(got[i].Message, keywords[i]) {
			t.Errorf("message %q does not name the keyword %s", got[i].Message, keywords[i])
		}
		got[i].Message = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestProblemsAreFindings(t *testing.T) {
	repo := labki(t)
	// Agent's file is unusable: one finding for it, and Person's and Organization's parents
	// still resolve (the file exists).
	var kept []Entity
	for _, e := range repo.Entities {
		if e.File != "categories/Agent.json" {
			kept = append(kept, e)
		}
	}
	repo.Entities = kept
	repo.Problems = []checkout.Problem{{Path: "categories/Agent.json", Code: CodeInvalidJSON, Message: "invalid JSON: line 1"},
		{Path: "categories", Message: "is a file, expected a folder"}}
	o := prepare(t, repo)
	want := []string{
		"unreadable_file categories",
		"invalid_json categories/Agent.json",
		"orphan dashboards/Core_overview.json",
		"orphan resources/Person/John_doe.json",
		"orphan templates/Property/Page.json",
	}
	if diff := cmp.Diff(want, brief(o.Findings())); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// A draft that rewrites the file replaces its problem.
	fixed := o.With([]Change{{Kind: "category", ID: "Agent", Data: []byte(`{"id": "Agent", "label": "x", "description": "x", "required_properties": ["Has_name"]}`)}})
	if diff := cmp.Diff(append([]string{"unreadable_file categories"}, want[2:]...), brief(fixed.Findings())); diff != "" {
		t.Errorf("findings after the fix (-want +got):\n%s", diff)
	}
}

func TestInvalidSchemaIsAFindingAndNothingIsFetched(t *testing.T) {
	repo := labki(t)
	repo.Schemas = cloneSchemas(repo.Schemas)
	// A $ref outside the repository's schemas would need a fetch; it must fail, not fetch.
	repo.Schemas["category"] = []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "https://example.invalid/category.json"}`)
	repo.Schemas["property"] = []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "file:///etc/passwd"}`)
	o := prepare(t, repo)
	got := without(o.Findings(), prepare(t, labki(t)).Findings())
	if diff := cmp.Diff([]string{"invalid_schema categories/_schema.json", "invalid_schema properties/_schema.json"}, brief(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, f := range got {
		if !strings.Contains(f.Message, "never fetched") {
			t.Errorf("message %q does not say why", f.Message)
		}
	}
	// The kinds fall back to the required-fields check.
	draft := o.With([]Change{{Kind: "category", ID: "Person", Data: []byte(`{"id": "Person", "description": "x", "parents": ["Agent"]}`)}})
	if diff := cmp.Diff([]string{"missing_field categories/Person.json"}, brief(without(draft.Findings(), o.Findings()))); diff != "" {
		t.Errorf("draft findings (-want +got):\n%s", diff)
	}
}

func TestSchemasReferToEachOtherByID(t *testing.T) {
	repo := labki(t)
	repo.Schemas = cloneSchemas(repo.Schemas)
	// A schema that reuses another's definition through its $id compiles from memory.
	repo.Schemas["subobject"] = []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$ref": "https://labki.org/schemas/category.schema.json"}`)
	o := prepare(t, repo)
	if diff := cmp.Diff(brief(prepare(t, labki(t)).Findings()), brief(o.Findings())); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	bad := o.With([]Change{{Kind: "subobject", ID: "Address", Data: []byte(`{"id": "Address", "label": "x", "description": "x", "parents": 1}`)}})
	if diff := cmp.Diff([]string{"schema_violation subobjects/Address.json /parents"}, brief(without(bad.Findings(), o.Findings()))); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestRootVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string
	}{
		{"0.1.2", []string{}},
		{"", []string{}}, // the older layouts have none
		{"1.0", []string{"invalid_version VERSION"}},
	} {
		repo := labki(t)
		repo.Version = tc.version
		got := without(prepare(t, repo).Findings(), prepare(t, labki(t)).Findings())
		if diff := cmp.Diff(tc.want, brief(got)); diff != "" {
			t.Errorf("VERSION %q: findings (-want +got):\n%s", tc.version, diff)
		}
	}
}

func TestDraftFileProblems(t *testing.T) {
	o := prepare(t, labki(t))
	for _, tc := range []struct {
		name   string
		change Change
		want   []string
	}{
		{"invalid JSON", Change{Kind: "category", ID: "Person", Data: []byte(`{"id": "Person",}`)}, []string{"invalid_json categories/Person.json"}},
		{"not an object", Change{Kind: "category", ID: "Person", Data: []byte(`[]`)}, []string{"invalid_json categories/Person.json"}},
		{"duplicate keys", Change{Kind: "category", ID: "Person", Data: []byte(`{"id": "Person", "id": "Person"}`)}, []string{"invalid_json categories/Person.json"}},
		{"bad id", Change{Kind: "category", ID: " Thing", Data: []byte(`{"id": " Thing"}`)}, []string{"invalid_id categories/ Thing.json"}},
		{"id clashing in case", Change{Kind: "category", ID: "person", Data: []byte(`{"id": "person", "label": "x", "description": "x"}`)},
			[]string{"duplicate_id categories/person.json", "orphan categories/person.json", "schema_violation categories/person.json /id"}},
		{"unknown kind", Change{Kind: "widget", ID: "X", Data: []byte(`{}`)}, []string{"invalid_id"}},
		{"dot segment", Change{Kind: "template", ID: "Property/../Page", Data: []byte(`{"id": "Property/../Page"}`)},
			[]string{"invalid_id templates/Property/../Page.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := o.CheckChanges([]Change{tc.change})
			if diff := cmp.Diff(tc.want, brief(r.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if r.Valid {
				t.Error("report is valid")
			}
		})
	}
}

func TestDuplicateFreedByDelete(t *testing.T) {
	// Renaming Person to person in one draft (delete + create) is no clash.
	o := prepare(t, labki(t))
	r := o.CheckChanges([]Change{
		{Kind: "category", ID: "Person"},
		{Kind: "category", ID: "person", Data: []byte(`{"id": "person", "label": "x", "description": "x"}`)},
	})
	for _, f := range r.Findings {
		if f.Code == CodeDuplicateID {
			t.Errorf("unexpected %+v", f)
		}
	}
}
