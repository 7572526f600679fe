// Package testgit makes real git repositories for tests with the git binary: a bare repository
// on disk serves as the remote (file:// URL), and a work clone pushes commits to it.
package testgit

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Remote is a bare repository and a clone of it that tests commit in and push from.
type Remote struct {
	// Bare is the bare repository's directory.
	Bare string
	// URL is the file:// URL of Bare.
	URL string
	// Work is the clone's work tree.
	Work string
	// Branch is the branch commits go to.
	Branch string
}

// New creates an empty bare repository with a clone whose branch is "main".
func New(t testing.TB) *Remote {
	t.Helper()
	root := t.TempDir()
	r := &Remote{Bare: filepath.Join(root, "remote.git"), Work: filepath.Join(root, "work"), Branch: "main"}
	r.URL = "file://" + r.Bare
	Git(t, root, "init", "--quiet", "--bare", "--initial-branch=main", r.Bare)
	Git(t, root, "init", "--quiet", "--initial-branch=main", r.Work)
	Git(t, r.Work, "remote", "add", "origin", r.URL)
	return r
}

// Git runs git in dir with a fixed identity and no user or system configuration, and returns
// its trimmed output; a failure fails the test.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.org",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.org",
		"GIT_AUTHOR_DATE=2026-12-01T12:00:00Z", "GIT_COMMITTER_DATE=2026-12-01T12:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit writes files into the work tree (a nil value deletes the file), commits them with
// message, pushes the branch and returns the commit's hash.
func (r *Remote) Commit(t testing.TB, message string, files map[string]*string) string {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(r.Work, filepath.FromSlash(name))
		if content == nil {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(*content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r.commitAll(t, message)
}

// CommitDir copies the tree under src into the work tree, commits it with message, pushes the
// branch and returns the commit's hash.
func (r *Remote) CommitDir(t testing.TB, message, src string) string {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(r.Work, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.commitAll(t, message)
}

func (r *Remote) commitAll(t testing.TB, message string) string {
	t.Helper()
	Git(t, r.Work, "add", "--all")
	Git(t, r.Work, "commit", "--quiet", "--allow-empty", "-m", message)
	Git(t, r.Work, "push", "--quiet", "origin", r.Branch)
	return Git(t, r.Work, "rev-parse", "HEAD")
}

// Ptr returns a pointer to s, for the values of Commit's files.
func Ptr(s string) *string { return &s }
