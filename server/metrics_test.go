package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/ratelimit"
)

// scrapeMetrics GETs /metrics and returns the body, checking that no rate limit touched it.
func scrapeMetrics(t *testing.T, env *testEnv) string {
	t.Helper()
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	if h := resp.Header.Get("RateLimit-Limit"); h != "" {
		t.Errorf("/metrics is rate limited (RateLimit-Limit: %s)", h)
	}
	return string(body)
}

// sample returns the value of the series written exactly as series ("name{a=\"x\"}"), 0 if absent.
func sample(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

func TestMetricsNameRoutesNeverPathsAndAreNotLimited(t *testing.T) {
	env := newTestEnv(t, testOptions{
		Server: Config{Metrics: metrics.Handler(metrics.Sources{})},
		RateLimit: ratelimit.Config{Enabled: true, OnDecision: metrics.RateLimitDecision, Rates: map[string]ratelimit.Rate{
			ratelimit.ClassDraftRead: {Count: 1, Period: time.Hour},
		}},
	})
	before := scrapeMetrics(t, env)
	token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
	ctx := context.Background()
	for range 2 { // the second is over the draft-read budget of one
		if _, err := env.Client.GetDraftWithResponse(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(env.URL + "/no/such/path-" + token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for range 3 {
		scrapeMetrics(t, env)
	}
	after := scrapeMetrics(t, env)

	if strings.Contains(after, token) || strings.Contains(after, "/no/such") {
		t.Fatal("a raw path or a capability token became a label value")
	}
	for _, tc := range []struct {
		series string
		delta  float64
	}{
		{`ontohub_drafts_created_total`, 1},
		{`ontohub_http_requests_total{code_class="2xx",method="POST",route="POST /api/v1/drafts"}`, 1},
		{`ontohub_http_requests_total{code_class="2xx",method="GET",route="GET /api/v1/drafts/{token}"}`, 1},
		{`ontohub_http_requests_total{code_class="4xx",method="GET",route="GET /api/v1/drafts/{token}"}`, 1},
		{`ontohub_http_requests_total{code_class="4xx",method="GET",route="unmatched"}`, 1},
		{`ontohub_http_requests_total{code_class="2xx",method="GET",route="GET /metrics"}`, 4},
		{`ontohub_ratelimit_decisions_total{class="draft_read",decision="allowed"}`, 1},
		{`ontohub_ratelimit_decisions_total{class="draft_read",decision="limited"}`, 1},
	} {
		if got := sample(t, after, tc.series) - sample(t, before, tc.series); got != tc.delta {
			t.Errorf("%s grew by %v, want %v", tc.series, got, tc.delta)
		}
	}
	// The scrape that is being answered is the one request in flight.
	if got := sample(t, after, "ontohub_http_requests_in_flight"); got != 1 {
		t.Errorf("in flight during a scrape = %v, want 1", got)
	}
}

func TestNoMetricsRouteWithoutAHandler(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics without Config.Metrics: %d, want 404", resp.StatusCode)
	}
}
