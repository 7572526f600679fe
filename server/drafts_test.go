package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/oapi-codegen/nullable"

	"github.com/ontohub/ontohub/gen"
)

// tokenPattern is a capability token: 43 base64url characters, no padding.
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func strPtr(s string) *string { return &s }

// newMarker returns a source_wiki value no other test uses, to find a test's own rows.
func newMarker(t *testing.T) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "https://wiki.test/" + t.Name() + "/" + hex.EncodeToString(b[:])
}

// createDraft creates a draft through the client and returns its token.
func createDraft(t *testing.T, env *testEnv, body gen.DraftCreate) string {
	t.Helper()
	resp, err := env.Client.CreateDraftWithResponse(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusCreated || resp.JSON201 == nil {
		t.Fatalf("create: status %d, body %s", resp.StatusCode(), resp.Body)
	}
	return tokenOf(t, resp.JSON201.CapabilityUrl)
}

// tokenOf returns the fragment of a capability URL.
func tokenOf(t *testing.T, capabilityURL string) string {
	t.Helper()
	_, token, ok := strings.Cut(capabilityURL, "#")
	if !ok {
		t.Fatalf("capability URL %q has no fragment", capabilityURL)
	}
	return token
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// exec runs SQL against the package database, for setting up states the API cannot reach.
func execSQL(t *testing.T, env *testEnv, sql string, args ...any) {
	t.Helper()
	if _, err := env.Store.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// countDrafts counts the drafts (live or not) whose source_wiki is marker.
func countDrafts(t *testing.T, env *testEnv, marker string) int {
	t.Helper()
	var n int
	if err := env.Store.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM drafts WHERE source_wiki = $1`, marker).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dumpDatabase returns the text of every row of every table in the public schema.
func dumpDatabase(t *testing.T, env *testEnv) string {
	t.Helper()
	ctx := context.Background()
	rows, err := env.Store.Pool().Query(ctx, `
		SELECT table_name
		FROM information_schema.tables
		WHERE table_schema = 'public'
		  AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 3 {
		t.Fatalf("found only tables %v", tables)
	}
	var dump strings.Builder
	for _, table := range tables {
		rows, err := env.Store.Pool().Query(ctx, `SELECT t::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			dump.WriteString(text)
			dump.WriteByte('\n')
		}
	}
	return dump.String()
}

// assertSecureHeaders checks the headers every response carries.
func assertSecureHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for name, want := range map[string]string{
		"Referrer-Policy":        "origin",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func assertNoStore(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

// TestDraftFloor is the original service's own test of drafts.
func TestDraftFloor(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	payload := json.RawMessage(`{"entities":[{"entity_id":"Person","entity_type":"category"}]}`)

	created, err := env.Client.CreateDraftWithResponse(ctx, gen.DraftCreate{Payload: payload, SourceWiki: strPtr(newMarker(t))})
	if err != nil {
		t.Fatal(err)
	}
	if created.StatusCode() != http.StatusCreated || created.JSON201 == nil {
		t.Fatalf("create: status %d, body %s", created.StatusCode(), created.Body)
	}
	if !strings.Contains(created.JSON201.CapabilityUrl, "#") {
		t.Fatalf("capability URL %q has no #", created.JSON201.CapabilityUrl)
	}
	token := tokenOf(t, created.JSON201.CapabilityUrl)
	if len(token) != 43 || !tokenPattern.MatchString(token) {
		t.Fatalf("token %q is not 43 base64url characters", token)
	}
	if created.JSON201.Message != capabilityMessage {
		t.Errorf("message = %q", created.JSON201.Message)
	}
	assertSecureHeaders(t, created.HTTPResponse.Header)
	assertNoStore(t, created.HTTPResponse.Header)

	got, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.StatusCode() != http.StatusOK || got.JSON200 == nil {
		t.Fatalf("get: status %d, body %s", got.StatusCode(), got.Body)
	}
	if got.JSON200.Status != gen.DraftStatusPending {
		t.Errorf("status = %q, want pending", got.JSON200.Status)
	}
	assertJSONEqual(t, got.JSON200.Payload, payload)
	if !got.JSON200.ExpiresAt.Equal(created.JSON201.ExpiresAt) {
		t.Errorf("expires_at %v, created said %v", got.JSON200.ExpiresAt, created.JSON201.ExpiresAt)
	}
	assertSecureHeaders(t, got.HTTPResponse.Header)
	assertNoStore(t, got.HTTPResponse.Header)
	for _, body := range [][]byte{created.Body, got.Body} {
		if bytes.Contains(body, []byte("capability_hash")) || bytes.Contains(body, []byte(sha256Hex(token))) {
			t.Errorf("response carries the capability hash: %s", body)
		}
	}

	invalid, err := env.Client.GetDraftWithResponse(ctx, "invalid-token")
	if err != nil {
		t.Fatal(err)
	}
	p := decodeProblem(t, invalid.HTTPResponse, invalid.Body, http.StatusNotFound)
	if p.Detail != "Draft not found" {
		t.Errorf("detail = %q", p.Detail)
	}
	assertSecureHeaders(t, invalid.HTTPResponse.Header)
}

func assertJSONEqual(t *testing.T, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("invalid JSON %s: %v", want, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("JSON differs (-want +got):\n%s", diff)
	}
}

func TestDraftExpiresAfterTTL(t *testing.T) {
	env := newTestEnv(t, testOptions{Server: Config{DraftTTL: 90 * time.Minute}})
	token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
	got, err := env.Client.GetDraftWithResponse(context.Background(), token)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get: %v %s", err, got.Body)
	}
	if d := got.JSON200.ExpiresAt.Sub(got.JSON200.CreatedAt); d != 90*time.Minute {
		t.Errorf("expires_at - created_at = %v, want 90m", d)
	}
}

// TestTokenIsStoredOnlyAsHash looks for the token in every column of every table, and in every
// log line written while the draft was created, read, changed, withdrawn and missed.
func TestTokenIsStoredOnlyAsHash(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{"a": 1}`), SourceWiki: strPtr(newMarker(t))})

	got, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get: %v", err)
	}
	var stored string
	if err := env.Store.Pool().QueryRow(ctx, `SELECT capability_hash FROM drafts WHERE id = $1`, got.JSON200.Id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(stored) {
		t.Errorf("stored hash %q is not 64 hex characters", stored)
	}
	if stored != sha256Hex(token) {
		t.Errorf("stored hash is not the SHA-256 of the token")
	}

	patched, err := env.Client.UpdateDraftWithResponse(ctx, token, gen.DraftUpdate{Status: statusPtr(gen.DraftUpdateStatusPending)})
	if err != nil || patched.StatusCode() != http.StatusOK {
		t.Fatalf("patch: %v", err)
	}
	if strings.Contains(dumpDatabase(t, env), token) {
		t.Error("the token is stored in the database")
	}
	if _, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(`{"status": "nonsense"}`)); err != nil {
		t.Fatal(err)
	}
	deleted, err := env.Client.DeleteDraftWithResponse(ctx, token)
	if err != nil || deleted.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	missed, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil || missed.StatusCode() != http.StatusNotFound {
		t.Fatalf("get after delete: %v", err)
	}

	logs := env.Logs.String()
	if !strings.Contains(logs, "/api/v1/drafts/{token}") {
		t.Errorf("the access log does not name the draft route:\n%s", logs)
	}
	if n := strings.Count(logs, `"msg":"request"`); n < 6 {
		t.Errorf("%d access-log lines, want at least 6:\n%s", n, logs)
	}
	if strings.Contains(logs, token) {
		t.Errorf("the token appears in the logs:\n%s", logs)
	}
	if strings.Contains(logs, stored) {
		t.Errorf("the capability hash appears in the logs:\n%s", logs)
	}
}

func statusPtr(s gen.DraftUpdateStatus) *gen.DraftUpdateStatus { return &s }

// TestMissingDraftsAreIndistinguishable checks that every way of not finding a draft gives the
// same answer, byte for byte, for each operation.
func TestMissingDraftsAreIndistinguishable(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()

	expired := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
	execSQL(t, env, `UPDATE drafts SET expires_at = now() - INTERVAL '1 second' WHERE capability_hash = $1`, sha256Hex(expired))
	withdrawn := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
	if r, err := env.Client.DeleteDraftWithResponse(ctx, withdrawn); err != nil || r.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	swept := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
	execSQL(t, env, `UPDATE drafts SET status = 'expired' WHERE capability_hash = $1`, sha256Hex(swept))
	unknown := strings.Repeat("A", 43)

	tokens := map[string]string{
		"unknown":                unknown,
		"expired":                expired,
		"withdrawn":              withdrawn,
		"marked expired":         swept,
		"too short":              expired[:42],
		"too long":               expired + "A",
		"not base64url":          strings.Repeat("*", 43),
		"padded":                 strings.Repeat("A", 42) + "=",
		"non-canonical trailing": strings.Repeat("A", 42) + "B",
		"empty-looking":          " ",
		"slash inside":           strings.Repeat("A", 20) + "/" + strings.Repeat("A", 22),
		"only a slash":           "/",
		"slash at the end":       strings.Repeat("A", 42) + "/",
	}
	// The reference answer, against which every other is compared.
	ref, err := env.Client.GetDraftWithResponse(ctx, unknown)
	if err != nil {
		t.Fatal(err)
	}
	decodeProblem(t, ref.HTTPResponse, ref.Body, http.StatusNotFound)
	assertNoStore(t, ref.HTTPResponse.Header)

	for name, token := range tokens {
		t.Run(name, func(t *testing.T) {
			get, err := env.Client.GetDraftWithResponse(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			patch, err := env.Client.UpdateDraftWithResponse(ctx, token, gen.DraftUpdate{Status: statusPtr(gen.DraftUpdateStatusValidated)})
			if err != nil {
				t.Fatal(err)
			}
			del, err := env.Client.DeleteDraftWithResponse(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			for op, r := range map[string]struct {
				resp *http.Response
				body []byte
			}{"GET": {get.HTTPResponse, get.Body}, "PATCH": {patch.HTTPResponse, patch.Body}, "DELETE": {del.HTTPResponse, del.Body}} {
				if r.resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s: status %d, want 404", op, r.resp.StatusCode)
				}
				if !bytes.Equal(r.body, ref.Body) {
					t.Errorf("%s: body %q differs from %q", op, r.body, ref.Body)
				}
				if diff := cmp.Diff(comparableHeaders(ref.HTTPResponse.Header), comparableHeaders(r.resp.Header)); diff != "" {
					t.Errorf("%s: headers differ (-reference +got):\n%s", op, diff)
				}
			}
		})
	}
}

// comparableHeaders drops the headers that differ between any two responses.
func comparableHeaders(h http.Header) http.Header {
	c := h.Clone()
	c.Del("Date")
	c.Del("X-Request-Id")
	return c
}

func TestPatchDraftFields(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	token := createDraft(t, env, gen.DraftCreate{
		Payload:       json.RawMessage(`{"a": 1, "keep": {"nested": true}}`),
		SourceWiki:    strPtr("https://wiki.example.org"),
		BaseCommitSha: strPtr("ignored"),
	})
	first, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil || first.JSON200 == nil {
		t.Fatal(err)
	}
	original := *first.JSON200
	if original.BaseCommitSha != nil {
		t.Errorf("base_commit_sha = %v, want the served commit (none ingested: null), not the client's", *original.BaseCommitSha)
	}

	patch := func(body string) gen.Draft {
		t.Helper()
		r, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode() != http.StatusOK || r.JSON200 == nil {
			t.Fatalf("PATCH %s: status %d, body %s", body, r.StatusCode(), r.Body)
		}
		assertNoStore(t, r.HTTPResponse.Header)
		if bytes.Contains(r.Body, []byte("capability_hash")) {
			t.Errorf("PATCH response carries capability_hash: %s", r.Body)
		}
		if !r.JSON200.ExpiresAt.Equal(original.ExpiresAt) || !r.JSON200.CreatedAt.Equal(original.CreatedAt) || r.JSON200.Id != original.Id {
			t.Errorf("PATCH %s moved id/expires_at/created_at: %+v", body, r.JSON200)
		}
		return *r.JSON200
	}

	// payload is replaced whole, not merged; the other fields stay.
	got := patch(`{"payload": {"b": 2}}`)
	assertJSONEqual(t, got.Payload, json.RawMessage(`{"b": 2}`))
	if *got.SourceWiki != "https://wiki.example.org" || got.Status != gen.DraftStatusPending {
		t.Errorf("absent fields changed: %+v", got)
	}

	// A present string replaces; absent ones stay.
	got = patch(`{"source_wiki": "https://other.example.org", "title": "T", "description": "D"}`)
	if *got.SourceWiki != "https://other.example.org" || *got.Title != "T" || *got.Description != "D" {
		t.Errorf("after replacing: %v %v %v", *got.SourceWiki, got.Title, got.Description)
	}
	assertJSONEqual(t, got.Payload, json.RawMessage(`{"b": 2}`))

	// null clears, through the typed client too.
	r, err := env.Client.UpdateDraftWithResponse(ctx, token, gen.DraftUpdate{Title: nullable.NewNullNullable[string]()})
	if err != nil || r.JSON200 == nil {
		t.Fatalf("clear title: %v %s", err, r.Body)
	}
	if r.JSON200.Title != nil || r.JSON200.Description == nil {
		t.Errorf("after clearing title: %v %v", r.JSON200.Title, r.JSON200.Description)
	}
	got = patch(`{"source_wiki": null}`)
	if got.SourceWiki != nil {
		t.Errorf("after clearing source_wiki: %v", got.SourceWiki)
	}
	// pending is a no-op on a pending draft, and the current base commit too.
	again := patch(`{"status": "pending", "base_commit_sha": null}`)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("no-op PATCH changed the draft:\n%s", diff)
	}
	read, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil || read.JSON200 == nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, *read.JSON200); diff != "" {
		t.Errorf("GET after PATCH differs:\n%s", diff)
	}
}

