package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/internal/testgit"
	"github.com/ontohub/ontohub/reposync"
	"github.com/ontohub/ontohub/store"
)

const testWebhookSecret = "It's a Secret to Everybody"

// syncEnv is a server following a bare repository on disk (file:// remote) through a syncer
// running in the background, as serve runs it, on a database of its own.
type syncEnv struct {
	*testEnv
	t      *testing.T
	ctx    context.Context
	remote *testgit.Remote
}

func newSyncEnv(t *testing.T, secret string) *syncEnv {
	t.Helper()
	url := newOwnDatabase(t, "server_sync")
	ctx, cancel := context.WithCancel(context.Background())
	remote := testgit.New(t)
	remote.CommitDir(t, "sample", browseSamples("bundles-layout"))

	st, err := store.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	repo, err := gitrepo.New(gitrepo.Remote{URL: remote.URL, Ref: "main", Token: "tok3n-never-shown"}, filepath.Join(t.TempDir(), "clone"))
	if err != nil {
		t.Fatal(err)
	}
	syncer := reposync.New(st, repo, ingest.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	env := newTestEnv(t, testOptions{DatabaseURL: url, Server: Config{Sync: syncer, WebhookSecret: secret, MaxBodyBytes: 64 << 10}})
	go env.Snapshots.Run(ctx)
	go env.Snapshots.Listen(ctx, env.Store.Connect)
	done := make(chan struct{})
	go func() { syncer.Run(ctx, 0); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &syncEnv{testEnv: env, t: t, ctx: context.Background(), remote: remote}
}

// status reads GET /api/v1/sync.
func (e *syncEnv) status() gen.SyncStatus {
	e.t.Helper()
	r, err := e.Client.GetSyncWithResponse(e.ctx)
	if err != nil || r.JSON200 == nil {
		e.t.Fatalf("GET /api/v1/sync: %v %d %s", err, r.StatusCode(), r.Body)
	}
	return *r.JSON200
}

// waitFor polls the sync status until done says so, for up to ten seconds.
func (e *syncEnv) waitFor(what string, done func(gen.SyncStatus) bool) gen.SyncStatus {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := e.status()
		if done(s) {
			return s
		}
		if time.Now().After(deadline) {
			body, _ := json.Marshal(s)
			e.t.Fatalf("%s: not within 10s; last status %s", what, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// servedCommit is the commit the snapshot of this replica serves.
func (e *syncEnv) servedCommit() string {
	if c := e.Snapshots.Current().CommitSHA; c != nil {
		return *c
	}
	return ""
}

// waitServed waits until this replica's snapshot serves commit (an ingest reaches the snapshot
// through LISTEN/NOTIFY a moment after the sync status shows it).
func (e *syncEnv) waitServed(commit string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.servedCommit() != commit {
		if time.Now().After(deadline) {
			e.t.Fatalf("snapshot serves %s, want %s", e.servedCommit(), commit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deliver sends a webhook delivery through the generated client, signed with secret ("" for
// no signature header).
func (e *syncEnv) deliver(event, delivery string, body []byte, secret string) *gen.ReceiveGithubWebhookResponse {
	e.t.Helper()
	params := &gen.ReceiveGithubWebhookParams{XGitHubEvent: event}
	if delivery != "" {
		params.XGitHubDelivery = &delivery
	}
	if secret != "" {
		sig := sign(secret, body)
		params.XHubSignature256 = &sig
	}
	r, err := e.Client.ReceiveGithubWebhookWithBodyWithResponse(e.ctx, params, "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("deliver %s: %v", event, err)
	}
	return r
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// pushPayload is the part of GitHub's push payload the hub reads, with some of the rest.
func pushPayload(ref, after string) []byte {
	return []byte(`{"ref":"` + ref + `","before":"0000000000000000000000000000000000000000","after":"` + after +
		`","repository":{"id":1,"full_name":"labki/schemas","private":false},"pusher":{"name":"x","email":null},` +
		`"commits":[{"id":"` + after + `","message":"Ünïcode <b>&</b> \u00e9","distinct":true}],"forced":false}`)
}

func TestSyncFollowsTheRepositoryThroughWebhooks(t *testing.T) {
	e := newSyncEnv(t, testWebhookSecret)
	head := testgit.Git(t, e.remote.Work, "rev-parse", "HEAD")

	// serve with a file:// remote: /api/v1/sync shows its HEAD.
	s := e.waitFor("first sync", func(s gen.SyncStatus) bool { return s.State == gen.SyncStatusStateSynced })
	if s.CommitSha == nil || *s.CommitSha != head || s.RemoteCommitSha == nil || *s.RemoteCommitSha != head {
		t.Fatalf("after the first sync: commit %v remote %v, want %s", s.CommitSha, s.RemoteCommitSha, head)
	}
	if s.Ref == nil || *s.Ref != "refs/heads/main" || s.IngestedAt == nil || s.LastError != nil {
		t.Fatalf("after the first sync: %+v", s)
	}
	if s.Counts.Counts.Category != 3 || s.Counts.Total == 0 {
		t.Errorf("counts = %+v", s.Counts)
	}
	if s.Findings.ByCode == nil {
		t.Error("findings.by_code missing")
	}

	// Push a new commit, send a signed webhook: within seconds the new commit is served.
	next := e.remote.Commit(t, "add a property", map[string]*string{
		"properties/Has_phone.json": testgit.Ptr(`{"id": "Has_phone", "label": "Phone", "datatype": "Telephone", "cardinality": "single"}` + "\n"),
	})
	r := e.deliver("push", "delivery-1", pushPayload("refs/heads/main", next), testWebhookSecret)
	if r.StatusCode() != http.StatusAccepted || r.JSON202 == nil || r.JSON202.Action != gen.WebhookReceiptActionSyncRequested {
		t.Fatalf("push: %d %s", r.StatusCode(), r.Body)
	}
	e.waitFor("webhook sync", func(s gen.SyncStatus) bool {
		return s.State == gen.SyncStatusStateSynced && s.CommitSha != nil && *s.CommitSha == next
	})
	e.waitServed(next)
	got, err := e.Client.GetEntityWithResponse(e.ctx, gen.EntityTypeProperty, "Has_phone", nil)
	if err != nil || got.StatusCode() != http.StatusOK {
		t.Fatalf("the pushed property is not served: %v %d", err, got.StatusCode())
	}
	generation := e.Snapshots.Current().Generation

	// The same delivery again is harmless: accepted, nothing new ingested.
	r = e.deliver("push", "delivery-1", pushPayload("refs/heads/main", next), testWebhookSecret)
	if r.StatusCode() != http.StatusAccepted {
		t.Fatalf("redelivery: %d %s", r.StatusCode(), r.Body)
	}
	e.waitFor("redelivery handled", func(s gen.SyncStatus) bool { return s.State == gen.SyncStatusStateSynced })
	if g, _ := e.Store.Generation(e.ctx); g != generation {
		t.Errorf("a redelivery ingested again: generation %d, was %d", g, generation)
	}

	// ping, other events, pushes to other refs.
	r = e.deliver("ping", "delivery-2", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), testWebhookSecret)
	if r.StatusCode() != http.StatusOK || r.JSON200 == nil || r.JSON200.Action != gen.WebhookReceiptActionPong {
		t.Fatalf("ping: %d %s", r.StatusCode(), r.Body)
	}
	for _, tc := range []struct{ event, ref string }{{"issues", "refs/heads/main"}, {"push", "refs/heads/feature"}, {"push", "refs/tags/main"}} {
		r = e.deliver(tc.event, "d", pushPayload(tc.ref, next), testWebhookSecret)
		if r.StatusCode() != http.StatusNoContent || len(r.Body) != 0 {
			t.Errorf("%s to %s: %d %s, want 204", tc.event, tc.ref, r.StatusCode(), r.Body)
		}
	}
}

func TestWebhookRefusesWhatIsNotSigned(t *testing.T) {
	e := newSyncEnv(t, testWebhookSecret)
	e.waitFor("first sync", func(s gen.SyncStatus) bool { return s.State == gen.SyncStatusStateSynced })
	before, _ := e.Store.Generation(e.ctx)
	next := e.remote.Commit(t, "unsynced", map[string]*string{"VERSION": testgit.Ptr("9.9.9\n")})
	body := pushPayload("refs/heads/main", next)

	for name, sig := range map[string]*string{
		"missing":          nil,
		"other secret":     testgit.Ptr(sign("guess", body)),
		"no prefix":        testgit.Ptr(strings.TrimPrefix(sign(testWebhookSecret, body), "sha256=")),
		"sha1":             testgit.Ptr("sha1=" + strings.TrimPrefix(sign(testWebhookSecret, body), "sha256=")),
		"not hex":          testgit.Ptr("sha256=zz"),
		"of another body":  testgit.Ptr(sign(testWebhookSecret, append(body, ' '))),
		"truncated digest": testgit.Ptr(sign(testWebhookSecret, body)[:20]),
	} {
		params := &gen.ReceiveGithubWebhookParams{XGitHubEvent: "push", XHubSignature256: sig}
		r, err := e.Client.ReceiveGithubWebhookWithBodyWithResponse(e.ctx, params, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode() != http.StatusUnauthorized || r.ApplicationproblemJSON401 == nil || r.HTTPResponse.Header.Get("Content-Type") != problemContentType {
			t.Errorf("%s signature: %d %s, want 401 problem+json", name, r.StatusCode(), r.Body)
		}
	}
	// A body that is not JSON at all, unsigned: still 401, not 400.
	r, err := e.Client.ReceiveGithubWebhookWithBodyWithResponse(e.ctx, &gen.ReceiveGithubWebhookParams{XGitHubEvent: "push"}, "application/json", strings.NewReader("{nope"))
	if err != nil || r.StatusCode() != http.StatusUnauthorized {
		t.Errorf("unsigned garbage: %v %d", err, r.StatusCode())
	}
	// Signed but form-encoded (GitHub's default content type): refused as outside the contract.
	form := []byte("payload=" + string(body))
	formSig := sign(testWebhookSecret, form)
	r, err = e.Client.ReceiveGithubWebhookWithBodyWithResponse(e.ctx, &gen.ReceiveGithubWebhookParams{XGitHubEvent: "push", XHubSignature256: &formSig},
		"application/x-www-form-urlencoded", bytes.NewReader(form))
	if err != nil || r.StatusCode() != http.StatusBadRequest || r.ApplicationproblemJSON400 == nil {
		t.Errorf("form-encoded delivery: %v %d %s", err, r.StatusCode(), r.Body)
	}
	// Signed but larger than MAX_BODY_BYTES: 413.
	big := append([]byte(`{"ref":"refs/heads/main","pad":"`), bytes.Repeat([]byte("x"), 70<<10)...)
	big = append(big, `"}`...)
	if r := e.deliver("push", "big", big, testWebhookSecret); r.StatusCode() != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized delivery: %d", r.StatusCode())
	}
	// A refused delivery never asks for a sync: nothing was ever requested.
	if st, err := e.Store.SyncStatus(e.ctx); err != nil || st.RequestedAt != nil {
		t.Fatalf("refused deliveries asked for a sync: %v %v", st.RequestedAt, err)
	}
	if s := e.status(); s.State != gen.SyncStatusStateSynced || *s.CommitSha == next {
		t.Fatalf("refused deliveries changed the sync: %+v", s)
	}
	if after, _ := e.Store.Generation(e.ctx); after != before {
		t.Fatalf("refused deliveries ingested: generation %d, was %d", after, before)
	}
	if strings.Contains(e.Logs.String(), testWebhookSecret) {
		t.Error("the webhook secret was logged")
	}
}

func TestFailedSyncsLeaveTheServedOntology(t *testing.T) {
	e := newSyncEnv(t, testWebhookSecret)
	s := e.waitFor("first sync", func(s gen.SyncStatus) bool { return s.State == gen.SyncStatusStateSynced })
	good := *s.CommitSha
	e.waitServed(good)
	person := func() string {
		r, err := e.Client.GetEntityWithResponse(e.ctx, gen.EntityTypeCategory, "Person", nil)
		if err != nil || r.StatusCode() != http.StatusOK {
			t.Fatalf("GET Person: %v %d", err, r.StatusCode())
		}
		return r.HTTPResponse.Header.Get("ETag")
	}
	etag := person()

	// An unparsable file at the new commit.
	bad := e.remote.Commit(t, "broken", map[string]*string{"categories/Person.json": testgit.Ptr(`{"id": "Person",`)})
	if r := e.deliver("push", "b1", pushPayload("refs/heads/main", bad), testWebhookSecret); r.StatusCode() != http.StatusAccepted {
		t.Fatalf("push: %d %s", r.StatusCode(), r.Body)
	}
	s = e.waitFor("failed sync", func(s gen.SyncStatus) bool { return s.State == gen.SyncStatusStateError })
	if *s.CommitSha != good || s.RemoteCommitSha == nil || *s.RemoteCommitSha != bad || s.LastError == nil || !strings.Contains(*s.LastError, "Person.json") {
		t.Fatalf("after an unparsable commit: %+v", s)
	}
	if person() != etag || e.servedCommit() != good {
		t.Fatal("an unparsable commit changed the served ontology")
	}

	// The remote goes down.
	if err := os.RemoveAll(e.remote.Bare); err != nil {
		t.Fatal(err)
	}
	before := *s.AttemptedAt
	if r := e.deliver("push", "b2", pushPayload("refs/heads/main", bad), testWebhookSecret); r.StatusCode() != http.StatusAccepted {
		t.Fatalf("push: %d %s", r.StatusCode(), r.Body)
	}
	s = e.waitFor("sync with the remote down", func(s gen.SyncStatus) bool {
		return s.State == gen.SyncStatusStateError && s.AttemptedAt.After(before)
	})
	if *s.CommitSha != good || s.LastError == nil || strings.Contains(*s.LastError, "Person.json") {
		t.Fatalf("with the remote down: %+v", s)
	}
	if strings.Contains(*s.LastError, "tok3n-never-shown") {
		t.Fatal("last_error holds the token")
	}
	if person() != etag || e.servedCommit() != good {
		t.Fatal("a failed fetch changed the served ontology")
	}
	health, err := e.Client.GetHealthWithResponse(e.ctx)
	if err != nil || health.StatusCode() != http.StatusOK {
		t.Fatalf("/health with the remote down: %v %d", err, health.StatusCode())
	}
}

func TestWebhookWithoutSecretIsNotOffered(t *testing.T) {
	e := newTestEnv(t, testOptions{})
	body := pushPayload("refs/heads/main", "abc")
	r, err := e.Client.ReceiveGithubWebhookWithBodyWithResponse(context.Background(),
		&gen.ReceiveGithubWebhookParams{XGitHubEvent: "push", XHubSignature256: testgit.Ptr(sign("", body))}, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := http.Post(e.URL+"/api/v1/webhooks/gitlab", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer unknown.Body.Close()
	unknownBody, _ := io.ReadAll(unknown.Body)
	if r.StatusCode() != http.StatusNotFound || !bytes.Equal(r.Body, unknownBody) {
		t.Fatalf("webhook without a secret: %d %s; an unknown path: %d %s", r.StatusCode(), r.Body, unknown.StatusCode, unknownBody)
	}

	// Sync status says off, and still names the served commit (none here).
	s, err := e.Client.GetSyncWithResponse(context.Background())
	if err != nil || s.JSON200 == nil || s.JSON200.State != gen.SyncStatusStateOff || s.JSON200.Ref != nil {
		t.Fatalf("sync status without a repository: %v %s", err, s.Body)
	}
}
