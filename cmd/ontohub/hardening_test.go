package main

// Tests of issue 11 (hardening) on the process: settings, the bounds serve puts on connections,
// headers and memory (measured on a real server process), and a drain that loses no request.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ontohub/ontohub/connguard"
	"github.com/ontohub/ontohub/server"
)

func TestHardeningSettings(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != connguard.DefaultMaxConns || cfg.MaxConnsPerAddr != connguard.DefaultMaxConnsPerAddr ||
		cfg.MaxHeaderBytes != 64<<10 || cfg.ShutdownDrain != 5*time.Second || cfg.ShutdownTimeout != 15*time.Second ||
		cfg.MaxInflightBodyBytes != server.DefaultMaxInflightBodyBytes || cfg.MaxExpensivePerAddr != server.DefaultMaxExpensivePerAddr ||
		cfg.AllowedHosts != nil {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = loadConfig(env(map[string]string{"ALLOWED_HOSTS": "hub.example.org, [::1]:8080", "MAX_CONNS": "500",
		"MAX_CONNS_PER_ADDR": "20", "SHUTDOWN_DRAIN": "0s", "MAX_INFLIGHT_BODY_BYTES": "4194304"}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.AllowedHosts, " ") != "hub.example.org [::1]:8080" || cfg.MaxConns != 500 || cfg.MaxConnsPerAddr != 20 ||
		cfg.ShutdownDrain != 0 || cfg.MaxInflightBodyBytes != 4<<20 {
		t.Errorf("set: %+v", cfg)
	}
	if cfg, err := loadConfig(env(map[string]string{"MAX_CONNS": "100"})); err != nil || cfg.MaxConnsPerAddr != 100 {
		t.Errorf("MAX_CONNS=100 alone: %v, per address %d, want 100", err, cfg.MaxConnsPerAddr)
	}
	for name, vars := range map[string]map[string]string{
		"MAX_INFLIGHT_BODY_BYTES": {"MAX_INFLIGHT_BODY_BYTES": "1000", "MAX_BODY_BYTES": "2000"},
		"MAX_CONNS_PER_ADDR":      {"MAX_CONNS": "10", "MAX_CONNS_PER_ADDR": "11"},
		"MAX_CONNS":               {"MAX_CONNS": "0"},
		"MAX_HEADER_BYTES":        {"MAX_HEADER_BYTES": "100"},
		"MAX_EXPENSIVE_PER_ADDR":  {"MAX_EXPENSIVE_PER_ADDR": "none"},
		"SHUTDOWN_DRAIN":          {"SHUTDOWN_DRAIN": "-1s"},
		"ALLOWED_HOSTS":           {"ALLOWED_HOSTS": "https://hub.example.org"},
	} {
		if _, err := loadConfig(env(vars)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: error %v does not name %s", vars, err, name)
		}
	}
}

// startServe runs serve in this process on a fresh port and waits until it is healthy. stop is
// SIGTERM; wait returns what serve returned.
func startServe(t *testing.T, vars map[string]string) (addr string, stop context.CancelFunc, wait func() error) {
	t.Helper()
	addr = closedPort(t)
	all := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": addr, "LOG_LEVEL": "error", "RATE_LIMIT_ENABLED": "false"}
	for k, v := range vars {
		all[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, env(all), io.Discard, io.Discard) }()
	wait = sync.OnceValue(func() error {
		select {
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("serve did not return within 30s")
		}
	})
	t.Cleanup(func() {
		cancel()
		_ = wait()
	})
	waitHealthy(t, addr, errc)
	return addr, cancel, wait
}

// waitHealthy polls /health until it answers 200.
func waitHealthy(t *testing.T, addr string, exited <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not become healthy")
		}
	}
}

// keepAliveClient sends requests one after another on one connection, as a keep-alive client
// does, until the server closes it with Connection: close. Anything else that ends the
// connection — a reset, an EOF without a response — is a lost request.
func keepAliveClient(addr, path string, served *atomic.Int64) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
			return fmt.Errorf("after %d responses: write: %w", served.Load(), err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fmt.Errorf("after %d responses: read: %w", served.Load(), err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("response %d: %v", resp.StatusCode, err)
		}
		served.Add(1)
		if resp.Close {
			return nil
		}
	}
}

