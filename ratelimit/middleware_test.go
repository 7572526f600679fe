package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
})

// serve sends one GET through h from remote, with optional X-Forwarded-For.
func serve(h http.Handler, remote string, xff ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/api/drafts/secret-token", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func wantHeaders(t *testing.T, w *httptest.ResponseRecorder, want map[string]string) {
	t.Helper()
	for name, value := range want {
		if got := w.Header().Get(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}

func TestMiddlewareHeadersOnSuccess(t *testing.T) {
	l := newTestLimiter(t, Config{})
	freezeClock(l)
	h := l.Middleware(ClassDraftCreate, okHandler)
	w := serve(h, "192.0.2.1:1234")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	// One request of 20/hour spent: it comes back after three minutes.
	wantHeaders(t, w, map[string]string{
		"RateLimit-Limit":     "20",
		"RateLimit-Remaining": "19",
		"RateLimit-Reset":     "180",
		"Retry-After":         "",
	})
}

func TestMiddlewareHeadersVisibleToHandler(t *testing.T) {
	l := newTestLimiter(t, Config{})
	var seen string
	h := l.Middleware(ClassRead, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = w.Header().Get("RateLimit-Remaining")
	}))
	serve(h, "192.0.2.1:1234")
	if seen != "199" {
		t.Errorf("handler saw RateLimit-Remaining %q, want 199", seen)
	}
}

func TestMiddlewareRetryAfterIsTheRealWait(t *testing.T) {
	tests := []struct {
		rate           Rate
		wantRetryAfter string
		wantReset      string
	}{
		{Rate{1, time.Second}, "1", "1"},
		{Rate{20, time.Hour}, "180", "3600"},
		{Rate{100, time.Minute}, "1", "60"}, // 0.6s rounded up
		{Rate{3, 24 * time.Hour}, "28800", "86400"},
	}
	for _, tt := range tests {
		t.Run(tt.rate.String(), func(t *testing.T) {
			var callbackWait time.Duration
			l := newTestLimiter(t, Config{
				Rates: map[string]Rate{ClassDraftCreate: tt.rate},
				OnLimited: func(w http.ResponseWriter, r *http.Request, retryAfter time.Duration) {
					callbackWait = retryAfter
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(http.StatusTooManyRequests)
				},
			})
			freezeClock(l)
			h := l.Middleware(ClassDraftCreate, okHandler)
			for i := range tt.rate.Count {
				if w := serve(h, "192.0.2.1:1234"); w.Code != http.StatusOK {
					t.Fatalf("request %d: status %d, want 200", i+1, w.Code)
				}
			}
			w := serve(h, "192.0.2.1:1234")
			if w.Code != http.StatusTooManyRequests {
				t.Fatalf("request %d: status %d, want 429", tt.rate.Count+1, w.Code)
			}
			wantHeaders(t, w, map[string]string{
				"Retry-After":         tt.wantRetryAfter,
				"RateLimit-Limit":     strconv.Itoa(tt.rate.Count),
				"RateLimit-Remaining": "0",
				"RateLimit-Reset":     tt.wantReset,
				"Content-Type":        "application/problem+json",
			})
			if want, _ := time.ParseDuration(tt.wantRetryAfter + "s"); callbackWait != want {
				t.Errorf("callback got retryAfter %s, want %s", callbackWait, want)
			}
		})
	}
}

func TestMiddlewareDefaultLimitedResponse(t *testing.T) {
	l := newTestLimiter(t, Config{Rates: map[string]Rate{ClassList: {1, time.Minute}}})
	h := l.Middleware(ClassList, okHandler)
	serve(h, "192.0.2.1:1234")
	if w := serve(h, "192.0.2.1:1234"); w.Code != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429", w.Code)
	}
}

