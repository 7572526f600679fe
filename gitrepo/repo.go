// Package gitrepo is ontohub's side of the schema repository in git: a local clone kept in step
// with the remote (Update), a change set as a `git format-patch` email (Patch), and a change set
// committed on a branch and pushed (Submit), with a pull request opened on GitHub (PullRequests).
// Every git operation is go-git's, so no git binary is needed at run time (a file:// remote is the
// exception: go-git runs git-upload-pack and git-receive-pack for it, as tests do).
//
// The remote's token is a secret: it is sent only as HTTPS basic auth, never stored in the clone's
// config, and scrubbed from every error this package returns.
package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Remote is the repository ontohub follows and how to reach it.
type Remote struct {
	// URL is where the repository lives: https://…, or file://… (tests, local mirrors).
	URL string
	// Ref is the branch followed ("main"), or a full reference name ("refs/tags/v1").
	Ref string
	// Token authenticates HTTPS requests (a GitHub token); "" for none.
	Token string
}

// RefName is the full name of the followed reference.
func (r Remote) RefName() plumbing.ReferenceName {
	if strings.HasPrefix(r.Ref, "refs/") {
		return plumbing.ReferenceName(r.Ref)
	}
	return plumbing.NewBranchReferenceName(r.Ref)
}

// auth is the transport authentication: basic auth with the token over HTTP(S), nothing else.
// GitHub takes any user name with a token as password; x-access-token is what its apps use.
func (r Remote) auth() transport.AuthMethod {
	if r.Token == "" || !strings.HasPrefix(r.URL, "http") {
		return nil
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: r.Token}
}

// Redacted is the URL without any user or password it carries, for logs and messages.
func (r Remote) Redacted() string {
	u, err := url.Parse(r.URL)
	if err != nil || u.User == nil {
		return r.URL
	}
	u.User = nil
	return u.String()
}

// userinfo matches the user[:password]@ part of URLs inside error texts.
var userinfo = regexp.MustCompile(`(//)[^/@\s]+@`)

// Scrub removes the token, and whatever credentials the URL carries, from a text (an error
// message of another package, say).
func (r Remote) Scrub(text string) string {
	if r.Token != "" {
		text = strings.ReplaceAll(text, r.Token, "***")
	}
	if u, err := url.Parse(r.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			text = strings.ReplaceAll(text, p, "***")
		}
		text = strings.ReplaceAll(text, r.URL, r.Redacted())
	}
	return userinfo.ReplaceAllString(text, "$1")
}

// Error is an error of a git operation, its text already scrubbed of credentials. Unwrap gives
// the cause for errors.Is (a cancelled context, say); print Error, never the cause.
type Error struct {
	msg   string
	cause error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.cause }

// fail wraps err as an *Error about op, scrubbed.
func (r Remote) fail(op string, err error) error {
	return &Error{msg: r.Scrub(fmt.Sprintf("gitrepo: %s %s: %v", op, r.Redacted(), err)), cause: err}
}

// failRemote is fail for an error of talking to the remote: it also matches ErrRemote.
func (r Remote) failRemote(op string, err error) error {
	return &Error{msg: r.Scrub(fmt.Sprintf("gitrepo: %s %s: %v", op, r.Redacted(), err)), cause: errors.Join(ErrRemote, err)}
}

// Check reports a configuration that cannot work: no URL, an unsupported scheme, no ref.
func (r Remote) Check() error {
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("gitrepo: remote URL %q does not parse", r.Redacted())
	}
	switch u.Scheme {
	case "https", "http", "file":
	default:
		return fmt.Errorf("gitrepo: remote URL %q: want https://, http:// or file://", r.Redacted())
	}
	if strings.TrimSpace(r.Ref) == "" || strings.ContainsAny(r.Ref, " :~^?*[\\") {
		return fmt.Errorf("gitrepo: ref %q is not a branch or reference name", r.Ref)
	}
	return nil
}

// Repo is the local clone of a Remote in a directory. Its operations take turns: go-git's
// storage is not safe for concurrent writers.
type Repo struct {
	remote Remote
	dir    string
	mu     sync.Mutex
}

