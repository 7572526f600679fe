package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ontohub/ontohub/problems"
)

// mountProblems documents the problem types: every problem's "type" is /problems/<kind>, and
// that URI answers with what the kind means (plain text), so a client that meets a type can
// look it up where it met it. Like /docs, these routes are about the contract, not in it.
func mountProblems(mux *http.ServeMux) {
	var index strings.Builder
	index.WriteString("Problem types of the Ontology Hub API (RFC 9457 \"type\" of each error response)\n\n")
	for _, k := range problems.Kinds {
		doc := fmt.Sprintf("/problems/%s (HTTP %d %s)\n\n%s\n", k.Slug, k.Status, http.StatusText(k.Status), k.Doc)
		mux.HandleFunc("GET /problems/"+k.Slug, serveBytes("text/plain; charset=utf-8", []byte(doc)))
		index.WriteString(doc + "\n")
	}
	mux.HandleFunc("GET /problems", serveBytes("text/plain; charset=utf-8", []byte(index.String())))
}
