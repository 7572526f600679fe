package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/store"
)

// samplesDir holds real snapshots of the schema repository in its three layouts, kept in the
// repository so that a clone anywhere can run the tests.
var samplesDir = filepath.Join("testdata", "samples")

// The samples and the example ontology shipped with the repository.
var (
	labkiDir    = filepath.Join(samplesDir, "labki-schemas")
	bundlesDir  = filepath.Join(samplesDir, "bundles-layout")
	profilesDir = filepath.Join(samplesDir, "profiles-layout")
	exampleDir  = filepath.Join("..", "examples", "ontology")
)

// kindFolder is the folder of the newer layout that holds files of kind.
var kindFolder = map[string]string{
	"category": "categories", "property": "properties", "subobject": "subobjects", "template": "templates",
	"module": "modules", "bundle": "bundles", "dashboard": "dashboards", "resource": "resources",
}

func load(t *testing.T, dir string) store.Ingest {
	t.Helper()
	in, co, err := Load(dir, checkout.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if co == nil {
		t.Fatal("Load returned no checkout")
	}
	return in
}

// idsByKind lists the ids of every kind in the order Load gives them.
func idsByKind(in store.Ingest) map[string][]string {
	out := map[string][]string{}
	for _, e := range in.Entities {
		out[e.EntityType] = append(out[e.EntityType], e.EntityID)
	}
	return out
}

func entity(t *testing.T, in store.Ingest, kind, id string) store.EntityRecord {
	t.Helper()
	for _, e := range in.Entities {
		if e.EntityType == kind && e.EntityID == id {
			return e
		}
	}
	t.Fatalf("%s %s not loaded", kind, id)
	return store.EntityRecord{}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeFiles creates a checkout in a temporary directory; files maps a relative path to its
// content.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	addFiles(t, dir, files)
	return dir
}

// addFiles writes files (relative path → content) into dir, creating folders as needed.
func addFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var labkiIDs = map[string][]string{
	"category":  {"Agent", "Organization", "Person"},
	"property":  {"Has_city", "Has_country", "Has_description", "Has_email", "Has_name", "Has_postal_code", "Has_street", "Has_website"},
	"subobject": {"Address"},
	"template":  {"Property/Page"},
	"module":    {"Core"},
	"bundle":    {"Default"},
	"dashboard": {"Core_overview"},
	"resource":  {"Person/John_doe"},
}

func TestLoadLayouts(t *testing.T) {
	bundlesIDs := map[string][]string{}
	for kind, ids := range labkiIDs {
		if kind != "dashboard" && kind != "resource" {
			bundlesIDs[kind] = ids
		}
	}
	for _, tc := range []struct {
		name         string
		dir          string
		ids          map[string][]string
		version      string
		bundleFolder string
		schemas      []string // kinds with a _schema.json
	}{
		{"labki-schemas", labkiDir, labkiIDs, "0.1.2", "bundles",
			[]string{"bundle", "category", "dashboard", "module", "property", "resource", "subobject", "template"}},
		// versions/ folders and _schema.json are not entities; templates/ is a kind.
		{"bundles layout", bundlesDir, bundlesIDs, "", "bundles",
			[]string{"bundle", "category", "module", "property", "subobject", "template"}},
		{"profiles layout", profilesDir, map[string][]string{
			"category":  {"Agent", "Organization", "Person", "Project", "Researcher", "Student"},
			"property":  {"has_affiliation", "has_birthdate", "has_email", "has_end_date", "has_enrollment_date", "has_founded_date", "has_major", "has_name", "has_orcid", "has_start_date", "has_status", "has_website"},
			"subobject": {"Address"},
			"module":    {"core", "projects", "research"},
			"bundle":    {"default", "full"},
		}, "", "profiles", []string{}},
		{"example", exampleDir, map[string][]string{
			"category":  {"Agent", "Employee", "Organization", "Person", "Research_group", "Student", "Teaching_assistant"},
			"property":  {"Has_city", "Has_country", "Has_email", "Has_job_title", "Has_member", "Has_name", "Has_orcid", "Has_postal_code", "Has_principal_investigator", "Has_start_date", "Has_street", "Has_study_program", "Has_supervisor", "Has_teaching_hours", "Has_website", "Is_active"},
			"subobject": {"Address"},
			"module":    {"Core", "Lab"},
			"bundle":    {"Research_lab"},
		}, "", "bundles", []string{"bundle", "category", "module", "property", "subobject"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := load(t, tc.dir)
			if diff := cmp.Diff(tc.ids, idsByKind(in)); diff != "" {
				t.Errorf("ids by kind (-want +got):\n%s", diff)
			}
			// Files come in kind order (store.Kinds), then by path.
			var kinds []string
			for _, e := range in.Entities {
				if len(kinds) == 0 || kinds[len(kinds)-1] != e.EntityType {
					kinds = append(kinds, e.EntityType)
				}
			}
			var wantKinds []string
			for _, k := range store.Kinds {
				if len(tc.ids[k]) > 0 {
					wantKinds = append(wantKinds, k)
				}
			}
			if diff := cmp.Diff(wantKinds, kinds); diff != "" {
				t.Errorf("kind order (-want +got):\n%s", diff)
			}
			for _, e := range in.Entities {
				folder := kindFolder[e.EntityType]
				if e.EntityType == "bundle" {
					folder = tc.bundleFolder
				}
				if want := path.Join(folder, e.EntityID+".json"); e.FilePath != want {
					t.Errorf("%s %s: file path %q, want %q", e.EntityType, e.EntityID, e.FilePath, want)
				}
			}
			if in.RepoVersion != tc.version || in.BundleFolder != tc.bundleFolder {
				t.Errorf("version %q, bundle folder %q; want %q, %q", in.RepoVersion, in.BundleFolder, tc.version, tc.bundleFolder)
			}
			if diff := cmp.Diff(tc.schemas, sortedKeys(in.Schemas)); diff != "" {
				t.Errorf("schemas by kind (-want +got):\n%s", diff)
			}
			if in.CommitSHA != nil || in.Findings != nil {
				t.Errorf("Load set commit %v and findings %s; Run does that", in.CommitSHA, in.Findings)
			}
		})
	}
}

// TestLoadKeepsFilesAsRead checks that every entity's source and every _schema.json is the file
// byte for byte, and what Record derives from it.
func TestLoadKeepsFilesAsRead(t *testing.T) {
	for _, dir := range []string{labkiDir, profilesDir} {
		in := load(t, dir)
		for _, e := range in.Entities {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.FilePath)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Source, data) {
				t.Errorf("%s: source is not the file as read:\n%s", e.FilePath, e.Source)
			}
			hash, err := ContentHash(data)
			if err != nil || e.ContentHash != hash {
				t.Errorf("%s: content hash %s, want %s (%v)", e.FilePath, e.ContentHash, hash, err)
			}
		}
		for kind, schema := range in.Schemas {
			data, err := os.ReadFile(filepath.Join(dir, kindFolder[kind], "_schema.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(schema, data) {
				t.Errorf("%s _schema.json is not the file as read", kind)
			}
		}
	}

	in := load(t, labkiDir)
	for _, tc := range []struct {
		kind, id, label, description string
	}{
		{"template", "Property/Page", "Page Link Template", "Renders page references as clickable wiki links"},
		{"resource", "Person/John_doe", "John Doe", "Example person resource demonstrating the Person category structure"},
		{"dashboard", "Core_overview", "Core Module Overview", "Dashboard for browsing core entities and their relationships"},
		{"property", "Has_postal_code", "Postal Code", "Postal or ZIP code"},
	} {
		e := entity(t, in, tc.kind, tc.id)
		if e.Label != tc.label || e.Description == nil || *e.Description != tc.description {
			t.Errorf("%s %s: label %q, description %v; want %q, %q", tc.kind, tc.id, e.Label, e.Description, tc.label, tc.description)
		}
	}

	status := entity(t, load(t, profilesDir), "property", "has_status")
	var def struct {
		AllowedValues []string `json:"allowed_values"`
	}
	if err := json.Unmarshal(status.Source, &def); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"planned", "active", "completed", "cancelled"}, def.AllowedValues); diff != "" {
		t.Errorf("has_status allowed_values (-want +got):\n%s", diff)
	}
}

