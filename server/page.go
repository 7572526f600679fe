package server

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the draft page's files
	"encoding/base64"
	"net/http"
	"time"
)

// The draft page: what a capability URL (<base>/drafts#<token>) opens. It is three static files
// carried in the binary; the token lives only in the URL fragment, which browsers never send, and
// the page's script reads it and calls the JSON API (/api/v1/drafts/{token}…) with it in the path.
// So the server never sees the token in this page's requests, and the page needs no templating.
var (
	//go:embed page/index.html
	pageHTML []byte
	//go:embed page/app.js
	pageJS []byte
	//go:embed page/app.css
	pageCSS []byte
)

// pageCSP allows the page its own script, style sheet and API and nothing else: no inline script
// or style, no other origin, no framing, no forms, no <base>. require-trusted-types-for makes the
// browser refuse any string assigned to an HTML sink (innerHTML and kin), so a slip that would
// render an entity's JSON as markup fails loudly instead of becoming an XSS.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'"

// mountPage serves the draft page and its assets. Like the documentation, these routes are not
// operations of the contract: no request validation, no rate limit (they cost a copy of a few
// kilobytes). GET routes answer HEAD too.
func mountPage(mux *http.ServeMux) {
	mux.Handle("GET /drafts", pageFile("index.html", "text/html; charset=utf-8", pageHTML))
	mux.Handle("GET /drafts/app.js", pageFile("app.js", "text/javascript; charset=utf-8", pageJS))
	mux.Handle("GET /drafts/app.css", pageFile("app.css", "text/css; charset=utf-8", pageCSS))
}

// pageFile answers with one embedded file under the page's Content-Security-Policy. Its ETag is
// a hash of the content, so a browser revalidates cheaply (no-cache) and never keeps a stale
// script after an upgrade; http.ServeContent answers HEAD, If-None-Match and ranges.
func pageFile(name, contentType string, body []byte) http.Handler {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	})
}
