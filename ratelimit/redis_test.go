package ratelimit

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ontohub/ontohub/internal/testlog"
	"github.com/ontohub/ontohub/internal/testredis"
)

// redisTestURL is the standing Redis the shared-budget tests use.
func redisTestURL() string {
	if u := os.Getenv("REDIS_TEST_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// testKeyPrefix returns a Redis key prefix of its own for one test and
// deletes the keys under it when the test ends.
func testKeyPrefix(t *testing.T, redisURL string) (string, *redis.Client) {
	t.Helper()
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	prefix := "ontohub-test:ratelimit:" + rand.Text() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Errorf("list test keys: %v", err)
		}
		if len(keys) > 0 {
			if err := client.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("delete test keys: %v", err)
			}
		}
		client.Close()
	})
	return prefix, client
}

func TestRedisSharedBudget(t *testing.T) {
	url := redisTestURL()
	prefix, client := testKeyPrefix(t, url)
	cfg := Config{RedisURL: url, KeyPrefix: prefix}
	replicaA := newTestLimiter(t, cfg)
	replicaB := newTestLimiter(t, cfg)
	for _, l := range []*Limiter{replicaA, replicaB} {
		if got := l.StoreStatus(); got != StatusRedis {
			t.Fatalf("StoreStatus = %q, want %q (is Redis running at %s?)", got, StatusRedis, url)
		}
	}
	ctx := context.Background()
	allowed := 0
	for i := range 30 {
		l := []*Limiter{replicaA, replicaB}[i%2]
		res, err := l.Allow(ctx, ClassDraftCreate, clientA)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowed++
		}
		if i == 29 && (res.Allowed || res.RetryAfter <= 0 || res.RetryAfter > 3*time.Minute) {
			t.Errorf("last request: %+v, want limited with a wait of at most 3m", res)
		}
	}
	if allowed != 20 {
		t.Errorf("two replicas allowed %d of 30 requests together, want 20", allowed)
	}
	// The budget is in Redis under our prefix, keyed by class and address only.
	key := prefix + "draft_create:192.0.2.1"
	if n, err := client.Exists(ctx, key).Result(); err != nil || n != 1 {
		t.Errorf("EXISTS %s = %d, %v; want 1", key, n, err)
	}
	if ttl, err := client.TTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL %s = %v, %v; want an expiry within the hour", key, ttl, err)
	}
}

func TestRedisConcurrentRequests(t *testing.T) {
	url := redisTestURL()
	prefix, _ := testKeyPrefix(t, url)
	cfg := Config{RedisURL: url, KeyPrefix: prefix}
	replicaA := newTestLimiter(t, cfg)
	replicaB := newTestLimiter(t, cfg)
	allowed, limited := concurrentRequests(t, 50, ClassDraftCreate, replicaA, replicaB)
	if allowed != 20 || limited != 30 {
		t.Errorf("50 simultaneous requests over two replicas under 20/hour: %d allowed, %d limited; want 20 and 30", allowed, limited)
	}
	for _, l := range []*Limiter{replicaA, replicaB} {
		if got := l.StoreStatus(); got != StatusRedis {
			t.Errorf("StoreStatus = %q after the burst, want %q", got, StatusRedis)
		}
	}
}

func TestRedisOutageAndRecovery(t *testing.T) {
	server := testredis.Start(t)
	logs := &testlog.Buffer{}
	l := newTestLimiter(t, Config{
		Rates:         map[string]Rate{ClassDraftCreate: {3, time.Hour}},
		RedisURL:      server.URL(),
		KeyPrefix:     "outage:",
		ProbeInterval: 50 * time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
	})
	h := l.Middleware(ClassDraftCreate, okHandler)
	if got := l.StoreStatus(); got != StatusRedis {
		t.Fatalf("StoreStatus = %q, want %q", got, StatusRedis)
	}
	if w := serve(h, "192.0.2.1:1"); w.Code != http.StatusOK {
		t.Fatalf("before the outage: status %d, want 200", w.Code)
	}

	server.Stop()
	// Requests still get answers, and are still limited, in-process.
	for i := range 3 {
		if w := serve(h, "192.0.2.2:1"); w.Code != http.StatusOK {
			t.Fatalf("during the outage, request %d: status %d, want 200", i+1, w.Code)
		}
	}
	w := serve(h, "192.0.2.2:1")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("RateLimit-Limit") != "3" {
		t.Errorf("during the outage, request 4: status %d, limit %q; want 429 under the local budget of 3",
			w.Code, w.Header().Get("RateLimit-Limit"))
	}
	if got := l.StoreStatus(); got != StatusDegraded {
		t.Errorf("StoreStatus during the outage = %q, want %q", got, StatusDegraded)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings during the outage, want 1:\n%s", n, logs)
	}

	server.Start()
	deadline := time.Now().Add(15 * time.Second)
	for l.StoreStatus() != StatusRedis {
		if time.Now().After(deadline) {
			t.Fatalf("StoreStatus stayed %q after Redis came back", l.StoreStatus())
		}
		serve(h, "192.0.2.3:1")
		time.Sleep(20 * time.Millisecond)
	}
	if w := serve(h, "192.0.2.4:1"); w.Code != http.StatusOK {
		t.Errorf("after recovery: status %d, want 200", w.Code)
	}
	opts, _ := redis.ParseURL(server.URL())
	client := redis.NewClient(opts)
	defer client.Close()
	if n, err := client.Exists(context.Background(), "outage:draft_create:192.0.2.4").Result(); err != nil || n != 1 {
		t.Errorf("after recovery the budget is not in Redis: EXISTS = %d, %v", n, err)
	}
	if warn, info := strings.Count(logs.String(), "level=WARN"), strings.Count(logs.String(), "level=INFO"); warn != 1 || info != 1 {
		t.Errorf("%d warnings and %d infos over one outage, want 1 and 1:\n%s", warn, info, logs)
	}
	if strings.Contains(logs.String(), "secret-token") {
		t.Errorf("logs hold the request path:\n%s", logs)
	}
}