func TestMiddlewareIgnoresSpoofedForwardedFor(t *testing.T) {
	l := newTestLimiter(t, Config{Rates: map[string]Rate{ClassDraftCreate: {2, time.Hour}}})
	h := l.Middleware(ClassDraftCreate, okHandler)
	// Without trusted proxies, a fresh X-Forwarded-For each time does not
	// buy a fresh budget.
	codes := []int{
		serve(h, "192.0.2.1:1234", "203.0.113.1").Code,
		serve(h, "192.0.2.1:1235", "203.0.113.2").Code,
		serve(h, "192.0.2.1:1236", "203.0.113.3").Code,
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Errorf("statuses %v, want [200 200 429]", codes)
	}
}

func TestMiddlewareHonoursTrustedProxy(t *testing.T) {
	l := newTestLimiter(t, Config{
		Rates:          map[string]Rate{ClassDraftCreate: {1, time.Hour}},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	h := l.Middleware(ClassDraftCreate, okHandler)
	// Two clients behind one proxy have budgets of their own...
	if w := serve(h, "10.0.0.5:443", "203.0.113.1"); w.Code != 200 {
		t.Errorf("first client: status %d, want 200", w.Code)
	}
	if w := serve(h, "10.0.0.5:443", "203.0.113.2"); w.Code != 200 {
		t.Errorf("second client: status %d, want 200", w.Code)
	}
	// ...and the first one's is spent, whichever entry it prepends.
	if w := serve(h, "10.0.0.5:443", "6.6.6.6, 203.0.113.1"); w.Code != 429 {
		t.Errorf("first client again: status %d, want 429", w.Code)
	}
}

func TestMiddlewareDisabledPassesThrough(t *testing.T) {
	l, err := New(Config{Enabled: false, Rates: map[string]Rate{ClassDraftCreate: {1, time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := l.Middleware(ClassDraftCreate, okHandler)
	for range 3 {
		w := serve(h, "192.0.2.1:1234")
		if w.Code != http.StatusOK {
			t.Fatalf("status %d, want 200", w.Code)
		}
		if len(w.Header()) != 0 {
			t.Fatalf("disabled limiter set headers %v", w.Header())
		}
	}
}

func TestMiddlewarePanicsOnUnknownClass(t *testing.T) {
	l := newTestLimiter(t, Config{})
	defer func() {
		if recover() == nil {
			t.Error("Middleware with an unknown class did not panic")
		}
	}()
	l.Middleware("nope", okHandler)
}

func TestConcurrentRequestsThroughMiddleware(t *testing.T) {
	l := newTestLimiter(t, Config{})
	h := l.Middleware(ClassDraftCreate, okHandler)
	codes := make(chan int, 50)
	start := make(chan struct{})
	for range 50 {
		go func() {
			<-start
			codes <- serve(h, "192.0.2.1:1234").Code
		}()
	}
	close(start)
	counts := map[int]int{}
	for range 50 {
		counts[<-codes]++
	}
	if counts[200] != 20 || counts[429] != 30 || len(counts) != 2 {
		t.Errorf("status counts %v, want 20×200 and 30×429", counts)
	}
}

func TestCeilSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		-time.Second:                           0,
		0:                                      0,
		time.Nanosecond:                        1,
		time.Second:                            1,
		time.Second + time.Nanosecond:          2,
		179*time.Second + 999*time.Millisecond: 180,
	} {
		if got := ceilSeconds(d); got != want {
			t.Errorf("ceilSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestMiddlewareReportsDecisions(t *testing.T) {
	type decision struct {
		class   string
		allowed bool
	}
	var got []decision
	l := newTestLimiter(t, Config{
		Rates:      map[string]Rate{ClassDraftCreate: {Count: 1, Period: time.Hour}},
		OnDecision: func(class string, allowed bool, err error) { got = append(got, decision{class, allowed && err == nil}) },
	})
	freezeClock(l)
	h := l.Middleware(ClassDraftCreate, okHandler)
	serve(h, "192.0.2.1:1234")
	serve(h, "192.0.2.1:1234")
	want := []decision{{ClassDraftCreate, true}, {ClassDraftCreate, false}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("decisions = %v, want %v", got, want)
	}
}
