package server

// Tests of issue 11 (hardening) on what clients send: numbers, strict JSON, body budgets,
// unread bodies, search bounds, expensive requests and the capability URL's host.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/snapshot"
)

// postRaw sends body to POST /api/v1/drafts and returns the status and response body.
func postRaw(t *testing.T, env *testEnv, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(env.URL+"/api/v1/drafts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// Issue 11, item 1: numbers outside what JSON users expect are refused naming the field, and a
// draft comes back as large as it was stored, however its numbers are written.
func TestDraftNumbersAreBoundedAndComeBackAsSent(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	marker := newMarker(t)
	refused := []struct{ name, number, field string }{
		{"beyond PostgreSQL numeric", "1e131072", "payload/n/0"},
		{"huge exponent", "1e131071", "payload/n/0"},
		{"beyond a double", "1e309", "payload/n/0"},
		{"underflows to zero", "1e-16384", "payload/n/0"},
		{"a hundred digits", strings.Repeat("9", 100), "payload/n/0"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"source_wiki":"` + marker + `","payload":{"n":[` + tc.number + `]}}`)
			resp, b := postRaw(t, env, body)
			p := decodeProblem(t, resp, b, http.StatusBadRequest)
			if !hasFieldError(p, gen.FieldErrorLocationBody, tc.field) {
				t.Errorf("errors do not name %s: %s", tc.field, b)
			}
		})
	}
	if n := countDrafts(t, env, marker); n != 0 {
		t.Fatalf("%d drafts stored from refused numbers", n)
	}

	// Doubles and 64-bit integers at their limits are accepted and come back as written.
	accepted := `{"n":[9223372036854775807,-9223372036854775808,1.7976931348623157e308,5e-324,0.1,-0]}`
	token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(accepted)})
	got, err := env.Client.GetDraftWithResponse(context.Background(), token)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get: %v %s", err, got.Body)
	}
	if !bytes.Equal(got.JSON200.Payload, []byte(accepted)) {
		t.Errorf("payload came back as %s, want %s", got.JSON200.Payload, accepted)
	}

	// A thousand 1e300 (7 KB) would print as 301 KB of digits from jsonb; the response stays
	// within a kilobyte of what was sent.
	payload := "[" + strings.TrimSuffix(strings.Repeat("1e300,", 1000), ",") + "]"
	token = createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(`{"n":` + payload + `}`)})
	got, err = env.Client.GetDraftWithResponse(context.Background(), token)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get: %v", err)
	}
	if len(got.Body) > len(payload)+1024 {
		t.Errorf("a %d-byte payload came back as %d bytes", len(payload), len(got.Body))
	}
}

// Issue 11, item 7: trailing data, a second document, invalid UTF-8, lone surrogates and
// duplicate keys are each 400, and nothing is stored.
func TestDraftBodiesMustBeStrictJSON(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	marker := newMarker(t)
	valid := `{"source_wiki":"` + marker + `","payload":{}}`
	tests := []struct{ name, body string }{
		{"trailing text", valid + "xyz"},
		{"two documents", valid + valid},
		{"invalid UTF-8", `{"source_wiki":"` + marker + `","payload":{"x":"` + "\xff\xfe" + `"}}`},
		{"lone surrogate", `{"source_wiki":"` + marker + `","payload":{"x":"\ud800"}}`},
		{"duplicate key", `{"source_wiki":"` + marker + `","payload":{"x":1,"x":2}}`},
		{"duplicate top-level key", `{"source_wiki":"` + marker + `","payload":{},"payload":{"y":1}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := postRaw(t, env, []byte(tc.body))
			decodeProblem(t, resp, b, http.StatusBadRequest)
		})
	}
	if n := countDrafts(t, env, marker); n != 0 {
		t.Errorf("%d drafts stored from bodies that are not strict JSON", n)
	}
}

// rawConn is a client that writes requests byte by byte as the test says.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// response reads one response and its body.
func (c *rawConn) response(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return resp, b
}

// Issue 11, item 2: bodies held in memory at once are bounded by MaxInflightBodyBytes (503 with
// Retry-After beyond it), and a draft's token is checked before its body is read.
func TestBodyBudgetBoundsBodiesInFlight(t *testing.T) {
	env := newTestEnv(t, testOptions{Server: Config{MaxBodyBytes: 4096, MaxInflightBodyBytes: 4096}})
	marker := newMarker(t)
	body := func(size int) string {
		b := `{"source_wiki":"` + marker + `","payload":{"x":"`
		return b + strings.Repeat("x", size-len(b)-3) + `"}}`
	}
	head := func(size int) string {
		return fmt.Sprintf("POST /api/v1/drafts HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
	}

	// A slow client holds 3000 bytes of the budget while its body trickles in.
	slow := dialRaw(t, env.URL)
	slowBody := body(3000)
	if _, err := io.WriteString(slow, head(3000)+slowBody[:10]); err != nil {
		t.Fatal(err)
	}
	// Wait until the server has taken its share (a request sent sooner could take it first).
	for deadline := time.Now().Add(10 * time.Second); env.Server.bodies.used.Load() < 3000; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow body never took its share of the budget")
		}
	}
	// Another 2000 bytes do not fit: 503 at once, with Retry-After.
	resp, b := postRaw(t, env, []byte(body(2000)))
	decodeProblem(t, resp, b, http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 for a full body budget without Retry-After")
	}
	// A PATCH to an unknown draft is answered 404 before its body is read: the full budget
	// does not matter to it.
	unknown := strings.Repeat("A", 43)
	req, _ := http.NewRequest(http.MethodPatch, env.URL+"/api/v1/drafts/"+unknown, strings.NewReader(body(2000)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	decodeProblem(t, resp, b, http.StatusNotFound)

	// The slow body completes and is stored; its share comes back and the next body fits.
	if _, err := io.WriteString(slow, slowBody[10:]); err != nil {
		t.Fatal(err)
	}
	if resp, b := slow.response(t); resp.StatusCode != http.StatusCreated {
		t.Fatalf("slow body: %d %s", resp.StatusCode, b)
	}
	if resp, b := postRaw(t, env, []byte(body(2000))); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after the budget came back: %d %s", resp.StatusCode, b)
	}
	if n := countDrafts(t, env, marker); n != 2 {
		t.Errorf("%d drafts stored, want 2", n)
	}
}

// Issue 11, item 8: a client that sends its whole oversized body before it reads gets the 413,
// not a reset, every time: the server reads and discards what it did not need.
func TestOversizedBodySentWholeStillGets413(t *testing.T) {
	env := newTestEnv(t, testOptions{Server: Config{MaxBodyBytes: 1 << 20}})
	body := bytes.Repeat([]byte("x"), 2<<20)
	for i := range 3 {
		c := dialRaw(t, env.URL)
		req := fmt.Sprintf("POST /api/v1/drafts HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		// Python's urllib: write everything, then read — here over a second, as on a slow
		// link, longer than net/http waits before it closes a connection it stopped reading.
		for chunk := range slices.Chunk(body, 64<<10) {
			if _, err := c.Write(chunk); err != nil {
				t.Fatalf("try %d: writing the body: %v", i, err)
			}
			time.Sleep(30 * time.Millisecond)
		}
		resp, b := c.response(t)
		decodeProblem(t, resp, b, http.StatusRequestEntityTooLarge)
	}
}

// Issue 11, item 5: a search is bounded in length (the contract's 200 characters) and in words.
func TestSearchIsBoundedInLengthAndWords(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	search := func(q string) *gen.ListEntitiesResponse {
		t.Helper()
		r, err := env.Client.ListEntitiesWithResponse(ctx, gen.EntityTypeCategory, &gen.ListEntitiesParams{Q: &q})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	eight := strings.TrimSpace(strings.Repeat("a ", snapshot.MaxSearchWords))
	if r := search(eight); r.StatusCode() != http.StatusOK {
		t.Fatalf("%d words: %d %s", snapshot.MaxSearchWords, r.StatusCode(), r.Body)
	}
	for _, q := range []string{eight + " b", strings.Repeat("a", snapshot.MaxSearchLength+1)} {
		r := search(q)
		p := decodeProblem(t, r.HTTPResponse, r.Body, http.StatusBadRequest)
		if !hasFieldError(p, gen.FieldErrorLocationQuery, "q") {
			t.Errorf("q %.20q…: errors do not name q: %s", q, r.Body)
		}
	}
	r := search(eight + " b")
	if !strings.Contains(string(r.Body), fmt.Sprintf("at most %d", snapshot.MaxSearchWords)) {
		t.Errorf("the 400 does not state the limit: %s", r.Body)
	}
}

// Issue 11, item 5: one client address runs at most MaxExpensivePerAddr expensive requests at
// once; beyond that it gets 429 with Retry-After, while other clients and cheap requests pass.
func TestExpensiveRequestsPerAddress(t *testing.T) {
	env := newTestEnv(t, testOptions{Server: Config{MaxExpensivePerAddr: 2,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	release := make(chan struct{})
	var started sync.WaitGroup
	blocking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			started.Done()
			<-release
		}
		w.WriteHeader(http.StatusOK)
	})
	graph := env.Server.limitExpensive("GET /api/v1/categories/{entity_id}/graph", blocking)
	list := env.Server.limitExpensive("GET /api/v1/entities/{entity_type}", blocking)
	mux := http.NewServeMux()
	mux.Handle("/graph", graph)
	mux.Handle("/list", list)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	get := func(path, client string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		resp.Body.Close()
		return resp
	}

	started.Add(2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { get("/graph?hold=1", "192.0.2.1") })
		}
		wg.Wait()
	}()
	started.Wait()
	// The third expensive request of 192.0.2.1 (a search this time) is refused...
	resp := get("/list?q=person", "192.0.2.1")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" ||
		resp.Header.Get("Content-Type") != problemContentType {
		t.Errorf("third expensive request: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"),
			resp.Header.Get("Content-Type"))
	}
	// ...but its cheap list, and another client's search, are served.
	if resp := get("/list", "192.0.2.1"); resp.StatusCode != http.StatusOK {
		t.Errorf("cheap list of the busy client: %d", resp.StatusCode)
	}
	if resp := get("/list?q=person", "198.51.100.7"); resp.StatusCode != http.StatusOK {
		t.Errorf("another client's search: %d", resp.StatusCode)
	}
	close(release)
	<-done
	if resp := get("/graph", "192.0.2.1"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the running ones finished: %d", resp.StatusCode)
	}
}

