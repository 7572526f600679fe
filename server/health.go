package server

import (
	"context"
	"sync"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/snapshot"
)

// healthTimeout bounds the database round trip, so /health answers within 2 seconds (the
// contract's promise, with room for the rest of the request) even when the database hangs.
const healthTimeout = 1500 * time.Millisecond

// healthReuse is how long one database check answers every /health call: a burst of thousands
// of calls makes one round trip, not thousands (which would drain the pool and report the
// database down because of the burst itself).
const healthReuse = time.Second

// dbCheck shares one database round trip among concurrent /health calls and reuses its result
// for healthReuse.
type dbCheck struct {
	ping func(context.Context) error

	mu       sync.Mutex
	inflight chan struct{} // closed when the running check ends; nil when none runs
	at       time.Time
	err      error
}

// result returns the database's state: a recent result, the running check's, or a new one's.
// The check runs detached from any one caller's context, so a caller that goes away does not
// fail it for the others.
func (c *dbCheck) result(ctx context.Context) error {
	c.mu.Lock()
	if !c.at.IsZero() && time.Since(c.at) < healthReuse && c.inflight == nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	wait := c.inflight
	if wait == nil {
		wait = make(chan struct{})
		c.inflight = wait
		go c.run(wait)
	}
	c.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *dbCheck) run(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	err := c.ping(ctx)
	c.mu.Lock()
	c.err, c.at, c.inflight = err, time.Now(), nil
	c.mu.Unlock()
	close(done)
}

// GetHealth reports whether the database answers a real query, where rate limits are kept and
// which ontology snapshot is served.
func (s *Server) GetHealth(ctx context.Context, _ gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	state := s.snapshots.State()
	health := gen.Health{
		Status:         gen.HealthStatusHealthy,
		Database:       gen.HealthDatabaseConnected,
		RateLimitStore: gen.HealthRateLimitStore(s.limiter.StoreStatus()),
		Snapshot: gen.SnapshotState{
			State:      gen.SnapshotStateState(state.State),
			Generation: state.Generation,
			CommitSha:  state.CommitSHA,
			LoadedAt:   state.LoadedAt,
		},
	}
	if state.State == snapshot.StateStale {
		health.Status = gen.HealthStatusDegraded
	}
	if s.Draining() {
		health.Status = gen.HealthStatusDraining
		return gen.GetHealth503JSONResponse(health), nil
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout+100*time.Millisecond)
	defer cancel()
	if err := s.health.result(ctx); err != nil {
		s.unavailable.report(requestIDFrom(ctx), err)
		health.Status = gen.HealthStatusUnhealthy
		health.Database = gen.HealthDatabaseUnreachable
		return gen.GetHealth503JSONResponse(health), nil
	}
	s.unavailable.ok()
	return gen.GetHealth200JSONResponse(health), nil
}
