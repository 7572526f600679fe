package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
)

// Values of Limiter.StoreStatus.
const (
	// StatusDisabled means rate limiting is switched off.
	StatusDisabled = "disabled"
	// StatusMemory means budgets live in this process.
	StatusMemory = "memory"
	// StatusRedis means budgets live in Redis, shared by all replicas.
	StatusRedis = "redis"
	// StatusDegraded means Redis is configured but unreachable; budgets live
	// in this process until it answers again.
	StatusDegraded = "degraded"
)

// Defaults for the zero values of Config fields.
const (
	// DefaultMaxKeys caps the keys of the in-process store.
	DefaultMaxKeys = 65536
	// DefaultKeyPrefix prefixes every Redis key.
	DefaultKeyPrefix = "ontohub:ratelimit:"
	// DefaultProbeInterval is how long an unreachable Redis is left alone
	// before it is tried again.
	DefaultProbeInterval = 5 * time.Second
)

// Config configures a Limiter. Zero values take the defaults.
type Config struct {
	// Enabled switches limiting on. A disabled Limiter lets every request
	// through without headers and opens no connections.
	Enabled bool
	// Rates holds the budget of each class; classes it does not name keep
	// their DefaultRates entry. Classes beyond the four named ones may be added.
	Rates map[string]Rate
	// MaxKeys caps the keys (class and client pairs) of the in-process store;
	// the least recently used key is evicted beyond it. Default DefaultMaxKeys.
	MaxKeys int
	// RedisURL, when set, keeps budgets in Redis (redis://[user:pass@]host:port/db)
	// so that replicas share them.
	RedisURL string
	// KeyPrefix prefixes every Redis key. Default DefaultKeyPrefix.
	KeyPrefix string
	// ProbeInterval is how long an unreachable Redis is left alone before it
	// is tried again. Default DefaultProbeInterval.
	ProbeInterval time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For header is believed.
	TrustedProxies []netip.Prefix
	// OnLimited writes the response to a request over its budget. Default: a
	// plain-text 429.
	OnLimited LimitedFunc
	// Logger receives outage and error reports. Default slog.Default().
	Logger *slog.Logger
}

// LimitedFunc writes the response to a request that is over its budget. The
// Retry-After header is already set; retryAfter is the same wait, in whole
// seconds, for a response body that states it.
type LimitedFunc func(w http.ResponseWriter, r *http.Request, retryAfter time.Duration)

// Result is the outcome of one check.
type Result struct {
	// Allowed reports whether the request is within its budget.
	Allowed bool
	// Limit is the number of requests a fresh budget allows at once.
	Limit int
	// Remaining is the number of requests the budget allows now.
	Remaining int
	// ResetAfter is the time until the budget is full again.
	ResetAfter time.Duration
	// RetryAfter is the time until the next request would be allowed; zero
	// when Allowed.
	RetryAfter time.Duration
}

// Limiter limits requests per class and client. It is safe for concurrent
// use. Close it to release its Redis connections.
type Limiter struct {
	enabled   bool
	rates     map[string]Rate
	clientIP  ClientIP
	onLimited LimitedFunc
	log       *slog.Logger

	// local holds the budgets when Redis is not configured, and stands in
	// for Redis while it is unreachable.
	local         *memstore.MemStore
	localLimiters map[string]*throttled.GCRARateLimiterCtx
	redis         *redisBackend // nil without Config.RedisURL

	closeOnce sync.Once
	closeErr  error
}

