package server

// Tests of issue 11 (hardening) on faults: /health bursts, database failures mid-query,
// clients that go away mid-response, and draining before shutdown.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/internal/testlog"
)

// Issue 11, item 6: a burst of /health calls makes one database round trip, not one each.
func TestHealthBurstSharesOneDatabaseCheck(t *testing.T) {
	var pings atomic.Int32
	check := &dbCheck{ping: func(context.Context) error {
		pings.Add(1)
		time.Sleep(50 * time.Millisecond)
		return nil
	}}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 1000 {
		wg.Go(func() {
			if check.result(context.Background()) != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := pings.Load(); n != 1 || failed.Load() != 0 {
		t.Fatalf("1000 concurrent checks made %d pings, %d failed; want 1 ping, none failed", n, failed.Load())
	}

	// Through HTTP against the real database with a pool of 8: every call of a burst of 500
	// says healthy.
	env := newTestEnv(t, testOptions{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 500}}
	var unhealthy atomic.Int32
	for range 500 {
		wg.Go(func() {
			resp, err := client.Get(env.URL + "/health")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				unhealthy.Add(1)
			}
		})
	}
	wg.Wait()
	if n := unhealthy.Load(); n != 0 {
		t.Errorf("%d of 500 simultaneous /health calls were not 200 with the database up", n)
	}
}

// lockDrafts holds an exclusive lock on the drafts table until the test ends (or unlock is
// called), so that a query on it waits in the middle of its execution.
func lockDrafts(t *testing.T) (unlock func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE drafts IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unlock = func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			_ = conn.Close(ctx)
		})
	}
	t.Cleanup(unlock)
	return unlock
}

