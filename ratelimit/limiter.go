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
	// DefaultIPv6PrefixLength is the length of the IPv6 prefix that shares
	// one budget: a /64 is the smallest network an ISP hands one customer.
	DefaultIPv6PrefixLength = 64
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
	// MaxKeys caps the keys (class and client pairs) of the in-process store,
	// and with it the store's memory. A full store makes room by dropping a
	// budget that has fully recovered, never one still recovering; when every
	// budget is still recovering, new clients share one overflow budget per
	// class (and a warning is logged) until one has. Default DefaultMaxKeys.
	MaxKeys int
	// IPv6PrefixLength is the length of the IPv6 prefix whose addresses share
	// one budget, from 1 to 128 (each address on its own); see ClientKey.
	// IPv4 clients always have one budget per address. Default
	// DefaultIPv6PrefixLength.
	IPv6PrefixLength int
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
	// OnDecision, when set, is told the outcome of every check Middleware makes: allowed or
	// not, or the error it let the request through on. For metrics; it must be quick.
	OnDecision func(class string, allowed bool, err error)
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
	enabled    bool
	rates      map[string]Rate
	ipv6Prefix int
	clientIP   ClientIP
	onLimited  LimitedFunc
	onDecision func(class string, allowed bool, err error)
	log        *slog.Logger

	// local holds the budgets when Redis is not configured, and stands in
	// for Redis while it is unreachable.
	local         *memStore
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
	ipv6Prefix := cfg.IPv6PrefixLength
	switch {
	case ipv6Prefix == 0:
		ipv6Prefix = DefaultIPv6PrefixLength
	case ipv6Prefix < 1 || ipv6Prefix > 128:
		return nil, fmt.Errorf("ratelimit: IPv6 prefix length %d is not from 1 to 128", ipv6Prefix)
	}
	l := &Limiter{
		enabled:    cfg.Enabled,
		rates:      rates,
		ipv6Prefix: ipv6Prefix,
		clientIP:   NewClientIP(cfg.TrustedProxies),
		onLimited:  cfg.OnLimited,
		onDecision: cfg.OnDecision,
		log:        cfg.Logger,
	}
	if l.onLimited == nil {
		l.onLimited = plainTooManyRequests
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.onDecision == nil {
		l.onDecision = func(string, bool, error) {}
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
	l.local = newMemStore(maxKeys, l.log)
	// Each class has an overflow budget of its own in the shared store.
	var err error
	l.localLimiters, err = gcraLimiters(rates, func(string) throttled.GCRAStoreCtx {
		return newClassStore(l.local)
	})
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

// gcraLimiters builds one GCRA limiter per class, on the store storeFor
// returns for the class.
func gcraLimiters(rates map[string]Rate, storeFor func(class string) throttled.GCRAStoreCtx) (map[string]*throttled.GCRARateLimiterCtx, error) {
	limiters := make(map[string]*throttled.GCRARateLimiterCtx, len(rates))
	for class, rate := range rates {
		limiter, err := throttled.NewGCRARateLimiterCtx(storeFor(class), rate.quota())
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
	key := budgetKey(class, ClientKey(client, l.ipv6Prefix))
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

// ClientKey returns the network whose addresses share one budget with addr:
// addr itself for IPv4 (IPv4-mapped IPv6 addresses such as ::ffff:192.0.2.1
// included, as 192.0.2.1/32), and for IPv6 the enclosing prefix of length
// ipv6Prefix, since one customer is commonly given a whole /64 or /56 and can
// send from any address in it. ipv6Prefix 0 means DefaultIPv6PrefixLength and
// 128 gives each IPv6 address a budget of its own. Zones are dropped.
// ClientKey returns the zero Prefix for the zero Addr, or for an ipv6Prefix
// outside 0..128 (as netip.PrefixFrom does). Per-client caps elsewhere in the
// server should use it, or Limiter.ClientKey, so that they count clients the
// way the limiter does.
func ClientKey(addr netip.Addr, ipv6Prefix int) netip.Prefix {
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32)
	}
	if ipv6Prefix == 0 {
		ipv6Prefix = DefaultIPv6PrefixLength
	}
	p, err := addr.Prefix(ipv6Prefix)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// ClientKey returns the network whose addresses share one budget with addr,
// as ClientKey does with this Limiter's IPv6 prefix length.
func (l *Limiter) ClientKey(addr netip.Addr) netip.Prefix {
	return ClientKey(addr, l.ipv6Prefix)
}

// budgetKey names the budget of one client network in one class: the bare
// address for a single address (as keys were before IPv6 networks shared
// budgets, so Redis keys of IPv4 clients did not change), otherwise the
// prefix in CIDR notation. It holds nothing from the request but the
// address: paths can carry capability tokens.
func budgetKey(class string, client netip.Prefix) string {
	switch {
	case !client.IsValid():
		return class + ":unknown"
	case client.IsSingleIP():
		return class + ":" + client.Addr().String()
	default:
		return class + ":" + client.String()
	}
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
