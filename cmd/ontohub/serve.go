package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/ontohub/ontohub/connguard"
	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/server"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// runServe runs the API server until ctx is cancelled (SIGINT/SIGTERM), then shuts down gracefully.
func runServe(ctx context.Context, cfg config, args []string, logOut io.Writer) error {
	flags := newFlagSet("serve")
	ingestDir := flags.String("ingest", "", "schema repository `DIR` to ingest before serving")
	commit := flags.String("commit", "", "commit `SHA` recorded for --ingest")
	if err := flags.Parse(args); err != nil {
		return fmt.Errorf("%w: serve: %v", errUsage, err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("%w: serve: unexpected argument %q", errUsage, flags.Arg(0))
	}
	if *commit != "" && *ingestDir == "" {
		return fmt.Errorf("%w: serve: --commit needs --ingest DIR", errUsage)
	}
	log := newLogger(cfg, logOut)
	if os.Getenv("GOGC") == "" {
		// Most of the heap is the long-lived ontology snapshot; the default GOGC=100 lets the
		// heap grow to twice it between collections. 25 keeps the RSS near the snapshot for a
		// few percent more CPU (see README, Memory). GOGC in the environment overrides it.
		debug.SetGCPercent(25)
	}

	applied, err := prepareDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.MigrateOnStart {
		log.Info("migrations applied", "count", len(applied), "versions", applied)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer st.Close()
	if *ingestDir != "" {
		if err := ingestOnStart(ctx, st, *ingestDir, ingestOptions(cfg, *commit), log); err != nil {
			return err
		}
	}
	limiter, err := newLimiter(cfg, log)
	if err != nil {
		return err
	}
	defer limiter.Close()

	// The ontology is served from memory. The first snapshot is loaded before the listener
	// opens when the database answers; otherwise reads answer 503 until the background loader
	// gets it. Every ingest, on any replica, is heard on the listener's own connection.
	snapshots := snapshot.NewHolder(st, log)
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	if _, err := snapshots.Load(ctx); err != nil {
		log.Warn("ontology snapshot not loaded at start; retrying in the background", "error", err)
	}
	go snapshots.Run(bgCtx)
	go snapshots.Listen(bgCtx, st.Connect)
	syncer, err := startSync(bgCtx, cfg, st, log)
	if err != nil {
		return err
	}
	// A nil *reposync.Syncer must not become a non-nil interface value.
	var sync server.Syncer
	var submitter server.Submitter
	if syncer != nil {
		sync, submitter = syncer, syncer.Repo()
	}

	api := server.New(st, snapshots, limiter, server.Config{
		PublicBaseURL:        cfg.PublicBaseURL,
		AllowedHosts:         cfg.AllowedHosts,
		DraftTTL:             cfg.DraftTTL,
		MaxBodyBytes:         cfg.MaxBodyBytes,
		MaxInflightBodyBytes: cfg.MaxInflightBodyBytes,
		MaxExpensivePerAddr:  cfg.MaxExpensivePerAddr,
		CORSAllowedOrigins:   cfg.CORSAllowedOrigins,
		TrustedProxies:       cfg.TrustedProxies,
		Metrics:              apiMetrics(cfg, metricsHandler(st, snapshots, limiter)),
		Version:              buildVersion(),
		Commit:               buildCommit(),
		DraftMaxChanges:      cfg.DraftMaxChanges,
		DraftMaxEntityBytes:  cfg.DraftMaxEntityBytes,
		PreviewCacheSize:     cfg.PreviewCacheSize,
		MaxHeavyRequests:     cfg.MaxHeavyRequests,
		Sync:                 sync,
		WebhookSecret:        cfg.Repo.WebhookSecret,
		Submitter:            submitter,
		SubmitAuthor:         gitrepo.Author{Name: cfg.Repo.AuthorName, Email: cfg.Repo.AuthorEmail},
		GitHubAPIURL:         cfg.Repo.GitHubAPIURL,
	}, log)
	handler, err := api.Handler()
	if err != nil {
		return err
	}

	if err := serveMetrics(bgCtx, cfg.MetricsAddr, metricsHandler(st, snapshots, limiter), log); err != nil {
		return err
	}
	ln, err := listen(cfg, log)
	if err != nil {
		return err
	}
	go runDraftSweeper(bgCtx, st, cfg.DraftSweepInterval, cfg.DraftRetention, log)

	log.Info("serving", "addr", ln.Addr().String(), "version", buildVersion())
	// Requests run under requestsCtx, which the shutdown cancels (with server.ErrShuttingDown as
	// the cause) for those still running at SHUTDOWN_TIMEOUT, so they are answered 503.
	requestsCtx, stopRequests := context.WithCancelCause(context.Background())
	defer stopRequests(nil)
	return serveUntilDone(ctx, newHTTPServer(cfg, handler, ln, requestsCtx, log), ln, shutdownPlan{
		Drain:        cfg.ShutdownDrain,
		Timeout:      cfg.ShutdownTimeout,
		API:          api,
		StopRequests: stopRequests,
	}, log)
}

// Timeouts of the HTTP server. The idle timeout is short because every idle keep-alive
// connection holds a descriptor and a slot of MAX_CONNS; a client that comes back after 30
// seconds opens a new one. The header timeout bounds how long a slow client (slowloris) holds
// a connection before it has sent a request.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 30 * time.Second
)

// listen opens LISTEN_ADDR behind connguard: caps on open connections in total and per client
// address (trusted proxies exempt, since they carry many clients), idle connections evicted
// first, back-off on EMFILE, and Go's plain-text early errors rewritten as problem+json.
func listen(cfg config, log *slog.Logger) (*connguard.Listener, error) {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}
	guard, err := connguard.Listen(ln, connguard.Config{
		MaxConns:         cfg.MaxConns,
		MaxConnsPerAddr:  cfg.MaxConnsPerAddr,
		IPv6PrefixLength: cfg.RateLimitIPv6Prefix,
		ExemptPeers:      cfg.TrustedProxies,
		Logger:           log,
	})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	return guard, nil
}

