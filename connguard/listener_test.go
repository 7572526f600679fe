package connguard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPerAddrCapRefusesOnlyThatAddress(t *testing.T) {
	const perAddr, extra = 4, 3
	l, addr := startServer(t, Config{MaxConns: 100, MaxConnsPerAddr: perAddr, Logger: quiet}, okHandler, nil)

	var held []*client
	for range perAddr {
		c := dial(t, addr, "127.0.0.1")
		c.mustGet(t, "/")
		held = append(held, c)
	}
	waitStats(t, l, perAddr, perAddr)
	for i := range extra {
		c := dial(t, addr, "127.0.0.1")
		resp, err := c.get("/")
		if err != nil {
			t.Fatalf("connection %d beyond the cap: %v", i+1, err)
		}
		checkProblem(t, resp, http.StatusServiceUnavailable)
		if got := resp.Header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After %q, want 1", got)
		}
		if !c.closedByServer() {
			t.Errorf("refused connection %d left open", i+1)
		}
	}

	// Another address is served, and so are the connections held within the cap.
	other := dial(t, addr, "127.0.0.2")
	other.mustGet(t, "/")
	other.mustGet(t, "/")
	for _, c := range held {
		c.mustGet(t, "/")
	}
	if s := l.Stats(); s.RefusedPerAddr != extra || s.RefusedAtCapacity != 0 || s.IdleEvicted != 0 || s.Open != perAddr+1 {
		t.Errorf("stats %+v, want %d refused per address and %d open", s, extra, perAddr+1)
	}

	// A slot given back is a slot the address may use again.
	_ = held[0].Close()
	waitStats(t, l, perAddr, perAddr)
	dial(t, addr, "127.0.0.1").mustGet(t, "/")

	for _, c := range append(held, other) {
		_ = c.Close()
	}
}

func TestTotalCapClosesOldestIdleFirst(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", okHandler)
	mux.HandleFunc("/block", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = io.WriteString(w, "done")
	})
	l, addr := startServer(t, Config{MaxConns: 3, MaxConnsPerAddr: 100, Logger: quiet}, mux, nil)

	first := dial(t, addr, "")
	first.mustGet(t, "/")
	waitStats(t, l, 1, 1)
	second := dial(t, addr, "")
	second.mustGet(t, "/")
	waitStats(t, l, 2, 2)
	busy := dial(t, addr, "")
	sendBlocked(t, busy)
	waitStats(t, l, 3, 2)

	// Full: the connection idle for longest makes room, the busy one stays.
	third := dial(t, addr, "")
	third.mustGet(t, "/")
	if !first.closedByServer() {
		t.Fatal("the oldest idle connection was not closed to make room")
	}
	waitStats(t, l, 3, 2)
	second.mustGet(t, "/") // now idle for less time than third
	waitStats(t, l, 3, 2)
	fourth := dial(t, addr, "")
	fourth.mustGet(t, "/")
	if !third.closedByServer() {
		t.Fatal("the connection idle for longest was not the one closed")
	}
	second.mustGet(t, "/")

	// Nothing idle: a new connection is refused, and no busy connection is touched.
	sendBlocked(t, second)
	sendBlocked(t, fourth)
	waitStats(t, l, 3, 0)
	refused := dial(t, addr, "")
	resp, err := refused.get("/")
	if err != nil {
		t.Fatal(err)
	}
	p := checkProblem(t, resp, http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, "server has too many") {
		t.Errorf("detail %q does not say the server is full", p.Detail)
	}
	close(release)
	for _, c := range []*client{busy, second, fourth} {
		resp, err := c.read()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("busy connection: %v, %+v", err, resp.Response)
		}
	}
	if s := l.Stats(); s.IdleEvicted != 2 || s.RefusedAtCapacity != 1 || s.RefusedPerAddr != 0 {
		t.Errorf("stats %+v, want 2 evicted and 1 refused at capacity", s)
	}
	for _, c := range []*client{busy, second, fourth, refused} {
		_ = c.Close()
	}
	waitDrained(t, l)
}

// sendBlocked sends a request for /block, whose handler waits until the test releases it.
func sendBlocked(t *testing.T, c *client) {
	t.Helper()
	if _, err := io.WriteString(c, "GET /block HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
}

func TestSlotsAreGivenBack(t *testing.T) {
	t.Run("client closes", func(t *testing.T) {
		l, addr := startServer(t, Config{Logger: quiet}, okHandler, nil)
		c := dial(t, addr, "")
		c.mustGet(t, "/")
		waitStats(t, l, 1, 1)
		_ = c.Close()
		waitDrained(t, l)
	})
	t.Run("idle timeout", func(t *testing.T) {
		l, addr := startServer(t, Config{Logger: quiet}, okHandler, func(s *http.Server) {
			s.IdleTimeout = 50 * time.Millisecond
		})
		c := dial(t, addr, "")
		c.mustGet(t, "/")
		if !c.closedByServer() {
			t.Fatal("idle connection outlived the idle timeout")
		}
		waitDrained(t, l)
	})
	t.Run("read header timeout", func(t *testing.T) {
		l, addr := startServer(t, Config{Logger: quiet}, okHandler, func(s *http.Server) {
			s.ReadHeaderTimeout = 50 * time.Millisecond
		})
		c := dial(t, addr, "")
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\n") // and never the rest
		if !c.closedByServer() {
			t.Fatal("a request head that never ends outlived the read header timeout")
		}
		waitDrained(t, l)
	})
	t.Run("shutdown", func(t *testing.T) {
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := Listen(inner, Config{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: okHandler, ConnState: l.ConnState}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l) }()
		c := dial(t, inner.Addr().String(), "")
		c.mustGet(t, "/")
		waitStats(t, l, 1, 1)
		if err := srv.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Fatalf("Serve: %v", err)
		}
		waitDrained(t, l)
	})
	t.Run("hijacked", func(t *testing.T) {
		letGo := make(chan struct{})
		hijacked := make(chan struct{})
		// The handler owns the connection and writes bytes that look exactly like an early
		// error: they must arrive untouched.
		raw := "HTTP/1.1 400 Bad Request" + earlyErrorHeaders + "400 Bad Request"
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			nc, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			close(hijacked)
			<-letGo
			_, _ = io.WriteString(nc, raw)
			_ = nc.Close()
		})
		l, addr := startServer(t, Config{MaxConns: 1, Logger: quiet}, h, nil)
		c := dial(t, addr, "")
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		<-hijacked
		waitStats(t, l, 1, 0)
		// A hijacked connection is busy for good: it is never closed to make room.
		other := dial(t, addr, "")
		resp, err := other.get("/")
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, resp, http.StatusServiceUnavailable)
		close(letGo)
		got, err := io.ReadAll(c.br)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != raw {
			t.Errorf("hijacked connection carried %q, want %q untouched", got, raw)
		}
		waitDrained(t, l)
	})
}

