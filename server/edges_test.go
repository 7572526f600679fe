package server

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/problems"
)

func TestListsLinkTheNextPage(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseExample)
	ctx := context.Background()
	var ids []string
	params := &gen.ListEntitiesParams{Limit: ptr(gen.Limit(3)), Q: ptr("a")}
	next := ""
	for range 20 {
		r, err := b.Client.ListEntitiesWithResponse(ctx, gen.EntityTypeProperty, params)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("list: %v %s", err, r.Body)
		}
		for _, e := range r.JSON200.Items {
			ids = append(ids, e.EntityId)
		}
		link := r.HTTPResponse.Header.Get("Link")
		if r.JSON200.NextCursor == nil {
			if link != "" {
				t.Errorf("last page has Link %q", link)
			}
			break
		}
		// The Link is the same request with the next cursor: follow it as a client would.
		if !strings.HasPrefix(link, "</api/v1/entities/property?") || !strings.HasSuffix(link, `>; rel="next"`) {
			t.Fatalf("Link = %q", link)
		}
		target, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
		if err != nil {
			t.Fatal(err)
		}
		q := target.Query()
		if q.Get("cursor") != *r.JSON200.NextCursor || q.Get("limit") != "3" || q.Get("q") != "a" {
			t.Errorf("Link query = %v", q)
		}
		next = q.Get("cursor")
		params.Cursor = &next
	}
	if len(ids) < 4 {
		t.Errorf("walked %v: fewer than two pages", ids)
	}
}

func TestUnknownQueryParametersAreNamed(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	for _, path := range []string{"/api/v1/entities/category?limt=5", "/api/v1/modules?cursor=x&curser=y", "/api/v1/entities?q=x"} {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p := decodeProblem(t, resp, body, http.StatusBadRequest)
		name := map[string]string{"/api/v1/entities/category?limt=5": "limt", "/api/v1/modules?cursor=x&curser=y": "curser", "/api/v1/entities?q=x": "q"}[path]
		if !hasFieldError(p, gen.FieldErrorLocationQuery, name) {
			t.Errorf("%s: errors %s do not name %q", path, body, name)
		}
	}
}

func TestProblemTypesAreDocumented(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	resp, err := http.Get(env.URL + "/api/v1/entities/category/Nobody")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p := decodeProblem(t, resp, body, http.StatusNotFound)
	if p.Type != "/problems/not-found" {
		t.Errorf("type = %q", p.Type)
	}
	for _, k := range problems.Kinds {
		r, err := http.Get(env.URL + "/problems/" + k.Slug)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || !strings.Contains(string(doc), k.Doc) {
			t.Errorf("/problems/%s: %d %q", k.Slug, r.StatusCode, doc)
		}
		if problems.Type(k.Status) != "/problems/"+k.Slug {
			t.Errorf("status %d has type %s", k.Status, problems.Type(k.Status))
		}
	}
}

func TestCreatedDraftHasLocation(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	r, err := env.Client.CreateDraftWithResponse(context.Background(), gen.DraftCreate{})
	if err != nil || r.JSON201 == nil {
		t.Fatal(err)
	}
	token := tokenOf(t, r.JSON201.CapabilityUrl)
	loc := r.HTTPResponse.Header.Get("Location")
	if !strings.HasSuffix(loc, "/api/v1/drafts/"+token) {
		t.Fatalf("Location = %q", loc)
	}
	got, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	if got.StatusCode != http.StatusOK {
		t.Errorf("GET Location: %d", got.StatusCode)
	}
}

func TestHeavyRequestsWaitTheirTurnThen503(t *testing.T) {
	b := newBrowseEnvWith(t, Config{MaxHeavyRequests: 1})
	b.ingest(browseExample)
	ctx := context.Background()
	token := createDraft(t, b.testEnv, gen.DraftCreate{Changes: &[]gen.ChangeRequest{{
		ChangeType: gen.ChangeRequestChangeTypeDelete, EntityType: gen.EntityTypeProperty, EntityId: "Has_email"}}})
	saved := heavyWait
	heavyWait = 200 * time.Millisecond
	t.Cleanup(func() { heavyWait = saved })

	// Every turn taken (as by a long preview build elsewhere): validation and preview wait,
	// then answer 503 with Retry-After; nothing is built or validated.
	b.Server.heavy <- struct{}{}
	v, err := b.Client.ValidateDraftWithResponse(ctx, token)
	if err != nil || v.StatusCode() != http.StatusServiceUnavailable || v.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("validate while busy: %v %d %s", err, v.StatusCode(), v.Body)
	}
	p, err := b.Client.GetEntityWithResponse(ctx, gen.EntityTypeCategory, "Person", &gen.GetEntityParams{DraftToken: &token})
	if err != nil || p.StatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("preview while busy: %v %d", err, p.StatusCode())
	}
	// The turn comes back: both work.
	b.Server.heavy.release()
	if v, err := b.Client.ValidateDraftWithResponse(ctx, token); err != nil || v.JSON200 == nil {
		t.Fatalf("validate: %v %s", err, v.Body)
	}
	if p, err := b.Client.GetEntityWithResponse(ctx, gen.EntityTypeCategory, "Person", &gen.GetEntityParams{DraftToken: &token}); err != nil || p.JSON200 == nil {
		t.Fatalf("preview: %v %d", err, p.StatusCode())
	}
}
