package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ratelimit"
)

// doRaw sends a request the typed client cannot express and returns the response and body.
func doRaw(t *testing.T, method, url string, body io.Reader, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// chunkedReader hides its length, so the client sends it chunked, without Content-Length.
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	env := newTestEnv(t, testOptions{
		Server: Config{MaxBodyBytes: 1024},
		RateLimit: ratelimit.Config{Enabled: true, Rates: map[string]ratelimit.Rate{
			// The 400, the 413 and the 201 spend it (limits apply before validation); the next is 429.
			ratelimit.ClassDraftCreate: {Count: 3, Period: time.Hour},
		}},
	})
	ctx := context.Background()
	json := http.Header{"Content-Type": {"application/json"}}

	health, err := env.Client.GetHealthWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	badRequest, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"payload": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	unknownDraft, err := env.Client.GetDraftWithResponse(ctx, strings.Repeat("A", 43))
	if err != nil {
		t.Fatal(err)
	}
	unknownAPIPath, unknownAPIPathBody := doRaw(t, http.MethodGet, env.URL+"/api/v1/nothing", nil, nil)
	unknownPath, unknownPathBody := doRaw(t, http.MethodGet, env.URL+"/nothing", nil, nil)
	wrongMethod, wrongMethodBody := doRaw(t, http.MethodPut, env.URL+"/api/v1/drafts", strings.NewReader(`{}`), json)
	tooLarge, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json",
		strings.NewReader(`{"payload": {"x": "`+strings.Repeat("x", 2048)+`"}}`))
	if err != nil {
		t.Fatal(err)
	}
	created, err := env.Client.CreateDraftWithResponse(ctx, gen.DraftCreate{Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	limited, err := env.Client.CreateDraftWithResponse(ctx, gen.DraftCreate{Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		resp   *http.Response
		body   []byte
		status int
	}{
		{"200", health.HTTPResponse, health.Body, http.StatusOK},
		{"201", created.HTTPResponse, created.Body, http.StatusCreated},
		{"400", badRequest.HTTPResponse, badRequest.Body, http.StatusBadRequest},
		{"404 unknown draft", unknownDraft.HTTPResponse, unknownDraft.Body, http.StatusNotFound},
		{"404 unknown API path", unknownAPIPath, unknownAPIPathBody, http.StatusNotFound},
		{"404 unknown path", unknownPath, unknownPathBody, http.StatusNotFound},
		{"405", wrongMethod, wrongMethodBody, http.StatusMethodNotAllowed},
		{"413", tooLarge.HTTPResponse, tooLarge.Body, http.StatusRequestEntityTooLarge},
		{"429", limited.HTTPResponse, limited.Body, http.StatusTooManyRequests},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", tc.resp.StatusCode, tc.status, tc.body)
			}
			if tc.status >= 400 {
				decodeProblem(t, tc.resp, tc.body, tc.status)
			}
			assertSecureHeaders(t, tc.resp.Header)
			if tc.resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("CORS header without CORS configured")
			}
		})
	}
}

func TestOversizedBodiesAreRefused(t *testing.T) {
	env := newTestEnv(t, testOptions{Server: Config{MaxBodyBytes: 1024}})
	ctx := context.Background()
	marker := newMarker(t)
	oversized := func() string {
		return `{"source_wiki": "` + marker + `", "payload": {"x": "` + strings.Repeat("x", 2048) + `"}}`
	}
	for _, tc := range []struct {
		name        string
		body        func() io.Reader
		contentType string
	}{
		{"with Content-Length", func() io.Reader { return strings.NewReader(oversized()) }, "application/json"},
		{"chunked", func() io.Reader { return chunkedReader{strings.NewReader(oversized())} }, "application/json"},
		// Size is judged before the contract: an oversized body that would also fail validation
		// is still 413, and the validator never reads past the limit.
		{"invalid JSON", func() io.Reader { return strings.NewReader("{" + strings.Repeat("x", 4096)) }, "application/json"},
		{"violates the schema", func() io.Reader {
			return strings.NewReader(`{"payload": "` + strings.Repeat("x", 4096) + `"}`)
		}, "application/json"},
		{"wrong media type", func() io.Reader { return strings.NewReader(strings.Repeat("x", 4096)) }, "text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, tc.contentType, tc.body())
			if err != nil {
				t.Fatal(err)
			}
			decodeProblem(t, r.HTTPResponse, r.Body, http.StatusRequestEntityTooLarge)
			assertSecureHeaders(t, r.HTTPResponse.Header)
		})
	}
	if n := countDrafts(t, env, marker); n != 0 {
		t.Errorf("%d drafts stored from oversized bodies", n)
	}

	// A body just within the limit is accepted, so the limit is the configured one.
	fits := `{"source_wiki": "` + marker + `", "payload": {"x": "` + strings.Repeat("x", 800) + `"}}`
	if len(fits) > 1024 {
		t.Fatalf("test body of %d bytes does not fit", len(fits))
	}
	r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(fits))
	if err != nil || r.StatusCode() != http.StatusCreated {
		t.Fatalf("body within the limit: %v %d %s", err, r.StatusCode(), r.Body)
	}

	// An oversized PATCH changes nothing.
	token := tokenOf(t, r.JSON201.CapabilityUrl)
	before, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := env.Client.UpdateDraftWithBodyWithResponse(ctx, token, "application/json",
		strings.NewReader(`{"payload": {"y": "`+strings.Repeat("y", 2048)+`"}}`))
	if err != nil {
		t.Fatal(err)
	}
	decodeProblem(t, patch.HTTPResponse, patch.Body, http.StatusRequestEntityTooLarge)
	after, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if string(before.Body) != string(after.Body) {
		t.Errorf("oversized PATCH changed the draft: %s → %s", before.Body, after.Body)
	}
}