func TestRedisUnreachableAtStart(t *testing.T) {
	server := testredis.Start(t)
	server.Stop()
	logs := &testlog.Buffer{}
	l := newTestLimiter(t, Config{
		Rates:    map[string]Rate{ClassDraftCreate: {1, time.Hour}},
		RedisURL: server.URL(),
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
	})
	if got := l.StoreStatus(); got != StatusDegraded {
		t.Errorf("StoreStatus = %q, want %q", got, StatusDegraded)
	}
	h := l.Middleware(ClassDraftCreate, okHandler)
	codes := []int{serve(h, "192.0.2.1:1").Code, serve(h, "192.0.2.1:1").Code}
	if codes[0] != 200 || codes[1] != 429 {
		t.Errorf("statuses %v, want [200 429] from the local store", codes)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs)
	}
}

// TestStoreStatusNoticesAnOutageWithoutTraffic covers a replica that only answers /health: its
// status must not keep saying "redis" while Redis is gone.
func TestStoreStatusNoticesAnOutageWithoutTraffic(t *testing.T) {
	server := testredis.Start(t)
	logs := &testlog.Buffer{}
	l := newTestLimiter(t, Config{
		RedisURL:      server.URL(),
		KeyPrefix:     "quiet:",
		ProbeInterval: 50 * time.Millisecond,
		// Debug level, so go-redis's own dial errors would show here if they escaped slog.
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if got := l.StoreStatus(); got != StatusRedis {
		t.Fatalf("StoreStatus = %q, want %q", got, StatusRedis)
	}
	server.Stop()
	if got := l.StoreStatus(); got != StatusDegraded {
		t.Fatalf("StoreStatus after Redis stopped, no requests = %q, want %q", got, StatusDegraded)
	}
	for range 5 {
		time.Sleep(60 * time.Millisecond)
		l.StoreStatus()
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, logs)
	}
	server.Start()
	deadline := time.Now().Add(15 * time.Second)
	for l.StoreStatus() != StatusRedis {
		if time.Now().After(deadline) {
			t.Fatalf("StoreStatus stayed %q after Redis came back", l.StoreStatus())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRedisKeysIPv6ClientsByPrefix: replicas sharing budgets in Redis key
// IPv6 clients by their /64 as the in-process store does.
func TestRedisKeysIPv6ClientsByPrefix(t *testing.T) {
	url := redisTestURL()
	prefix, client := testKeyPrefix(t, url)
	cfg := Config{RedisURL: url, KeyPrefix: prefix, Rates: map[string]Rate{ClassDraftCreate: {2, time.Hour}}}
	replicas := []*Limiter{newTestLimiter(t, cfg), newTestLimiter(t, cfg)}
	if got := replicas[0].StoreStatus(); got != StatusRedis {
		t.Fatalf("StoreStatus = %q, want %q (is Redis running at %s?)", got, StatusRedis, url)
	}
	allowed := 0
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3"} {
		allowed += spend(t, replicas[i%2], ClassDraftCreate, netip.MustParseAddr(addr), 1)
	}
	if allowed != 2 {
		t.Errorf("three addresses of one /64 over two replicas: %d of 3 allowed, want the shared budget of 2", allowed)
	}
	key := prefix + "draft_create:2001:db8:1:2::/64"
	if n, err := client.Exists(context.Background(), key).Result(); err != nil || n != 1 {
		t.Errorf("EXISTS %s = %d, %v; want 1", key, n, err)
	}
}

// TestDegradedStoreKeepsSpentBudgets: while Redis is down the in-process
// store that stands in for it must not reset budgets when it is full either.
func TestDegradedStoreKeepsSpentBudgets(t *testing.T) {
	server := testredis.Start(t)
	server.Stop()
	const maxKeys = 100
	l := newTestLimiter(t, Config{
		MaxKeys:  maxKeys,
		RedisURL: server.URL(),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if got := l.StoreStatus(); got != StatusDegraded {
		t.Fatalf("StoreStatus = %q, want %q", got, StatusDegraded)
	}
	freezeClock(l)
	if got := spend(t, l, ClassDraftCreate, clientA, 21); got != 20 {
		t.Fatalf("victim: %d of 21 allowed, want 20", got)
	}
	for i := range 3 * maxKeys {
		spend(t, l, ClassDraftCreate, floodAddr(0, i), 1)
	}
	if got := spend(t, l, ClassDraftCreate, clientA, 20); got != 0 {
		t.Errorf("after the flood the victim got %d of 20 requests through, want 0", got)
	}
	if n := l.local.len(); n > maxKeys {
		t.Errorf("store holds %d keys, more than the cap %d", n, maxKeys)
	}
}
