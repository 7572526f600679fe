package checkout

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/ontology"
)

// write creates files (path → content) below a fresh folder and returns it.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, string(f.Kind)+" "+f.ID+" "+f.Path)
	}
	return out
}

func problemCodes(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Path+" "+p.Code)
	}
	return out
}

func TestReadSampleAllKinds(t *testing.T) {
	co, err := Read(filepath.Join("..", "ingest", "testdata", "samples", "labki-schemas"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"category Agent categories/Agent.json",
		"category Organization categories/Organization.json",
		"category Person categories/Person.json",
		"property Has_city properties/Has_city.json",
		"property Has_country properties/Has_country.json",
		"property Has_description properties/Has_description.json",
		"property Has_email properties/Has_email.json",
		"property Has_name properties/Has_name.json",
		"property Has_postal_code properties/Has_postal_code.json",
		"property Has_street properties/Has_street.json",
		"property Has_website properties/Has_website.json",
		"subobject Address subobjects/Address.json",
		"template Property/Page templates/Property/Page.json",
		"module Core modules/Core.json",
		"bundle Default bundles/Default.json",
		"dashboard Core_overview dashboards/Core_overview.json",
		"resource Person/John_doe resources/Person/John_doe.json",
	}
	if diff := cmp.Diff(want, paths(co.Files)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(co.Schemas) != 8 {
		t.Errorf("%d schemas, want 8", len(co.Schemas))
	}
	if got := co.VersionString(); got != "0.1.2" {
		t.Errorf("version %q", got)
	}
	if p := co.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
	if co.BundleFolder != "bundles" {
		t.Errorf("bundle folder %q", co.BundleFolder)
	}
}

func TestReadProfilesLayout(t *testing.T) {
	co, err := Read(filepath.Join("..", "ingest", "testdata", "samples", "profiles-layout"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if co.BundleFolder != "profiles" {
		t.Errorf("bundle folder %q, want profiles", co.BundleFolder)
	}
	var bundles []string
	for _, f := range co.Files {
		if f.Kind == ontology.KindBundle {
			bundles = append(bundles, f.Path)
		}
	}
	if len(bundles) == 0 || !strings.HasPrefix(bundles[0], "profiles/") {
		t.Errorf("bundles %v, want the profiles", bundles)
	}
}

func TestReadRefusesSymlinks(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"id":"Secret"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := write(t, map[string]string{"categories/Person.json": `{"id":"Person"}`})
	for link, target := range map[string]string{
		"categories/Secret.json": secret,
		"categories/Zero.json":   "/dev/zero",
		"properties":             filepath.Dir(secret),
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	co, err := Read(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range co.Files {
		if f.ID == "Secret" || f.ID == "Zero" {
			if !errors.Is(f.Err, ErrSymlink) || f.Data != nil {
				t.Errorf("%s: err %v, %d bytes read", f.Path, f.Err, len(f.Data))
			}
		}
	}
	got := problemCodes(co.Problems())
	slices.Sort(got)
	// The folder is an entry problem (no code); the files are unreadable.
	want := []string{"categories/Secret.json unreadable_file", "categories/Zero.json unreadable_file", "properties unreadable_file"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, p := range co.Problems() {
		if !strings.Contains(p.Message, "symbolic link") {
			t.Errorf("%s: %q does not say symbolic link", p.Path, p.Message)
		}
	}
}

func TestReadLimits(t *testing.T) {
	dir := write(t, map[string]string{
		"categories/Big.json":   `{"id":"Big","label":"` + strings.Repeat("x", 2000) + `"}`,
		"categories/Small.json": `{"id":"Small"}`,
	})
	co, err := Read(dir, Limits{MaxFileBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(co.Files[0].Err, ErrTooLarge) || co.Files[1].Err != nil {
		t.Errorf("errs %v, %v", co.Files[0].Err, co.Files[1].Err)
	}
	if _, err := Read(dir, Limits{MaxTotalBytes: 1500}); err == nil || !strings.Contains(err.Error(), "size limits") {
		t.Errorf("total limit: %v", err)
	}
	if _, err := Read(dir, Limits{MaxFiles: 1}); err == nil {
		t.Error("file count limit: no error")
	}
}

func TestReadSkipsWhatIsNotAnEntity(t *testing.T) {
	dir := write(t, map[string]string{
		"modules/Core.json":                `{"id":"Core"}`,
		"modules/Core/versions/1.0.0.json": `{"id":"Core"}`,
		"modules/_schema.json":             `{}`,
		"modules/README.md":                `hi`,
		"MODULE_VERSION.schema.json":       `{}`,
		"templates/Property/Page.json":     `{"id":"Property/Page"}`,
		"templates/Property/_schema.json":  `{"id":"Property/_schema"}`,
		"notakind/Thing.json":              `{}`,
		"resources/Person/versions/x.json": `{}`,
		"resources/Person/John_doe.json":   `{"id":"Person/John_doe"}`,
	})
	co, err := Read(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"template Property/Page templates/Property/Page.json",
		"template Property/_schema templates/Property/_schema.json",
		"module Core modules/Core.json",
		"resource Person/John_doe resources/Person/John_doe.json",
	}
	if diff := cmp.Diff(want, paths(co.Files)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if _, ok := co.Schemas[ontology.KindModule]; !ok {
		t.Error("modules/_schema.json not read as the schema")
	}
}

func TestReadNeedsAKindFolder(t *testing.T) {
	for _, dir := range []string{write(t, map[string]string{"README.md": "x"}), filepath.Join(t.TempDir(), "missing")} {
		if _, err := Read(dir, Limits{}); err == nil {
			t.Errorf("Read(%s): no error", dir)
		}
	}
}

func TestProblems(t *testing.T) {
	nfd := "Cafe\u0301"
	dir := write(t, map[string]string{
		"categories/Person.json":      `{"id":"Person"}`,
		"categories/person.json":      `{"id":"person"}`,
		"categories/Café.json":        `{"id":"Café"}`,
		"categories/" + nfd + ".json": `{"id":"x"}`,
		"categories/ Spaced.json":     `{}`,
		"categories/New\nline.json":   `{}`,
		"categories/Array.json":       `[1]`,
		"categories/Bad.json":         `{"id":1e400}`,
		"categories/Dup.json":         `{"id":"a","id":"b"}`,
		"profiles/Default.json":       `{"id":"Default"}`,
		"bundles/default.json":        `{"id":"default"}`,
		"properties/Has_x.json":       "{\"id\":\"Has_x\"}trailing",
	})
	co, err := Read(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := problemCodes(co.Problems())
	want := []string{
		"categories/ Spaced.json invalid_id",
		"categories/Array.json invalid_json",
		"categories/Bad.json invalid_json",
		"categories/Cafe\u0301.json invalid_id",
		"categories/Dup.json invalid_json",
		"categories/New\nline.json invalid_id",
		"properties/Has_x.json invalid_json",
		"categories/Café.json duplicate_id",
		"categories/person.json duplicate_id",
		"bundles/default.json duplicate_id",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, p := range co.Problems() {
		if p.Code == CodeDuplicateID && !strings.Contains(p.Message, " of categories/") && !strings.Contains(p.Message, " of profiles/Default.json") {
			t.Errorf("duplicate problem does not name the other file: %s", p.Message)
		}
	}
}

// TestReadOddEntries: a file name that is not UTF-8 is a problem, not a database error later; a
// FIFO in the place of a schema or VERSION is refused without being opened (which would block);
// a profiles/ folder without bundles does not make the layout the older one.
func TestReadOddEntries(t *testing.T) {
	dir := write(t, map[string]string{
		"categories/caf\xe9.json": `{"id":"x"}`,
		"bundles/Default.json":    `{"id":"Default"}`,
		"profiles/README.md":      "old folder",
	})
	for _, name := range []string{"categories/_schema.json", "VERSION"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	var co *Checkout
	var err error
	go func() {
		co, err = Read(dir, Limits{})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked on a FIFO")
	}
	if err != nil {
		t.Fatal(err)
	}
	got := problemCodes(co.Problems())
	slices.Sort(got)
	want := []string{"VERSION unreadable_file", "categories/_schema.json unreadable_file", "categories/caf\xe9.json invalid_id"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if co.BundleFolder != "bundles" {
		t.Errorf("bundle folder %q, want bundles", co.BundleFolder)
	}
}

func TestIDProblem(t *testing.T) {
	for id, bad := range map[string]bool{
		"Person": false, "Property/Page": false, "Has_name": false, ".github/x": false, "git": false,
		"": true, "a//b": true, "a/ b": true, "a/../b": true, "./a": true, "..": true,
		"x/.git/config": true, ".GIT/hooks": true, ".Git": true,
		"Page\u200b": true, "a\u200db": true, "Tab\tx": true, "Cafe\u0301": true,
		"a/.git./b": true, "a/.git::$DATA": true, "GIT~1/hooks": true, "a\\..\\b": true, "a:b": true, "x.": true,
		"a\u034fb": true, "Heart\ufe0f": true, "\u115fx": true, "\u2800": true, "v1.2": false, "Café": false,
	} {
		if got := IDProblem(id) != ""; got != bad {
			t.Errorf("IDProblem(%q) = %q, want a problem: %v", id, IDProblem(id), bad)
		}
	}
}
