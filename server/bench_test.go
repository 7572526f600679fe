package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ontohub/ontohub/gen"
)

// The benchmarks measure the whole handler chain (logging, headers, rate-limit lookup, contract
// validation, handler, PostgreSQL) without the network: go test -run '^$' -bench . ./server/
// Rate limiting is off, as RATE_LIMIT_ENABLED=false would have it for a load test.

func benchmarkGet(b *testing.B, path string) {
	env := newBrowseEnv(b)
	env.ingest(browseExample)
	h, err := env.Server.Handler()
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

func BenchmarkHealth(b *testing.B)      { benchmarkGet(b, "/health") }
func BenchmarkGetEntity(b *testing.B)   { benchmarkGet(b, "/api/v1/entities/category/Person") }
func BenchmarkListPage(b *testing.B)    { benchmarkGet(b, "/api/v1/entities/property?limit=20") }
func BenchmarkSearch(b *testing.B)      { benchmarkGet(b, "/api/v1/entities/property?q=name") }
func BenchmarkGraph(b *testing.B)       { benchmarkGet(b, "/api/v1/categories/Teaching_assistant/graph") }
func BenchmarkModuleItems(b *testing.B) { benchmarkGet(b, "/api/v1/entities/property?module=Lab") }

// BenchmarkCreateDraft measures a write: token generation, hashing and the INSERT.
func BenchmarkCreateDraft(b *testing.B) {
	env := newTestEnv(b, testOptions{})
	ctx := context.Background()
	body := gen.CreateDraftJSONRequestBody{Payload: []byte(`{"bench": true}`)}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := env.Client.CreateDraftWithResponse(ctx, body)
		if err != nil || resp.JSON201 == nil {
			b.Fatalf("create draft: %v %s", err, resp.Body)
		}
	}
}
