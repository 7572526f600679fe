package ratelimit

import (
	"context"
	"encoding/binary"
	"log/slog"
	mathrand "math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throttled/throttled/v2"
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
	l.local.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
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
		"IPv6 prefix 129":   {Enabled: true, IPv6PrefixLength: 129},
		"IPv6 prefix -1":    {Enabled: true, IPv6PrefixLength: -1},
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
	advance := freezeClock(l)
	// Three rounds of new clients, each a second apart: by then the budgets
	// of the round before have recovered (100/minute refills one request in
	// 0.6s) and make room for the next.
	for round := range 3 {
		for i := range maxKeys {
			if got := spend(t, l, ClassList, floodAddr(round, i), 1); got != 1 {
				t.Fatalf("round %d, client %d: limited", round, i)
			}
		}
		if n := l.local.len(); n != maxKeys {
			t.Errorf("after round %d the store holds %d keys, want the cap %d", round, n, maxKeys)
		}
		advance(time.Second)
	}
}

func TestBudgetKeyHoldsClassAndAddressOnly(t *testing.T) {
	for _, tt := range []struct {
		addr netip.Addr
		want string
	}{
		{clientA, "read:192.0.2.1"},
		{netip.MustParseAddr("::ffff:192.0.2.1"), "read:192.0.2.1"},
		{netip.MustParseAddr("2001:db8::1"), "read:2001:db8::/64"},
		{netip.Addr{}, "read:unknown"},
	} {
		if got := budgetKey(ClassRead, ClientKey(tt.addr, 0)); got != tt.want {
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
	limiters, err := gcraLimiters(map[string]Rate{ClassDraftCreate: rate}, func(string) throttled.GCRAStoreCtx { return losingStore{} })
	if err != nil {
		t.Fatal(err)
	}
	res, err := check(context.Background(), limiters[ClassDraftCreate], rate, "draft_create:192.0.2.1")
	want := Result{Allowed: false, Limit: 20, ResetAfter: time.Hour, RetryAfter: 3 * time.Minute}
	if err != nil || res != want {
		t.Errorf("check = %+v, %v; want %+v", res, err, want)
	}
}

// BenchmarkAllow measures one check on the in-process store from parallel
// goroutines: known clients within their budget (every check writes), known
// clients over it (no check writes), and a stream of new clients through a
// small store, which has to make room for each of them.
func BenchmarkAllow(b *testing.B) {
	benchmarks := []struct {
		name       string
		rate       Rate
		maxKeys    int
		newClients bool
	}{
		{name: "allowed", rate: Rate{1 << 30, time.Hour}},
		{name: "limited", rate: Rate{1, time.Hour}},
		// Budgets recovered at once: each new client makes room by dropping one.
		{name: "new_clients_recovered", rate: Rate{1 << 30, time.Hour}, maxKeys: 4096, newClients: true},
		// Budgets still recovering: new clients go to the overflow budget.
		{name: "new_clients", rate: Rate{200, time.Minute}, maxKeys: 4096, newClients: true},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			l, err := New(Config{
				Enabled: true,
				MaxKeys: bm.maxKeys,
				Rates:   map[string]Rate{ClassRead: bm.rate},
				Logger:  slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			var next atomic.Uint32
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				// Each goroutine walks its own stretch of addresses.
				base := next.Add(1) << 24
				for i := uint32(0); pb.Next(); i++ {
					n := base + i
					if !bm.newClients {
						n = base + i%1024
					}
					client := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
					if _, err := l.Allow(ctx, ClassRead, client); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// spend sends n checks of class for client and counts those allowed.
func spend(t *testing.T, l *Limiter, class string, client netip.Addr, n int) (allowed int) {
	t.Helper()
	for range n {
		res, err := l.Allow(context.Background(), class, client)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowed++
		}
	}
	return allowed
}

// floodAddr is the i-th address of a flood of new clients, taken from
// 10.0.0.0/8 starting at 10.<round>.0.0, so that rounds do not overlap.
func floodAddr(round, i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(round), byte(i >> 8), byte(i)})
}

// TestFullStoreKeepsSpentBudgets reproduces the review's attack on the
// in-process store: with RATE_LIMIT_MAX_KEYS=2000, 3,000 new addresses made
// an exhausted client's budget full again. A full store must not give anyone
// a fresh budget.
func TestFullStoreKeepsSpentBudgets(t *testing.T) {
	const maxKeys = 2000
	victim := netip.MustParseAddr("1.2.3.4")
	tests := []struct {
		name string
		// pause is how long the clock moves on after each flood.
		pause  time.Duration
		floods int
		// regained is the requests the victim's budget of 20/hour earns back
		// honestly meanwhile, one every three minutes.
		regained int
	}{
		{name: "every budget still recovering", floods: 1, regained: 0},
		{name: "two floods at once", floods: 2, regained: 0},
		// After three minutes every flood budget is full again and may go to
		// make room for the next flood; the victim's may not.
		{name: "floods three minutes apart", floods: 3, pause: 3 * time.Minute, regained: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLimiter(t, Config{MaxKeys: maxKeys})
			advance := freezeClock(l)
			if got := spend(t, l, ClassDraftCreate, victim, 21); got != 20 {
				t.Fatalf("victim: %d of 21 allowed, want 20", got)
			}
			for round := range tt.floods {
				for i := range 3000 {
					spend(t, l, ClassDraftCreate, floodAddr(round, i), 1)
				}
				advance(tt.pause)
			}
			if got := spend(t, l, ClassDraftCreate, victim, 20); got != tt.regained {
				t.Errorf("after the flood the victim got %d of 20 requests through, want %d (what its budget earned back)", got, tt.regained)
			}
		})
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		addr       string
		ipv6Prefix int
		want       string
	}{
		{addr: "192.0.2.1", ipv6Prefix: 0, want: "192.0.2.1/32"},
		{addr: "192.0.2.1", ipv6Prefix: 48, want: "192.0.2.1/32"},
		{addr: "::ffff:192.0.2.1", ipv6Prefix: 64, want: "192.0.2.1/32"},
		{addr: "2001:db8:1:2:3:4:5:6", ipv6Prefix: 0, want: "2001:db8:1:2::/64"},
		{addr: "2001:db8:1:2:3:4:5:6", ipv6Prefix: 64, want: "2001:db8:1:2::/64"},
		{addr: "2001:db8:1:2:3:4:5:6", ipv6Prefix: 56, want: "2001:db8:1::/56"},
		{addr: "2001:db8:1:2:3:4:5:6", ipv6Prefix: 128, want: "2001:db8:1:2:3:4:5:6/128"},
		{addr: "2001:db8:1:2:3:4:5:6", ipv6Prefix: 1, want: "::/1"},
		{addr: "fe80::1%eth0", ipv6Prefix: 64, want: "fe80::/64"},
		{addr: "2001:db8::1", ipv6Prefix: 129, want: "invalid Prefix"},
		{addr: "2001:db8::1", ipv6Prefix: -1, want: "invalid Prefix"},
	}
	for _, tt := range tests {
		if got := ClientKey(netip.MustParseAddr(tt.addr), tt.ipv6Prefix).String(); got != tt.want {
			t.Errorf("ClientKey(%s, %d) = %s, want %s", tt.addr, tt.ipv6Prefix, got, tt.want)
		}
	}
	if got := ClientKey(netip.Addr{}, 64); got.IsValid() {
		t.Errorf("ClientKey(zero Addr) = %s, want the zero Prefix", got)
	}
	l := newTestLimiter(t, Config{IPv6PrefixLength: 48})
	if got := l.ClientKey(netip.MustParseAddr("2001:db8:1:2::1")).String(); got != "2001:db8:1::/48" {
		t.Errorf("Limiter.ClientKey with a /48 = %s, want 2001:db8:1::/48", got)
	}
}

// TestIPv6ClientsShareTheBudgetOfTheirPrefix reproduces the review's finding
// that three addresses of one /64 got three budgets.
func TestIPv6ClientsShareTheBudgetOfTheirPrefix(t *testing.T) {
	tests := []struct {
		name       string
		ipv6Prefix int
		first      string
		second     string
		shared     bool
	}{
		{name: "one /64 by default", first: "2001:db8:1:2::1", second: "2001:db8:1:2:ffff:ffff:ffff:ffff", shared: true},
		{name: "two /64s by default", first: "2001:db8:1:2::1", second: "2001:db8:1:3::1", shared: false},
		{name: "one /56", ipv6Prefix: 56, first: "2001:db8:1:2::1", second: "2001:db8:1:3::1", shared: true},
		{name: "two /56s", ipv6Prefix: 56, first: "2001:db8:1:2::1", second: "2001:db8:1:102::1", shared: false},
		{name: "per address at 128", ipv6Prefix: 128, first: "2001:db8:1:2::1", second: "2001:db8:1:2::2", shared: false},
		{name: "zones dropped", first: "fe80::1%eth0", second: "fe80::2%eth1", shared: true},
		{name: "IPv4 per address", first: "192.0.2.1", second: "192.0.2.2", shared: false},
		{name: "IPv4-mapped is its IPv4 address", first: "::ffff:192.0.2.1", second: "192.0.2.1", shared: true},
		// Both lie in ::ffff:0:0/96, one /64 if they counted as IPv6.
		{name: "IPv4-mapped per address", first: "::ffff:192.0.2.1", second: "::ffff:192.0.2.2", shared: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLimiter(t, Config{
				Rates:            map[string]Rate{ClassDraftCreate: {2, time.Hour}},
				IPv6PrefixLength: tt.ipv6Prefix,
			})
			freezeClock(l)
			if got := spend(t, l, ClassDraftCreate, netip.MustParseAddr(tt.first), 2); got != 2 {
				t.Fatalf("%s: %d of 2 allowed, want 2", tt.first, got)
			}
			got := spend(t, l, ClassDraftCreate, netip.MustParseAddr(tt.second), 1)
			if want := map[bool]int{true: 0, false: 1}[tt.shared]; got != want {
				t.Errorf("%s after %s spent the budget: %d of 1 allowed, want %d", tt.second, tt.first, got, want)
			}
		})
	}
}

// TestIPv6AddressRotationSpendsOneBudget reproduces the review's flood: every
// request of 251,507 from a random address of one /64 passed a limit of
// 200/minute.
func TestIPv6AddressRotationSpendsOneBudget(t *testing.T) {
	l := newTestLimiter(t, Config{})
	freezeClock(l)
	network := netip.MustParsePrefix("2001:db8:1:2::/64").Addr().As16()
	random := mathrand.New(mathrand.NewPCG(1, 2))
	allowed := 0
	for range 5000 {
		addr := network
		binary.BigEndian.PutUint64(addr[8:], random.Uint64())
		allowed += spend(t, l, ClassRead, netip.AddrFrom16(addr), 1)
	}
	if allowed != 200 {
		t.Errorf("%d of 5000 requests from random addresses of one /64 allowed, want the budget of 200", allowed)
	}
}