// New returns the clone of remote kept in dir. Nothing is read or written until the first
// operation; dir is created then if it is missing.
func New(remote Remote, dir string) (*Repo, error) {
	if err := remote.Check(); err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("gitrepo: no directory for the local clone")
	}
	return &Repo{remote: remote, dir: dir}, nil
}

// Remote returns the remote the clone follows.
func (r *Repo) Remote() Remote { return r.remote }

// Dir returns the directory of the clone's work tree.
func (r *Repo) Dir() string { return r.dir }

// trackingRef is where the clone keeps the remote's followed reference. It is ontohub's own
// name, so a configured refspec of the clone (there is none) cannot move it.
const trackingRef = plumbing.ReferenceName("refs/ontohub/remote")

// Update fetches the followed reference from the remote and checks its commit out in the work
// tree (detached, forced, untracked files removed), and returns the commit's hash. The first
// call initializes the clone; an empty or missing directory is fine, any other content that is
// not a git repository is refused rather than overwritten.
func (r *Repo) Update(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	repo, err := r.open()
	if err != nil {
		return "", err
	}
	hash, err := r.fetch(ctx, repo)
	if err != nil {
		return "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", r.remote.fail("work tree of", err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: hash, Force: true}); err != nil {
		return "", r.remote.fail("check out "+hash.String()+" of", err)
	}
	if err := wt.Clean(&git.CleanOptions{Dir: true}); err != nil {
		return "", r.remote.fail("clean work tree of", err)
	}
	return hash.String(), nil
}

// open opens the clone, initializing it in an empty or missing directory.
func (r *Repo) open() (*git.Repository, error) {
	repo, err := git.PlainOpen(r.dir)
	if err == nil {
		return repo, nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("gitrepo: open %s: %w", r.dir, err)
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("gitrepo: read %s: %w", r.dir, err)
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("gitrepo: %s is not empty and not a git repository; empty it or choose another directory", r.dir)
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("gitrepo: create %s: %w", r.dir, err)
	}
	repo, err = git.PlainInitWithOptions(r.dir, &git.PlainInitOptions{Bare: false})
	if err != nil {
		return nil, fmt.Errorf("gitrepo: init %s: %w", r.dir, err)
	}
	return repo, nil
}

// remoteOf is the remote as go-git sees it: anonymous, so its URL (which may carry credentials)
// is never written to the clone's config.
func (r *Repo) remoteOf(repo *git.Repository) (*git.Remote, error) {
	remote, err := repo.CreateRemoteAnonymous(&config.RemoteConfig{Name: "anonymous", URLs: []string{r.remote.URL}})
	if err != nil {
		return nil, r.remote.fail("remote", err)
	}
	return remote, nil
}

// fetch brings the followed reference into trackingRef and returns its commit.
func (r *Repo) fetch(ctx context.Context, repo *git.Repository) (plumbing.Hash, error) {
	remote, err := r.remoteOf(repo)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", r.remote.RefName(), trackingRef))
	err = remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Auth: r.remote.auth(), Tags: git.NoTags, Force: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, r.remote.failRemote("fetch "+r.remote.Ref+" from", err)
	}
	ref, err := repo.Reference(trackingRef, true)
	if err != nil {
		return plumbing.ZeroHash, r.remote.fail("resolve "+r.remote.Ref+" of", err)
	}
	if _, err := repo.CommitObject(ref.Hash()); err != nil {
		return plumbing.ZeroHash, r.remote.fail(r.remote.Ref+" is not a commit in", err)
	}
	return ref.Hash(), nil
}

// Head asks the remote which commit the followed reference points at, without fetching
// (git ls-remote).
func (r *Repo) Head(ctx context.Context) (string, error) {
	remote := git.NewRemote(nil, &config.RemoteConfig{Name: "anonymous", URLs: []string{r.remote.URL}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: r.remote.auth()})
	if err != nil {
		return "", r.remote.failRemote("list references of", err)
	}
	for _, ref := range refs {
		if ref.Name() == r.remote.RefName() {
			return ref.Hash().String(), nil
		}
	}
	return "", r.remote.fail("find "+r.remote.Ref+" in", plumbing.ErrReferenceNotFound)
}
