package ingest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runGit runs the git command in dir and returns its trimmed output. The git binary only builds
// repositories for the tests; CommitSHA reads them with go-git.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.org",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	// Keep the user's and system's git configuration (hooks, signing) out of the test.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitRepo makes a git checkout holding one category and returns its directory and HEAD.
func gitRepo(t *testing.T) (dir, head string) {
	t.Helper()
	dir = writeFiles(t, map[string]string{"categories/Agent.json": `{"id": "Agent"}`})
	runGit(t, dir, "init", "--quiet")
	runGit(t, dir, "add", ".")
	runGit(t, dir, "commit", "--quiet", "-m", "initial")
	return dir, runGit(t, dir, "rev-parse", "HEAD")
}

func TestCommitSHA(t *testing.T) {
	repo, head := gitRepo(t)
	if len(head) != 40 {
		t.Fatalf("HEAD = %q", head)
	}
	// A linked worktree on a branch one commit ahead: its own HEAD, not the main checkout's.
	worktree := filepath.Join(t.TempDir(), "side")
	runGit(t, repo, "worktree", "add", "--quiet", "-b", "side", worktree)
	addFiles(t, worktree, map[string]string{"categories/Person.json": `{"id": "Person"}`})
	runGit(t, worktree, "add", ".")
	runGit(t, worktree, "commit", "--quiet", "-m", "side")
	worktreeHead := runGit(t, worktree, "rev-parse", "HEAD")
	if worktreeHead == head {
		t.Fatal("the worktree's HEAD is the main checkout's")
	}
	// A detached HEAD names a commit, not a branch.
	detached, _ := gitRepo(t)
	addFiles(t, detached, map[string]string{"categories/Person.json": `{"id": "Person"}`})
	runGit(t, detached, "add", ".")
	runGit(t, detached, "commit", "--quiet", "-m", "second")
	detachedHead := runGit(t, detached, "rev-parse", "HEAD~1")
	runGit(t, detached, "checkout", "--quiet", "--detach", "HEAD~1")

	noCommits := t.TempDir()
	runGit(t, noCommits, "init", "--quiet")
	// t.TempDir is below the system's temporary folder, outside any repository (go-git ignores
	// GIT_CEILING_DIRECTORIES, so the test relies on that).
	plain := t.TempDir()
	for _, tc := range []struct {
		name, dir, flag string
		want            string // "" for nil
	}{
		{"flag wins over git", repo, "0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"},
		{"flag outside git", plain, "abc1234", "abc1234"},
		{"flag trimmed", plain, " ABC1234\n", "ABC1234"},
		{"flag of a SHA-256 repository", plain, strings.Repeat("ab", 32), strings.Repeat("ab", 32)},
		{"git HEAD", repo, "", head},
		{"git HEAD from a subfolder", filepath.Join(repo, "categories"), "", head},
		{"linked worktree", worktree, "", worktreeHead},
		{"detached HEAD", detached, "", detachedHead},
		{"not a checkout", plain, "", ""},
		{"blank flag outside git", plain, "  ", ""},
		{"repository without commits", noCommits, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CommitSHA(context.Background(), tc.dir, tc.flag)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && got != nil:
				t.Errorf("CommitSHA = %q, want nil", *got)
			case tc.want != "" && (got == nil || *got != tc.want):
				t.Errorf("CommitSHA = %v, want %q", got, tc.want)
			}
		})
	}
}

func TestCommitSHARejects(t *testing.T) {
	repo, _ := gitRepo(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		flag string
		want string
	}{
		{"a branch name", context.Background(), "main", "not a commit hash"},
		{"too short", context.Background(), "abc", "not a commit hash"},
		{"too long", context.Background(), strings.Repeat("a", 65), "not a commit hash"},
		{"not hex", context.Background(), "abcdefg", "not a commit hash"},
		{"a revision expression", context.Background(), "HEAD~1", "not a commit hash"},
		{"canceled", canceled, "", "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CommitSHA(tc.ctx, repo, tc.flag)
			if err == nil || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Errorf("CommitSHA(--commit %q) = %v, %v; want an error containing %q", tc.flag, got, err, tc.want)
			}
		})
	}
}
