package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Errors of Submit, for errors.Is. Each comes wrapped in a message that says more.
var (
	// ErrRemote: the remote could not be reached, refused the credentials or rejected the
	// push. The error text carries the remote's reason (never the token).
	ErrRemote = errors.New("the remote failed")
	// ErrBaseUnknown: the base commit is not in the followed ref's history on the remote.
	ErrBaseUnknown = errors.New("base commit unknown")
	// ErrConflict: a file's Before is not what the base commit holds.
	ErrConflict = errors.New("change set does not fit its base commit")
	// ErrBranchTaken: the branch exists on the remote with another commit.
	ErrBranchTaken = errors.New("branch exists with other content")
)

// DraftBranch is the branch a draft is submitted on: ontohub/draft-<shortID>.
func DraftBranch(shortID string) string { return "ontohub/draft-" + shortID }

// Submission is what Submit did.
type Submission struct {
	// Branch is the branch on the remote; Commit its commit.
	Branch string
	Commit string
	// Pushed reports whether this call created the branch; false when the remote already had
	// it with the same change (a submit repeated), which is not pushed again.
	Pushed bool
}

// Submit commits the change set on top of its base commit and pushes it to the remote as a new
// branch. The commit is made from objects alone (the work tree is not touched), with
// cs.Author as author and committer at cs.Date. When the branch already exists with a commit of
// the same tree on the same base, nothing is pushed and that commit is returned; with another
// commit, ErrBranchTaken. Never force-pushes.
func (r *Repo) Submit(ctx context.Context, cs ChangeSet, branch string) (Submission, error) {
	files, err := cs.check()
	if err != nil {
		return Submission{}, err
	}
	refName := plumbing.NewBranchReferenceName(branch)
	if err := refName.Validate(); err != nil || strings.ContainsAny(branch, " ~^:?*[\\") {
		return Submission{}, fmt.Errorf("%w: branch %q", ErrInvalidChangeSet, branch)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	repo, err := r.open()
	if err != nil {
		return Submission{}, err
	}
	existing, err := r.remoteBranch(ctx, repo, refName)
	if err != nil {
		return Submission{}, err
	}
	base, err := r.baseCommit(ctx, repo, cs.Base)
	if err != nil {
		return Submission{}, err
	}
	commit, tree, err := commitChangeSet(repo.Storer, base, cs, files)
	if err != nil {
		return Submission{}, err
	}
	if existing != nil {
		if existing.TreeHash == tree && len(existing.ParentHashes) == 1 && existing.ParentHashes[0] == base.Hash {
			return Submission{Branch: branch, Commit: existing.Hash.String()}, nil
		}
		return Submission{}, fmt.Errorf("gitrepo: submit: %s: %w", branch, ErrBranchTaken)
	}
	if err := r.push(ctx, repo, commit, refName); err != nil {
		return Submission{}, err
	}
	return Submission{Branch: branch, Commit: commit.String(), Pushed: true}, nil
}

// submitRef is where a submitted branch is kept in the clone, to push from and to compare with.
func submitRef(branch plumbing.ReferenceName) plumbing.ReferenceName {
	return plumbing.ReferenceName("refs/ontohub/submit/" + branch.Short())
}

// remoteBranch returns the commit of the branch on the remote, fetched; nil when it has none.
func (r *Repo) remoteBranch(ctx context.Context, repo *git.Repository, branch plumbing.ReferenceName) (*object.Commit, error) {
	remote, err := r.remoteOf(repo)
	if err != nil {
		return nil, err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: r.remote.auth()})
	if err != nil {
		return nil, r.remote.failRemote("list references of", err)
	}
	found := false
	for _, ref := range refs {
		found = found || ref.Name() == branch
	}
	if !found {
		return nil, nil
	}
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", branch, submitRef(branch)))
	err = remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Auth: r.remote.auth(), Tags: git.NoTags, Force: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, r.remote.failRemote("fetch "+branch.Short()+" from", err)
	}
	ref, err := repo.Reference(submitRef(branch), true)
	if err != nil {
		return nil, r.remote.fail("resolve "+branch.Short()+" of", err)
	}
	commit, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, r.remote.fail("read "+branch.Short()+" of", err)
	}
	return commit, nil
}

// baseCommit returns the base commit, fetching the followed ref when the clone lacks it.
func (r *Repo) baseCommit(ctx context.Context, repo *git.Repository, base string) (*object.Commit, error) {
	hash := plumbing.NewHash(base)
	if commit, err := repo.CommitObject(hash); err == nil {
		return commit, nil
	}
	if _, err := r.fetch(ctx, repo); err != nil {
		return nil, err
	}
	commit, err := repo.CommitObject(hash)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: submit: commit %s is not in %s of %s: %w", base, r.remote.Ref, r.remote.Redacted(), ErrBaseUnknown)
	}
	return commit, nil
}

