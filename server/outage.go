package server

import (
	"log/slog"
	"sync"
	"time"
)

// outageLog reports database outages: one WARN line when the first request fails, one INFO line
// with the count of failed requests when the database answers again, and nothing in between — a
// fifteen-second outage under load must not write seventeen thousand lines.
type outageLog struct {
	log *slog.Logger

	mu     sync.Mutex
	since  time.Time // zero when the database is up
	failed int
}

// report records a request that failed because the database is unavailable.
func (o *outageLog) report(requestID string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	if o.since.IsZero() {
		o.since = time.Now()
		o.log.Warn("database unavailable; answering 503 until it is back", "request_id", requestID, "error", err)
	}
}

// ok records that the database answered; it ends an outage.
func (o *outageLog) ok() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return
	}
	o.log.Info("database available again", "failed_requests", o.failed, "outage_ms", time.Since(o.since).Milliseconds())
	o.since, o.failed = time.Time{}, 0
}
