package validate

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/ontology"
)

// samplesDir holds the schema repository samples shared with the ingest tests.
var samplesDir = filepath.Join("..", "ingest", "testdata", "samples")

// readRepo reads a checkout below the repository root (a sample or an example) into a Repo.
func readRepo(t testing.TB, dir string) Repo {
	t.Helper()
	co, err := checkout.Read(dir, checkout.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return FromCheckout(co)
}

func labki(t testing.TB) Repo    { return readRepo(t, filepath.Join(samplesDir, "labki-schemas")) }
func profiles(t testing.TB) Repo { return readRepo(t, filepath.Join(samplesDir, "profiles-layout")) }

func prepare(t testing.TB, repo Repo) *Ontology {
	t.Helper()
	o, err := Prepare(repo)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// edits maps an entity file path to its new content; "" deletes the file.
type edits map[string]string

// edited returns repo with files replaced, added or deleted.
func (e edits) apply(t testing.TB, repo Repo) Repo {
	t.Helper()
	out := repo
	out.Entities = nil
	seen := map[string]bool{}
	for _, ent := range repo.Entities {
		content, changed := e[ent.File]
		seen[ent.File] = true
		switch {
		case !changed:
			out.Entities = append(out.Entities, ent)
		case content != "":
			ent.Data = []byte(content)
			out.Entities = append(out.Entities, ent)
		}
	}
	for _, file := range sortedKeys(e) {
		if seen[file] || e[file] == "" {
			continue
		}
		kind, id, ok := checkout.KindOf(file)
		if !ok {
			t.Fatalf("%s is not an entity file", file)
		}
		out.Entities = append(out.Entities, Entity{Kind: kind, ID: id, File: file, Data: []byte(e[file])})
	}
	return out
}

// changes are the same edits as a draft.
func (e edits) changes(t testing.TB) []Change {
	t.Helper()
	var out []Change
	for _, file := range sortedKeys(e) {
		kind, id, ok := checkout.KindOf(file)
		if !ok {
			t.Fatalf("%s is not an entity file", file)
		}
		var data []byte
		if e[file] != "" {
			data = []byte(e[file])
		}
		out = append(out, Change{Kind: kind, ID: id, Data: data})
	}
	return out
}

func sortedKeys(e edits) []string {
	var keys []string
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// brief renders findings as "code file path" lines, what rule tests compare.
func brief(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", f.Code, f.File, f.Path)))
	}
	return out
}

// without drops the findings base already has.
func without(fs, base []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if !slices.Contains(base, f) {
			out = append(out, f)
		}
	}
	return out
}

// checkBothWays prepares repo with the edits applied and also lays the edits over the prepared
// repo as a draft, fails unless both give the same findings, and returns the findings that the
// unedited repo does not have.
func checkBothWays(t *testing.T, repo Repo, e edits) []Finding {
	t.Helper()
	base := prepare(t, repo)
	full := prepare(t, e.apply(t, repo)).Findings()
	overlay := base.With(e.changes(t)).Findings()
	if diff := cmp.Diff(full, overlay); diff != "" {
		t.Errorf("findings of the prepared edited repo (-) and of the overlay (+) differ:\n%s", diff)
	}
	return without(full, base.Findings())
}

// cloneSchemas copies a schema map so a test can change it.
func cloneSchemas(in map[ontology.Kind][]byte) map[ontology.Kind][]byte {
	out := map[ontology.Kind][]byte{}
	for k, v := range in {
		out[k] = v
	}
	return out
}