// New returns a Limiter for cfg. When Redis is configured but unreachable,
// New still succeeds and the Limiter starts degraded, limiting in-process.
func New(cfg Config) (*Limiter, error) {
	rates := DefaultRates()
	for class, rate := range cfg.Rates {
		if err := rate.validate(); err != nil {
			return nil, fmt.Errorf("ratelimit: class %q: %w", class, err)
		}
		rates[class] = rate
	}
	l := &Limiter{
		enabled:   cfg.Enabled,
		rates:     rates,
		clientIP:  NewClientIP(cfg.TrustedProxies),
		onLimited: cfg.OnLimited,
		log:       cfg.Logger,
	}
	if l.onLimited == nil {
		l.onLimited = plainTooManyRequests
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if !cfg.Enabled {
		return l, nil
	}

	maxKeys := cfg.MaxKeys
	switch {
	case maxKeys < 0:
		return nil, fmt.Errorf("ratelimit: max keys %d is negative", maxKeys)
	case maxKeys == 0:
		maxKeys = DefaultMaxKeys
	}
	local, err := memstore.New(maxKeys)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: memory store: %w", err)
	}
	l.local = local
	l.localLimiters, err = gcraLimiters(throttled.WrapStoreWithContext(local), rates)
	if err != nil {
		return nil, err
	}

	if cfg.RedisURL != "" {
		l.redis, err = newRedisBackend(cfg, rates, l.log)
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// gcraLimiters builds one GCRA limiter per class on store.
func gcraLimiters(store throttled.GCRAStoreCtx, rates map[string]Rate) (map[string]*throttled.GCRARateLimiterCtx, error) {
	limiters := make(map[string]*throttled.GCRARateLimiterCtx, len(rates))
	for class, rate := range rates {
		limiter, err := throttled.NewGCRARateLimiterCtx(store, rate.quota())
		if err != nil {
			return nil, fmt.Errorf("ratelimit: class %q: %w", class, err)
		}
		// throttled gives up after 10 lost compare-and-swap races. A check
		// loses only to a write that let another request through, and a burst
		// lets at most Count through before every further check stops writing,
		// so Count+10 attempts keep a burst of concurrent requests from
		// failing while still bounding the loop.
		limiter.SetMaxCASAttemptsLimit(rate.Count + 10)
		limiters[class] = limiter
	}
	return limiters, nil
}

// Allow spends one request of client's budget for class and reports the
// outcome. A disabled Limiter allows everything. An unreachable Redis is not
// an error: the check is made in-process instead. Allow fails for an unknown
// class, or when ctx ends.
func (l *Limiter) Allow(ctx context.Context, class string, client netip.Addr) (Result, error) {
	if _, ok := l.rates[class]; !ok {
		return Result{}, fmt.Errorf("ratelimit: unknown class %q", class)
	}
	if !l.enabled {
		return Result{Allowed: true}, nil
	}
	key := budgetKey(class, client)
	if l.redis != nil {
		if res, ok := l.redis.allow(ctx, class, key); ok {
			return res, nil
		}
	}
	res, err := check(ctx, l.localLimiters[class], l.rates[class], key)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: class %q: %w", class, err)
	}
	return res, nil
}

// budgetKey names the budget of one client in one class. It holds nothing
// from the request but the address: paths can carry capability tokens.
func budgetKey(class string, client netip.Addr) string {
	if !client.IsValid() {
		return class + ":unknown"
	}
	return class + ":" + client.String()
}

// check spends one request on limiter's budget for key, a budget of rate.
// It fails only when the store fails or ctx ends.
func check(ctx context.Context, limiter *throttled.GCRARateLimiterCtx, rate Rate, key string) (Result, error) {
	limited, state, err := limiter.RateLimitCtx(ctx, key, 1)
	if err != nil {
		if _, ok := errors.AsType[storeError](err); ok || ctx.Err() != nil {
			return Result{}, err
		}
		// Anything else is throttled giving up after losing every
		// compare-and-swap race on key. Each lost race is another request
		// of this client let through, more than its whole budget while this
		// one waited, so the client is over it: answer as limited, with the
		// pace of the budget as the wait.
		return Result{
			Limit:      rate.Count,
			ResetAfter: rate.Period,
			RetryAfter: rate.Period / time.Duration(rate.Count),
		}, nil
	}
	res := Result{
		Allowed:    !limited,
		Limit:      state.Limit,
		Remaining:  state.Remaining,
		ResetAfter: state.ResetAfter,
	}
	if limited {
		res.RetryAfter = state.RetryAfter
	}
	return res, nil
}

// StoreStatus reports where budgets live: StatusDisabled, StatusMemory,
// StatusRedis or StatusDegraded. While degraded it may ping Redis (bounded by
// a short timeout, at most once per probe interval) so that a health check
// sees a recovery even when no request has come in.
func (l *Limiter) StoreStatus() string {
	switch {
	case !l.enabled:
		return StatusDisabled
	case l.redis == nil:
		return StatusMemory
	default:
		return l.redis.status()
	}
}

// Close releases the Redis connections. The Limiter must not be used after.
func (l *Limiter) Close() error {
	l.closeOnce.Do(func() {
		if l.redis != nil {
			l.closeErr = l.redis.close()
		}
	})
	return l.closeErr
}

func plainTooManyRequests(w http.ResponseWriter, _ *http.Request, _ time.Duration) {
	http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
}
