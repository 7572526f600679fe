package connguard

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// reporter logs refusals, evictions and accept errors as summaries: the first event after a
// quiet interval is logged at once, later ones are counted and logged together an interval
// later, so a flood yields one line per interval however many connections it brings.
type reporter struct {
	log      *slog.Logger
	interval time.Duration
	read     func() (Stats, string, netip.Addr)

	mu      sync.Mutex
	timer   *time.Timer // non-nil while a summary is due
	last    Stats       // the totals at the last summary
	stopped bool
}

func newReporter(log *slog.Logger, interval time.Duration, read func() (Stats, string, netip.Addr)) *reporter {
	return &reporter{log: log, interval: interval, read: read}
}

// note tells the reporter that a counter moved. The caller must not hold the Listener's lock.
func (r *reporter) note() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil || r.stopped {
		return
	}
	r.emitLocked()
	r.timer = time.AfterFunc(r.interval, r.tick)
}

// tick logs what accumulated during the interval, and stays scheduled while events keep coming.
func (r *reporter) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.emitLocked() {
		r.timer.Reset(r.interval)
	} else {
		r.timer = nil
	}
}

// stop logs what is left and ends the summaries.
func (r *reporter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
	r.emitLocked()
}

// emitLocked logs the counters that moved since the last summary and reports whether any did.
func (r *reporter) emitLocked() bool {
	now, lastErr, lastAddr := r.read()
	perAddr := now.RefusedPerAddr - r.last.RefusedPerAddr
	atCapacity := now.RefusedAtCapacity - r.last.RefusedAtCapacity
	evicted := now.IdleEvicted - r.last.IdleEvicted
	acceptErrors := now.AcceptErrors - r.last.AcceptErrors
	if perAddr == 0 && atCapacity == 0 && evicted == 0 && acceptErrors == 0 {
		return false
	}
	r.last = now
	attrs := []any{
		"refused_per_addr", perAddr,
		"refused_at_capacity", atCapacity,
		"idle_evicted", evicted,
		"accept_errors", acceptErrors,
		"open", now.Open,
		"idle", now.Idle,
	}
	if perAddr > 0 {
		attrs = append(attrs, "last_refused_addr", lastAddr.String())
	}
	if acceptErrors > 0 {
		attrs = append(attrs, "last_accept_error", lastErr)
	}
	r.log.Warn("connection limits reached", attrs...)
	return true
}
