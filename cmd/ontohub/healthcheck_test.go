package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthcheckAgainstARealServer(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": closedPort(t), "LOG_LEVEL": "warn"}
	startServeArgs(t, vars, "--ingest", "../../examples/ontology")
	var out bytes.Buffer
	// The default URL comes from LISTEN_ADDR alone; the broken LOG_FORMAT does not matter.
	err := run(context.Background(), []string{"healthcheck"}, env(map[string]string{"LISTEN_ADDR": vars["LISTEN_ADDR"], "LOG_FORMAT": "xml"}), &out, io.Discard)
	if err != nil || out.String() != "healthy\n" {
		t.Fatalf("healthcheck of a healthy server: %q %v", out.String(), err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"healthcheck", "--url", "http://" + vars["LISTEN_ADDR"] + "/health"}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("healthcheck --url: %v", err)
	}
}

func TestHealthcheckFailsForAnythingButHealthy(t *testing.T) {
	answer := func(status int, body string) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		t.Cleanup(ts.Close)
		return ts.URL + "/health"
	}
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })

	for name, target := range map[string]string{
		"draining":    answer(http.StatusServiceUnavailable, `{"status":"draining"}`),
		"unhealthy":   answer(http.StatusServiceUnavailable, `{"status":"unhealthy"}`),
		"degraded":    answer(http.StatusOK, `{"status":"degraded"}`),
		"not json":    answer(http.StatusOK, `ok`),
		"not found":   answer(http.StatusNotFound, `{"status":404}`),
		"nobody":      "http://" + closedPort(t) + "/health",
		"no answer":   hanging.URL + "/health",
		"healthy 500": answer(http.StatusInternalServerError, `{"status":"healthy"}`),
	} {
		err := run(context.Background(), []string{"healthcheck", "--url", target}, env(nil), io.Discard, io.Discard)
		if !errors.Is(err, errUnhealthy) || exitCode(err) != 1 {
			t.Errorf("%s: %v (exit %d), want not healthy, exit 1", name, err, exitCode(err))
		}
	}
}

func TestLocalHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:8080/health",
		":8080":          "http://127.0.0.1:8080/health",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/health",
		"[::]:8080":      "http://127.0.0.1:8080/health",
		"10.1.2.3:80":    "http://10.1.2.3:80/health",
		"[::1]:8080":     "http://[::1]:8080/health",
		"localhost:8081": "http://localhost:8081/health",
	} {
		if got, err := localHealthURL(addr); err != nil || got != want {
			t.Errorf("localHealthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := localHealthURL("8080"); err == nil {
		t.Error("localHealthURL(\"8080\") succeeded; a port needs its colon")
	}
}