func TestPatchDraftConflicts(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	tests := []struct {
		name   string
		submit bool // the draft is submitted first
		body   string
	}{
		{"validated only by validation", false, `{"status": "validated"}`},
		{"submitted only by submitting", false, `{"status": "submitted"}`},
		{"base commit is the server's", false, `{"base_commit_sha": "abc"}`},
		{"submitted to pending", true, `{"status": "pending"}`},
		{"payload after submitted", true, `{"payload": {"late": true}}`},
		{"source_wiki after submitted", true, `{"source_wiki": null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{"v": 0}`), SourceWiki: strPtr("w")})
			if tt.submit {
				if _, err := env.Store.Pool().Exec(ctx, `UPDATE drafts SET status = 'submitted' WHERE capability_hash = $1`, sha256Hex(token)); err != nil {
					t.Fatal(err)
				}
			}
			before, err := env.Client.GetDraftWithResponse(ctx, token)
			if err != nil || before.JSON200 == nil {
				t.Fatal(err)
			}
			r, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			p := decodeProblem(t, r.HTTPResponse, r.Body, http.StatusConflict)
			if r.ApplicationproblemJSON409 == nil || strings.Contains(p.Detail, token) {
				t.Errorf("409 body %s", r.Body)
			}
			assertSecureHeaders(t, r.HTTPResponse.Header)
			after, err := env.Client.GetDraftWithResponse(ctx, token)
			if err != nil || after.JSON200 == nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*before.JSON200, *after.JSON200); diff != "" {
				t.Errorf("refused PATCH changed the draft:\n%s", diff)
			}
		})
	}

	t.Run("unknown status value", func(t *testing.T) {
		token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
		for _, body := range []string{`{"status": "expired"}`, `{"status": "approved"}`, `{}`, `{"other": 1}`, `{"payload": [1]}`} {
			r, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			decodeProblem(t, r.HTTPResponse, r.Body, http.StatusBadRequest)
		}
		r, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(`{"status": "expired"}`))
		if err != nil {
			t.Fatal(err)
		}
		if p := decodeProblem(t, r.HTTPResponse, r.Body, http.StatusBadRequest); !hasFieldError(p, gen.FieldErrorLocationBody, "status") {
			t.Errorf("400 does not name status: %s", r.Body)
		}
	})
}