func TestConcurrentClients(t *testing.T) {
	const maxConns, perAddr, workers, rounds = 8, 5, 16, 25
	mux := http.NewServeMux()
	mux.Handle("/", okHandler)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Millisecond)
		_, _ = io.WriteString(w, "slow")
	})
	l, addr := startServer(t, Config{MaxConns: maxConns, MaxConnsPerAddr: perAddr, Logger: quiet}, mux, nil)

	stop := make(chan struct{})
	watched := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				watched <- nil
				return
			default:
			}
			if s := l.Stats(); s.Open > maxConns || s.Idle > s.Open || s.Open < 0 {
				watched <- fmt.Errorf("stats out of bounds: %+v", s)
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			from := []string{"127.0.0.1", "127.0.0.2"}[w%2]
			for r := range rounds {
				if err := concurrentRound(addr, from, r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := <-watched; err != nil {
		t.Fatal(err)
	}
	waitDrained(t, l)
	if s := l.Stats(); s.RefusedPerAddr+s.RefusedAtCapacity+s.IdleEvicted == 0 {
		t.Errorf("stats %+v: the limits were never reached, the test proves nothing", s)
	}
}

// concurrentRound opens a connection, sends a few requests, sometimes lingers idle, and closes.
// A refusal, or a connection closed under it to make room, is an expected outcome; anything
// else is not.
func concurrentRound(addr, from string, round int) error {
	d := net.Dialer{Timeout: waitLimit, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	c := &client{Conn: nc, br: bufio.NewReader(nc)}
	for i := range 1 + round%3 {
		path := []string{"/", "/slow"}[i%2]
		resp, err := c.get(path)
		switch {
		case err != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err)):
			return nil // closed to make room
		case err != nil:
			return err
		case resp.StatusCode == http.StatusServiceUnavailable:
			var p problem
			if err := json.Unmarshal(resp.body, &p); err != nil || p.Status != http.StatusServiceUnavailable {
				return fmt.Errorf("refusal body %q: %v", resp.body, err)
			}
			return nil
		case resp.StatusCode != http.StatusOK:
			return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	if rand.IntN(3) == 0 {
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	}
	return nil
}

// isReset reports whether err is a connection reset or broken pipe.
func isReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

func TestRefusalsAreLoggedAsSummaries(t *testing.T) {
	var logged syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	const refusals = 20
	start := time.Now()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(inner, Config{MaxConnsPerAddr: 1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: okHandler, ConnState: l.ConnState}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	addr := inner.Addr().String()
	held := dial(t, addr, "")
	held.mustGet(t, "/")
	for range refusals {
		c := dial(t, addr, "")
		resp, err := c.get("/")
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, resp, http.StatusServiceUnavailable)
		_ = c.Close()
	}
	_ = held.Close()
	waitDrained(t, l)
	_ = srv.Close() // closes l, which logs what is left
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}

	var lines, total int
	dec := json.NewDecoder(bytes.NewReader(logged.Bytes()))
	for {
		var rec struct {
			Msg            string `json:"msg"`
			RefusedPerAddr int    `json:"refused_per_addr"`
			LastAddr       string `json:"last_refused_addr"`
		}
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		lines++
		total += rec.RefusedPerAddr
		if rec.RefusedPerAddr > 0 && rec.LastAddr != "127.0.0.1" {
			t.Errorf("last_refused_addr %q, want 127.0.0.1", rec.LastAddr)
		}
	}
	// One line at the first refusal, one per interval after it, one at Close.
	if most := 2 + int(time.Since(start)/LogInterval); lines == 0 || lines > most {
		t.Errorf("%d log lines for %d refusals, want 1 to %d:\n%s", lines, refusals, most, logged.Bytes())
	}
	if total != refusals {
		t.Errorf("log lines count %d refusals, want %d", total, refusals)
	}
}

// syncBuffer is a bytes.Buffer that the server's goroutines may log into concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func TestListenRejectsImpossibleConfig(t *testing.T) {
	for _, cfg := range []Config{
		{MaxConns: -1},
		{MaxConnsPerAddr: -1},
		{IPv6PrefixLength: -1},
		{IPv6PrefixLength: 129},
	} {
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Listen(inner, cfg); err == nil {
			t.Errorf("Listen accepted %+v", cfg)
		}
		_ = inner.Close()
	}
}
