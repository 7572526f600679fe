package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ontohub/ontohub/internal/testgit"
)

func TestUpdateClonesFetchesAndChecksOut(t *testing.T) {
	ctx := context.Background()
	remote := testgit.New(t)
	first := remote.Commit(t, "first", map[string]*string{"categories/A.json": testgit.Ptr("{\"id\": \"A\"}\n")})
	dir := filepath.Join(t.TempDir(), "clone")
	repo, err := New(Remote{URL: remote.URL, Ref: "main"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := repo.Update(ctx)
	if err != nil || got != first {
		t.Fatalf("first update = %q, %v; want %s", got, err, first)
	}
	if head, err := repo.Head(ctx); err != nil || head != first {
		t.Fatalf("Head = %q, %v; want %s", head, err, first)
	}

	// A stray file and an edit in the work tree are gone after the next update.
	if err := os.WriteFile(filepath.Join(dir, "stray.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "categories/A.json"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := remote.Commit(t, "second", map[string]*string{
		"categories/A.json": nil,
		"categories/B.json": testgit.Ptr("{\"id\": \"B\"}\n"),
	})
	got, err = repo.Update(ctx)
	if err != nil || got != second {
		t.Fatalf("second update = %q, %v; want %s", got, err, second)
	}
	for name, want := range map[string]bool{"categories/A.json": false, "categories/B.json": true, "stray.json": false} {
		_, err := os.Stat(filepath.Join(dir, name))
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", name, exists, want)
		}
	}
	// An update with nothing new is not an error.
	if got, err := repo.Update(ctx); err != nil || got != second {
		t.Fatalf("idempotent update = %q, %v", got, err)
	}
	// The clone's config holds no remote URL (it could carry credentials).
	config, err := os.ReadFile(filepath.Join(dir, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(config), remote.URL) {
		t.Errorf("clone config holds the remote URL:\n%s", config)
	}
}

func TestUpdateFailures(t *testing.T) {
	ctx := context.Background()
	remote := testgit.New(t)
	remote.Commit(t, "first", map[string]*string{"VERSION": testgit.Ptr("1.0.0\n")})

	t.Run("unknown ref", func(t *testing.T) {
		repo, err := New(Remote{URL: remote.URL, Ref: "nope"}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Update(ctx); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("Update = %v, want an error naming the ref", err)
		}
	})
	t.Run("missing remote", func(t *testing.T) {
		repo, err := New(Remote{URL: "file://" + filepath.Join(t.TempDir(), "gone.git"), Ref: "main"}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Update(ctx); err == nil {
			t.Fatal("Update of a missing remote succeeded")
		}
	})
	t.Run("directory with other content", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		repo, err := New(Remote{URL: remote.URL, Ref: "main"}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Update(ctx); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("Update = %v, want a refusal", err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "precious.txt")); string(data) != "keep" {
			t.Fatal("the directory's content was touched")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		repo, err := New(Remote{URL: remote.URL, Ref: "main"}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Update(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Update = %v, want context.Canceled", err)
		}
	})
}

func TestCheckAndScrub(t *testing.T) {
	for _, bad := range []Remote{{URL: "", Ref: "main"}, {URL: "ssh://git@github.com/o/r", Ref: "main"}, {URL: "https://github.com/o/r", Ref: ""}, {URL: "https://github.com/o/r", Ref: "a b"}} {
		if err := bad.Check(); err == nil {
			t.Errorf("Check(%+v) = nil", bad)
		}
	}
	r := Remote{URL: "https://user:s3cret@github.com/o/r.git", Ref: "main", Token: "ghp_TOKEN"}
	msg := r.fail("fetch", errors.New("auth failed for https://user:s3cret@github.com/o/r.git with ghp_TOKEN; see https://bob:pw@example.org/")).Error()
	for _, secret := range []string{"s3cret", "ghp_TOKEN", "user:", "bob:pw"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error text %q holds %q", msg, secret)
		}
	}
	if !strings.Contains(msg, "https://github.com/o/r.git") {
		t.Errorf("error text %q does not name the remote", msg)
	}
}
