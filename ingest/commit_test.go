package ingest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a git checkout holding one category and returns its
// directory and HEAD.
func gitRepo(t *testing.T) (dir, head string) {
	t.Helper()
	dir = writeFiles(t, map[string]string{"categories/Agent.json": `{"id": "Agent"}`})
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.org"}, args...)...)
		// Keep the user's and system's git configuration (hooks, signing) out of the test.
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "--quiet")
	git("add", ".")
	git("commit", "--quiet", "-m", "initial")
	return dir, git("rev-parse", "HEAD")
}

func TestCommitSHA(t *testing.T) {
	ctx := context.Background()
	repo, head := gitRepo(t)
	if len(head) < 40 {
		t.Fatalf("HEAD = %q", head)
	}
	plain := t.TempDir()
	// Keep git from finding a repository above the temporary directories.
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(plain))
	for _, tc := range []struct {
		name, dir, flag string
		want            string // "" for nil
	}{
		{"flag wins over git", repo, "0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"},
		{"flag outside git", plain, "abc1234", "abc1234"},
		{"git HEAD", repo, "", head},
		{"git HEAD from a subfolder", filepath.Join(repo, "categories"), "", head},
		{"not a checkout", plain, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CommitSHA(ctx, tc.dir, tc.flag)
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

func TestCommitSHARejectsNonHash(t *testing.T) {
	if _, err := CommitSHA(context.Background(), t.TempDir(), "main"); err == nil || !strings.Contains(err.Error(), "not a commit hash") {
		t.Errorf("CommitSHA(--commit main) = %v, want an error", err)
	}
}
