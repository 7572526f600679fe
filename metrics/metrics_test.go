package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves one scrape of h and parses it, as Prometheus would.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q, want the Prometheus text format", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return families
}

// value returns the value of the series of family name with exactly labels, and whether it exists.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := families[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestHandlerServesEventsAndSources(t *testing.T) {
	ingested := time.Now().Add(-time.Hour)
	h := Handler(Sources{
		Snapshot: func() Snapshot {
			return Snapshot{Loaded: true, Generation: 7, Commit: "0123abcd", IngestedAt: ingested, LoadedAt: time.Now(),
				Entities: map[string]int{"category": 3, "property": 5},
				Changes:  map[string]Changes{"property": {Added: 2, Updated: 1, Unchanged: 2}}}
		},
		RateLimitStore: func() string { return "degraded" },
	})
	// A second handler registers the same instruments in a registry of its own.
	_ = Handler(Sources{})

	RequestStarted(http.MethodGet)("GET /api/v1/test/{id}", http.StatusNoContent)
	RequestStarted("BREW")("unmatched", http.StatusMethodNotAllowed)
	RateLimitDecision("read", true, nil)
	RateLimitDecision("read", false, nil)
	RateLimitDecision("list", true, errors.New("redis: gone"))
	ObserveIngest(SourceSync, time.Now().Add(-time.Second), errors.New("bad checkout"))
	DraftsCreated.Inc()

	got := scrape(t, h)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ontohub_http_requests_total", map[string]string{"route": "GET /api/v1/test/{id}", "method": "GET", "code_class": "2xx"}, 1},
		{"ontohub_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/test/{id}", "method": "GET"}, 1},
		{"ontohub_http_requests_total", map[string]string{"route": "unmatched", "method": "OTHER", "code_class": "4xx"}, 1},
		{"ontohub_http_requests_in_flight", nil, 0},
		{"ontohub_ratelimit_decisions_total", map[string]string{"class": "read", "decision": "allowed"}, 1},
		{"ontohub_ratelimit_decisions_total", map[string]string{"class": "read", "decision": "limited"}, 1},
		{"ontohub_ratelimit_decisions_total", map[string]string{"class": "list", "decision": "error"}, 1},
		{"ontohub_ingest_runs_total", map[string]string{"source": "sync", "outcome": "failure"}, 1},
		{"ontohub_ingest_runs_total", map[string]string{"source": "sync", "outcome": "success"}, 0},
		{"ontohub_ingest_duration_seconds", map[string]string{"source": "sync"}, 1},
		{"ontohub_drafts_created_total", nil, 1},
		{"ontohub_draft_validations_total", map[string]string{"outcome": "invalid"}, 0},
		{"ontohub_draft_submits_total", map[string]string{"outcome": "success"}, 0},
		{"ontohub_snapshot_loaded", nil, 1},
		{"ontohub_snapshot_stale", nil, 0},
		{"ontohub_snapshot_generation", nil, 7},
		{"ontohub_ontology_info", map[string]string{"commit": "0123abcd"}, 1},
		{"ontohub_ontology_entities", map[string]string{"kind": "property"}, 5},
		{"ontohub_ontology_ingest_changes", map[string]string{"kind": "property", "change": "added"}, 2},
		{"ontohub_ontology_ingest_changes", map[string]string{"kind": "property", "change": "deleted"}, 0},
		{"ontohub_ratelimit_store", map[string]string{"store": "degraded"}, 1},
		{"ontohub_ratelimit_store", map[string]string{"store": "redis"}, 0},
		{"ontohub_ratelimit_fallback", nil, 1},
	} {
		v, ok := value(got, tc.name, tc.labels)
		if !ok {
			t.Errorf("%s%v missing from the scrape", tc.name, tc.labels)
			continue
		}
		if v != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, v, tc.want)
		}
	}
	if age, _ := value(got, "ontohub_snapshot_age_seconds", nil); age < 3590 || age > 3700 {
		t.Errorf("snapshot age = %vs, want about an hour", age)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing: the Go runtime and process collectors are not registered", name)
		}
	}
	if _, ok := got["ontohub_db_pool_acquired_connections"]; ok {
		t.Error("pool series served without a pool source")
	}
}

func TestSnapshotNotLoaded(t *testing.T) {
	got := scrape(t, Handler(Sources{Snapshot: func() Snapshot { return Snapshot{} }}))
	if v, ok := value(got, "ontohub_snapshot_loaded", nil); !ok || v != 0 {
		t.Errorf("ontohub_snapshot_loaded = %v (present %v), want 0", v, ok)
	}
	for _, name := range []string{"ontohub_snapshot_generation", "ontohub_ontology_info", "ontohub_snapshot_age_seconds"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s served before any snapshot is loaded", name)
		}
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{
		200: "2xx", 204: "2xx", 304: "3xx", 400: "4xx", 429: "4xx", 499: "4xx", 500: "5xx", 503: "5xx",
		0: "other", 99: "other", 600: "other", 999: "other",
	} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", status, got, want)
		}
	}
}
