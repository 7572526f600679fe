package server

import (
	"context"
	"time"

	"github.com/ontohub/ontohub/gen"
)

// healthTimeout bounds the database round trip, so /health answers within 2 seconds (the
// contract's promise, with room for the rest of the request) even when the database hangs.
const healthTimeout = 1500 * time.Millisecond

// GetHealth reports whether the database answers a real query, and where rate limits are kept.
func (s *Server) GetHealth(ctx context.Context, _ gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	health := gen.Health{
		Status:         gen.HealthStatusHealthy,
		Database:       gen.HealthDatabaseConnected,
		RateLimitStore: gen.HealthRateLimitStore(s.limiter.StoreStatus()),
	}
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("health: database unreachable", "error", err)
		health.Status = gen.HealthStatusUnhealthy
		health.Database = gen.HealthDatabaseUnreachable
		return gen.GetHealth503JSONResponse(health), nil
	}
	return gen.GetHealth200JSONResponse(health), nil
}