// waitForLockWaiters waits until n queries wait for a lock in the package database.
func waitForLockWaiters(t *testing.T, n int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var waiting int
		if err := conn.QueryRow(context.Background(), `
			SELECT count(*)
			FROM pg_stat_activity
			WHERE datname = current_database()
			  AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d queries wait for the lock, want %d", waiting, n)
		}
	}
}

// Issue 11, item 14: a database connection cut in the middle of a query (unexpected EOF, not a
// PostgreSQL error) is 503 like any other database failure; an outage under load is one WARN
// line, and its end is logged with the count even when nobody calls /health.
func TestDatabaseCutMidQueryIs503AndOneLogLine(t *testing.T) {
	target, _ := url.Parse(dbURL)
	proxy := newFlakyProxy(t, target.Host)
	env := newTestEnv(t, testOptions{DatabaseURL: viaProxy(t, proxy)})
	ctx := context.Background()
	unlock := lockDrafts(t)

	type result struct {
		status     int
		retryAfter string
		body       []byte
	}
	got := make(chan result, 1)
	go func() {
		r, err := env.Client.CreateDraftWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"payload":{}}`))
		if err != nil {
			got <- result{body: []byte(err.Error())}
			return
		}
		got <- result{r.StatusCode(), r.HTTPResponse.Header.Get("Retry-After"), r.Body}
	}()
	waitForLockWaiters(t, 1)
	proxy.down() // the connection goes away while the INSERT waits
	r := <-got
	if r.status != http.StatusServiceUnavailable || r.retryAfter == "" {
		t.Fatalf("query cut mid-way: %d (Retry-After %q) %s\n%s", r.status, r.retryAfter, r.body, env.Logs.String())
	}
	unlock()

	// Fifty more requests fail while the database is away: all 503, still one warning.
	var wg sync.WaitGroup
	var not503 atomic.Int32
	for range 50 {
		wg.Go(func() {
			r, err := env.Client.CreateDraftWithResponse(ctx, gen.DraftCreate{Payload: json.RawMessage(`{}`)})
			if err != nil || r.StatusCode() != http.StatusServiceUnavailable {
				not503.Add(1)
			}
		})
	}
	wg.Wait()
	if n := not503.Load(); n != 0 {
		t.Errorf("%d of 50 requests during the outage were not 503", n)
	}
	logs := env.Logs.String()
	if n := strings.Count(logs, `"level":"WARN"`); n != 1 {
		t.Errorf("%d WARN lines for one outage, want 1:\n%s", n, logs)
	}
	if strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("an ERROR line for a database outage:\n%s", logs)
	}

	proxy.up()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(env.Logs.String(), `"msg":"database available again"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the end of the outage was never logged:\n%s", env.Logs.String())
		}
	}
	var end struct {
		Failed int `json:"failed_requests"`
	}
	for _, line := range strings.Split(env.Logs.String(), "\n") {
		if strings.Contains(line, `"msg":"database available again"`) {
			_ = json.Unmarshal([]byte(line), &end)
		}
	}
	if end.Failed < 51 {
		t.Errorf("the outage's end counts %d failed requests, want at least 51", end.Failed)
	}
}

// TestDatabaseFailureClassification pins which errors are database failures (503) and which
// are not (400 or 500).
func TestDatabaseFailureClassification(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("store: create draft: failed to receive message: %w", io.ErrUnexpectedEOF),
		fmt.Errorf("store: x: %w", io.EOF),
		fmt.Errorf("store: x: %w", syscall.ECONNRESET),
		fmt.Errorf("store: x: %w", net.ErrClosed),
		fmt.Errorf("store: x: %w", context.DeadlineExceeded),
		errors.New("store: x: closed pool"),
		errors.New("store: x: conn closed"),
		&pgconn.PgError{Code: "57014"}, &pgconn.PgError{Code: "53200"}, &pgconn.PgError{Code: "08006"}, &pgconn.PgError{Code: "57P01"},
	} {
		if !databaseFailure(err) {
			t.Errorf("%v is not taken for a database failure", err)
		}
	}
	for _, err := range []error{
		errors.New("server: create draft: no base URL in context"),
		&pgconn.PgError{Code: "23505"}, &pgconn.PgError{Code: "22021"}, &pgconn.PgError{Code: "42P01"},
	} {
		if databaseFailure(err) {
			t.Errorf("%v is taken for a database failure", err)
		}
	}
}

// Issue 11, item 14: a client that goes away in the middle of a response is logged as such (at
// debug level), not as a database outage, and no second status line is attempted.
func TestClientGoneMidResponse(t *testing.T) {
	env := newTestEnv(t, testOptions{Server: Config{MaxBodyBytes: 16 << 20, MaxInflightBodyBytes: 16 << 20}})
	big := `{"x":"` + strings.Repeat("x", 8<<20) + `"}`
	token := createDraft(t, env, gen.DraftCreate{Payload: json.RawMessage(big)})

	// The package's server, with net/http's own error log captured.
	handler, err := env.Server.Handler()
	if err != nil {
		t.Fatal(err)
	}
	var serverLog testlog.Buffer
	ts := httptest.NewUnstartedServer(handler)
	ts.Config.ErrorLog = log.New(&serverLog, "", 0)
	ts.Start()
	t.Cleanup(ts.Close)

	// A client with a small receive window reads the status line and hangs up: the 8 MiB
	// answer cannot all be written before it is gone.
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := dialer.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET /api/v1/drafts/"+token+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("status line %q: %v", line, err)
	}
	c.Close()

	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(env.Logs.String(), `"msg":"client disconnected"`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no client-disconnected line:\n%.3000s", env.Logs.String())
		}
	}
	for _, line := range strings.Split(env.Logs.String(), "\n") {
		if strings.Contains(line, `"msg":"client disconnected"`) && !strings.Contains(line, `"level":"DEBUG"`) {
			t.Errorf("a disconnect logged above debug: %s", line)
		}
	}
	if logs := env.Logs.String(); strings.Contains(logs, "database unavailable") || strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("a client that went away was logged as a failure:\n%.3000s", logs)
	}
	time.Sleep(100 * time.Millisecond) // net/http logs a superfluous WriteHeader as it happens
	if strings.Contains(serverLog.String(), "superfluous") {
		t.Errorf("net/http: %s", serverLog.String())
	}
}

// Issue 11, item 15, the server's part: while draining, /health answers 503 draining and every
// other request is served; once keep-alives are closed, each response closes its connection.
func TestDrainingAndClosingKeepAlives(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	ctx := context.Background()
	env.Server.Drain()
	health, err := env.Client.GetHealthWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if health.StatusCode() != http.StatusServiceUnavailable || health.JSON503 == nil || health.JSON503.Status != gen.HealthStatusDraining {
		t.Fatalf("health while draining: %d %s", health.StatusCode(), health.Body)
	}
	counts, err := env.Client.GetEntityCountsWithResponse(ctx)
	if err != nil || counts.StatusCode() != http.StatusOK {
		t.Fatalf("a read while draining: %v %d", err, counts.StatusCode())
	}
	if counts.HTTPResponse.Close {
		t.Error("a response while draining closes its connection; keep-alives end only after the drain")
	}
	env.Server.CloseKeepAlives()
	counts, err = env.Client.GetEntityCountsWithResponse(ctx)
	if err != nil || counts.StatusCode() != http.StatusOK {
		t.Fatalf("a read after keep-alives were closed: %v %d", err, counts.StatusCode())
	}
	if !counts.HTTPResponse.Close {
		t.Error("a response after CloseKeepAlives keeps its connection open")
	}
}

// Issue 11, item 15: a request cut short by the shutdown (its context cancelled with
// ErrShuttingDown) is answered 503 with Retry-After, not left without an answer.
func TestRequestCutByShutdownIs503(t *testing.T) {
	env := newTestEnv(t, testOptions{})
	handler, err := env.Server.Handler()
	if err != nil {
		t.Fatal(err)
	}
	requests, stop := context.WithCancelCause(context.Background())
	ts := httptest.NewUnstartedServer(handler)
	ts.Config.BaseContext = func(net.Listener) context.Context { return requests }
	ts.Start()
	t.Cleanup(ts.Close)
	lockDrafts(t)

	got := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/api/v1/drafts", "application/json", strings.NewReader(`{"payload":{}}`))
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		got <- resp
	}()
	waitForLockWaiters(t, 1)
	stop(ErrShuttingDown)
	resp := <-got
	if resp == nil {
		t.FailNow()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := decodeProblem(t, resp, body, http.StatusServiceUnavailable)
	if p.Detail != detailShuttingDown || resp.Header.Get("Retry-After") == "" {
		t.Errorf("answer to a request cut by the shutdown: %s (Retry-After %q)", body, resp.Header.Get("Retry-After"))
	}
	if !bytes.Contains([]byte(env.Logs.String()), []byte("cut short by the shutdown")) {
		t.Errorf("the cut request is not logged:\n%s", env.Logs.String())
	}
}
