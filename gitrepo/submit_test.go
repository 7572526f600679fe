package gitrepo

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/internal/testgit"
)

// newSubmitRepo is a remote holding baseFiles and a fresh clone of it (never updated: Submit
// fetches what it needs).
func newSubmitRepo(t *testing.T) (*testgit.Remote, *Repo, string) {
	t.Helper()
	remote := testgit.New(t)
	base := remote.Commit(t, "base", baseFiles)
	repo, err := New(Remote{URL: remote.URL, Ref: "main"}, filepath.Join(t.TempDir(), "clone"))
	if err != nil {
		t.Fatal(err)
	}
	return remote, repo, base
}

func TestSubmitPushesTheChangeSetAsABranch(t *testing.T) {
	ctx := context.Background()
	remote, repo, base := newSubmitRepo(t)
	// The remote's main moves on after the draft's base: the branch still starts at the base.
	remote.Commit(t, "later", map[string]*string{"VERSION": testgit.Ptr("1.1.0\n")})
	cs, want := testChangeSet(t, base)
	branch := DraftBranch("3f9a2c1b")

	got, err := repo.Submit(ctx, cs, branch)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Pushed || got.Branch != "ontohub/draft-3f9a2c1b" {
		t.Fatalf("Submit = %+v", got)
	}
	if onRemote := testgit.Git(t, remote.Bare, "rev-parse", "refs/heads/"+branch); onRemote != got.Commit {
		t.Fatalf("remote branch at %s, Submit said %s", onRemote, got.Commit)
	}
	if parent := testgit.Git(t, remote.Bare, "rev-parse", got.Commit+"~1"); parent != base {
		t.Errorf("branch commit's parent %s, want the base %s", parent, base)
	}
	info := testgit.Git(t, remote.Bare, "log", "-1", "--format=%an <%ae>|%cn|%aI|%s", got.Commit)
	if info != "Jürgen O'Hub, Bot <hub@example.org>|Jürgen O'Hub, Bot|2026-12-04T10:00:00+01:00|Update Person — “Human”" {
		t.Errorf("commit = %s", info)
	}

	// The branch's tree is the patch applied to the base with git am.
	work := filepath.Join(t.TempDir(), "apply")
	testgit.Git(t, filepath.Dir(work), "clone", "--quiet", remote.URL, work)
	testgit.Git(t, work, "checkout", "--quiet", base)
	patch, err := Patch(cs)
	if err != nil {
		t.Fatal(err)
	}
	patchFile := filepath.Join(t.TempDir(), "draft.patch")
	if err := os.WriteFile(patchFile, patch, 0o644); err != nil {
		t.Fatal(err)
	}
	testgit.Git(t, work, "am", "--quiet", patchFile)
	checkTree(t, work, want)
	if amTree, branchTree := testgit.Git(t, work, "rev-parse", "HEAD^{tree}"), testgit.Git(t, remote.Bare, "rev-parse", got.Commit+"^{tree}"); amTree != branchTree {
		t.Errorf("tree of git am %s, of the branch %s", amTree, branchTree)
	}

	// The same draft again, even at another time: no second branch, no push, the same commit.
	cs.Date = cs.Date.Add(time.Hour)
	again, err := repo.Submit(ctx, cs, branch)
	if err != nil || again.Pushed || again.Commit != got.Commit {
		t.Fatalf("repeated Submit = %+v, %v", again, err)
	}
	if n := strings.Count(testgit.Git(t, remote.Bare, "branch", "--list", "ontohub/*"), "ontohub/"); n != 1 {
		t.Errorf("%d ontohub branches on the remote, want 1", n)
	}

	// Other content for the same branch is refused, not forced.
	cs.Files = cs.Files[:1]
	if _, err := repo.Submit(ctx, cs, branch); !errors.Is(err, ErrBranchTaken) {
		t.Fatalf("Submit of other content = %v, want ErrBranchTaken", err)
	}
	if onRemote := testgit.Git(t, remote.Bare, "rev-parse", "refs/heads/"+branch); onRemote != got.Commit {
		t.Fatal("the branch moved")
	}
}

func TestSubmitFailures(t *testing.T) {
	ctx := context.Background()

	t.Run("stale before", func(t *testing.T) {
		_, repo, base := newSubmitRepo(t)
		cs, _ := testChangeSet(t, base)
		cs.Files[0].Before = []byte("{}\n")
		if _, err := repo.Submit(ctx, cs, "ontohub/draft-a"); !errors.Is(err, ErrConflict) {
			t.Fatalf("Submit = %v, want ErrConflict", err)
		}
	})
	t.Run("create over an existing file", func(t *testing.T) {
		_, repo, base := newSubmitRepo(t)
		cs, _ := testChangeSet(t, base)
		cs.Files[0].Before = nil
		if _, err := repo.Submit(ctx, cs, "ontohub/draft-a"); !errors.Is(err, ErrConflict) {
			t.Fatalf("Submit = %v, want ErrConflict", err)
		}
	})
	t.Run("unknown base", func(t *testing.T) {
		_, repo, _ := newSubmitRepo(t)
		cs, _ := testChangeSet(t, strings.Repeat("ab", 20))
		if _, err := repo.Submit(ctx, cs, "ontohub/draft-a"); !errors.Is(err, ErrBaseUnknown) {
			t.Fatalf("Submit = %v, want ErrBaseUnknown", err)
		}
	})
	t.Run("bad branch", func(t *testing.T) {
		_, repo, base := newSubmitRepo(t)
		cs, _ := testChangeSet(t, base)
		for _, b := range []string{"", "a..b", "a b", "-x/", "x.lock/"} {
			if _, err := repo.Submit(ctx, cs, b); !errors.Is(err, ErrInvalidChangeSet) {
				t.Errorf("Submit to %q = %v, want ErrInvalidChangeSet", b, err)
			}
		}
	})
	t.Run("push refused by the remote", func(t *testing.T) {
		remote, repo, base := newSubmitRepo(t)
		hook := filepath.Join(remote.Bare, "hooks", "pre-receive")
		if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'branches need review: ask #ontology' >&2\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		cs, _ := testChangeSet(t, base)
		_, err := repo.Submit(ctx, cs, "ontohub/draft-a")
		if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "branches need review") {
			t.Fatalf("Submit = %v, want ErrRemote with the hook's reason", err)
		}
	})
	t.Run("remote down, token never shown", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		repo, err := New(Remote{URL: "http://" + addr + "/o/r.git", Ref: "main", Token: "ghp_s3cr3t"}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := testChangeSet(t, strings.Repeat("ab", 20))
		_, err = repo.Submit(ctx, cs, "ontohub/draft-a")
		if !errors.Is(err, ErrRemote) || strings.Contains(err.Error(), "ghp_s3cr3t") {
			t.Fatalf("Submit = %v, want ErrRemote without the token", err)
		}
	})
}

func TestProposeOffGitHubPushesOnly(t *testing.T) {
	remote, repo, base := newSubmitRepo(t)
	cs, _ := testChangeSet(t, base)
	got, err := repo.Propose(context.Background(), cs, DraftBranch("x1"), "http://127.0.0.1:1")
	if err != nil || !got.Pushed || got.CompareURL != "" || got.PullRequestURL != "" {
		t.Fatalf("Propose = %+v, %v", got, err)
	}
	if onRemote := testgit.Git(t, remote.Bare, "rev-parse", "refs/heads/ontohub/draft-x1"); onRemote != got.Commit {
		t.Fatalf("remote branch at %s, want %s", onRemote, got.Commit)
	}
}