// Issue 11, item 15: after SIGTERM the server keeps serving for SHUTDOWN_DRAIN with /health
// at 503 draining, new connections included; then keep-alive connections are closed after a
// response, and no client sees a reset.
func TestShutdownDrainsWithoutResets(t *testing.T) {
	addr, stop, done := startServe(t, map[string]string{"SHUTDOWN_DRAIN": "1s", "SHUTDOWN_TIMEOUT": "5s"})
	const clients = 8
	var served atomic.Int64
	errs := make(chan error, clients)
	for range clients {
		go func() { errs <- keepAliveClient(addr, "/api/v1/entities", &served) }()
	}
	for served.Load() < 100 {
		time.Sleep(10 * time.Millisecond)
	}
	stop() // SIGTERM
	before := served.Load()

	// While draining: /health says so, and other requests are still served, on new
	// connections too.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/health")
		if err != nil {
			t.Fatalf("/health while draining: %v", err)
		}
		var h struct{ Status string }
		_ = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && h.Status == "draining" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health while draining: %d %q", resp.StatusCode, h.Status)
		}
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get("http://" + addr + "/api/v1/entities")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a new connection while draining: %v %v", err, resp)
	}
	resp.Body.Close()

	for range clients {
		if err := <-errs; err != nil {
			t.Errorf("keep-alive client: %v", err)
		}
	}
	if err := done(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if served.Load() <= before {
		t.Errorf("no request served after SIGTERM (%d before, %d in all)", before, served.Load())
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}

// Issue 11, item 15: a request still running at SHUTDOWN_TIMEOUT is answered 503, not cut.
func TestRequestRunningAtShutdownTimeoutGets503(t *testing.T) {
	addr, stop, done := startServe(t, map[string]string{"SHUTDOWN_DRAIN": "0s", "SHUTDOWN_TIMEOUT": "1s"})
	// The draft INSERT waits for this lock for longer than the shutdown allows.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE drafts IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		resp *http.Response
		body []byte
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/api/v1/drafts", "application/json", strings.NewReader(`{"payload":{}}`))
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{resp, b, err}
	}()
	time.Sleep(300 * time.Millisecond) // the request reaches the lock
	stop()
	a := <-got
	if a.err != nil {
		t.Fatalf("the running request was cut: %v", a.err)
	}
	if a.resp.StatusCode != http.StatusServiceUnavailable || a.resp.Header.Get("Retry-After") == "" ||
		a.resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("the running request got %d %s %s", a.resp.StatusCode, a.resp.Header, a.body)
	}
	if err := done(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// serveChildEnv makes TestServeProcessChild run serve; the parent test sets it.
const serveChildEnv = "ONTOHUB_TEST_SERVE_CHILD"

// TestServeProcessChild is the server process of TestServeProcessBounds: `ontohub serve` on its
// own fresh database (this process's TestMain made it), configured by the environment. Run any
// other way it does nothing.
func TestServeProcessChild(t *testing.T) {
	if os.Getenv(serveChildEnv) == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	getenv := func(name string) string {
		if name == "DATABASE_URL" {
			return dbURL
		}
		return os.Getenv(name)
	}
	if err := run(ctx, []string{"serve"}, getenv, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// memoryOf reads a status field (VmHWM, VmRSS) of a process in bytes.
func memoryOf(t *testing.T, pid int, field string) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// rawRequest sends raw on a new connection from the local address local ("" for any) and
// returns the response.
func rawRequest(t *testing.T, addr, local, raw string) (*http.Response, string) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.WriteString(c, raw) }() // the answer may come before all is sent
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Issue 11, items 2, 3, 4 and 9 on a real server process: 128 concurrent 1 MiB bodies keep
// its peak RSS under 300 MiB; a 100 KiB header gets 431 and a malformed Host 400, both as
// problem+json; one address cannot hold more than MAX_CONNS_PER_ADDR connections, and others
// are served meanwhile.
func TestServeProcessBounds(t *testing.T) {
	addr := closedPort(t)
	const perAddr = 150
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcessChild$")
	cmd.Env = append(os.Environ(), serveChildEnv+"=1", "LISTEN_ADDR="+addr, "LOG_LEVEL=error",
		"RATE_LIMIT_ENABLED=false", "MAX_CONNS_PER_ADDR="+strconv.Itoa(perAddr))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	waitHealthy(t, addr, exited)
	pid := cmd.Process.Pid

	t.Run("431 for a 100 KiB header", func(t *testing.T) {
		resp, body := rawRequest(t, addr, "", "GET /health HTTP/1.1\r\nHost: test\r\nX-Pad: "+strings.Repeat("a", 100<<10)+"\r\n\r\n")
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("malformed Host as problem+json", func(t *testing.T) {
		resp, body := rawRequest(t, addr, "", "GET /health HTTP/1.1\r\nHost: exa mple.org\r\n\r\n")
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})

	t.Run("128 concurrent 1 MiB bodies", func(t *testing.T) {
		// The worst case for a decoder: a megabyte of one-digit numbers in the payload.
		payload := strings.TrimSuffix(strings.Repeat("0,", (1<<20-64)/2), ",")
		body := `{"payload":{"n":[` + payload + `]}}`
		statuses := sendConcurrently(t, "127.0.0.4", 128, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/drafts", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req, err
		})
		// Patches to a draft that does not exist never have their body read.
		for status, n := range sendConcurrently(t, "127.0.0.5", 128, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPatch, "http://"+addr+"/api/v1/drafts/"+strings.Repeat("B", 43), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req, err
		}) {
			statuses[status] += n
		}
		hwm, rss := memoryOf(t, pid, "VmHWM"), memoryOf(t, pid, "VmRSS")
		t.Logf("statuses %v; peak RSS %d MiB, RSS now %d MiB", statuses, hwm>>20, rss>>20)
		if statuses[http.StatusCreated] == 0 || statuses[http.StatusNotFound] != 128 ||
			statuses[http.StatusCreated]+statuses[http.StatusServiceUnavailable] != 128 {
			t.Errorf("statuses %v: want 201 or 503 for each POST, 404 for each PATCH", statuses)
		}
		if hwm >= 300<<20 {
			t.Errorf("peak RSS %d MiB, want under 300 MiB", hwm>>20)
		}
	})

	t.Run("128 concurrent reads of a 1 MiB draft", func(t *testing.T) {
		// Item 1's amplification, the other way round: what reading big drafts at once costs.
		body := `{"payload":{"n":[` + strings.TrimSuffix(strings.Repeat("1e300,", (1<<20-64)/6), ",") + `]}}`
		resp, err := http.Post("http://"+addr+"/api/v1/drafts", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var created struct {
			CapabilityURL string `json:"capability_url"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&created)
		resp.Body.Close()
		_, token, ok := strings.Cut(created.CapabilityURL, "#")
		if resp.StatusCode != http.StatusCreated || !ok {
			t.Fatalf("create: %d %q", resp.StatusCode, created.CapabilityURL)
		}
		statuses := sendConcurrently(t, "127.0.0.6", 128, func() (*http.Request, error) {
			return http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/drafts/"+token, nil)
		})
		hwm := memoryOf(t, pid, "VmHWM")
		t.Logf("statuses %v; peak RSS %d MiB", statuses, hwm>>20)
		if statuses[http.StatusOK] != 128 {
			t.Errorf("statuses %v, want 128 × 200", statuses)
		}
		if hwm >= 300<<20 {
			t.Errorf("peak RSS %d MiB, want under 300 MiB", hwm>>20)
		}
	})

	t.Run("connections per address", func(t *testing.T) {
		// The held connections come from an address no other part of the test uses.
		held := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
		conns := make([]net.Conn, 0, perAddr)
		for range perAddr {
			c, err := held.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		// Each held connection has been counted once it answered a request.
		for _, c := range conns {
			if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		resp, body := rawRequest(t, addr, "127.0.0.3", "GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/problem+json" ||
			resp.Header.Get("Retry-After") == "" {
			t.Errorf("connection %d from one address: %d %s", perAddr+1, resp.StatusCode, body)
		}
		if resp, body := rawRequest(t, addr, "127.0.0.2", "GET /health HTTP/1.1\r\nHost: test\r\n\r\n"); resp.StatusCode != http.StatusOK {
			t.Errorf("another address while one holds %d connections: %d %s", perAddr, resp.StatusCode, body)
		}
	})
}

// sendConcurrently sends n requests at once from the local address from and counts their
// statuses. Each caller uses its own address, so that the connections of one do not count
// towards the per-address cap of another.
func sendConcurrently(t *testing.T, from string, n int, newRequest func() (*http.Request, error)) map[int]int {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	transport := &http.Transport{DialContext: dialer.DialContext, MaxConnsPerHost: n, MaxIdleConnsPerHost: n}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			req, err := newRequest()
			if err != nil {
				t.Error(err)
				return
			}
			<-start
			resp, err := client.Do(req)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Error(err)
				}
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// Every variable config.go reads is documented in the README's table and in .env.example.
func TestEverySettingIsDocumented(t *testing.T) {
	source, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?:e\.\w+|getenv)\("([A-Z][A-Z0-9_]+)"`).FindAllStringSubmatch(string(source), -1)
	if len(names) < 20 {
		t.Fatalf("found only %d variables in config.go", len(names))
	}
	for _, m := range names {
		name := m[1]
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("README.md's configuration table lacks %s", name)
		}
		if !regexp.MustCompile(`(?m)^` + name + `=`).Match(example) {
			t.Errorf(".env.example lacks %s", name)
		}
	}
}
