package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/ontohub/ontohub"
	"github.com/ontohub/ontohub/ratelimit"
)

// docsGet fetches url and returns the response with its whole body.
func docsGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, body
}

// checkDocsResponse checks what every documentation response shares: 200, the content type, the
// security headers, and no rate-limit headers (the documentation is never limited).
func checkDocsResponse(t *testing.T, path string, resp *http.Response, body []byte, contentType string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200; body %.300s", path, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, contentType) {
		t.Errorf("GET %s: Content-Type %q, want %s", path, got, contentType)
	}
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "origin",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("GET %s: %s = %q, want %q", path, name, got, want)
		}
	}
	if resp.Header.Get("X-Request-ID") == "" {
		t.Errorf("GET %s: no X-Request-ID", path)
	}
	if got := resp.Header.Get("RateLimit-Limit"); got != "" {
		t.Errorf("GET %s: RateLimit-Limit = %q; the documentation is not rate limited", path, got)
	}
	if len(body) == 0 {
		t.Errorf("GET %s: empty body", path)
	}
}

func TestDocsServeTheCommittedYAML(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	committed, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := docsGet(t, env.URL+"/openapi.yaml")
	checkDocsResponse(t, "/openapi.yaml", resp, body, "application/yaml")
	if !bytes.Equal(body, committed) {
		t.Errorf("GET /openapi.yaml differs from the committed openapi.yaml (%d bytes served, %d committed)", len(body), len(committed))
	}
	if !bytes.Equal(ontohub.Spec, committed) {
		t.Errorf("ontohub.Spec differs from the committed openapi.yaml")
	}
}

func TestDocsServeTheSameDocumentAsJSON(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	resp, body := docsGet(t, env.URL+"/openapi.json")
	checkDocsResponse(t, "/openapi.json", resp, body, "application/json")

	var served any
	if err := json.Unmarshal(body, &served); err != nil {
		t.Fatalf("GET /openapi.json is not JSON: %v", err)
	}

	// Parse the committed YAML with a different YAML library than the server's converter, and
	// compare the two as plain data.
	committed, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(committed, &fromYAML); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	asJSON, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatalf("openapi.yaml as JSON: %v", err)
	}
	var want any
	if err := json.Unmarshal(asJSON, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, served); diff != "" {
		t.Errorf("GET /openapi.json differs from openapi.yaml (-yaml +json):\n%s", diff)
	}

	// And it is a valid OpenAPI document in its own right.
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(body)
	if err != nil {
		t.Fatalf("load /openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("/openapi.json is not a valid OpenAPI document: %v", err)
	}
	if doc.Paths.Find("/health") == nil || doc.Paths.Find("/api/v1/drafts") == nil {
		t.Errorf("/openapi.json lacks the API's paths")
	}
}

var (
	// assetRef matches the src and href attributes of an HTML page.
	assetRef = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']+)["']`)
	// externalURL matches an absolute or protocol-relative URL naming a host (the page's own
	// script only tests for the "https://" prefix, which is no reference).
	externalURL = regexp.MustCompile(`(?i)(?:https?|wss?|ftp):(?://)?[a-z0-9\[]|(?:^|[\s"'(=])//[a-z0-9-]+\.[a-z0-9.-]+`)
	// cssURL matches the url(...) references of a style sheet.
	cssURL = regexp.MustCompile(`url\(\s*["']?([^"')]*)`)
)

func TestDocsServeSwaggerUIFromTheBinary(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	for _, path := range []string{"/docs", "/docs/"} {
		t.Run(path, func(t *testing.T) {
			resp, body := docsGet(t, env.URL+path)
			checkDocsResponse(t, path, resp, body, "text/html")
			page := string(body)
			for _, want := range []string{`id="swagger-ui"`, "SwaggerUIBundle", `"/openapi.yaml"`} {
				if !strings.Contains(page, want) {
					t.Errorf("GET %s: page lacks %s", path, want)
				}
			}
			// Nothing on the page may come from elsewhere: these machines and many deployments
			// have no internet. No URL with a host anywhere in the page, not even a link.
			if m := externalURL.FindString(page); m != "" {
				t.Errorf("GET %s: external reference %q", path, m)
			}

			refs := assetRef.FindAllStringSubmatch(page, -1)
			var scripts, styles int
			for _, m := range refs {
				ref := m[1]
				if !strings.HasPrefix(ref, "/docs/") {
					t.Errorf("GET %s: asset %q is not under /docs/", path, ref)
					continue
				}
				aresp, abody := docsGet(t, env.URL+ref)
				switch {
				case strings.HasSuffix(ref, ".js"):
					scripts++
					checkDocsResponse(t, ref, aresp, abody, "")
					if ct := aresp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
						t.Errorf("GET %s: Content-Type %q is not JavaScript (nosniff would block it)", ref, ct)
					}
				case strings.HasSuffix(ref, ".css"):
					styles++
					checkDocsResponse(t, ref, aresp, abody, "text/css")
					if bytes.Contains(abody, []byte("@import")) {
						t.Errorf("GET %s: the style sheet imports another", ref)
					}
					for _, u := range cssURL.FindAllStringSubmatch(string(abody), -1) {
						if !strings.HasPrefix(u[1], "data:") {
							t.Errorf("GET %s: the style sheet loads %.80q", ref, u[1])
						}
					}
				default:
					checkDocsResponse(t, ref, aresp, abody, "")
				}
			}
			if scripts < 2 || styles < 1 {
				t.Errorf("GET %s: %d scripts and %d styles referenced, want the Swagger UI bundle, its preset and its CSS", path, scripts, styles)
			}
		})
	}
}

// The documentation routes and the draft page are not operations of the contract, so the request
// validator (which answers 404 problem+json for unknown paths and 400 for unknown input) must not
// see them, and the rate limiter must not count them.
func TestDocsBypassValidatorAndRateLimits(t *testing.T) {
	tiny := ratelimit.Rate{Count: 1, Period: time.Hour}
	env := newTestEnv(t, testOptions{RateLimit: ratelimit.Config{
		Enabled: true,
		Rates: map[string]ratelimit.Rate{
			ratelimit.ClassDraftCreate: tiny, ratelimit.ClassDraftRead: tiny,
			ratelimit.ClassList: tiny, ratelimit.ClassRead: tiny,
		},
	}})
	paths := []string{"/openapi.yaml", "/openapi.json", "/docs", "/docs/", "/docs/swagger-ui-bundle.js",
		"/drafts", "/drafts/app.js", "/drafts/app.css"}
	for range 3 {
		for _, path := range paths {
			resp, body := docsGet(t, env.URL+path+"?limit=abc&unknown=1")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s with odd query: status %d, want 200; body %.300s", path, resp.StatusCode, body)
			}
			if resp.Header.Get("RateLimit-Limit") != "" || resp.Header.Get("Retry-After") != "" {
				t.Fatalf("GET %s: rate-limit headers on a documentation route", path)
			}
		}
	}
	// The limiter is really on: the second API request of a class is refused.
	var last int
	for range 2 {
		resp, _ := docsGet(t, env.URL+"/api/v1/entities")
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("second /api/v1/entities request: status %d, want 429 (limiter not on?)", last)
	}
}
