package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ontohub/ontohub/store"
)

// runDraftSweeper sweeps the drafts table once at start and then every interval until ctx is
// done: drafts past expires_at get status 'expired', and drafts expired or withdrawn longer
// than retention ago are purged (see store.SweepDrafts). Expiry does not depend on it; every
// access checks expires_at. A failed sweep is logged and retried at the next tick.
func runDraftSweeper(ctx context.Context, st *store.Store, interval, retention time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		sweepDrafts(ctx, st, interval, retention, log)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// sweepDrafts runs one sweep, bounded so that a hung database cannot hold it past the next tick.
func sweepDrafts(ctx context.Context, st *store.Store, interval, retention time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, max(interval, time.Minute))
	defer cancel()
	expired, purged, err := st.SweepDrafts(ctx, time.Now(), retention)
	switch {
	case err == nil:
		log.Info("draft sweep", "expired", expired, "purged", purged, "retention", retention.String())
	case errors.Is(ctx.Err(), context.Canceled):
		// Shutting down; the sweep runs again at the next start.
	default:
		log.Warn("draft sweep failed", "error", err)
	}
}
