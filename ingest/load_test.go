package ingest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ontohub/ontohub/store"
)

// samplesDir holds the two real layouts: a copy of the snapshots in shared/samples, kept in the
// repository so that a clone anywhere can run the tests.
var samplesDir = filepath.Join("testdata", "samples")

// exampleDir is the example ontology shipped with the repository.
var exampleDir = filepath.Join("..", "examples", "ontology")

func entityIDs(snap store.Snapshot, entityType string) []string {
	var ids []string
	for _, e := range snap.Entities {
		if e.EntityType == entityType {
			ids = append(ids, e.EntityID)
		}
	}
	return ids
}

func entity(t *testing.T, snap store.Snapshot, entityType, id string) store.EntityRecord {
	t.Helper()
	for _, e := range snap.Entities {
		if e.EntityType == entityType && e.EntityID == id {
			return e
		}
	}
	t.Fatalf("%s %s not in snapshot", entityType, id)
	return store.EntityRecord{}
}

func TestLoadProfilesLayout(t *testing.T) {
	snap, err := Load(filepath.Join(samplesDir, "profiles-layout"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"category":  {"Agent", "Organization", "Person", "Project", "Researcher", "Student"},
		"property":  {"has_affiliation", "has_birthdate", "has_email", "has_end_date", "has_enrollment_date", "has_founded_date", "has_major", "has_name", "has_orcid", "has_start_date", "has_status", "has_website"},
		"subobject": {"Address"},
	}
	for entityType, ids := range want {
		if diff := cmp.Diff(ids, entityIDs(snap, entityType)); diff != "" {
			t.Errorf("%s ids (-want +got):\n%s", entityType, diff)
		}
	}
	wantModules := []store.ModuleRecord{
		{ModuleID: "core", Label: "Core Module", CategoryIDs: []string{"Agent", "Person", "Organization"}, Dependencies: []string{}},
		{ModuleID: "projects", Label: "Projects Module", CategoryIDs: []string{"Project"}, Dependencies: []string{"core"}},
		{ModuleID: "research", Label: "Research Module", CategoryIDs: []string{"Researcher", "Student"}, Dependencies: []string{"core"}},
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		name := p.Last().String()
		return name == ".Description" || name == ".SchemaDefinition"
	}, cmp.Ignore())
	if diff := cmp.Diff(wantModules, snap.Modules, ignore); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	wantProfiles := []store.ProfileRecord{
		{ProfileID: "default", Label: "Default Profile", ModuleIDs: []string{"core"}},
		{ProfileID: "full", Label: "Full Profile", ModuleIDs: []string{"core", "projects"}},
	}
	if diff := cmp.Diff(wantProfiles, snap.Profiles, ignore); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}

	status := entity(t, snap, "property", "has_status")
	if status.Description == nil || *status.Description != "The current state or condition." {
		t.Errorf("has_status description = %v", status.Description)
	}
	var def map[string]any
	if err := json.Unmarshal(status.SchemaDefinition, &def); err != nil {
		t.Fatal(err)
	}
	if _, ok := def["allowed_values"]; !ok {
		t.Errorf("schema_definition of has_status lost allowed_values: %s", status.SchemaDefinition)
	}
}

func TestLoadBundlesLayout(t *testing.T) {
	snap, err := Load(filepath.Join(samplesDir, "bundles-layout"))
	if err != nil {
		t.Fatal(err)
	}
	// _schema.json files, modules/Core/versions/, bundles/Default/versions/
	// and templates/ must all be skipped.
	want := map[string][]string{
		"category":  {"Agent", "Organization", "Person"},
		"property":  {"Has_city", "Has_country", "Has_description", "Has_email", "Has_name", "Has_postal_code", "Has_street", "Has_website"},
		"subobject": {"Address"},
	}
	for entityType, ids := range want {
		if diff := cmp.Diff(ids, entityIDs(snap, entityType)); diff != "" {
			t.Errorf("%s ids (-want +got):\n%s", entityType, diff)
		}
	}
	if len(snap.Entities) != 12 {
		t.Errorf("got %d entities, want 12 (templates must be ignored)", len(snap.Entities))
	}
	if len(snap.Modules) != 1 || snap.Modules[0].ModuleID != "Core" {
		t.Fatalf("modules = %+v, want only Core", snap.Modules)
	}
	core := snap.Modules[0]
	if diff := cmp.Diff([]string{"Agent", "Person", "Organization"}, core.CategoryIDs); diff != "" {
		t.Errorf("Core categories (-want +got):\n%s", diff)
	}
	if core.Dependencies == nil || len(core.Dependencies) != 0 {
		t.Errorf("Core dependencies = %#v, want empty (absent in the file)", core.Dependencies)
	}
	if len(snap.Profiles) != 1 || snap.Profiles[0].ProfileID != "Default" {
		t.Fatalf("profiles = %+v, want only the Default bundle", snap.Profiles)
	}
	if diff := cmp.Diff([]string{"Core"}, snap.Profiles[0].ModuleIDs); diff != "" {
		t.Errorf("Default modules (-want +got):\n%s", diff)
	}
	// The whole file is kept, including fields the tables have no column for.
	var def struct {
		Version    string   `json:"version"`
		Properties []string `json:"properties"`
	}
	if err := json.Unmarshal(core.SchemaDefinition, &def); err != nil {
		t.Fatal(err)
	}
	if def.Version != "1.0.0" || len(def.Properties) != 8 {
		t.Errorf("Core schema_definition = %s", core.SchemaDefinition)
	}
}

