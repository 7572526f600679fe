package server

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The paths of the draft page and its assets, with the media type each must be served as (with
// nosniff, a script served as anything else would not run).
var pageAssets = []struct{ path, contentType string }{
	{"/drafts", "text/html; charset=utf-8"},
	{"/drafts/app.js", "text/javascript; charset=utf-8"},
	{"/drafts/app.css", "text/css; charset=utf-8"},
}

func TestDraftPageIsServedUnderItsPolicy(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	for _, asset := range pageAssets {
		t.Run(asset.path, func(t *testing.T) {
			resp, body := docsGet(t, env.URL+asset.path)
			checkDocsResponse(t, asset.path, resp, body, asset.contentType)
			if got := resp.Header.Get("Content-Type"); got != asset.contentType {
				t.Errorf("Content-Type %q, want %q", got, asset.contentType)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != pageCSP {
				t.Errorf("Content-Security-Policy %q, want %q", got, pageCSP)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", got)
			}
			// No URL naming a host anywhere: the page loads nothing from elsewhere, not even a font.
			if m := externalURL.FindString(string(body)); m != "" {
				t.Errorf("external reference %q", m)
			}
		})
	}
}

// The policy is the whole defence against a script smuggled in through an entity's JSON, so its
// directives are checked one by one, not just compared with the constant.
func TestDraftPagePolicyIsStrict(t *testing.T) {
	directives := map[string]string{}
	for _, d := range strings.Split(pageCSP, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src":               "'none'",
		"script-src":                "'self'",
		"style-src":                 "'self'",
		"connect-src":               "'self'",
		"img-src":                   "'self' data:",
		"base-uri":                  "'none'",
		"form-action":               "'none'",
		"frame-ancestors":           "'none'",
		"require-trusted-types-for": "'script'",
	} {
		if got, ok := directives[name]; !ok || got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, loose := range []string{"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} {
		if strings.Contains(pageCSP, loose) {
			t.Errorf("the policy allows %s", loose)
		}
	}
}

var (
	// inlineScript matches a <script> element without src, an inline event handler or a
	// javascript: URL: all refused by the policy, so their presence would be a broken page.
	inlineScript = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+\s*=|(?:href|src)\s*=\s*["']?\s*javascript:`)
	// inlineStyle matches a <style> element or a style attribute.
	inlineStyle = regexp.MustCompile(`(?i)<style[\s>]|\sstyle\s*=`)
	// htmlSink matches the DOM calls that parse a string as markup.
	htmlSink = regexp.MustCompile(`\b(?:innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment|document\.write|eval|Function)\s*[=(]`)
)

// The HTML references exactly its own script and style sheet, relatively (so the page works
// below a path prefix); the script renders with the DOM, never with markup strings; the script
// never puts the token anywhere but the path of an API request.
func TestDraftPageReferencesOnlyItsOwnFiles(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	_, html := docsGet(t, env.URL+"/drafts")
	var refs []string
	for _, m := range assetRef.FindAllStringSubmatch(string(html), -1) {
		refs = append(refs, m[1])
	}
	if want := []string{"data:,", "drafts/app.css", "drafts/app.js"}; strings.Join(refs, " ") != strings.Join(want, " ") {
		t.Errorf("the page references %q, want %q", refs, want)
	}
	if m := inlineScript.FindString(string(html)); m != "" {
		t.Errorf("inline script %q (the policy refuses it)", m)
	}
	if m := inlineStyle.FindString(string(html)); m != "" {
		t.Errorf("inline style %q (the policy refuses it)", m)
	}
	for _, want := range []string{`name="viewport"`, `aria-live="polite"`, `<button type="button" id="validate">`, `lang="en"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the page lacks %s", want)
		}
	}

	_, js := docsGet(t, env.URL+"/drafts/app.js")
	if m := htmlSink.FindString(string(js)); m != "" {
		t.Errorf("app.js parses strings as markup: %q", m)
	}
	for _, want := range []string{`apiBase + encodeURIComponent(token) + suffix`, `location.hash`, `referrerPolicy: "no-referrer"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
	if strings.Contains(string(js), "?token") || strings.Contains(string(js), "console.") {
		t.Errorf("app.js puts the token in a query or logs")
	}

	_, css := docsGet(t, env.URL+"/drafts/app.css")
	if strings.Contains(string(css), "@import") || strings.Contains(string(css), "url(") || strings.Contains(string(css), "@font-face") {
		t.Errorf("the style sheet loads something")
	}
}

func TestDraftPageAnswersHEADAndRevalidation(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	for _, asset := range pageAssets {
		get, body := docsGet(t, env.URL+asset.path)
		req, _ := http.NewRequest(http.MethodHead, env.URL+asset.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		headBody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(headBody) != 0 {
			t.Errorf("HEAD %s: status %d with %d body bytes, want 200 and none", asset.path, resp.StatusCode, len(headBody))
		}
		if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("HEAD %s: Content-Length %q, GET sends %d bytes", asset.path, got, len(body))
		}
		if resp.Header.Get("Content-Security-Policy") != pageCSP || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("HEAD %s: headers differ from GET's", asset.path)
		}

		etag := get.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", asset.path)
		}
		req, _ = http.NewRequest(http.MethodGet, env.URL+asset.path, nil)
		req.Header.Set("If-None-Match", etag)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: status %d, want 304", asset.path, resp.StatusCode)
		}
	}

	// Another method on the page is 405 naming the methods it takes, as on every other route.
	resp, err := http.Post(env.URL+"/drafts", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /drafts: status %d, Allow %q; want 405 and GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
