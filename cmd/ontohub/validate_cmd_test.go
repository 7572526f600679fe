package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/validate"
)

// labkiSample is the newest-layout sample, which the repository's CI accepts with three orphan
// warnings.
var labkiSample = filepath.Join("..", "..", "ingest", "testdata", "samples", "labki-schemas")

// runValidateCmd runs "ontohub validate args…" as main would, without any environment (the
// command needs none), and returns its output and exit code.
func runValidateCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"validate"}, args...), env(nil), &out, io.Discard)
	code := 0
	if err != nil {
		code = exitCode(err)
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
	return out.String(), code
}

// copyCheckout copies a checkout into a fresh folder and applies edits (path → content, ""
// deletes).
func copyCheckout(t *testing.T, from string, edits map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(dir, rel), string(data))
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range edits {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := writeFile(p, content); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeFile(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}

func TestValidateSampleText(t *testing.T) {
	out, code := runValidateCmd(t, labkiSample)
	if code != 0 {
		t.Fatalf("exit code %d, output:\n%s", code, out)
	}
	want := `dashboards/Core_overview.json: warning orphan: dashboard "Core_overview" is not listed by any module
resources/Person/John_doe.json: warning orphan: resource "Person/John_doe" is not listed by any module
templates/Property/Page.json: warning orphan: template "Property/Page" is not listed by any module
0 errors, 3 warnings
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestValidateSampleJSON(t *testing.T) {
	out, code := runValidateCmd(t, "--format", "json", labkiSample)
	if code != 0 {
		t.Fatalf("exit code %d, output:\n%s", code, out)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &fields); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	for key, want := range map[string]string{"valid": "true", "changes": "[]", "versions": "[]"} {
		if got := string(fields[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	var report validate.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, f := range report.Findings {
		codes = append(codes, f.Severity+" "+f.Code+" "+f.EntityType+" "+f.EntityID)
	}
	if diff := cmp.Diff([]string{
		"warning orphan dashboard Core_overview",
		"warning orphan resource Person/John_doe",
		"warning orphan template Property/Page",
	}, codes); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestValidateErrorsExitOne(t *testing.T) {
	// The older-layout sample's Address lists properties that do not exist.
	out, code := runValidateCmd(t, filepath.Join("..", "..", "ingest", "testdata", "samples", "profiles-layout"))
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(out, `subobjects/Address.json:/properties/0: error unresolved_reference: properties: property "street" does not exist`) ||
		!strings.HasSuffix(out, "4 errors, 0 warnings\n") {
		t.Errorf("output:\n%s", out)
	}
}

func TestValidateBrokenFilesAreFindings(t *testing.T) {
	dir := copyCheckout(t, labkiSample, map[string]string{
		"categories/Organization.json": `{"id": "Organization",`,
		"properties/Has_city.json":     `{"id": "Has_city", "label": "City", "description": "x", "datatype": "Txt", "cardinality": "single"}`,
	})
	out, code := runValidateCmd(t, dir)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, line := range []string{
		"categories/Organization.json: error invalid_json: ",
		"properties/Has_city.json:/datatype: error schema_violation: ",
		"2 errors, 3 warnings",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
}

func TestValidateBase(t *testing.T) {
	head := copyCheckout(t, labkiSample, map[string]string{
		"properties/Has_city.json":  `{"id": "Has_city", "label": "City", "description": "City or locality name", "datatype": "Email", "cardinality": "single"}`,
		"properties/Has_extra.json": `{"id": "Has_extra", "label": "Extra", "description": "x", "datatype": "Text", "cardinality": "single"}`,
		"modules/Core.json": `{"id": "Core", "version": "1.0.0", "label": "Core Module", "description": "Essential entities for any wiki - agents, people, and organizations",
			"categories": ["Agent", "Person", "Organization"],
			"properties": ["Has_name", "Has_description", "Has_email", "Has_website", "Has_street", "Has_city", "Has_country", "Has_postal_code", "Has_extra"],
			"subobjects": ["Address"]}`,
		"categories/Person.json": `{"id": "Person", "label": "Human", "description": "A human being", "parents": ["Agent"],
			"optional_properties": ["Has_email"], "optional_subobjects": ["Address"]}`,
		"dashboards/Core_overview.json": "",
	})
	out, code := runValidateCmd(t, head, "--base", labkiSample, "--format", "json")
	if code != 0 {
		t.Fatalf("exit code %d, output:\n%s", code, out)
	}
	var report validate.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, c := range report.Changes {
		changes = append(changes, c.ChangeType+" "+c.EntityType+" "+c.EntityID+" "+c.Bump)
	}
	if diff := cmp.Diff([]string{
		"update category Person patch",
		"update property Has_city major",
		"create property Has_extra minor",
		"update module Core minor",
		"delete dashboard Core_overview major",
	}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	var versions []string
	for _, v := range report.Versions {
		versions = append(versions, v.Kind+" "+v.ID+" "+v.CurrentVersion+" "+v.Bump+" "+v.SuggestedVersion)
	}
	if diff := cmp.Diff([]string{
		"module Core 1.0.0 major 2.0.0",
		"bundle Default 1.0.0 major 2.0.0",
		"ontology  0.1.2 major 1.0.0",
	}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}

	text, code := runValidateCmd(t, "--base", labkiSample, head)
	if code != 0 {
		t.Fatalf("text: exit code %d", code)
	}
	for _, line := range []string{
		"change update property Has_city: major (datatype changed from Text to Email)\n",
		"change create property Has_extra: minor (new property)\n",
		"change delete dashboard Core_overview: major (dashboard deleted)\n",
		"version module Core: 1.0.0 -> 2.0.0 (major: ",
		"version bundle Default: 1.0.0 -> 2.0.0 (major: module Core: major)\n",
		"version ontology: 0.1.2 -> 1.0.0 (major: ",
		"\n0 errors, 2 warnings\n",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("text output lacks %q:\n%s", line, text)
		}
	}
}

func TestValidateUsageErrors(t *testing.T) {
	noKinds := t.TempDir()
	if err := writeFile(filepath.Join(noKinds, "README.md"), "not a checkout"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing DIR"},
		{[]string{labkiSample, labkiSample}, "unexpected arguments"},
		{[]string{"--bogus", labkiSample}, "flag provided but not defined"},
		{[]string{"--format", "xml", labkiSample}, "--format must be text or json"},
		{[]string{labkiSample, "--base"}, "flag needs an argument"},
		{[]string{filepath.Join(noKinds, "missing")}, "does not exist"},
		{[]string{noKinds}, "holds no kind folder"},
		{[]string{filepath.Join(noKinds, "README.md")}, "is not a directory"},
		{[]string{labkiSample, "--base", noKinds}, "holds no kind folder"},
	} {
		err := run(context.Background(), append([]string{"validate"}, tc.args...), env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("validate %v: error %v, want it to mention %q", tc.args, err, tc.want)
			continue
		}
		if got := exitCode(err); got != 2 {
			t.Errorf("validate %v: exit code %d, want 2", tc.args, got)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"validate", "-h"}, env(nil), &out, io.Discard); err != nil || !strings.Contains(out.String(), validateUsage) {
		t.Errorf("validate -h: %v\n%s", err, out.String())
	}
}

func TestValidateNeedsNoConfiguration(t *testing.T) {
	// Configuration that would fail loadConfig does not matter to validate.
	err := run(context.Background(), []string{"validate", labkiSample}, env(map[string]string{"LOG_FORMAT": "xml"}), io.Discard, io.Discard)
	if err != nil {
		t.Errorf("validate with bad configuration: %v", err)
	}
	// And an invalid ontology is exit code 1, not a usage error.
	dir := copyCheckout(t, labkiSample, map[string]string{"modules/Core.json": `{"id": "Core"}`})
	err = run(context.Background(), []string{"validate", dir}, env(nil), io.Discard, io.Discard)
	if !errors.Is(err, errInvalid) || exitCode(err) != 1 {
		t.Errorf("invalid ontology: %v (exit %d)", err, exitCode(err))
	}
}
