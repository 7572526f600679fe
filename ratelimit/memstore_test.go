package ratelimit

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ontohub/ontohub/internal/testlog"
)

// checkHeap fails t unless the store's heap holds each budget once.
func checkHeap(t *testing.T, s *memStore) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.byTAT) != len(s.budgets) {
		t.Errorf("heap holds %d entries for %d budgets", len(s.byTAT), len(s.budgets))
	}
	for i, e := range s.byTAT {
		if s.budgets[e.budget.key] != e.budget {
			t.Errorf("heap entry %d, key %s, is not a held budget", i, e.budget.key)
		}
		if i > 0 && s.byTAT[(i-1)/2].tat > e.tat {
			t.Errorf("heap entry %d is smaller than its parent", i)
		}
	}
}

func TestFullStoreSendsNewClientsToOneOverflowBudgetPerClass(t *testing.T) {
	const maxKeys = 3
	l := newTestLimiter(t, Config{
		MaxKeys: maxKeys,
		Rates:   map[string]Rate{ClassDraftCreate: {2, time.Hour}, ClassList: {2, time.Hour}},
		Logger:  slog.New(slog.DiscardHandler),
	})
	advance := freezeClock(l)
	held := []netip.Addr{floodAddr(0, 1), floodAddr(0, 2), floodAddr(0, 3)}
	for _, c := range held {
		spend(t, l, ClassDraftCreate, c, 1)
	}
	steps := []struct {
		class  string
		client netip.Addr
		n      int
		want   int
	}{
		// New clients share a budget of 2: two get through, then nobody.
		{ClassDraftCreate, floodAddr(1, 1), 1, 1},
		{ClassDraftCreate, floodAddr(1, 2), 1, 1},
		{ClassDraftCreate, floodAddr(1, 3), 1, 0},
		{ClassDraftCreate, floodAddr(1, 1), 1, 0},
		// Another class has an overflow budget of its own.
		{ClassList, floodAddr(1, 4), 3, 2},
		// Clients the store holds keep what is left of their own budgets.
		{ClassDraftCreate, held[0], 2, 1},
		{ClassDraftCreate, held[1], 2, 1},
	}
	for _, s := range steps {
		if got := spend(t, l, s.class, s.client, s.n); got != s.want {
			t.Errorf("%s %s: %d of %d allowed, want %d", s.class, s.client, got, s.n, s.want)
		}
	}
	if n := l.local.len(); n != maxKeys {
		t.Errorf("store holds %d keys, want %d", n, maxKeys)
	}

	// Once the held budgets have recovered, new clients get budgets of
	// their own again: two clients spend two requests each.
	advance(time.Hour)
	for _, c := range []netip.Addr{floodAddr(2, 1), floodAddr(2, 2)} {
		if got := spend(t, l, ClassDraftCreate, c, 2); got != 2 {
			t.Errorf("after recovery %s: %d of 2 allowed, want its own budget of 2", c, got)
		}
	}
	checkHeap(t, l.local)
}

func TestFullStoreWarnsOncePerOverflow(t *testing.T) {
	logs := &testlog.Buffer{}
	l := newTestLimiter(t, Config{
		MaxKeys: 10,
		Rates:   map[string]Rate{ClassDraftCreate: {20, time.Hour}},
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	advance := freezeClock(l)
	counts := func() (warn, info int) {
		return strings.Count(logs.String(), "level=WARN"), strings.Count(logs.String(), "level=INFO")
	}
	flood := func(round, n int) {
		for i := range n {
			spend(t, l, ClassDraftCreate, floodAddr(round, i), 1)
		}
	}

	flood(0, 100)
	if warn, info := counts(); warn != 1 || info != 0 {
		t.Fatalf("one overflow of 90 clients: %d warnings, %d infos; want 1 and 0:\n%s", warn, info, logs)
	}
	if !strings.Contains(logs.String(), "max_keys=10") {
		t.Errorf("the warning does not name the cap:\n%s", logs)
	}
	// A new client every ten seconds for an hour: a budget recovers three
	// minutes after it was spent and lets the next client in, between
	// clients sent to overflow. Still one overflow, not one per client let in.
	for i := range 360 {
		spend(t, l, ClassDraftCreate, floodAddr(1, i), 1)
		advance(10 * time.Second)
	}
	if warn, info := counts(); warn != 1 || info != 0 {
		t.Errorf("a flood going on: %d warnings, %d infos; want 1 and 0:\n%s", warn, info, logs)
	}

	// Quiet for longer than overflowQuiet, a new client gets a budget of its
	// own: the overflow is over.
	advance(overflowQuiet + 3*time.Minute)
	flood(2, 1)
	if warn, info := counts(); warn != 1 || info != 1 {
		t.Errorf("after the flood: %d warnings, %d infos; want 1 and 1:\n%s", warn, info, logs)
	}
	flood(3, 100)
	if warn, info := counts(); warn != 2 || info != 1 {
		t.Errorf("a second flood: %d warnings, %d infos; want 2 and 1:\n%s", warn, info, logs)
	}
}

// TestFullStoreUnderConcurrentFlood floods a small store from several
// goroutines while the clock moves on a microsecond at a time, so that the
// flood's budgets keep recovering and being dropped under concurrent checks;
// an exhausted client must stay exhausted throughout.
func TestFullStoreUnderConcurrentFlood(t *testing.T) {
	const maxKeys = 50
	l := newTestLimiter(t, Config{
		MaxKeys: maxKeys,
		Rates:   map[string]Rate{ClassDraftCreate: {20, time.Hour}, ClassRead: {1 << 30, time.Hour}},
		Logger:  slog.New(slog.DiscardHandler),
	})
	advance := freezeClock(l)
	if got := spend(t, l, ClassDraftCreate, clientA, 20); got != 20 {
		t.Fatalf("victim: %d of 20 allowed", got)
	}
	var (
		wg            sync.WaitGroup
		victimAllowed atomic.Int64
		failures      atomic.Int64
	)
	// check is spend for other goroutines, which must not stop the test.
	check := func(class string, client netip.Addr) bool {
		res, err := l.Allow(context.Background(), class, client)
		if err != nil {
			failures.Add(1)
		}
		return res.Allowed
	}
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				check(ClassRead, floodAddr(g, i))
				check(ClassDraftCreate, floodAddr(g, i))
				advance(time.Microsecond)
			}
		})
	}
	wg.Go(func() {
		for range 2000 {
			if check(ClassDraftCreate, clientA) {
				victimAllowed.Add(1)
			}
		}
	})
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Errorf("%d checks failed", n)
	}
	if n := victimAllowed.Load(); n != 0 {
		t.Errorf("the exhausted victim got %d requests through during the flood, want 0", n)
	}
	if n := l.local.len(); n > maxKeys {
		t.Errorf("store holds %d keys, more than the cap %d", n, maxKeys)
	}
	checkHeap(t, l.local)
}

func TestTATHeapOrdersByTAT(t *testing.T) {
	var h tatHeap
	for _, tat := range []int64{5, 3, 9, 1, 7, 3, 8} {
		h.push(tatEntry{budget: &budget{}, tat: tat})
	}
	h.replaceTop(tatEntry{budget: &budget{}, tat: 6}) // the 1 becomes a 6
	var got []int64
	for len(h) > 0 {
		got = append(got, h[0].tat)
		h.pop()
	}
	want := []int64{3, 3, 5, 6, 7, 8, 9}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %v, want %v", got, want)
		}
	}
}
