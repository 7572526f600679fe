package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/internal/testgit"
	"github.com/ontohub/ontohub/reposync"
	"github.com/ontohub/ontohub/store"
	"github.com/ontohub/ontohub/validate"
)

// newSubmitEnv follows a file:// remote holding the example ontology, as serve does with
// ONTOLOGY_REPO_URL, and submits drafts to it.
func newSubmitEnv(t *testing.T) (*syncEnv, string) {
	t.Helper()
	url := newOwnDatabase(t, "server_submit")
	ctx, cancel := context.WithCancel(context.Background())
	remote := testgit.New(t)
	head := remote.CommitDir(t, "example", browseExample)
	st, err := store.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	repo, err := gitrepo.New(gitrepo.Remote{URL: remote.URL, Ref: "main"}, filepath.Join(t.TempDir(), "clone"))
	if err != nil {
		t.Fatal(err)
	}
	syncer := reposync.New(st, repo, ingest.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	env := newTestEnv(t, testOptions{DatabaseURL: url, Server: Config{Sync: syncer, WebhookSecret: testWebhookSecret,
		Submitter: repo, SubmitAuthor: gitrepo.Author{Name: "Hub Bot", Email: "hub@example.org"}}})
	go env.Snapshots.Run(ctx)
	go env.Snapshots.Listen(ctx, env.Store.Connect)
	done := make(chan struct{})
	go func() { syncer.Run(ctx, 0); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e := &syncEnv{testEnv: env, t: t, ctx: context.Background(), remote: remote}
	e.waitServed(head)
	return e, head
}

// gitIn runs git in dir and returns its output, failing the test on error.
func gitIn(t *testing.T, dir string, stdin io.Reader, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_COMMITTER_NAME=Tester", "GIT_COMMITTER_EMAIL=tester@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// validCheckout runs the validation engine on a checkout, as `ontohub validate` does, and fails
// the test on any error finding.
func validCheckout(t *testing.T, dir string) {
	t.Helper()
	co, err := checkout.Read(dir, checkout.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := validate.Prepare(validate.FromCheckout(co))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range o.Findings() {
		if f.Severity == validate.SeverityError {
			t.Errorf("%s: %s %s %s", dir, f.Code, f.File, f.Message)
		}
	}
}

const nicknameChanges = `[
	{"change_type":"create","entity_type":"property","entity_id":"Has_nickname",
	 "entity":{"id":"Has_nickname","label":"Nickname","description":"What friends call someone","datatype":"Text","cardinality":"single"}},
	{"change_type":"update","entity_type":"category","entity_id":"Person",
	 "patch":[{"op":"add","path":"/optional_properties/-","value":"Has_nickname"}]},
	{"change_type":"update","entity_type":"module","entity_id":"Core",
	 "patch":[{"op":"add","path":"/properties/-","value":"Has_nickname"}]},
	{"change_type":"delete","entity_type":"property","entity_id":"Has_website"},
	{"change_type":"update","entity_type":"module","entity_id":"Core",
	 "patch":[{"op":"test","path":"/properties/2","value":"Has_website"},{"op":"remove","path":"/properties/2"}]},
	{"change_type":"update","entity_type":"category","entity_id":"Agent",
	 "patch":[{"op":"test","path":"/optional_properties/1","value":"Has_website"},{"op":"remove","path":"/optional_properties/1"}]}]`

func TestDraftPatchAndSubmit(t *testing.T) {
	e, head := newSubmitEnv(t)
	ctx := e.ctx
	created, err := e.Client.CreateDraftWithBodyWithResponse(ctx, "application/json",
		strings.NewReader(`{"title":"Nicknames instead of websites","changes":`+nicknameChanges+`}`))
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create: %v %s", err, created.Body)
	}
	token := tokenOf(t, created.JSON201.CapabilityUrl)

	// Not validated yet: no submit.
	early, err := e.Client.SubmitDraftWithResponse(ctx, token, gen.DraftSubmit{})
	if err != nil || early.StatusCode() != http.StatusConflict {
		t.Fatalf("submit before validation: %v %d %s", err, early.StatusCode(), early.Body)
	}
	report, err := e.Client.ValidateDraftWithResponse(ctx, token)
	if err != nil || report.JSON200 == nil || !report.JSON200.Valid {
		t.Fatalf("validate: %v %s", err, report.Body)
	}

	// The patch applies with git am to the base commit, and the result validates.
	patch, err := e.Client.GetDraftPatchWithResponse(ctx, token)
	if err != nil || patch.StatusCode() != http.StatusOK {
		t.Fatalf("patch: %v %d %s", err, patch.StatusCode(), patch.Body)
	}
	if ct := patch.HTTPResponse.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/x-patch") {
		t.Errorf("patch Content-Type = %q", ct)
	}
	work := filepath.Join(t.TempDir(), "am")
	gitIn(t, filepath.Dir(work), nil, "clone", "--quiet", e.remote.URL, work)
	gitIn(t, work, nil, "checkout", "--quiet", head)
	gitIn(t, work, strings.NewReader(string(patch.Body)), "am", "--quiet")
	validCheckout(t, work)
	person, err := os.ReadFile(filepath.Join(work, "categories", "Person.json"))
	if err != nil || !strings.Contains(string(person), `"optional_properties": ["Has_orcid", "Has_nickname"]`) || !strings.HasSuffix(string(person), "}\n") {
		t.Errorf("Person.json after git am:\n%s", person)
	}
	if _, err := os.Stat(filepath.Join(work, "properties", "Has_website.json")); !os.IsNotExist(err) {
		t.Errorf("Has_website.json not deleted: %v", err)
	}
	patchedTree := gitIn(t, work, nil, "rev-parse", "HEAD^{tree}")

	// Submit: the remote gets the branch, its tree is the patched tree plus the versions.
	submitted, err := e.Client.SubmitDraftWithResponse(ctx, token, gen.DraftSubmit{Message: ptr("From the lab wiki.")})
	if err != nil || submitted.JSON200 == nil {
		t.Fatalf("submit: %v %d %s", err, submitted.StatusCode(), submitted.Body)
	}
	sub := *submitted.JSON200
	if !strings.HasPrefix(sub.Branch, "ontohub/draft-") || sub.PullRequestUrl != nil {
		t.Errorf("submission = %+v", sub)
	}
	remoteTree := testgit.Git(t, e.remote.Bare, "rev-parse", sub.Branch+"^{tree}")
	if remoteTree != patchedTree {
		t.Errorf("branch tree %s, patched tree %s", remoteTree, patchedTree)
	}
	if parent := testgit.Git(t, e.remote.Bare, "rev-parse", sub.Branch+"^"); parent != head {
		t.Errorf("branch parent %s, want the base %s", parent, head)
	}
	message := testgit.Git(t, e.remote.Bare, "log", "-1", "--format=%an <%ae>%n%B", sub.Branch)
	for _, want := range []string{"Hub Bot <hub@example.org>", "Nicknames instead of websites", "From the lab wiki.",
		"create property Has_nickname", "delete property Has_website", "module Core: 1.0.0 -> 2.0.0"} {
		if !strings.Contains(message, want) {
			t.Errorf("commit message lacks %q:\n%s", want, message)
		}
	}
	d, err := e.Client.GetDraftWithResponse(ctx, token)
	if err != nil || d.JSON200 == nil || d.JSON200.Status != gen.DraftStatusSubmitted {
		t.Fatalf("draft after submit: %v %s", err, d.Body)
	}
	// Again: the same answer, no second branch.
	again, err := e.Client.SubmitDraftWithResponse(ctx, token, gen.DraftSubmit{})
	if err != nil || again.JSON200 == nil || again.JSON200.Branch != sub.Branch || again.JSON200.CommitSha != sub.CommitSha {
		t.Errorf("second submit: %v %s", err, again.Body)
	}
	if branches := testgit.Git(t, e.remote.Bare, "branch", "--list", "ontohub/*"); strings.Count(branches, "ontohub/") != 1 {
		t.Errorf("branches on the remote: %q", branches)
	}
	// A submitted draft cannot change.
	change, err := e.Client.AddDraftChangeWithBodyWithResponse(ctx, token, "application/json",
		strings.NewReader(`{"change_type":"delete","entity_type":"property","entity_id":"Has_email"}`))
	if err != nil || change.StatusCode() != http.StatusConflict {
		t.Errorf("change after submit: %v %d", err, change.StatusCode())
	}
}

func TestSubmitAppliesVersionsAndReportsRefusedPushes(t *testing.T) {
	e, head := newSubmitEnv(t)
	ctx := e.ctx
	validated := func(changes string) string {
		t.Helper()
		created, err := e.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"changes":`+changes+`}`))
		if err != nil || created.JSON201 == nil {
			t.Fatalf("create: %v %s", err, created.Body)
		}
		token := tokenOf(t, created.JSON201.CapabilityUrl)
		if r, err := e.Client.ValidateDraftWithResponse(ctx, token); err != nil || r.JSON200 == nil || r.JSON200.Status != gen.DraftStatusValidated {
			t.Fatalf("validate: %v %s", err, r.Body)
		}
		return token
	}

	token := validated(nicknameChanges)
	submitted, err := e.Client.SubmitDraftWithResponse(ctx, token, gen.DraftSubmit{ApplyVersions: ptr(true)})
	if err != nil || submitted.JSON200 == nil {
		t.Fatalf("submit: %v %s", err, submitted.Body)
	}
	branch := submitted.JSON200.Branch
	core := testgit.Git(t, e.remote.Bare, "show", branch+":modules/Core.json")
	lab := testgit.Git(t, e.remote.Bare, "show", branch+":modules/Lab.json")
	bundle := testgit.Git(t, e.remote.Bare, "show", branch+":bundles/Research_lab.json")
	if !strings.Contains(core, `"version": "2.0.0"`) || !strings.Contains(lab, `"version": "1.0.0"`) || !strings.Contains(bundle, `"version": "2.0.0"`) {
		t.Errorf("versions not applied:\n%s\n%s\n%s", core, lab, bundle)
	}
	out := filepath.Join(t.TempDir(), "branch")
	gitIn(t, filepath.Dir(out), nil, "clone", "--quiet", "--branch", branch, e.remote.URL, out)
	validCheckout(t, out)

	// A push the remote refuses: 502 with its reason, and the draft stays validated.
	hook := filepath.Join(e.remote.Bare, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'proposals are closed this week' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	refused := validated(`[{"change_type":"update","entity_type":"property","entity_id":"Has_email","patch":[{"op":"replace","path":"/label","value":"E-mail address"}]}]`)
	r, err := e.Client.SubmitDraftWithResponse(ctx, refused, gen.DraftSubmit{})
	if err != nil || r.StatusCode() != http.StatusBadGateway || !strings.Contains(string(r.Body), "proposals are closed") {
		t.Fatalf("refused push: %v %d %s", err, r.StatusCode(), r.Body)
	}
	if d, _ := e.Client.GetDraftWithResponse(ctx, refused); d.JSON200 == nil || d.JSON200.Status != gen.DraftStatusValidated {
		t.Errorf("draft after a refused push: %s", d.Body)
	}
	if err := os.Remove(hook); err != nil {
		t.Fatal(err)
	}

	// Upstream changes Person and a signed webhook syncs it: a draft changing Person is
	// conflicted (no patch, no submit), one that does not is rebased onto the new commit.
	conflicted := validated(`[{"change_type":"update","entity_type":"category","entity_id":"Person","patch":[{"op":"replace","path":"/label","value":"Human"}]}]`)
	next := e.remote.Commit(t, "upstream", map[string]*string{
		"categories/Person.json": testgit.Ptr("{\n  \"id\": \"Person\",\n  \"label\": \"Person\",\n  \"description\": \"Someone\",\n  \"parents\": [\"Agent\"],\n  \"optional_properties\": [\"Has_orcid\"],\n  \"optional_subobjects\": [\"Address\"]\n}\n"),
	})
	if r := e.deliver("push", "d-1", pushPayload("refs/heads/main", next), testWebhookSecret); r.StatusCode() != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.StatusCode(), r.Body)
	}
	e.waitServed(next)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := e.Client.GetDraftWithResponse(ctx, conflicted)
		if err != nil || d.JSON200 == nil {
			t.Fatal(err)
		}
		if d.JSON200.RebaseStatus == gen.RebaseStatusConflict {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("draft not marked conflicted: %s", d.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r, _ := e.Client.GetDraftPatchWithResponse(ctx, conflicted); r.StatusCode() != http.StatusConflict {
		t.Errorf("patch of a conflicted draft: %d", r.StatusCode())
	}
	if r, _ := e.Client.SubmitDraftWithResponse(ctx, conflicted, gen.DraftSubmit{}); r.StatusCode() != http.StatusConflict {
		t.Errorf("submit of a conflicted draft: %d", r.StatusCode())
	}
	clean, _ := e.Client.GetDraftWithResponse(ctx, refused)
	if clean.JSON200 == nil || clean.JSON200.RebaseStatus != gen.RebaseStatusClean || *clean.JSON200.BaseCommitSha != next || head == next {
		t.Errorf("clean draft after the sync: %s", clean.Body)
	}
}
