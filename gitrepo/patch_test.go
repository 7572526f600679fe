package gitrepo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/internal/testgit"
)

// baseFiles is the repository the change sets of these tests apply to.
var baseFiles = map[string]*string{
	"categories/Person.json":   testgit.Ptr("{\n  \"id\": \"Person\",\n  \"label\": \"Person\",\n  \"parents\": [\"Agent\"]\n}\n"),
	"categories/Agent.json":    testgit.Ptr("{\n  \"id\": \"Agent\",\n  \"label\": \"Agent\"\n}\n"),
	"properties/Has_name.json": testgit.Ptr(`{"id": "Has_name", "label": "Name"}`), // no trailing newline
	"VERSION":                  testgit.Ptr("1.0.0\n"),
}

// testChangeSet updates, creates (in a new folder) and deletes files of baseFiles.
func testChangeSet(t *testing.T, base string) (ChangeSet, map[string]*string) {
	t.Helper()
	person, err := RenderJSON([]byte(`{"id":"Person","label":"Human","parents":["Agent"],"description":"A human being, “named” – Ünïcode"}`),
		[]byte(*baseFiles["categories/Person.json"]))
	if err != nil {
		t.Fatal(err)
	}
	name, err := RenderJSON([]byte(`{"id":"Has_name","label":"Name","datatype":"Text"}`), []byte(*baseFiles["properties/Has_name.json"]))
	if err != nil {
		t.Fatal(err)
	}
	page, err := RenderJSON([]byte(`{"id":"Property/Page","wikitext":"{{#set:\n|x=y\n}}"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := ChangeSet{
		Base: base,
		Files: []FileChange{
			{Path: "categories/Person.json", Before: []byte(*baseFiles["categories/Person.json"]), After: person},
			{Path: "templates/Property/Page.json", After: page},
			{Path: "categories/Agent.json", Before: []byte(*baseFiles["categories/Agent.json"])},
			{Path: "properties/Has_name.json", Before: []byte(*baseFiles["properties/Has_name.json"]), After: name},
			{Path: "VERSION", Before: []byte("1.0.0\n"), After: []byte("1.0.0\n")}, // unchanged: left out
		},
		Subject: "Update Person — “Human”",
		Body:    "Changes:\n- category Person (update)\n- template Property/Page (create)\n- category Agent (delete)",
		Author:  Author{Name: "Jürgen O'Hub, Bot", Email: "hub@example.org"},
		Date:    time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("", 3600)),
	}
	want := map[string]*string{
		"categories/Person.json":       testgit.Ptr(string(person)),
		"categories/Agent.json":        nil,
		"templates/Property/Page.json": testgit.Ptr(string(page)),
		"properties/Has_name.json":     testgit.Ptr(string(name)),
		"VERSION":                      testgit.Ptr("1.0.0\n"),
	}
	return cs, want
}

// checkTree fails unless the work tree in dir holds exactly want (nil: absent).
func checkTree(t *testing.T, dir string, want map[string]*string) {
	t.Helper()
	for name, content := range want {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case content == nil && err == nil:
			t.Errorf("%s exists, want it deleted", name)
		case content != nil && err != nil:
			t.Errorf("%s: %v", name, err)
		case content != nil && string(data) != *content:
			t.Errorf("%s =\n%s\nwant\n%s", name, data, *content)
		}
	}
}

func TestPatchAppliesWithGitAm(t *testing.T) {
	remote := testgit.New(t)
	base := remote.Commit(t, "base", baseFiles)
	cs, want := testChangeSet(t, base)
	patch, err := Patch(cs)
	if err != nil {
		t.Fatal(err)
	}
	text := string(patch)
	for _, part := range []string{"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n",
		"Date: Fri, 4 Dec 2026 10:00:00 +0100\n", "base-commit: " + base + "\n", "deleted file mode 100644",
		"new file mode 100644", " 4 files changed,", "\\ No newline at end of file"} {
		if !strings.Contains(text, part) {
			t.Errorf("patch lacks %q:\n%s", part, text)
		}
	}

	work := filepath.Join(t.TempDir(), "apply")
	testgit.Git(t, filepath.Dir(work), "clone", "--quiet", remote.URL, work)
	patchFile := filepath.Join(t.TempDir(), "draft.patch")
	if err := os.WriteFile(patchFile, patch, 0o644); err != nil {
		t.Fatal(err)
	}
	testgit.Git(t, work, "am", "--quiet", patchFile)
	checkTree(t, work, want)
	log := testgit.Git(t, work, "log", "-1", "--format=%an <%ae>%n%s%n%b")
	for _, part := range []string{"Jürgen O'Hub, Bot <hub@example.org>", "Update Person — “Human”", "- template Property/Page (create)"} {
		if !strings.Contains(log, part) {
			t.Errorf("commit made by git am lacks %q:\n%s", part, log)
		}
	}
	if parent := testgit.Git(t, work, "rev-parse", "HEAD~1"); parent != base {
		t.Errorf("applied on %s, want %s", parent, base)
	}
	// git apply --check agrees the patch is exactly right for the base: applying it twice fails.
	cmd := exec.Command("git", "apply", "--check", patchFile)
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("the patch applies again on top of itself:\n%s", out)
	}
}

func TestPatchRefusesWhatNoCommitHolds(t *testing.T) {
	good := ChangeSet{Base: strings.Repeat("a", 40), Subject: "s", Author: Author{Name: "n", Email: "e@x"},
		Files: []FileChange{{Path: "a.json", After: []byte("{}\n")}}}
	for name, mutate := range map[string]func(*ChangeSet){
		"short base":      func(cs *ChangeSet) { cs.Base = "abc" },
		"no subject":      func(cs *ChangeSet) { cs.Subject = " " },
		"two-line":        func(cs *ChangeSet) { cs.Subject = "a\nb" },
		"no author":       func(cs *ChangeSet) { cs.Author = Author{} },
		"no files":        func(cs *ChangeSet) { cs.Files = nil },
		"only unchanged":  func(cs *ChangeSet) { cs.Files = []FileChange{{Path: "a", Before: []byte("x"), After: []byte("x")}} },
		"escaping path":   func(cs *ChangeSet) { cs.Files[0].Path = "../a.json" },
		"absolute path":   func(cs *ChangeSet) { cs.Files[0].Path = "/a.json" },
		"unclean path":    func(cs *ChangeSet) { cs.Files[0].Path = "a//b.json" },
		"git dir":         func(cs *ChangeSet) { cs.Files[0].Path = ".git/config" },
		"twice":           func(cs *ChangeSet) { cs.Files = append(cs.Files, cs.Files[0]) },
		"neither":         func(cs *ChangeSet) { cs.Files[0].After = nil },
		"backslash":       func(cs *ChangeSet) { cs.Files[0].Path = `a\b.json` },
		"uppercase sha":   func(cs *ChangeSet) { cs.Base = strings.Repeat("A", 40) },
		"newline in path": func(cs *ChangeSet) { cs.Files[0].Path = "a\nb" },
	} {
		cs := good
		cs.Files = append([]FileChange(nil), good.Files...)
		mutate(&cs)
		if _, err := Patch(cs); !errors.Is(err, ErrInvalidChangeSet) {
			t.Errorf("%s: Patch = %v, want ErrInvalidChangeSet", name, err)
		}
	}
	if _, err := Patch(good); err != nil {
		t.Fatalf("good change set: %v", err)
	}
}
