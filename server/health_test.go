package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ontohub/ontohub/gen"
)

// flakyProxy forwards TCP connections to a real PostgreSQL and can be switched off (refusing new
// connections and cutting existing ones) and on again at the same address, like a database that
// restarts.
type flakyProxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	// mute makes the proxy accept connections and then never answer, like a hung server.
	mute bool
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	t.Helper()
	p := &flakyProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *flakyProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			mute := p.mute
			if mute {
				p.conns = append(p.conns, c)
			}
			p.mu.Unlock()
			if mute {
				continue
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// down refuses new connections and cuts the open ones.
func (p *flakyProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// hang cuts the open connections and answers new ones with silence.
func (p *flakyProxy) hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mute = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// up listens again on the same address.
func (p *flakyProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy up: %v", err)
	}
	p.serve(ln)
}

// viaProxy rewrites the package database URL to go through the proxy.
func viaProxy(t *testing.T, p *flakyProxy) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p.target = u.Host
	u.Host = p.addr
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	return u.String()
}

func TestHealthUpDownAndRecovered(t *testing.T) {
	target, _ := url.Parse(dbURL)
	proxy := newFlakyProxy(t, target.Host)
	env := newTestEnv(t, testOptions{DatabaseURL: viaProxy(t, proxy)})
	ctx := context.Background()

	check := func(wantStatus int, wantDB gen.HealthDatabase) {
		t.Helper()
		start := time.Now()
		resp, err := env.Client.GetHealthWithResponse(ctx)
		if err != nil {
			t.Fatalf("GET /health: %v", err)
		}
		elapsed := time.Since(start)
		if resp.StatusCode() != wantStatus {
			t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode(), wantStatus, resp.Body)
		}
		var got *gen.Health
		if wantStatus == http.StatusOK {
			got = resp.JSON200
		} else {
			got = resp.JSON503
		}
		if got == nil || got.Database != wantDB {
			t.Fatalf("body = %s, want database %q", resp.Body, wantDB)
		}
		// Not a timing assertion on speed: the contract promises an answer rather than a hang.
		if elapsed > 5*time.Second {
			t.Fatalf("health took %v; it must give up on the database after 2s", elapsed)
		}
	}

	check(http.StatusOK, gen.HealthDatabaseConnected)
	resp, _ := env.Client.GetHealthWithResponse(ctx)
	if resp.JSON200.Status != gen.HealthStatusHealthy || resp.JSON200.RateLimitStore != gen.HealthRateLimitStoreDisabled {
		t.Fatalf("healthy body = %s", resp.Body)
	}

	proxy.down()
	// One check is shared by the calls of a second; the next one sees the database gone.
	time.Sleep(healthReuse)
	check(http.StatusServiceUnavailable, gen.HealthDatabaseUnreachable)
	resp, _ = env.Client.GetHealthWithResponse(ctx)
	if resp.JSON503 == nil || resp.JSON503.Status != gen.HealthStatusUnhealthy {
		t.Fatalf("unhealthy body = %s", resp.Body)
	}

	proxy.up()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := env.Client.GetHealthWithResponse(ctx)
		if err == nil && resp.StatusCode() == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health did not recover after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestHealthWhenDatabaseRefusesConnections(t *testing.T) {
	// Nothing listens on a port we just closed: connections are refused outright.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	env := newTestEnv(t, testOptions{DatabaseURL: "postgres://postgres@" + dead + "/nothing?sslmode=disable&connect_timeout=1"})

	resp, err := env.Client.GetHealthWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusServiceUnavailable || resp.JSON503 == nil ||
		resp.JSON503.Database != gen.HealthDatabaseUnreachable {
		t.Fatalf("got %d %s, want 503 unreachable", resp.StatusCode(), resp.Body)
	}
	// A read of the ontology, which was never loaded, says so with 503 problem+json, not 500
	// and not an empty ontology.
	list, err := env.Client.ListModulesWithResponse(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if list.StatusCode() != http.StatusServiceUnavailable || list.ApplicationproblemJSON503 == nil ||
		list.ApplicationproblemJSON503.Detail != detailLoading || list.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("list modules with the database down: %d %s", list.StatusCode(), list.Body)
	}
	if ct := list.HTTPResponse.Header.Get("Content-Type"); ct != problemContentType {
		t.Fatalf("content type %q", ct)
	}
	// So does an operation on drafts, which needs the database.
	created, err := env.Client.CreateDraftWithResponse(context.Background(), gen.DraftCreate{Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if created.StatusCode() != http.StatusServiceUnavailable || created.ApplicationproblemJSON503 == nil {
		t.Fatalf("create draft with the database down: %d %s", created.StatusCode(), created.Body)
	}
}

func TestHungDatabaseGetsAnswersNotHangs(t *testing.T) {
	target, _ := url.Parse(dbURL)
	proxy := newFlakyProxy(t, target.Host)
	env := newTestEnv(t, testOptions{DatabaseURL: viaProxy(t, proxy)})
	// Cut the muted connections before the pool closes, or closing waits on them.
	t.Cleanup(proxy.down)
	ctx := context.Background()
	if resp, err := env.Client.GetHealthWithResponse(ctx); err != nil || resp.JSON200 == nil {
		t.Fatalf("health before the hang: %v", err)
	}

	proxy.hang()
	time.Sleep(healthReuse) // the check before the hang answers for a second
	start := time.Now()
	resp, err := env.Client.GetHealthWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusServiceUnavailable || resp.JSON503 == nil || resp.JSON503.Database != gen.HealthDatabaseUnreachable {
		t.Fatalf("health with a hung database: %d %s", resp.StatusCode(), resp.Body)
	}
	if elapsed := time.Since(start); elapsed >= 2*time.Second {
		t.Errorf("health took %v with a hung database; the contract promises an answer within 2s", elapsed)
	}

	// Reads of the ontology do not need the database: they answer from memory.
	list, err := env.Client.ListModulesWithResponse(ctx, nil)
	if err != nil || list.StatusCode() != http.StatusOK {
		t.Fatalf("list modules with a hung database: %v %d %s", err, list.StatusCode(), list.Body)
	}
	// An API request that needs the database gets 503 problem+json, not a hang or a 500, and
	// the warning in the log carries the request's id.
	created, err := env.Client.CreateDraftWithResponse(ctx, gen.DraftCreate{Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if created.StatusCode() != http.StatusServiceUnavailable || created.ApplicationproblemJSON503 == nil {
		t.Fatalf("create draft with a hung database: %d %s", created.StatusCode(), created.Body)
	}
	// The outage is logged once, with the id of the request that met it first (the health
	// check), however many requests fail during it.
	id := resp.HTTPResponse.Header.Get("X-Request-ID")
	if n := strings.Count(env.Logs.String(), `"msg":"database unavailable; answering 503 until it is back"`); n != 1 {
		t.Errorf("%d outage warnings, want 1:\n%s", n, env.Logs.String())
	}
	if id == "" || !strings.Contains(env.Logs.String(), `"msg":"database unavailable; answering 503 until it is back","request_id":"`+id+`"`) {
		t.Errorf("no database warning with request_id %q in the log:\n%s", id, env.Logs.String())
	}
}