func ptr(s string) *string { return &s }

func TestRecord(t *testing.T) {
	for _, tc := range []struct {
		name, source, label string
		description         *string
	}{
		{"no label", `{"id": "X"}`, "X", nil},
		{"empty label, null description", `{"id": "X", "label": "", "description": null}`, "X", nil},
		{"blank label", `{"id": "X", "label": " \t\n"}`, "X", nil},
		{"label a number", `{"id": "X", "label": 7, "description": 3}`, "X", nil},
		{"label a list", `{"id": "X", "label": ["Y"], "description": ["d"]}`, "X", nil},
		{"label null", `{"id": "X", "label": null}`, "X", nil},
		{"both", `{"id": "X", "label": "Both!", "description": "has both"}`, "Both!", ptr("has both")},
		{"empty description", `{"id": "X", "label": "L", "description": ""}`, "L", ptr("")},
		// The label is the file's, not the id field's; the path gives the id.
		{"id field differs", `{"id": "Other", "label": "L"}`, "L", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Record("category", "X", "categories/X.json", []byte(tc.source))
			if err != nil {
				t.Fatal(err)
			}
			hash, err := ContentHash([]byte(tc.source))
			if err != nil {
				t.Fatal(err)
			}
			want := store.EntityRecord{EntityType: "category", EntityID: "X", FilePath: "categories/X.json",
				Label: tc.label, Description: tc.description, Source: []byte(tc.source), ContentHash: hash}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Record (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Record("category", "X", "categories/X.json", []byte(`{"id": `)); err == nil {
		t.Error("Record of a truncated file succeeded")
	}
}

func TestContentHash(t *testing.T) {
	hash := func(s string) string {
		t.Helper()
		h, err := ContentHash([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := `{"id":"A","label":"Agent","parents":["X","Y"]}`
	sum := sha256.Sum256([]byte(base))
	if got := hash(base); got != hex.EncodeToString(sum[:]) {
		t.Errorf("ContentHash(%s) = %s, want the hex SHA-256 of the compact text", base, got)
	}
	for _, tc := range []struct {
		name, source string
		same         bool
	}{
		{"indented", "{\n  \"id\": \"A\",\n  \"label\": \"Agent\",\n  \"parents\": [\n    \"X\",\n    \"Y\"\n  ]\n}\n", true},
		{"tabs and CRLF", "{\r\n\t\"id\" : \"A\" ,\t\"label\":\"Agent\",\r\n\"parents\":[ \"X\" , \"Y\" ]}", true},
		{"keys reordered", `{"label":"Agent","id":"A","parents":["X","Y"]}`, false},
		{"list reordered", `{"id":"A","label":"Agent","parents":["Y","X"]}`, false},
		{"space inside a string", `{"id":"A","label":"Agent ","parents":["X","Y"]}`, false},
	} {
		if got := hash(tc.source) == hash(base); got != tc.same {
			t.Errorf("%s: same hash = %v, want %v", tc.name, got, tc.same)
		}
	}
	if _, err := ContentHash([]byte(`{"id": `)); err == nil {
		t.Error("ContentHash of a truncated file succeeded")
	}
}

// problemCase is a checkout with file-level problems: Load and Run must refuse it, naming each
// file. Shared by TestLoadFileProblems and TestRunFileProblemsLeaveDatabaseUnchanged.
type problemCase struct {
	name   string
	files  map[string]string // relative path → content, added to a valid checkout
	links  map[string]string // relative path → symlink target ("outside" for a file outside the checkout)
	limits checkout.Limits
	want   []wantProblem
}

// wantProblem is one problem a case must report: the file, its code and part of the message.
type wantProblem struct {
	path, code, message string
}

// hugeFile is valid JSON of 10 kB.
var hugeFile = `{"id": "Huge", "pad": "` + strings.Repeat("x", 10_000) + `"}`

// outsideTarget is the symlink target standing for a file outside the checkout.
const outsideTarget = "outside"

var problemCases = []problemCase{
	{name: "invalid JSON", files: map[string]string{"categories/Broken.json": "{\"id\": \"Broken\",\n  \"label\": }"},
		want: []wantProblem{{"categories/Broken.json", checkout.CodeInvalidJSON, "invalid JSON: line 2, column 12 at /label"}}},
	{name: "not an object", files: map[string]string{"categories/Listed.json": `["Listed"]`},
		want: []wantProblem{{"categories/Listed.json", checkout.CodeInvalidJSON, "top level is not a JSON object"}}},
	{name: "NUL character", files: map[string]string{"categories/Nul.json": `{"id": "Nul", "label": "a\u0000b"}`},
		want: []wantProblem{{"categories/Nul.json", checkout.CodeInvalidJSON, `\u0000`}}},
	{name: "invalid UTF-8", files: map[string]string{"categories/Latin.json": "{\"id\": \"Latin\", \"label\": \"caf\xe9\"}"},
		want: []wantProblem{{"categories/Latin.json", checkout.CodeInvalidJSON, "invalid UTF-8"}}},
	{name: "lone surrogate", files: map[string]string{"categories/Half.json": `{"id": "Half", "label": "\ud800"}`},
		want: []wantProblem{{"categories/Half.json", checkout.CodeInvalidJSON, "lone UTF-16 surrogate"}}},
	{name: "trailing data", files: map[string]string{"categories/Two.json": `{"id": "Two"} {"id": "Two"}`},
		want: []wantProblem{{"categories/Two.json", checkout.CodeInvalidJSON, "unexpected data after the JSON value"}}},
	{name: "duplicate key", files: map[string]string{"properties/Has_twice.json": `{"id": "Has_twice", "label": "A", "label": "B"}`},
		want: []wantProblem{{"properties/Has_twice.json", checkout.CodeInvalidJSON, `duplicate object key "label"`}}},
	{name: "number outside float64", files: map[string]string{"properties/Has_big.json": `{"id": "Has_big", "maximum": 1e400}`},
		want: []wantProblem{{"properties/Has_big.json", checkout.CodeInvalidJSON, "1e400"}}},
	{name: "broken _schema.json", files: map[string]string{"categories/_schema.json": `{"type": "object",}`},
		want: []wantProblem{{"categories/_schema.json", checkout.CodeInvalidJSON, "invalid JSON"}}},
	{name: "symlink to a file outside the checkout", links: map[string]string{"categories/Secret.json": outsideTarget},
		want: []wantProblem{{"categories/Secret.json", checkout.CodeUnreadable, "symbolic links are not followed"}}},
	{name: "symlink to /dev/zero", links: map[string]string{"properties/Has_zero.json": "/dev/zero"},
		want: []wantProblem{{"properties/Has_zero.json", checkout.CodeUnreadable, "symbolic links are not followed"}}},
	{name: "symlinked kind folder", links: map[string]string{"templates": outsideTarget},
		want: []wantProblem{{"templates", checkout.CodeUnreadable, "symbolic link"}}},
	{name: "file over the size limit", files: map[string]string{"categories/Huge.json": hugeFile},
		limits: checkout.Limits{MaxFileBytes: 8 << 10},
		want:   []wantProblem{{"categories/Huge.json", checkout.CodeUnreadable, fmt.Sprintf("file too large (%d bytes, the limit is 8192)", len(hugeFile))}}},
	{name: "ids differing in case", files: map[string]string{"categories/person.json": `{"id": "person", "label": "person"}`},
		want: []wantProblem{{"categories/person.json", checkout.CodeDuplicateID, `"Person" of categories/Person.json`}}},
	{name: "ids differing in normalization", files: map[string]string{
		"categories/Café.json":       `{"id": "Café"}`, // NFC: é is U+00E9
		"categories/Cafe\u0301.json": `{"id": "Café"}`, // NFD: e and U+0301
	}, want: []wantProblem{
		{"categories/Cafe\u0301.json", checkout.CodeInvalidID, "not in Unicode normalization form NFC"},
		// The NFD name sorts first (e < é), so the NFC file is the one that clashes.
		{"categories/Café.json", checkout.CodeDuplicateID, "of categories/Cafe\u0301.json"},
	}},
	{name: "profile and bundle of one id", files: map[string]string{
		"profiles/Research_lab.json": `{"id": "Research_lab", "modules": ["Core"]}`,
	}, want: []wantProblem{{"bundles/Research_lab.json", checkout.CodeDuplicateID, "of profiles/Research_lab.json"}}},
	{name: "id with surrounding spaces", files: map[string]string{"categories/ Spaced.json": `{"id": "Spaced"}`},
		want: []wantProblem{{"categories/ Spaced.json", checkout.CodeInvalidID, "surrounding spaces"}}},
	{name: "id with a control character", files: map[string]string{"categories/Tab\tbed.json": `{"id": "Tabbed"}`},
		want: []wantProblem{{"categories/Tab\tbed.json", checkout.CodeInvalidID, "control character"}}},
	{name: "one problem of each sort at once", files: map[string]string{
		"categories/Broken.json":    "{",
		"modules/Listed.json":       `[]`,
		"bundles/research_lab.json": `{"id": "research_lab"}`,
	}, want: []wantProblem{
		{"categories/Broken.json", checkout.CodeInvalidJSON, "invalid JSON"},
		{"modules/Listed.json", checkout.CodeInvalidJSON, "not a JSON object"},
		{"bundles/research_lab.json", checkout.CodeDuplicateID, `"Research_lab" of bundles/Research_lab.json`},
	}},
}

// makeProblemCheckout copies the example ontology and adds the case's files and links.
func makeProblemCheckout(t *testing.T, tc problemCase) string {
	t.Helper()
	dir := copyDir(t, exampleDir)
	addFiles(t, dir, tc.files)
	for rel, target := range tc.links {
		if target == outsideTarget {
			outside := writeFiles(t, map[string]string{"Secret.json": `{"id": "Secret", "label": "a secret"}`})
			target = filepath.Join(outside, "Secret.json")
			if !strings.HasSuffix(rel, ".json") {
				target = outside
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkProblemsError checks that err is a *ProblemsError listing exactly the case's problems,
// and that its message names every file.
func checkProblemsError(t *testing.T, err error, dir string, want []wantProblem) {
	t.Helper()
	var perr *ProblemsError
	if !errors.As(err, &perr) {
		t.Fatalf("error = %v, want a *ProblemsError", err)
	}
	if perr.Dir != dir {
		t.Errorf("ProblemsError.Dir = %q, want %q", perr.Dir, dir)
	}
	type got struct{ path, code string }
	var gotProblems, wantProblems []got
	for _, p := range perr.Problems {
		gotProblems = append(gotProblems, got{p.Path, p.Code})
	}
	for _, w := range want {
		wantProblems = append(wantProblems, got{w.path, w.code})
	}
	less := func(a, b got) int { return strings.Compare(a.path+"\x00"+a.code, b.path+"\x00"+b.code) }
	slices.SortFunc(gotProblems, less)
	slices.SortFunc(wantProblems, less)
	if diff := cmp.Diff(wantProblems, gotProblems, cmp.AllowUnexported(got{})); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
	}
	for _, w := range want {
		found := false
		for _, p := range perr.Problems {
			found = found || (p.Path == w.path && p.Code == w.code && strings.Contains(p.Message, w.message))
		}
		if !found {
			t.Errorf("no %s problem with %s saying %q:\n%v", w.code, w.path, w.message, err)
		}
		if !strings.Contains(err.Error(), "\n  "+w.path+": ") {
			t.Errorf("error does not name %s:\n%v", w.path, err)
		}
	}
}

func TestLoadFileProblems(t *testing.T) {
	for _, tc := range problemCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := makeProblemCheckout(t, tc)
			in, co, err := Load(dir, tc.limits)
			checkProblemsError(t, err, dir, tc.want)
			if co != nil || in.Entities != nil {
				t.Errorf("Load returned a checkout and %d entities with its error", len(in.Entities))
			}
		})
	}
}

func TestLoadCapsTheMessage(t *testing.T) {
	files := map[string]string{}
	for i := range 25 {
		files["categories/"+string(rune('A'+i))+".json"] = `[]`
	}
	_, _, err := Load(writeFiles(t, files), checkout.Limits{})
	var perr *ProblemsError
	if !errors.As(err, &perr) || len(perr.Problems) != 25 {
		t.Fatalf("Load = %v, want 25 problems", err)
	}
	msg := err.Error()
	if lines := strings.Count(msg, "top level is not a JSON object"); lines != maxReported {
		t.Errorf("message spells out %d problems, want %d:\n%s", lines, maxReported, msg)
	}
	if !strings.HasPrefix(msg, "ingest: 25 problems in ") || !strings.HasSuffix(msg, "\n  ... and 5 more") {
		t.Errorf("message does not count the problems and say how many were left out:\n%s", msg)
	}
	// The first ones by path are spelled out, the last left out.
	if !strings.Contains(msg, "categories/A.json: ") || strings.Contains(msg, "categories/Y.json") {
		t.Errorf("message spells out the wrong problems:\n%s", msg)
	}

	_, _, err = Load(writeFiles(t, map[string]string{"categories/A.json": `[]`}), checkout.Limits{})
	if err == nil || !strings.Contains(err.Error(), ": 1 problem in ") || strings.Contains(err.Error(), "more") {
		t.Errorf("Load of one problem = %v, want it spelled out alone", err)
	}
}

// TestLoadRuleBreaksAreNotProblems: what breaks a rule of the ontology rather than the file is
// loaded; the validation engine reports it.
func TestLoadRuleBreaksAreNotProblems(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"categories/Person.json":   `{"id": "Persona", "parents": "Agent", "label": ["Person"]}`,
		"properties/Has_x.json":    `{"id": "Has_x", "datatype": "Txt", "cardinality": 2}`,
		"modules/Odd.json":         `{"id": "Odd", "categories": [{"id": "Agent"}], "dependencies": "core"}`,
		"bundles/Odd.json":         `{"id": "Odd", "modules": null}`,
		"subobjects/Odd.json":      `{}`,
		"categories/Sub/Deep.json": `{"id": "Deep"}`,
	})
	in := load(t, dir)
	want := map[string][]string{
		"category":  {"Person", "Sub/Deep"},
		"property":  {"Has_x"},
		"subobject": {"Odd"},
		"module":    {"Odd"},
		"bundle":    {"Odd"},
	}
	if diff := cmp.Diff(want, idsByKind(in)); diff != "" {
		t.Errorf("ids by kind (-want +got):\n%s", diff)
	}
	if e := entity(t, in, "category", "Person"); e.Label != "Person" {
		t.Errorf("Person label = %q, want the id (the file's label is not a string)", e.Label)
	}
}

func TestLoadDirectoryErrors(t *testing.T) {
	empty := t.TempDir()
	notDir := filepath.Join(empty, "file.txt")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	onlyOthers := writeFiles(t, map[string]string{"docs/X.json": `{}`, "README.md": "hi", "VERSION": "1.0.0"})
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"missing", filepath.Join(empty, "nope"), "does not exist"},
		{"not a directory", notDir, "is not a directory"},
		{"no kind folder", empty, "no kind folder (categories/, properties/, subobjects/, templates/, modules/, bundles/, dashboards/, resources/, profiles/) in " + empty},
		{"only other folders", onlyOthers, "no kind folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, co, err := Load(tc.dir, checkout.Limits{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tc.want)
			}
			var perr *ProblemsError
			if errors.As(err, &perr) || co != nil {
				t.Errorf("Load = %v, %v; want a plain error and no checkout", co, err)
			}
		})
	}
}

func TestLoadMissingKindFolders(t *testing.T) {
	// Only properties/: every other kind is simply empty. Non-JSON files and versions/ folders
	// are not entities; _schema.json is kept as the kind's schema.
	dir := writeFiles(t, map[string]string{
		"properties/Has_x.json":            `{"id": "Has_x", "label": "X", "datatype": "Text", "cardinality": "single"}`,
		"properties/README.md":             "not an entity",
		"properties/_schema.json":          `{"type": "object"}`,
		"properties/Has_x/versions/1.json": `{"broken": `,
		"VERSION":                          " 2.0.0\n",
	})
	in := load(t, dir)
	if diff := cmp.Diff(map[string][]string{"property": {"Has_x"}}, idsByKind(in)); diff != "" {
		t.Errorf("ids by kind (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]json.RawMessage{"property": json.RawMessage(`{"type": "object"}`)}, in.Schemas); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
	if in.RepoVersion != "2.0.0" || in.BundleFolder != "bundles" {
		t.Errorf("version %q, bundle folder %q; want 2.0.0 (trimmed) and bundles", in.RepoVersion, in.BundleFolder)
	}
}