func TestLoadExample(t *testing.T) {
	snap, err := Load(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range snap.Entities {
		counts[e.EntityType]++
	}
	if diff := cmp.Diff(map[string]int{"category": 7, "property": 16, "subobject": 1}, counts); diff != "" {
		t.Errorf("entity counts (-want +got):\n%s", diff)
	}
	var lab store.ModuleRecord
	for _, m := range snap.Modules {
		if m.ModuleID == "Lab" {
			lab = m
		}
	}
	if diff := cmp.Diff([]string{"Core"}, lab.Dependencies); diff != "" {
		t.Errorf("Lab dependencies (-want +got):\n%s", diff)
	}
	if len(snap.Profiles) != 1 || !slices.Equal(snap.Profiles[0].ModuleIDs, []string{"Core", "Lab"}) {
		t.Errorf("profiles = %+v, want Research_lab with Core and Lab", snap.Profiles)
	}
	var ta struct {
		Parents []string `json:"parents"`
	}
	if err := json.Unmarshal(entity(t, snap, "category", "Teaching_assistant").SchemaDefinition, &ta); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ta.Parents, []string{"Employee", "Student"}) {
		t.Errorf("Teaching_assistant parents = %v, want the diamond's two sides", ta.Parents)
	}
}

// writeFiles creates a checkout in a temporary directory; files maps a
// relative path to its content.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadLabelAndDescription(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"categories/No_label.json":    `{"id": "No_label"}`,
		"categories/Empty_label.json": `{"id": "Empty_label", "label": "", "description": null}`,
		"categories/Both.json":        `{"id": "Both", "label": "Both!", "description": "has both"}`,
	})
	snap, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, label   string
		description *string
	}{
		{"No_label", "No_label", nil},
		{"Empty_label", "Empty_label", nil},
		{"Both", "Both!", ptr("has both")},
	} {
		e := entity(t, snap, "category", tc.id)
		if e.Label != tc.label || !cmp.Equal(e.Description, tc.description) {
			t.Errorf("%s: label %q description %v, want %q %v", tc.id, e.Label, e.Description, tc.label, tc.description)
		}
	}
}

func ptr(s string) *string { return &s }

// validProperty is a well-formed property file for tests to break.
const validProperty = `{"id": "Has_x", "label": "X", "datatype": "Text", "cardinality": "single"}`

// malformedCases are checkouts with one broken file each: the error must
// name the file and say what is wrong. Shared with the database test.
var malformedCases = []struct {
	name    string
	file    string // relative path of the broken file
	content string
	want    string // substring of the problem message
}{
	{"invalid JSON", "categories/Broken.json", "{\"id\": \"Broken\",\n  \"label\": }", "invalid JSON: line 2"},
	{"not an object", "categories/Listed.json", `["Listed"]`, "expected a JSON object"},
	{"missing id", "categories/Nameless.json", `{"label": "Nameless"}`, "missing id"},
	{"id not a string", "categories/Numbered.json", `{"id": 7}`, "id must be a string, got a number"},
	{"id differs from file name", "categories/Person.json", `{"id": "Persona"}`, `id "Persona" does not match the file name (expected "Person")`},
	{"label not a string", "categories/Odd.json", `{"id": "Odd", "label": ["Odd"]}`, "label must be a string, got an array"},
	{"description not a string", "categories/Odd.json", `{"id": "Odd", "description": 3}`, "description must be a string or null, got a number"},
	{"parent not a string", "categories/Odd.json", `{"id": "Odd", "parent": ["Agent"]}`, "parent must be a string or null, got an array"},
	{"parents not an array", "categories/Odd.json", `{"id": "Odd", "parents": "Agent"}`, "parents must be an array of strings, got a string"},
	{"properties item not a string", "categories/Odd.json", `{"id": "Odd", "properties": ["has_name", 1]}`, "properties must be an array of strings, but item 1 is a number"},
	{"required_properties not an array", "subobjects/Odd.json", `{"id": "Odd", "required_properties": {"Has_x": true}}`, "required_properties must be an array of strings, got an object"},
	{"module categories not strings", "modules/Odd.json", `{"id": "Odd", "categories": [{"id": "Agent"}]}`, "categories must be an array of strings, but item 0 is an object"},
	{"module dependencies not an array", "modules/Odd.json", `{"id": "Odd", "dependencies": "core"}`, "dependencies must be an array of strings, got a string"},
	{"bundle modules not an array", "bundles/Odd.json", `{"id": "Odd", "modules": null}`, "modules must be an array of strings, got null"},
	{"unknown datatype", "properties/Has_x.json", `{"id": "Has_x", "datatype": "Txt", "cardinality": "single"}`, `unknown datatype "Txt"`},
	{"missing datatype", "properties/Has_x.json", `{"id": "Has_x", "cardinality": "single"}`, "missing datatype"},
	{"unknown cardinality", "properties/Has_x.json", `{"id": "Has_x", "datatype": "Text", "cardinality": "many"}`, `unknown cardinality "many"`},
	{"cardinality not a string", "properties/Has_x.json", `{"id": "Has_x", "datatype": "Text", "cardinality": 2}`, "cardinality must be a string, got a number"},
	{"NUL character", "categories/Nul.json", `{"id": "Nul", "label": "a\u0000b"}`, `\u0000`},
	{"invalid UTF-8", "categories/Latin.json", "{\"id\": \"Latin\", \"label\": \"caf\xe9\"}", "not valid UTF-8"},
}

