package ratelimit

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// newTestLimiter returns an enabled in-process Limiter for cfg, closed when
// the test ends.
func newTestLimiter(t *testing.T, cfg Config) *Limiter {
	t.Helper()
	cfg.Enabled = true
	l, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// freezeClock makes the in-process store of l see a clock that moves only
// when the returned function advances it. Call it before any concurrent use.
func freezeClock(l *Limiter) (advance func(time.Duration)) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l.local.SetTimeNow(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	return func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
}

var clientA = netip.MustParseAddr("192.0.2.1")

func TestAllowLetsExactlyNThroughInAFreshWindow(t *testing.T) {
	l := newTestLimiter(t, Config{Rates: map[string]Rate{ClassDraftCreate: {20, time.Hour}}})
	advance := freezeClock(l)
	ctx := context.Background()
	for i := 1; i <= 20; i++ {
		res, err := l.Allow(ctx, ClassDraftCreate, clientA)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Allowed || res.Limit != 20 || res.Remaining != 20-i || res.RetryAfter != 0 {
			t.Fatalf("request %d: got %+v, want allowed with %d remaining", i, res, 20-i)
		}
	}
	res, err := l.Allow(ctx, ClassDraftCreate, clientA)
	if err != nil {
		t.Fatal(err)
	}
	// 20/hour refills one request every three minutes: that is the wait.
	want := Result{Allowed: false, Limit: 20, Remaining: 0, ResetAfter: time.Hour, RetryAfter: 3 * time.Minute}
	if res != want {
		t.Fatalf("request 21: got %+v, want %+v", res, want)
	}

	// Other classes and other clients have budgets of their own.
	if res, _ := l.Allow(ctx, ClassDraftRead, clientA); !res.Allowed {
		t.Errorf("draft_read for the same client limited: %+v", res)
	}
	if res, _ := l.Allow(ctx, ClassDraftCreate, netip.MustParseAddr("192.0.2.2")); !res.Allowed {
		t.Errorf("draft_create for another client limited: %+v", res)
	}

	advance(3 * time.Minute)
	if res, _ := l.Allow(ctx, ClassDraftCreate, clientA); !res.Allowed {
		t.Errorf("after one emission interval: got %+v, want allowed", res)
	}
	if res, _ := l.Allow(ctx, ClassDraftCreate, clientA); res.Allowed {
		t.Errorf("second request after one emission interval: got %+v, want limited", res)
	}
}

func TestDefaultRatesApplyToUnconfiguredClasses(t *testing.T) {
	l := newTestLimiter(t, Config{Rates: map[string]Rate{ClassRead: {5, time.Minute}}})
	for class, want := range map[string]int{ClassDraftCreate: 20, ClassDraftRead: 100, ClassList: 100, ClassRead: 5} {
		res, err := l.Allow(context.Background(), class, clientA)
		if err != nil {
			t.Fatal(err)
		}
		if res.Limit != want {
			t.Errorf("class %s: limit %d, want %d", class, res.Limit, want)
		}
	}
}

func TestAllowUnknownClass(t *testing.T) {
	l := newTestLimiter(t, Config{})
	if _, err := l.Allow(context.Background(), "nope", clientA); err == nil {
		t.Error("Allow with unknown class succeeded")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"zero count":        {Enabled: true, Rates: map[string]Rate{ClassList: {0, time.Minute}}},
		"zero period":       {Enabled: true, Rates: map[string]Rate{ClassList: {5, 0}}},
		"negative max keys": {Enabled: true, MaxKeys: -1},
		"bad redis URL":     {Enabled: true, RedisURL: "redis://user:secret@host:badport/0"},
		"non-redis URL":     {Enabled: true, RedisURL: "http://host"},
	} {
		l, err := New(cfg)
		if err == nil {
			l.Close()
			t.Errorf("%s: New succeeded", name)
			continue
		}
		if name == "bad redis URL" && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error leaks the password: %v", name, err)
		}
	}
}