// push creates the branch on the remote at commit (never forced).
func (r *Repo) push(ctx context.Context, repo *git.Repository, commit plumbing.Hash, branch plumbing.ReferenceName) error {
	local := submitRef(branch)
	if err := repo.Storer.SetReference(plumbing.NewHashReference(local, commit)); err != nil {
		return fmt.Errorf("gitrepo: submit: %w", err)
	}
	remote, err := r.remoteOf(repo)
	if err != nil {
		return err
	}
	spec := config.RefSpec(fmt.Sprintf("%s:%s", local, branch))
	// What the remote says while receiving (a hook's "remote: …" lines) is its reason for a
	// refusal; it is kept for the error.
	var said bytes.Buffer
	err = remote.PushContext(ctx, &git.PushOptions{RemoteName: "anonymous", RefSpecs: []config.RefSpec{spec}, Auth: r.remote.auth(), Progress: &said})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		if reason := remoteSaid(said.Bytes()); reason != "" {
			err = fmt.Errorf("%w (remote: %s)", err, reason)
		}
		return r.remote.failRemote("push "+branch.Short()+" to", err)
	}
	return nil
}

// remoteSaid is the remote's progress text as one line, at most 500 bytes of its end.
func remoteSaid(text []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(text), "")), " ")
	if len(s) > 500 {
		s = "…" + s[len(s)-500:]
	}
	return s
}

// commitChangeSet writes the blobs, trees and commit of the change set on top of base into s,
// and returns the commit's and its tree's hash.
func commitChangeSet(s storer.EncodedObjectStorer, base *object.Commit, cs ChangeSet, files []FileChange) (commit, tree plumbing.Hash, err error) {
	baseTree, err := base.Tree()
	if err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, fmt.Errorf("gitrepo: submit: tree of %s: %w", base.Hash, err)
	}
	changes := make(map[string][]byte, len(files))
	for _, f := range files {
		if err := checkBefore(baseTree, f); err != nil {
			return plumbing.ZeroHash, plumbing.ZeroHash, err
		}
		changes[f.Path] = f.After
	}
	tree, _, err = writeTree(s, baseTree, changes)
	if err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, fmt.Errorf("gitrepo: submit: %w", err)
	}
	who := object.Signature{Name: cs.Author.Name, Email: cs.Author.Email, When: cs.date()}
	c := &object.Commit{Author: who, Committer: who, Message: cs.message(), TreeHash: tree, ParentHashes: []plumbing.Hash{base.Hash}}
	obj := s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, fmt.Errorf("gitrepo: submit: encode commit: %w", err)
	}
	commit, err = s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, fmt.Errorf("gitrepo: submit: store commit: %w", err)
	}
	return commit, tree, nil
}

// checkBefore reports ErrConflict unless the base tree holds f.Before at f.Path (nothing when
// Before is nil).
func checkBefore(tree *object.Tree, f FileChange) error {
	file, err := tree.File(f.Path)
	if errors.Is(err, object.ErrFileNotFound) {
		if f.Before == nil {
			return nil
		}
		return fmt.Errorf("gitrepo: submit: %s is not in the base commit: %w", f.Path, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("gitrepo: submit: %s: %w", f.Path, err)
	}
	if f.Before == nil {
		return fmt.Errorf("gitrepo: submit: %s already exists in the base commit: %w", f.Path, ErrConflict)
	}
	content, err := blobBytes(file)
	if err != nil {
		return fmt.Errorf("gitrepo: submit: %s: %w", f.Path, err)
	}
	if !bytes.Equal(content, f.Before) {
		return fmt.Errorf("gitrepo: submit: %s differs in the base commit: %w", f.Path, ErrConflict)
	}
	return nil
}

func blobBytes(f *object.File) ([]byte, error) {
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// writeTree writes tree (nil for none) with changes applied (paths relative to it; a nil
// value deletes) and returns its hash, or empty when nothing is left in it.
func writeTree(s storer.EncodedObjectStorer, tree *object.Tree, changes map[string][]byte) (hash plumbing.Hash, empty bool, err error) {
	entries := map[string]object.TreeEntry{}
	if tree != nil {
		for _, e := range tree.Entries {
			entries[e.Name] = e
		}
	}
	subdirs := map[string]map[string][]byte{}
	for p, content := range changes {
		dir, rest, nested := strings.Cut(p, "/")
		if nested {
			if subdirs[dir] == nil {
				subdirs[dir] = map[string][]byte{}
			}
			subdirs[dir][rest] = content
			continue
		}
		if content == nil {
			delete(entries, p)
			continue
		}
		blob, err := writeBlob(s, content)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		entries[p] = object.TreeEntry{Name: p, Mode: filemode.Regular, Hash: blob}
	}
	for dir, sub := range subdirs {
		var subtree *object.Tree
		if e, ok := entries[dir]; ok && e.Mode == filemode.Dir && tree != nil {
			if subtree, err = tree.Tree(dir); err != nil {
				return plumbing.ZeroHash, false, fmt.Errorf("read tree %s: %w", dir, err)
			}
		}
		h, subEmpty, err := writeTree(s, subtree, sub)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if subEmpty {
			delete(entries, dir)
		} else {
			entries[dir] = object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h}
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, true, nil
	}
	t := &object.Tree{}
	for _, e := range entries {
		t.Entries = append(t.Entries, e)
	}
	sort.Sort(object.TreeEntrySorter(t.Entries))
	obj := s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("encode tree: %w", err)
	}
	hash, err = s.SetEncodedObject(obj)
	return hash, false, err
}

func writeBlob(s storer.EncodedObjectStorer, content []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}