func TestLoadMalformed(t *testing.T) {
	for _, tc := range malformedCases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				"categories/Agent.json": `{"id": "Agent", "label": "Agent"}`,
				tc.file:                 tc.content,
			}
			_, err := Load(writeFiles(t, files))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load = %v, want a *ValidationError", err)
			}
			if len(verr.Problems) != 1 {
				t.Fatalf("problems = %+v, want exactly one", verr.Problems)
			}
			if p := verr.Problems[0]; p.File != filepath.FromSlash(tc.file) || !strings.Contains(p.Message, tc.want) {
				t.Errorf("problem = %+v, want file %s and a message containing %q", p, tc.file, tc.want)
			}
			if !strings.Contains(err.Error(), filepath.FromSlash(tc.file)+": ") {
				t.Errorf("error does not name the file:\n%v", err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	files := map[string]string{
		"categories/A.json":     `{"id": "B"}`,
		"properties/Has_x.json": `{"id": "Has_x", "label": 1, "datatype": "Txt", "cardinality": "few"}`,
		"modules/m.json":        `not json`,
	}
	_, err := Load(writeFiles(t, files))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Load = %v, want a *ValidationError", err)
	}
	var got []string
	for _, p := range verr.Problems {
		got = append(got, p.File)
	}
	want := []string{
		filepath.Join("categories", "A.json"),
		filepath.Join("properties", "Has_x.json"),
		filepath.Join("properties", "Has_x.json"),
		filepath.Join("properties", "Has_x.json"),
		filepath.Join("modules", "m.json"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem files (-want +got):\n%s\n%v", diff, err)
	}
}

func TestLoadCapsTheMessage(t *testing.T) {
	files := map[string]string{}
	for i := range 25 {
		files[filepath.Join("categories", string(rune('A'+i))+".json")] = `{}`
	}
	_, err := Load(writeFiles(t, files))
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 25 {
		t.Fatalf("Load = %v, want 25 problems", err)
	}
	msg := err.Error()
	if lines := strings.Count(msg, "missing id"); lines != maxReported {
		t.Errorf("message spells out %d problems, want %d:\n%s", lines, maxReported, msg)
	}
	if !strings.Contains(msg, "... and 5 more") {
		t.Errorf("message does not say how many were left out:\n%s", msg)
	}
}

func TestLoadDuplicateProfile(t *testing.T) {
	files := map[string]string{
		"profiles/default.json": `{"id": "default", "modules": []}`,
		"bundles/default.json":  `{"id": "default", "modules": []}`,
	}
	_, err := Load(writeFiles(t, files))
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 1 {
		t.Fatalf("Load = %v, want one problem", err)
	}
	p := verr.Problems[0]
	if p.File != filepath.Join("bundles", "default.json") || !strings.Contains(p.Message, "already defined by "+filepath.Join("profiles", "default.json")) {
		t.Errorf("problem = %+v", p)
	}
}

func TestLoadDirectoryErrors(t *testing.T) {
	empty := t.TempDir()
	notDir := filepath.Join(empty, "file.txt")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	onlyTemplates := writeFiles(t, map[string]string{"templates/X.json": `{}`, "README.md": "hi"})
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"missing", filepath.Join(empty, "nope"), "does not exist"},
		{"not a directory", notDir, "is not a directory"},
		{"no kind folder", empty, "no categories/, properties/, subobjects/, modules/, profiles/ or bundles/ folder in " + empty},
		{"only other folders", onlyTemplates, "no categories/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadMissingKindFolders(t *testing.T) {
	// Only properties/: every other kind is simply empty. Non-JSON files and
	// subfolders are not entities.
	dir := writeFiles(t, map[string]string{
		"properties/Has_x.json":            validProperty,
		"properties/README.md":             "not an entity",
		"properties/_schema.json":          `{"type": "object"}`,
		"properties/Has_x/versions/1.json": `{"broken": `,
	})
	snap, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entities) != 1 || len(snap.Modules) != 0 || len(snap.Profiles) != 0 {
		t.Errorf("snapshot = %+v, want just Has_x", snap)
	}
}
