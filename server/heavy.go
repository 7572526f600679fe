package server

import (
	"context"
	"net/http"
	"time"
)

// DefaultMaxHeavyRequests is the default of Config.MaxHeavyRequests: one per core of the
// machine this was measured on. A draft preview build or validation takes a whole core for a
// fraction of a second and tens of MiB while it runs.
const DefaultMaxHeavyRequests = 2

// heavyWait is how long a heavy request waits for its turn before it is answered 503.
var heavyWait = 10 * time.Second // a variable so that tests need not wait that long

// heavyLimit bounds the heavy requests (draft preview builds, validations, submits) running at
// once on this replica, all clients together: the per-client cap on expensive requests bounds
// what one address can start, this bounds the memory and CPU all of them can take at once.
type heavyLimit chan struct{}

func newHeavyLimit(n int) heavyLimit {
	if n <= 0 {
		n = DefaultMaxHeavyRequests
	}
	return make(heavyLimit, n)
}

// acquire waits for a turn; false when none came within heavyWait or ctx ended first. The
// caller runs release when it got one.
func (h heavyLimit) acquire(ctx context.Context) bool {
	timer := time.NewTimer(heavyWait)
	defer timer.Stop()
	select {
	case h <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (h heavyLimit) release() { <-h }

// detailBusy is the 503 of a heavy request that found no turn.
const detailBusy = "The server is busy with other draft previews and validations; try again shortly."

// busyAnswer is the 503 problem with Retry-After of a heavy request that found no turn.
type busyAnswer struct{}

func (busyAnswer) write(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "1")
	writeProblem(w, newProblem(http.StatusServiceUnavailable, detailBusy))
	return nil
}

func (b busyAnswer) VisitValidateDraftResponse(w http.ResponseWriter) error { return b.write(w) }
func (b busyAnswer) VisitSubmitDraftResponse(w http.ResponseWriter) error   { return b.write(w) }