func TestDeleteDraft(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	marker := newMarker(t)
	token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`), SourceWiki: &marker})

	r, err := env.Client.DeleteDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode() != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("delete: status %d, body %q", r.StatusCode(), r.Body)
	}
	assertNoStore(t, r.HTTPResponse.Header)
	assertSecureHeaders(t, r.HTTPResponse.Header)

	get, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	decodeProblem(t, get.HTTPResponse, get.Body, http.StatusNotFound)
	again, err := env.Client.DeleteDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	decodeProblem(t, again.HTTPResponse, again.Body, http.StatusNotFound)
	if n := countDrafts(t, env, marker); n != 1 {
		t.Errorf("%d rows after withdrawal, want the soft-deleted one", n)
	}
}

func TestCreateDraftRejectsInvalidBodies(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	tests := []struct {
		name, body, field string
	}{
		{"payload is an array", `{"payload": [1, 2], "source_wiki": "MARKER"}`, "payload"},
		{"payload is a string", `{"payload": "x", "source_wiki": "MARKER"}`, "payload"},
		{"payload is null", `{"payload": null, "source_wiki": "MARKER"}`, "payload"},
		{"source_wiki is a number", `{"payload": {}, "source_wiki": 5, "base_commit_sha": "MARKER"}`, "source_wiki"},
		{"base_commit_sha too long", `{"payload": {}, "source_wiki": "MARKER", "base_commit_sha": "` + strings.Repeat("a", 65) + `"}`, "base_commit_sha"},
		{"body is not an object", `[]`, ""},
		{"malformed JSON", `{"payload": {}`, ""},
	}
	marker := newMarker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.ReplaceAll(tt.body, "MARKER", marker)
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			p := decodeProblem(t, r.HTTPResponse, r.Body, http.StatusBadRequest)
			if tt.field != "" && !hasFieldError(p, gen.FieldErrorLocationBody, tt.field) {
				t.Errorf("errors do not name %q: %s", tt.field, r.Body)
			}
			if p.Errors == nil || len(*p.Errors) == 0 {
				t.Errorf("no errors list: %s", r.Body)
			}
			assertSecureHeaders(t, r.HTTPResponse.Header)
		})
	}
	if n := countDrafts(t, env, marker); n != 0 {
		t.Errorf("%d drafts stored from invalid bodies", n)
	}
}

func TestCapabilityURLBase(t *testing.T) {
	payload := gen.DraftCreate{Payload: json.RawMessage(`{}`)}
	t.Run("PUBLIC_BASE_URL", func(t *testing.T) {
		env := newTestEnv(t, testOptions{Server: Config{PublicBaseURL: "https://hub.example.org/"}})
		r, err := env.Client.CreateDraftWithResponse(context.Background(), payload)
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create: %v", err)
		}
		base, token, _ := strings.Cut(r.JSON201.CapabilityUrl, "#")
		if base != "https://hub.example.org/drafts" || !tokenPattern.MatchString(token) {
			t.Errorf("capability URL %q", r.JSON201.CapabilityUrl)
		}
	})
	t.Run("derived from the request", func(t *testing.T) {
		env := newTestEnv(t, testOptions{})
		r, err := env.Client.CreateDraftWithResponse(context.Background(), payload)
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create: %v", err)
		}
		base, token, _ := strings.Cut(r.JSON201.CapabilityUrl, "#")
		if base != env.URL+"/drafts" || !tokenPattern.MatchString(token) {
			t.Errorf("capability URL %q, want base %s/drafts", r.JSON201.CapabilityUrl, env.URL)
		}
		// Which Host values are used is TestCapabilityURLHostMustBeAllowed's subject.
	})
	httpsProxy := func(_ context.Context, req *http.Request) error {
		req.Header.Set("X-Forwarded-Proto", "https")
		return nil
	}
	t.Run("X-Forwarded-Proto from a trusted proxy", func(t *testing.T) {
		env := newTestEnv(t, testOptions{Server: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
		r, err := env.Client.CreateDraftWithResponse(context.Background(), payload, httpsProxy)
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create: %v", err)
		}
		if want := "https://" + strings.TrimPrefix(env.URL, "http://") + "/drafts#"; !strings.HasPrefix(r.JSON201.CapabilityUrl, want) {
			t.Errorf("capability URL %q, want prefix %q", r.JSON201.CapabilityUrl, want)
		}
	})
	t.Run("X-Forwarded-Proto from anyone else", func(t *testing.T) {
		env := newTestEnv(t, testOptions{Server: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}})
		r, err := env.Client.CreateDraftWithResponse(context.Background(), payload, httpsProxy)
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create: %v", err)
		}
		if !strings.HasPrefix(r.JSON201.CapabilityUrl, env.URL+"/drafts#") {
			t.Errorf("capability URL %q, want base %s", r.JSON201.CapabilityUrl, env.URL)
		}
	})
}

func TestEveryTokenIsNew(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	seen := map[string]bool{}
	for range 20 {
		token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
		if seen[token] {
			t.Fatalf("token %q handed out twice", token)
		}
		seen[token] = true
	}
}
