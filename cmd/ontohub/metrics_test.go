package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServeArgs runs `ontohub serve args…` with vars until the test ends and waits until /health
// on LISTEN_ADDR answers 200.
func startServeArgs(t *testing.T, vars map[string]string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), env(vars), io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + vars["LISTEN_ADDR"] + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not become healthy")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": closedPort(t), "METRICS_ADDR": closedPort(t), "LOG_LEVEL": "warn"}
	startServeArgs(t, vars, "--ingest", "../../examples/ontology", "--commit", "feedc0de")
	if code, _ := get(t, "http://"+vars["LISTEN_ADDR"]+"/metrics"); code != http.StatusNotFound {
		t.Errorf("API port answers /metrics with %d although METRICS_ADDR is set, want 404", code)
	}
	code, body := get(t, "http://"+vars["METRICS_ADDR"]+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("METRICS_ADDR /metrics: %d", code)
	}
	for _, want := range []string{
		"ontohub_db_pool_max_connections 10",
		"ontohub_db_pool_acquires_total ",
		`ontohub_ontology_info{commit="feedc0de"} 1`,
		"ontohub_snapshot_loaded 1",
		`ontohub_ontology_entities{kind="category"} `,
		`ontohub_ontology_ingest_changes{change="added",kind="category"} `,
		`ontohub_ingest_runs_total{outcome="success",source="ingest"} `,
		`ontohub_ratelimit_store{store="memory"} 1`,
		"ontohub_ratelimit_fallback 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestServeMetricsOnTheAPIPort(t *testing.T) {
	// Redis is configured but nobody answers there: the limiter falls back to in-process budgets.
	vars := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": closedPort(t), "LOG_LEVEL": "error",
		"REDIS_URL": "redis://" + closedPort(t) + "/0"}
	startServeArgs(t, vars)
	code, body := get(t, "http://"+vars["LISTEN_ADDR"]+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("API port /metrics: %d", code)
	}
	for _, want := range []string{"ontohub_http_requests_total{", `ontohub_ratelimit_store{store="degraded"} 1`, "ontohub_ratelimit_fallback 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("API port /metrics lacks %q", want)
		}
	}
}

func TestServeStopsOnABadMetricsAddress(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": closedPort(t), "METRICS_ADDR": "not-an-address", "LOG_LEVEL": "warn"}
	err := run(context.Background(), []string{"serve"}, env(vars), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") || exitCode(err) != 1 {
		t.Fatalf("serve with METRICS_ADDR=not-an-address: %v, want an error naming METRICS_ADDR", err)
	}
}