func TestDisabledAllowsEverything(t *testing.T) {
	l, err := New(Config{Enabled: false, Rates: map[string]Rate{ClassDraftCreate: {1, time.Hour}}, RedisURL: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for range 5 {
		res, err := l.Allow(context.Background(), ClassDraftCreate, clientA)
		if err != nil || !res.Allowed {
			t.Fatalf("Allow = %+v, %v; want allowed", res, err)
		}
	}
	if got := l.StoreStatus(); got != StatusDisabled {
		t.Errorf("StoreStatus = %q, want %q", got, StatusDisabled)
	}
}

// concurrentRequests sends n simultaneous checks for one client, spread over
// limiters, and counts the outcomes.
func concurrentRequests(t *testing.T, n int, class string, limiters ...*Limiter) (allowed, limited int) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		errs  []error
	)
	for i := range n {
		l := limiters[i%len(limiters)]
		wg.Go(func() {
			<-start
			res, err := l.Allow(context.Background(), class, clientA)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case res.Allowed:
				allowed++
			default:
				limited++
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Errorf("Allow: %v", err)
	}
	return allowed, limited
}

func TestConcurrentRequestsMemory(t *testing.T) {
	l := newTestLimiter(t, Config{})
	allowed, limited := concurrentRequests(t, 50, ClassDraftCreate, l)
	if allowed != 20 || limited != 30 {
		t.Errorf("50 simultaneous requests under 20/hour: %d allowed, %d limited; want 20 and 30", allowed, limited)
	}
}

func TestMemoryStoreKeepsAtMostMaxKeys(t *testing.T) {
	const maxKeys = 100
	l := newTestLimiter(t, Config{MaxKeys: maxKeys})
	ctx := context.Background()
	var keys []string
	for i := range 3 * maxKeys {
		client := netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})
		if res, err := l.Allow(ctx, ClassList, client); err != nil || !res.Allowed {
			t.Fatalf("client %s: %+v, %v", client, res, err)
		}
		keys = append(keys, budgetKey(ClassList, client))
	}
	// Ask the store itself which keys it still holds. Looking a key up does
	// not add it, so counting does not disturb what is counted.
	held := 0
	for _, key := range keys {
		value, _, err := l.local.GetWithTime(key)
		if err != nil {
			t.Fatal(err)
		}
		if value != -1 {
			held++
		}
	}
	if held != maxKeys {
		t.Errorf("store holds %d of %d keys, want the cap %d", held, len(keys), maxKeys)
	}
	if value, _, _ := l.local.GetWithTime(keys[0]); value != -1 {
		t.Error("the least recently used key was not evicted")
	}
	if value, _, _ := l.local.GetWithTime(keys[len(keys)-1]); value == -1 {
		t.Error("the most recent key was evicted")
	}
}

func TestBudgetKeyHoldsClassAndAddressOnly(t *testing.T) {
	for _, tt := range []struct {
		addr netip.Addr
		want string
	}{
		{clientA, "read:192.0.2.1"},
		{netip.MustParseAddr("2001:db8::1"), "read:2001:db8::1"},
		{netip.Addr{}, "read:unknown"},
	} {
		if got := budgetKey(ClassRead, tt.addr); got != tt.want {
			t.Errorf("budgetKey(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// losingStore is a GCRA store on which every compare-and-swap loses, as if
// other requests for the key always got there first.
type losingStore struct{}

func (losingStore) GetWithTime(context.Context, string) (int64, time.Time, error) {
	return 1, time.Now(), nil
}

func (losingStore) SetIfNotExistsWithTTL(context.Context, string, int64, time.Duration) (bool, error) {
	return false, nil
}

func (losingStore) CompareAndSwapWithTTL(context.Context, string, int64, int64, time.Duration) (bool, error) {
	return false, nil
}

func TestCheckAnswersLimitedWhenContentionWins(t *testing.T) {
	rate := Rate{20, time.Hour}
	limiters, err := gcraLimiters(losingStore{}, map[string]Rate{ClassDraftCreate: rate})
	if err != nil {
		t.Fatal(err)
	}
	res, err := check(context.Background(), limiters[ClassDraftCreate], rate, "draft_create:192.0.2.1")
	want := Result{Allowed: false, Limit: 20, ResetAfter: time.Hour, RetryAfter: 3 * time.Minute}
	if err != nil || res != want {
		t.Errorf("check = %+v, %v; want %+v", res, err, want)
	}
}
