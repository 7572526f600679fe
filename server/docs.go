package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/oasdiff/yaml"
	"github.com/swaggest/swgui/v5emb"

	"github.com/ontohub/ontohub"
)

// mountDocs serves the contract and Swagger UI. These routes sit outside the request validator:
// they are about the contract, not part of it. Every Swagger UI asset is embedded in the binary.
func (s *Server) mountDocs(mux *http.ServeMux) error {
	specJSON, err := yaml.YAMLToJSON(ontohub.Spec)
	if err != nil {
		return fmt.Errorf("server: convert openapi.yaml to JSON: %w", err)
	}
	mux.HandleFunc("GET /openapi.yaml", serveBytes("application/yaml", ontohub.Spec))
	mux.HandleFunc("GET /openapi.json", serveBytes("application/json", specJSON))
	ui := v5emb.New("Ontology Hub API", "/openapi.yaml", "/docs/")
	mux.Handle("GET /docs/", ui)
	mux.Handle("GET /docs", ui)
	return nil
}

// serveBytes answers with a fixed document.
func serveBytes(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}
}
