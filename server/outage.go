package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ontohub/ontohub/store"
)

// databaseFailure reports whether err means the database gave no usable answer — it could not
// be reached, hung, dropped the connection mid-query (io.ErrUnexpectedEOF, a reset), the pool
// was closed or waited too long, or the server refused for want of resources or while shutting
// down — as opposed to a query that the database answered with an error. Each of these is a 503:
// the request may well succeed a moment later.
func databaseFailure(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Classes 08 connection exception, 53 insufficient resources (out of memory, disk full,
		// too many connections) and 57 operator intervention (shutdown, statement timeout).
		switch pgErr.Code[:min(2, len(pgErr.Code))] {
		case "08", "53", "57":
			return true
		}
		return false
	}
	switch {
	case store.IsUnavailable(err), pgconn.SafeToRetry(err),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	// pgconn reports a connection it gave up on mid-exchange, and pgxpool a pool closed under a
	// request (puddle.ErrClosedPool), by errors of unexported or indirect types; they all say the
	// connection, not the query, failed.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "failed to receive message") ||
		strings.Contains(msg, "failed to write") || closedPool(err)
}

// closedPool reports whether err comes from a pool that was closed (the process is stopping).
func closedPool(err error) bool { return strings.Contains(err.Error(), "closed pool") }

// outageRecheck is how often an outage is checked for its end when no /health call does it.
const outageRecheck = time.Second

// outageLog reports database outages: one WARN line when the first request fails, one INFO line
// with the count of failed requests when the database answers again, and nothing in between — a
// fifteen-second outage under load must not write seventeen thousand lines.
type outageLog struct {
	log *slog.Logger
	// check asks the database whether it answers (the shared /health check); an outage is
	// watched with it until it ends, so its end is logged even if nobody calls /health.
	check func(context.Context) error

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
		if o.check != nil {
			go o.watch()
		}
	}
}

// watch checks the database every outageRecheck until it answers, then ends the outage. It
// gives up when the pool is closed: the process is stopping.
func (o *outageLog) watch() {
	for {
		time.Sleep(outageRecheck)
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout+100*time.Millisecond)
		err := o.check(ctx)
		cancel()
		switch {
		case err == nil:
			o.ok()
			return
		case closedPool(err):
			return
		}
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