func TestCORS(t *testing.T) {
	const allowed = "https://wiki.example.org"
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }
	preflight := func(o string) http.Header {
		return http.Header{
			"Origin":                         {o},
			"Access-Control-Request-Method":  {"PATCH"},
			"Access-Control-Request-Headers": {"Content-Type"},
		}
	}
	noCredentials := func(t *testing.T, h http.Header) {
		t.Helper()
		if v := h.Get("Access-Control-Allow-Credentials"); v != "" {
			t.Errorf("Access-Control-Allow-Credentials = %q", v)
		}
	}

	t.Run("off by default", func(t *testing.T) {
		env := newTestEnv(t, testOptions{})
		resp, _ := doRaw(t, http.MethodGet, env.URL+"/health", nil, origin(allowed))
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("Access-Control-Allow-Origin = %q without configuration", v)
		}
		noCredentials(t, resp.Header)
		resp, _ = doRaw(t, http.MethodOptions, env.URL+"/api/v1/drafts", nil, preflight(allowed))
		if resp.StatusCode == http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight answered without configuration: %d %v", resp.StatusCode, resp.Header)
		}
		assertSecureHeaders(t, resp.Header)
	})

	t.Run("configured origins", func(t *testing.T) {
		env := newTestEnv(t, testOptions{Server: Config{CORSAllowedOrigins: []string{allowed}}})
		resp, _ := doRaw(t, http.MethodGet, env.URL+"/health", nil, origin(allowed))
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != allowed {
			t.Errorf("allowed origin: Access-Control-Allow-Origin = %q", v)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("Vary = %q, want Origin", resp.Header.Get("Vary"))
		}
		noCredentials(t, resp.Header)

		resp, _ = doRaw(t, http.MethodGet, env.URL+"/health", nil, origin("https://evil.example.com"))
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("other origin: Access-Control-Allow-Origin = %q", v)
		}
		noCredentials(t, resp.Header)

		resp, body := doRaw(t, http.MethodOptions, env.URL+"/api/v1/drafts/"+strings.Repeat("A", 43), nil, preflight(allowed))
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("preflight: status %d, body %q", resp.StatusCode, body)
		}
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != allowed {
			t.Errorf("preflight: Access-Control-Allow-Origin = %q", v)
		}
		if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PATCH") {
			t.Errorf("preflight: Access-Control-Allow-Methods = %q", m)
		}
		if h := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(h, "Content-Type") {
			t.Errorf("preflight: Access-Control-Allow-Headers = %q", h)
		}
		noCredentials(t, resp.Header)
		assertSecureHeaders(t, resp.Header)

		resp, _ = doRaw(t, http.MethodOptions, env.URL+"/api/v1/drafts", nil, preflight("https://evil.example.com"))
		if resp.StatusCode == http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin answered: %d %v", resp.StatusCode, resp.Header)
		}

		// A real cross-origin call through the client: the response names the origin, the
		// draft's secrets stay uncached.
		r, err := env.Client.CreateDraftWithResponse(context.Background(), gen.DraftCreate{Payload: json.RawMessage(`{}`)},
			func(_ context.Context, req *http.Request) error { req.Header.Set("Origin", allowed); return nil })
		if err != nil || r.StatusCode() != http.StatusCreated {
			t.Fatalf("create: %v", err)
		}
		if v := r.HTTPResponse.Header.Get("Access-Control-Allow-Origin"); v != allowed {
			t.Errorf("create: Access-Control-Allow-Origin = %q", v)
		}
		if !strings.Contains(r.HTTPResponse.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Errorf("create: Access-Control-Expose-Headers = %q", r.HTTPResponse.Header.Get("Access-Control-Expose-Headers"))
		}
		noCredentials(t, r.HTTPResponse.Header)
	})

	t.Run("any origin", func(t *testing.T) {
		env := newTestEnv(t, testOptions{Server: Config{CORSAllowedOrigins: []string{"*"}}})
		resp, _ := doRaw(t, http.MethodGet, env.URL+"/health", nil, origin("https://anywhere.example"))
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", v)
		}
		noCredentials(t, resp.Header)
	})
}
