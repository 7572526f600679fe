package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ontohub/ontohub/gen"
)

// decodeProblem checks that resp is an RFC 9457 document with the given status and returns it.
func decodeProblem(t testing.TB, resp *http.Response, body []byte, status int) gen.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != problemContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, problemContentType)
	}
	var p gen.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Status != status || p.Type == "" || p.Title != http.StatusText(status) || p.Detail == "" {
		t.Fatalf("incomplete problem %+v", p)
	}
	return p
}

// hasFieldError reports whether p names field at location.
func hasFieldError(p gen.Problem, location gen.FieldErrorLocation, field string) bool {
	if p.Errors == nil {
		return false
	}
	for _, e := range *p.Errors {
		if e.Location == location && e.Field == field && e.Message != "" {
			return true
		}
	}
	return false
}

func TestContractViolationsAreBadRequests(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	limit0, limit101 := gen.Limit(0), gen.Limit(101)

	cases := []struct {
		name     string
		call     func() (*http.Response, []byte, error)
		location gen.FieldErrorLocation
		field    string
	}{
		{"malformed JSON", func() (*http.Response, []byte, error) {
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"payload": {`))
			return unpack(r, err)
		}, gen.FieldErrorLocationBody, ""},
		{"missing required field", func() (*http.Response, []byte, error) {
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"changes": [{"entity_type": "category", "entity_id": "X"}]}`))
			return unpack(r, err)
		}, gen.FieldErrorLocationBody, "changes/0/change_type"},
		{"unknown field", func() (*http.Response, []byte, error) {
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"titel": "typo"}`))
			return unpack(r, err)
		}, gen.FieldErrorLocationBody, ""},
		{"wrong type in body", func() (*http.Response, []byte, error) {
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"payload": "not an object"}`))
			return unpack(r, err)
		}, gen.FieldErrorLocationBody, "payload"},
		{"wrong media type", func() (*http.Response, []byte, error) {
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/x-www-form-urlencoded", strings.NewReader(`payload=x`))
			return unpack(r, err)
		}, gen.FieldErrorLocationHeader, "Content-Type"},
		{"unknown enum value in body", func() (*http.Response, []byte, error) {
			token := createDraft(t, env, gen.DraftCreate{Payload: []byte(`{}`)})
			r, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(`{"status": "approved"}`))
			return unpack(r, err)
		}, gen.FieldErrorLocationBody, "status"},
		{"unknown enum value in path", func() (*http.Response, []byte, error) {
			r, err := env.Client.ListEntitiesWithResponse(ctx, gen.EntityType("widget"), nil)
			return unpack(r, err)
		}, gen.FieldErrorLocationPath, "entity_type"},
		{"number below range", func() (*http.Response, []byte, error) {
			r, err := env.Client.ListModulesWithResponse(ctx, &gen.ListModulesParams{Limit: &limit0})
			return unpack(r, err)
		}, gen.FieldErrorLocationQuery, "limit"},
		{"number above range", func() (*http.Response, []byte, error) {
			r, err := env.Client.ListProfilesWithResponse(ctx, &gen.ListProfilesParams{Limit: &limit101})
			return unpack(r, err)
		}, gen.FieldErrorLocationQuery, "limit"},
		{"wrong type in query", func() (*http.Response, []byte, error) {
			return rawGet(env.URL + "/api/v1/modules?limit=ten")
		}, gen.FieldErrorLocationQuery, "limit"},
		{"repeated query parameter", func() (*http.Response, []byte, error) {
			return rawGet(env.URL + "/api/v1/entities/category?limit=1&limit=2")
		}, gen.FieldErrorLocationQuery, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, body, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			p := decodeProblem(t, r, body, http.StatusBadRequest)
			if !hasFieldError(p, tc.location, tc.field) {
				t.Fatalf("errors %s do not name %s %q", body, tc.location, tc.field)
			}
		})
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	for _, path := range []string{"/api/v1/nothing", "/api/v2/entities", "/nothing", "/api"} {
		r, body, err := rawGet(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		decodeProblem(t, r, body, http.StatusNotFound)
	}

	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPut, "/api/v1/drafts", "POST"},
		{http.MethodPost, "/api/v1/entities", "GET, HEAD"},
		{http.MethodPut, "/api/v1/drafts/sometoken", "GET, HEAD, PATCH, DELETE"},
		{http.MethodPost, "/health", "GET, HEAD"},
		{http.MethodPost, "/docs", "GET, HEAD"},
		{http.MethodDelete, "/openapi.yaml", "GET, HEAD"},
	} {
		req, _ := http.NewRequest(tc.method, env.URL+tc.path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		decodeProblem(t, r, body, http.StatusMethodNotAllowed)
		if got := r.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

// unpack returns the raw response and body of a generated response.
func unpack[T any](r *T, err error) (*http.Response, []byte, error) {
	if err != nil {
		return nil, nil, err
	}
	v := reflect.ValueOf(r).Elem()
	return v.FieldByName("HTTPResponse").Interface().(*http.Response), v.FieldByName("Body").Bytes(), nil
}

// rawGet is for requests the typed client cannot express (unknown paths, ill-typed parameters).
func rawGet(url string) (*http.Response, []byte, error) {
	r, err := http.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	return r, body, err
}

func TestEveryOffendingParameterIsNamed(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	r, body, err := rawGet(env.URL + "/api/v1/entities/widget?limit=500&cursor=")
	if err != nil {
		t.Fatal(err)
	}
	p := decodeProblem(t, r, body, http.StatusBadRequest)
	for _, want := range []struct {
		loc   gen.FieldErrorLocation
		field string
	}{{gen.FieldErrorLocationPath, "entity_type"}, {gen.FieldErrorLocationQuery, "limit"}} {
		if !hasFieldError(p, want.loc, want.field) {
			t.Errorf("errors %s do not name %s %q", body, want.loc, want.field)
		}
	}
}

// Text PostgreSQL cannot store is bad input (400), never an internal error.
func TestUnstorableTextIsBadRequest(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	for _, body := range []string{
		`{"payload": {"a": "\u0000"}}`,
		`{"payload": {}, "source_wiki": "a\u0000b"}`,
	} {
		r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		decodeProblem(t, r.HTTPResponse, r.Body, http.StatusBadRequest)
	}
	for _, path := range []string{
		"/api/v1/entities/category/%00",
		"/api/v1/entities/category/%ff",
		"/api/v1/modules/%00",
		"/api/v1/profiles/%ff",
		"/api/v1/entities/property/%ff/used-by",
		"/api/v1/entities/property?module=%00",
	} {
		r, body, err := rawGet(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		decodeProblem(t, r, body, http.StatusBadRequest)
	}
}

func TestHeadIsGetWithoutBody(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	for _, path := range []string{"/api/v1/entities", "/health", "/openapi.yaml"} {
		r, err := http.Head(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes, want 200 and none", path, r.StatusCode, len(body))
		}
	}
}