// newHTTPServer is the http.Server of serve: bounded headers (431 beyond MAX_HEADER_BYTES),
// short idle and header timeouts, connection states reported to connguard.
func newHTTPServer(cfg config, handler http.Handler, guard *connguard.Listener, requestsCtx context.Context, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ConnState:         guard.ConnState,
		BaseContext:       func(net.Listener) context.Context { return requestsCtx },
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// ingestOnStart loads the schema repository in dir before serving (serve --ingest) and logs the
// summary as one structured line, not as the CLI's table.
func ingestOnStart(ctx context.Context, st *store.Store, dir string, opts ingest.Options, log *slog.Logger) error {
	start := time.Now()
	result, err := ingest.Run(ctx, st, dir, opts, io.Discard)
	metrics.ObserveIngest(metrics.SourceIngest, start, err)
	if err != nil {
		return err
	}
	attrs := []any{"dir", dir, "generation", result.Generation}
	for _, kind := range store.Kinds {
		attrs = append(attrs, kindAttrs(kind, result.Summary[kind]))
	}
	log.Info("ingested", attrs...)
	return nil
}

// kindAttrs is one kind's line of an ingest summary as a log group.
func kindAttrs(kind string, k store.KindSummary) slog.Attr {
	return slog.Group(kind, "added", k.Added, "updated", k.Updated, "unchanged", k.Unchanged, "deleted", k.Deleted)
}

// newLimiter builds the rate limiter the configuration asks for; the caller closes it.
func newLimiter(cfg config, log *slog.Logger) (*ratelimit.Limiter, error) {
	return ratelimit.New(ratelimit.Config{
		Enabled:          cfg.RateLimitEnabled,
		Rates:            cfg.RateLimits,
		MaxKeys:          cfg.RateLimitMaxKeys,
		IPv6PrefixLength: cfg.RateLimitIPv6Prefix,
		RedisURL:         cfg.RedisURL,
		TrustedProxies:   cfg.TrustedProxies,
		OnLimited:        server.WriteTooManyRequests,
		OnDecision:       metrics.RateLimitDecision,
		Logger:           log,
	})
}

// drainer is the part of the API server a shutdown steers.
type drainer interface {
	// Drain makes /health answer 503 draining.
	Drain()
	// CloseKeepAlives makes every response close its connection.
	CloseKeepAlives()
}

// shutdownPlan says how serveUntilDone stops.
type shutdownPlan struct {
	// Drain is how long requests are still served, with /health answering 503 draining, before
	// the listener closes (SHUTDOWN_DRAIN).
	Drain time.Duration
	// Timeout is how long requests in flight then get to finish (SHUTDOWN_TIMEOUT).
	Timeout time.Duration
	API     drainer
	// StopRequests cancels the context of the requests still running at Timeout.
	StopRequests context.CancelCauseFunc
}

// closeGrace is how long keep-alive connections get, after responses began to close them, to
// finish the request they carry before the listener closes and idle ones are closed; and how
// long requests cancelled at SHUTDOWN_TIMEOUT get to send their 503.
const closeGrace = 500 * time.Millisecond

// serveUntilDone serves on ln until ctx is done, then shuts down in steps that lose no request:
//
//  1. drain: for plan.Drain /health answers 503 draining, so load balancers stop sending
//     traffic, while every request (new connections included) is still served;
//  2. every response carries Connection: close, so each keep-alive connection closes after the
//     response to the request it carries, never under a request being sent;
//  3. the listener closes and Shutdown waits up to plan.Timeout for requests in flight;
//  4. requests still running then have their context cancelled with server.ErrShuttingDown and
//     answer 503 (database queries give up at once); what remains after closeGrace is cut.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, plan shutdownPlan, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("draining", "drain", plan.Drain.String(), "timeout", plan.Timeout.String())
	plan.API.Drain()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-time.After(plan.Drain):
	}
	plan.API.CloseKeepAlives()
	time.Sleep(closeGrace)
	log.Info("shutting down")
	if err := shutdown(srv, plan.Timeout); err != nil {
		log.Warn("requests still running at SHUTDOWN_TIMEOUT; answering them 503", "timeout", plan.Timeout.String())
		plan.StopRequests(server.ErrShuttingDown)
		if err := shutdown(srv, closeGrace); err != nil {
			_ = srv.Close()
			return fmt.Errorf("shutdown: requests still running %v after SHUTDOWN_TIMEOUT were cut: %w", closeGrace, err)
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// shutdown runs srv.Shutdown for at most timeout.
func shutdown(srv *http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return srv.Shutdown(ctx)
}
