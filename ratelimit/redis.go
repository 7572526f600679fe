package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/throttled/throttled/v2"
	goredisstore "github.com/throttled/throttled/v2/store/goredisstore.v9"
)

// Timeouts for Redis. They are short so that an outage costs a request at
// most a fraction of a second before it is limited in-process instead.
const (
	redisIOTimeout   = 300 * time.Millisecond
	redisPoolTimeout = 500 * time.Millisecond
	redisPingTimeout = 500 * time.Millisecond
)

// redisBackend keeps budgets in Redis and tracks whether Redis answers.
// While it does not, callers use the in-process store, and one call per
// probe interval tries Redis again; no goroutine of ours watches it.
type redisBackend struct {
	client        *redis.Client
	limiters      map[string]*throttled.GCRARateLimiterCtx
	rates         map[string]Rate
	probeInterval time.Duration
	log           *slog.Logger

	down      atomic.Bool
	nextProbe atomic.Int64 // Unix nanoseconds before which an unreachable Redis is not tried
}

func newRedisBackend(cfg Config, rates map[string]Rate, log *slog.Logger) (*redisBackend, error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		// A url.Error quotes the whole URL, password included.
		if urlErr, ok := errors.AsType[*url.Error](err); ok {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("ratelimit: redis URL: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = redisIOTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = redisIOTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = redisIOTimeout
	}
	if opts.PoolTimeout == 0 {
		opts.PoolTimeout = redisPoolTimeout
	}
	if opts.MaxRetries == 0 {
		// Retrying is what the in-process fallback is for.
		opts.MaxRetries = -1
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	// go-redis logs every failed dial through a process-wide logger of its own, in plain text;
	// route it into the structured log at debug level, so an outage is reported once (markDown)
	// rather than on every probe, and the JSON log stays JSON.
	redis.SetLogger(redisLogger{log})
	client := redis.NewClient(opts)

	prefix := cfg.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	store, err := goredisstore.NewCtx(client, prefix)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("ratelimit: redis store: %w", err)
	}
	limiters, err := gcraLimiters(rates, func(string) throttled.GCRAStoreCtx { return markedStore{store} })
	if err != nil {
		client.Close()
		return nil, err
	}
	b := &redisBackend{
		client:        client,
		limiters:      limiters,
		rates:         rates,
		probeInterval: cfg.ProbeInterval,
		log:           log,
	}
	if b.probeInterval <= 0 {
		b.probeInterval = DefaultProbeInterval
	}
	if err := b.ping(); err != nil {
		b.markDown(err)
	}
	return b, nil
}

// allow checks key in Redis. It reports false when the caller should check
// in-process instead: Redis is down and not due for a probe, or it failed.
func (b *redisBackend) allow(ctx context.Context, class, key string) (Result, bool) {
	if b.down.Load() && !b.claimProbe() {
		return Result{}, false
	}
	res, err := check(ctx, b.limiters[class], b.rates[class], key)
	if err != nil {
		// A request that went away says nothing about Redis.
		if ctx.Err() == nil {
			b.markDown(err)
		}
		return Result{}, false
	}
	b.markUp()
	return res, true
}

// status reports StatusRedis or StatusDegraded after asking Redis itself: a
// ping while it is thought up (so /health notices an outage even when no
// limited request has run into it), or a probe when it is down and due for one.
func (b *redisBackend) status() string {
	if !b.down.Load() || b.claimProbe() {
		if err := b.ping(); err != nil {
			b.markDown(err)
		} else {
			b.markUp()
		}
	}
	if b.down.Load() {
		return StatusDegraded
	}
	return StatusRedis
}

func (b *redisBackend) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), redisPingTimeout)
	defer cancel()
	return b.client.Ping(ctx).Err()
}

// claimProbe reports whether the caller may try an unreachable Redis now;
// at most one caller per probe interval may.
func (b *redisBackend) claimProbe() bool {
	now := time.Now().UnixNano()
	next := b.nextProbe.Load()
	return now >= next && b.nextProbe.CompareAndSwap(next, now+int64(b.probeInterval))
}

// markDown records an outage, logging only its start.
func (b *redisBackend) markDown(err error) {
	b.nextProbe.Store(time.Now().Add(b.probeInterval).UnixNano())
	if b.down.CompareAndSwap(false, true) {
		b.log.Warn("ratelimit: redis unreachable, limiting in-process until it answers",
			"err", err, "retry_every", b.probeInterval)
	}
}

// markUp records that Redis answers, logging the end of an outage.
func (b *redisBackend) markUp() {
	if b.down.CompareAndSwap(true, false) {
		b.log.Info("ratelimit: redis reachable again, limiting in redis")
	}
}

func (b *redisBackend) close() error {
	if err := b.client.Close(); err != nil {
		return fmt.Errorf("ratelimit: close redis: %w", err)
	}
	return nil
}

// storeError marks a failure of the Redis store, as opposed to throttled
// giving up on a contended key, so that only the former counts as an outage.
// (The in-process store never fails.)
type storeError struct{ err error }

func (e storeError) Error() string { return "redis: " + e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

func markStoreError(err error) error {
	if err == nil {
		return nil
	}
	return storeError{err}
}

// markedStore wraps the Redis store so that its errors are storeErrors.
type markedStore struct{ store throttled.GCRAStoreCtx }

func (s markedStore) GetWithTime(ctx context.Context, key string) (int64, time.Time, error) {
	value, now, err := s.store.GetWithTime(ctx, key)
	return value, now, markStoreError(err)
}

func (s markedStore) SetIfNotExistsWithTTL(ctx context.Context, key string, value int64, ttl time.Duration) (bool, error) {
	ok, err := s.store.SetIfNotExistsWithTTL(ctx, key, value, ttl)
	return ok, markStoreError(err)
}

func (s markedStore) CompareAndSwapWithTTL(ctx context.Context, key string, old, new int64, ttl time.Duration) (bool, error) {
	ok, err := s.store.CompareAndSwapWithTTL(ctx, key, old, new, ttl)
	return ok, markStoreError(err)
}

// redisLogger adapts go-redis's internal logging to slog.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's logging interface.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "ratelimit: go-redis: "+fmt.Sprintf(format, v...))
}
