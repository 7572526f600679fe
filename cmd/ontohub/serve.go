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

	"github.com/ontohub/ontohub/ingest"
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

	handler, err := server.New(st, snapshots, limiter, server.Config{
		PublicBaseURL:      cfg.PublicBaseURL,
		DraftTTL:           cfg.DraftTTL,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins,
		TrustedProxies:     cfg.TrustedProxies,
		Sync:               syncer,
		WebhookSecret:      cfg.Repo.WebhookSecret,
	}, log).Handler()
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}
	go runDraftSweeper(bgCtx, st, cfg.DraftSweepInterval, cfg.DraftRetention, log)

	log.Info("serving", "addr", ln.Addr().String(), "version", buildVersion())
	return serveUntilDone(ctx, &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, ln, cfg.ShutdownTimeout, log)
}

// ingestOnStart loads the schema repository in dir before serving (serve --ingest) and logs the
// summary as one structured line, not as the CLI's table.
func ingestOnStart(ctx context.Context, st *store.Store, dir string, opts ingest.Options, log *slog.Logger) error {
	result, err := ingest.Run(ctx, st, dir, opts, io.Discard)
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
		Logger:           log,
	})
}

// serveUntilDone serves on ln until ctx is done, then stops accepting connections and gives
// in-flight requests up to timeout to finish before closing them.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