// Issue 11, item 16: the capability URL is built from PUBLIC_BASE_URL, a Host in ALLOWED_HOSTS,
// or else the listener's own address — never from any Host a client sends.
func TestCapabilityURLHostMustBeAllowed(t *testing.T) {
	payload := gen.DraftCreate{Payload: json.RawMessage(`{}`)}
	create := func(env *testEnv, host string) string {
		t.Helper()
		r, err := env.Client.CreateDraftWithResponse(context.Background(), payload, func(_ context.Context, req *http.Request) error {
			req.Host = host
			return nil
		})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create with Host %s: %v", host, err)
		}
		base, _, _ := strings.Cut(r.JSON201.CapabilityUrl, "#")
		return base
	}
	open := newTestEnv(t, testOptions{})
	if got := create(open, "evil.example"); got != open.URL+"/drafts" {
		t.Errorf("Host evil.example without ALLOWED_HOSTS gave %s, want the listener's %s/drafts", got, open.URL)
	}
	allowed := newTestEnv(t, testOptions{Server: Config{AllowedHosts: []string{"hub.example.org", "drafts.example.net:8443"}}})
	for host, want := range map[string]string{
		"hub.example.org":         "http://hub.example.org/drafts",
		"HUB.example.org:8080":    "http://hub.example.org:8080/drafts",
		"drafts.example.net:8443": "http://drafts.example.net:8443/drafts",
		"drafts.example.net:9999": allowed.URL + "/drafts",
		"drafts.example.net":      allowed.URL + "/drafts",
		"evil.example":            allowed.URL + "/drafts",
		"hub.example.org.evil":    allowed.URL + "/drafts",
	} {
		if got := create(allowed, host); got != want {
			t.Errorf("Host %s gave %s, want %s", host, got, want)
		}
	}
}

func TestCheckAllowedHost(t *testing.T) {
	for _, ok := range []string{"hub.example.org", "hub.example.org:8443", "127.0.0.1:8080", "[::1]:8080", "::1", "localhost"} {
		if err := CheckAllowedHost(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"https://hub.example.org", "hub.example.org/drafts", "hub.example.org:", "a b", "user@hub"} {
		if CheckAllowedHost(bad) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
