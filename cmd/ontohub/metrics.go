package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// metricsHandler serves the process's metrics and the state of the server's parts.
func metricsHandler(st *store.Store, snapshots *snapshot.Holder, limiter *ratelimit.Limiter) http.Handler {
	return metrics.Handler(metrics.Sources{
		Pool:     func() *pgxpool.Stat { return st.Pool().Stat() },
		Snapshot: func() metrics.Snapshot { return snapshotMetrics(snapshots) },
		// Like /health, this may ping Redis: at most 500 ms, and while it is down at most once
		// per probe interval.
		RateLimitStore: limiter.StoreStatus,
	})
}

// snapshotMetrics is what the metrics say about the served snapshot.
func snapshotMetrics(h *snapshot.Holder) metrics.Snapshot {
	state := h.State()
	if state.State == snapshot.StateLoading {
		return metrics.Snapshot{}
	}
	s := h.Current()
	m := metrics.Snapshot{
		Loaded:     true,
		Stale:      state.State == snapshot.StateStale,
		Generation: s.Generation,
		IngestedAt: s.IngestedAt,
		LoadedAt:   s.LoadedAt,
		Entities:   make(map[string]int, len(ontology.Kinds)),
	}
	if s.CommitSHA != nil {
		m.Commit = *s.CommitSHA
	}
	for _, kind := range ontology.Kinds {
		m.Entities[string(kind)] = s.Len(kind)
	}
	m.Changes = make(map[string]metrics.Changes, len(s.Summary))
	for kind, c := range s.Summary {
		m.Changes[kind] = metrics.Changes{Added: c.Added, Updated: c.Updated, Unchanged: c.Unchanged, Deleted: c.Deleted}
	}
	return m
}

// apiMetrics is the handler the API port serves at /metrics: all of them, unless METRICS_ADDR
// gives the metrics an address of their own.
func apiMetrics(cfg config, h http.Handler) http.Handler {
	if cfg.MetricsAddr != "" {
		return nil
	}
	return h
}

// serveMetrics serves h at /metrics on addr (METRICS_ADDR) until ctx ends; it does nothing when
// addr is empty. The listener is opened before it returns, so a bad address stops serve.
func serveMetrics(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "addr", addr, "error", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return nil
}
