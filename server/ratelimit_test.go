package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/internal/testredis"
	"github.com/ontohub/ontohub/ratelimit"
)

// sharedRedisURL is the Redis every machine of the project runs; tests that need their own
// (to stop it) start one with startRedis.
const sharedRedisURL = "redis://127.0.0.1:6379/0"

// limitedEnv is a test server whose draft creation budget is createPerHour per client.
func limitedEnv(t *testing.T, createPerHour int, rl ratelimit.Config) *testEnv {
	t.Helper()
	rl.Enabled = true
	if rl.Rates == nil {
		rl.Rates = map[string]ratelimit.Rate{}
	}
	rl.Rates[ratelimit.ClassDraftCreate] = ratelimit.Rate{Count: createPerHour, Period: time.Hour}
	return newTestEnv(t, testOptions{RateLimit: rl})
}

// uniquePrefix is a Redis key prefix no other test or run shares.
func uniquePrefix(t *testing.T) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "ontohub:test:" + hex.EncodeToString(b[:]) + ":"
}

// forwardedFor returns a request editor that sets X-Forwarded-For.
func forwardedFor(addr string) gen.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("X-Forwarded-For", addr)
		return nil
	}
}

// tryCreate makes one creation attempt and returns the response.
func tryCreate(t *testing.T, env *testEnv, marker string, editors ...gen.RequestEditorFn) *gen.CreateDraftResponse {
	t.Helper()
	r, err := env.Client.CreateDraftWithResponse(context.Background(),
		gen.DraftCreate{Payload: json.RawMessage(`{}`), SourceWiki: &marker}, editors...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// headerInt reads an integer header, failing the test when it is missing or malformed.
func headerInt(t *testing.T, h http.Header, name string) int {
	t.Helper()
	v := h.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s = %q, want an integer", name, v)
	}
	return n
}

func TestTwentyFirstCreationIsLimited(t *testing.T) {
	env := limitedEnv(t, 20, ratelimit.Config{})
	marker := newMarker(t)
	for i := range 20 {
		r := tryCreate(t, env, marker)
		if r.StatusCode() != http.StatusCreated {
			t.Fatalf("creation %d: status %d, body %s", i+1, r.StatusCode(), r.Body)
		}
		h := r.HTTPResponse.Header
		if got := headerInt(t, h, "RateLimit-Limit"); got != 20 {
			t.Errorf("creation %d: RateLimit-Limit = %d, want 20", i+1, got)
		}
		if got := headerInt(t, h, "RateLimit-Remaining"); got != 19-i {
			t.Errorf("creation %d: RateLimit-Remaining = %d, want %d", i+1, got, 19-i)
		}
		if reset := headerInt(t, h, "RateLimit-Reset"); reset <= 0 || reset > 3600 {
			t.Errorf("creation %d: RateLimit-Reset = %d, want 1..3600", i+1, reset)
		}
		if h.Get("Retry-After") != "" {
			t.Errorf("creation %d: Retry-After on a success", i+1)
		}
	}

	r := tryCreate(t, env, marker)
	p := decodeProblem(t, r.HTTPResponse, r.Body, http.StatusTooManyRequests)
	if r.ApplicationproblemJSON429 == nil || r.Headers429 == nil {
		t.Fatalf("the client did not read a declared 429: %s", r.Body)
	}
	// GCRA at 20/hour frees one request every 180 s: the wait is at most that, not the hour.
	retryAfter := headerInt(t, r.HTTPResponse.Header, "Retry-After")
	if retryAfter < 1 || retryAfter > 180 {
		t.Errorf("Retry-After = %d, want 1..180", retryAfter)
	}
	if r.Headers429.RetryAfter == nil || *r.Headers429.RetryAfter != retryAfter {
		t.Errorf("typed Retry-After = %v, want %d", r.Headers429.RetryAfter, retryAfter)
	}
	if !strings.Contains(p.Detail, strconv.Itoa(retryAfter)) {
		t.Errorf("detail %q does not state the wait", p.Detail)
	}
	h := r.HTTPResponse.Header
	if headerInt(t, h, "RateLimit-Limit") != 20 || headerInt(t, h, "RateLimit-Remaining") != 0 || headerInt(t, h, "RateLimit-Reset") <= 0 {
		t.Errorf("RateLimit headers on the 429: %v", h)
	}
	assertSecureHeaders(t, h)
	assertNoStore(t, h)
	if n := countDrafts(t, env, marker); n != 20 {
		t.Errorf("%d drafts stored, want 20", n)
	}
}

func TestConcurrentCreationsGetExactlyTheBudget(t *testing.T) {
	env := limitedEnv(t, 20, ratelimit.Config{})
	marker := newMarker(t)
	const attempts = 50
	statuses := make(chan int, attempts)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := env.Client.CreateDraftWithResponse(context.Background(),
				gen.DraftCreate{Payload: json.RawMessage(`{}`), SourceWiki: &marker})
			if err != nil {
				t.Error(err)
				return
			}
			statuses <- r.StatusCode()
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[http.StatusCreated] != 20 || counts[http.StatusTooManyRequests] != 30 || len(counts) != 2 {
		t.Errorf("statuses %v, want 20×201 and 30×429", counts)
	}
	if n := countDrafts(t, env, marker); n != 20 {
		t.Errorf("%d drafts stored, want 20", n)
	}
}

func TestLimitedResponsesCarryRateLimitHeaders(t *testing.T) {
	env := limitedEnv(t, 20, ratelimit.Config{Rates: map[string]ratelimit.Rate{
		ratelimit.ClassDraftRead: {Count: 3, Period: time.Minute},
	}})
	ctx := context.Background()
	token := tokenOf(t, tryCreate(t, env, newMarker(t)).JSON201.CapabilityUrl)

	// GET, PATCH and DELETE share the draft_read budget, whatever their outcome.
	get, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil || get.StatusCode() != http.StatusOK {
		t.Fatalf("get: %v %d", err, get.StatusCode())
	}
	patch, err := env.Client.UpdateDraftWithResponse(ctx, token, gen.DraftUpdate{Status: statusPtr(gen.DraftUpdateStatusPending)})
	if err != nil || patch.StatusCode() != http.StatusOK {
		t.Fatalf("patch: %v %d", err, patch.StatusCode())
	}
	missing, err := env.Client.DeleteDraftWithResponse(ctx, strings.Repeat("A", 43))
	if err != nil || missing.StatusCode() != http.StatusNotFound {
		t.Fatalf("delete unknown: %v %d", err, missing.StatusCode())
	}
	for i, h := range []http.Header{get.HTTPResponse.Header, patch.HTTPResponse.Header, missing.HTTPResponse.Header} {
		if headerInt(t, h, "RateLimit-Limit") != 3 || headerInt(t, h, "RateLimit-Remaining") != 2-i || headerInt(t, h, "RateLimit-Reset") <= 0 {
			t.Errorf("response %d: RateLimit headers %v", i, h)
		}
	}
	limited, err := env.Client.GetDraftWithResponse(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	decodeProblem(t, limited.HTTPResponse, limited.Body, http.StatusTooManyRequests)
	if limited.Headers429 == nil || limited.Headers429.RetryAfter == nil || *limited.Headers429.RetryAfter < 1 {
		t.Errorf("429 without Retry-After: %v", limited.HTTPResponse.Header)
	}
	// Creation has a budget of its own.
	if r := tryCreate(t, env, newMarker(t)); r.StatusCode() != http.StatusCreated {
		t.Errorf("creation after reads exhausted: %d", r.StatusCode())
	}
}

func TestSpoofedForwardedForIsIgnored(t *testing.T) {
	env := limitedEnv(t, 2, ratelimit.Config{})
	marker := newMarker(t)
	for i, addr := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "198.51.100.7, 203.0.113.4"} {
		r := tryCreate(t, env, marker, forwardedFor(addr))
		want := http.StatusCreated
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if r.StatusCode() != want {
			t.Errorf("X-Forwarded-For %s: status %d, want %d", addr, r.StatusCode(), want)
		}
	}
}

func TestTrustedProxyForwardedFor(t *testing.T) {
	env := limitedEnv(t, 1, ratelimit.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	marker := newMarker(t)
	steps := []struct {
		forwardedFor string // "" sends none
		want         int
	}{
		{"203.0.113.1", http.StatusCreated},
		{"203.0.113.1", http.StatusTooManyRequests},
		{"203.0.113.2", http.StatusCreated},
		{"198.51.100.9, 203.0.113.2", http.StatusTooManyRequests}, // the rightmost untrusted hop is the client
		{"203.0.113.3, 127.0.0.1", http.StatusCreated},            // trusted hops are skipped
		{"", http.StatusCreated},                                  // the proxy itself
		{"", http.StatusTooManyRequests},
	}
	for i, step := range steps {
		var editors []gen.RequestEditorFn
		if step.forwardedFor != "" {
			editors = append(editors, forwardedFor(step.forwardedFor))
		}
		if r := tryCreate(t, env, marker, editors...); r.StatusCode() != step.want {
			t.Errorf("step %d (X-Forwarded-For %q): status %d, want %d", i, step.forwardedFor, r.StatusCode(), step.want)
		}
	}
}

// healthStore returns what /health says about the rate-limit store.
func healthStore(t *testing.T, env *testEnv) gen.HealthRateLimitStore {
	t.Helper()
	r, err := env.Client.GetHealthWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode() != http.StatusOK || r.JSON200 == nil {
		t.Fatalf("health: status %d, body %s", r.StatusCode(), r.Body)
	}
	return r.JSON200.RateLimitStore
}

func TestReplicasShareOneRedisBudget(t *testing.T) {
	rl := ratelimit.Config{RedisURL: sharedRedisURL, KeyPrefix: uniquePrefix(t)}
	a := limitedEnv(t, 3, rl)
	b := limitedEnv(t, 3, rl)
	for _, env := range []*testEnv{a, b} {
		if got := healthStore(t, env); got != gen.HealthRateLimitStoreRedis {
			t.Fatalf("rate_limit_store = %q, want redis (is Redis running on 127.0.0.1:6379?)", got)
		}
	}
	marker := newMarker(t)
	steps := []struct {
		env  *testEnv
		want int
	}{{a, 201}, {b, 201}, {a, 201}, {b, 429}, {a, 429}}
	for i, step := range steps {
		if r := tryCreate(t, step.env, marker); r.StatusCode() != step.want {
			t.Errorf("step %d: status %d, want %d", i, r.StatusCode(), step.want)
		}
	}
	if n := countDrafts(t, a, marker); n != 3 {
		t.Errorf("%d drafts stored, want 3", n)
	}
}

// waitForStore polls /health until it reports want; a recovery is noticed at the next probe.
func waitForStore(t *testing.T, env *testEnv, want gen.HealthRateLimitStore) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := healthStore(t, env)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rate_limit_store = %q, want %q", got, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestRedisOutageFailsOpen(t *testing.T) {
	srv := testredis.Start(t)
	env := limitedEnv(t, 100, ratelimit.Config{RedisURL: srv.URL(), KeyPrefix: uniquePrefix(t), ProbeInterval: 50 * time.Millisecond})
	marker := newMarker(t)
	if got := healthStore(t, env); got != gen.HealthRateLimitStoreRedis {
		t.Fatalf("rate_limit_store = %q, want redis", got)
	}
	if r := tryCreate(t, env, marker); r.StatusCode() != http.StatusCreated {
		t.Fatalf("creation with Redis up: %d", r.StatusCode())
	}

	srv.Stop()
	for i := range 3 {
		r := tryCreate(t, env, marker)
		if r.StatusCode() != http.StatusCreated {
			t.Fatalf("creation %d with Redis down: status %d, body %s", i, r.StatusCode(), r.Body)
		}
		// Still limited, in-process.
		if r.HTTPResponse.Header.Get("RateLimit-Limit") != "100" {
			t.Errorf("creation %d with Redis down: RateLimit-Limit %q", i, r.HTTPResponse.Header.Get("RateLimit-Limit"))
		}
	}
	waitForStore(t, env, gen.HealthRateLimitStoreDegraded)
	if n := strings.Count(env.Logs.String(), "redis unreachable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once", n)
	}

	srv.Start()
	waitForStore(t, env, gen.HealthRateLimitStoreRedis)
	if r := tryCreate(t, env, marker); r.StatusCode() != http.StatusCreated {
		t.Fatalf("creation after recovery: %d", r.StatusCode())
	}
	if n := countDrafts(t, env, marker); n != 5 {
		t.Errorf("%d drafts stored, want 5", n)
	}
}

func TestHealthIsNeverLimited(t *testing.T) {
	one := ratelimit.Rate{Count: 1, Period: time.Hour}
	env := newTestEnv(t, testOptions{RateLimit: ratelimit.Config{Enabled: true, Rates: map[string]ratelimit.Rate{
		ratelimit.ClassDraftCreate: one, ratelimit.ClassDraftRead: one, ratelimit.ClassList: one, ratelimit.ClassRead: one,
	}}})
	for i := range 30 {
		r, err := env.Client.GetHealthWithResponse(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode() != http.StatusOK {
			t.Fatalf("health %d: status %d", i, r.StatusCode())
		}
		if h := r.HTTPResponse.Header.Get("RateLimit-Limit"); h != "" {
			t.Fatalf("health %d carries RateLimit-Limit %q", i, h)
		}
	}
	// The tiny limit is real for the API.
	marker := newMarker(t)
	if r := tryCreate(t, env, marker); r.StatusCode() != http.StatusCreated {
		t.Errorf("first creation: %d", r.StatusCode())
	}
	if r := tryCreate(t, env, marker); r.StatusCode() != http.StatusTooManyRequests {
		t.Errorf("second creation: %d, want 429", r.StatusCode())
	}
}
