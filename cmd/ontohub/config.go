package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ontohub/ontohub/changeset"
	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/connguard"
	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/server"
)

// defaultMaxHeaderBytes caps a request's head (request line and headers): 64 KiB holds any real
// client's cookies and headers, and a thousand connections with full heads cost 64 MiB, not the
// gigabyte net/http's 1 MiB default allows. More gets 431.
const defaultMaxHeaderBytes = 64 << 10

// config is every setting of the service, read from the environment once in main and passed down.
// README.md and .env.example list the same variables with the same defaults.
type config struct {
	DatabaseURL    string
	DevDatabaseURL string
	ListenAddr     string
	MetricsAddr    string // serves /metrics there instead of on ListenAddr when set
	LogLevel       slog.Level
	LogFormat      string
	MigrateOnStart bool
	DBMaxConns     int32
	// ShutdownDrain is how long /health answers 503 draining after SIGTERM while requests are
	// still served, so that load balancers stop sending new ones first.
	ShutdownDrain   time.Duration
	ShutdownTimeout time.Duration

	// Connection and header bounds (see connguard and README, Security and limits).
	MaxConns        int
	MaxConnsPerAddr int
	MaxHeaderBytes  int

	IngestLimits checkout.Limits

	PublicBaseURL string
	// AllowedHosts are the Host values capability URLs may be built from without PublicBaseURL.
	AllowedHosts       []string
	DraftTTL           time.Duration
	DraftRetention     time.Duration
	DraftSweepInterval time.Duration
	MaxBodyBytes       int64
	// MaxInflightBodyBytes bounds the request-body bytes held in memory at once, all clients together.
	MaxInflightBodyBytes int64
	// MaxExpensivePerAddr bounds the expensive requests (search, graph, used-by) one client runs at once.
	MaxExpensivePerAddr int
	CORSAllowedOrigins  []string

	DraftMaxChanges     int
	DraftMaxEntityBytes int
	PreviewCacheSize    int
	MaxHeavyRequests    int

	RateLimitEnabled bool
	RateLimits       map[string]ratelimit.Rate
	RateLimitMaxKeys int
	// RateLimitIPv6Prefix is the prefix length IPv6 clients share a budget by.
	RateLimitIPv6Prefix int
	RedisURL            string
	TrustedProxies      []netip.Prefix

	// Repo is the schema repository the hub follows and submits to.
	Repo repoConfig
}

// defaultDatabaseURL is a local PostgreSQL with trust auth, as on a developer's machine.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/ontohub?sslmode=disable"

// loadConfig reads the environment through getenv. Every variable has a default; a value that
// does not parse is an error naming the variable, never silently replaced by the default.
func loadConfig(getenv func(string) string) (config, error) {
	e := envReader{getenv: getenv}
	cfg := config{
		DatabaseURL:     e.str("DATABASE_URL", defaultDatabaseURL),
		DevDatabaseURL:  e.str("DEV_DATABASE_URL", ""),
		ListenAddr:      e.str("LISTEN_ADDR", ":8080"),
		MetricsAddr:     e.str("METRICS_ADDR", ""),
		LogFormat:       e.str("LOG_FORMAT", "json"),
		MigrateOnStart:  e.boolean("MIGRATE_ON_START", true),
		DBMaxConns:      int32(e.integer("DB_MAX_CONNS", 10, 1, 1000)),
		ShutdownDrain:   e.duration("SHUTDOWN_DRAIN", 5*time.Second),
		ShutdownTimeout: e.duration("SHUTDOWN_TIMEOUT", 15*time.Second),
		MaxConns:        e.integer("MAX_CONNS", connguard.DefaultMaxConns, 1, 1<<20),
		MaxConnsPerAddr: e.integer("MAX_CONNS_PER_ADDR", connguard.DefaultMaxConnsPerAddr, 1, 1<<20),
		MaxHeaderBytes:  e.integer("MAX_HEADER_BYTES", defaultMaxHeaderBytes, 1<<10, 1<<20),
		IngestLimits: checkout.Limits{
			MaxFileBytes:  int64(e.integer("INGEST_MAX_FILE_BYTES", checkout.DefaultMaxFileBytes, 1, 1<<30)),
			MaxTotalBytes: int64(e.integer("INGEST_MAX_TOTAL_BYTES", checkout.DefaultMaxTotalBytes, 1, 1<<40)),
		},
		PublicBaseURL:        strings.TrimRight(e.str("PUBLIC_BASE_URL", ""), "/"),
		AllowedHosts:         e.list("ALLOWED_HOSTS"),
		DraftTTL:             e.duration("DRAFT_TTL", 168*time.Hour),
		DraftRetention:       e.duration("DRAFT_RETENTION", 720*time.Hour),
		DraftSweepInterval:   e.duration("DRAFT_SWEEP_INTERVAL", time.Hour),
		MaxBodyBytes:         int64(e.integer("MAX_BODY_BYTES", 1<<20, 1, 1<<30)),
		MaxInflightBodyBytes: int64(e.integer("MAX_INFLIGHT_BODY_BYTES", server.DefaultMaxInflightBodyBytes, 1, 1<<40)),
		MaxExpensivePerAddr:  e.integer("MAX_EXPENSIVE_PER_ADDR", server.DefaultMaxExpensivePerAddr, 1, 1<<16),
		CORSAllowedOrigins:   e.list("CORS_ALLOWED_ORIGINS"),
		DraftMaxChanges:      e.integer("DRAFT_MAX_CHANGES", changeset.DefaultMaxChanges, 1, 1000),
		DraftMaxEntityBytes:  e.integer("DRAFT_MAX_ENTITY_BYTES", changeset.DefaultMaxEntityBytes, 64, 1<<30),
		PreviewCacheSize:     e.integer("PREVIEW_CACHE_SIZE", server.DefaultPreviewCacheSize, 1, 1024),
		MaxHeavyRequests:     e.integer("MAX_HEAVY_REQUESTS", server.DefaultMaxHeavyRequests, 1, 1024),
		RateLimitEnabled:     e.boolean("RATE_LIMIT_ENABLED", true),
		RateLimitMaxKeys:     e.integer("RATE_LIMIT_MAX_KEYS", ratelimit.DefaultMaxKeys, 1, 1<<24),
		RateLimitIPv6Prefix:  e.integer("RATE_LIMIT_IPV6_PREFIX", ratelimit.DefaultIPv6PrefixLength, 1, 128),
		RedisURL:             e.str("REDIS_URL", ""),
		RateLimits: map[string]ratelimit.Rate{
			ratelimit.ClassDraftCreate: e.rate("RATE_LIMIT_DRAFT_CREATE", "20/hour"),
			ratelimit.ClassDraftRead:   e.rate("RATE_LIMIT_DRAFT_READ", "100/minute"),
			ratelimit.ClassList:        e.rate("RATE_LIMIT_LIST", "100/minute"),
			ratelimit.ClassRead:        e.rate("RATE_LIMIT_READ", "200/minute"),
		},
	}
	cfg.LogLevel = e.level("LOG_LEVEL", slog.LevelInfo)
	if cfg.LogFormat != "json" && cfg.LogFormat != "text" {
		e.fail("LOG_FORMAT", cfg.LogFormat, "want json or text")
	}
	checkBounds(&e, &cfg)
	if proxies := getenv("TRUSTED_PROXIES"); proxies != "" {
		prefixes, err := ratelimit.ParseCIDRs(proxies)
		if err != nil {
			e.fail("TRUSTED_PROXIES", proxies, err.Error())
		}
		cfg.TrustedProxies = prefixes
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"DRAFT_TTL", cfg.DraftTTL}, {"DRAFT_SWEEP_INTERVAL", cfg.DraftSweepInterval}, {"SHUTDOWN_TIMEOUT", cfg.ShutdownTimeout}} {
		if d.value <= 0 {
			e.fail(d.name, d.value.String(), "must be positive")
		}
	}
	if cfg.ShutdownDrain < 0 {
		e.fail("SHUTDOWN_DRAIN", cfg.ShutdownDrain.String(), "must not be negative")
	}
	if cfg.DraftRetention < 0 {
		e.fail("DRAFT_RETENTION", cfg.DraftRetention.String(), "must not be negative")
	}
	cfg.Repo = loadRepoConfig(&e)
	return cfg, e.err
}

// checkBounds rejects combinations of the request and connection bounds that cannot be meant.
func checkBounds(e *envReader, cfg *config) {
	if cfg.MaxInflightBodyBytes < cfg.MaxBodyBytes {
		e.fail("MAX_INFLIGHT_BODY_BYTES", strconv.FormatInt(cfg.MaxInflightBodyBytes, 10),
			"must be at least MAX_BODY_BYTES, or the largest body allowed could never be read")
	}
	if cfg.MaxConnsPerAddr > cfg.MaxConns {
		if e.getenv("MAX_CONNS_PER_ADDR") != "" {
			e.fail("MAX_CONNS_PER_ADDR", strconv.Itoa(cfg.MaxConnsPerAddr), "must not exceed MAX_CONNS")
		}
		// A small MAX_CONNS alone lowers the per-address default with it.
		cfg.MaxConnsPerAddr = cfg.MaxConns
	}
	for _, host := range cfg.AllowedHosts {
		if err := server.CheckAllowedHost(host); err != nil {
			e.fail("ALLOWED_HOSTS", host, err.Error())
		}
	}
}

// envReader parses variables and keeps the first error.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) fail(name, value, why string) {
	if e.err == nil {
		e.err = fmt.Errorf("invalid %s=%q: %s", name, value, why)
	}
}

func (e *envReader) str(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *envReader) list(name string) []string {
	var out []string
	for _, part := range strings.Split(e.getenv(name), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (e *envReader) boolean(name string, def bool) bool {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, v, "want true or false")
		return def
	}
	return b
}

func (e *envReader) integer(name string, def, lo, hi int) int {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail(name, v, fmt.Sprintf("want an integer from %d to %d", lo, hi))
		return def
	}
	return n
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.fail(name, v, "want a Go duration such as 90s, 15m or 168h")
		return def
	}
	return d
}

func (e *envReader) rate(name, def string) ratelimit.Rate {
	v := e.str(name, def)
	r, err := ratelimit.ParseRate(v)
	if err != nil {
		e.fail(name, v, err.Error())
	}
	return r
}

func (e *envReader) level(name string, def slog.Level) slog.Level {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.fail(name, v, "want debug, info, warn or error")
		return def
	}
	return l
}

// repoConfig is how the hub follows the schema repository and submits drafts to it.
type repoConfig struct {
	// URL is ONTOLOGY_REPO_URL; "" means the hub follows no repository (sync state "off").
	URL string
	// Ref is the branch (or full reference name) followed and submitted against.
	Ref string
	// Dir is the local clone; a cache, cloned again when missing.
	Dir string
	// Token authenticates HTTPS git and GitHub API requests; never logged.
	Token string
	// SyncInterval is how often serve syncs besides at start and on webhooks; 0 = never.
	SyncInterval time.Duration
	// WebhookSecret signs GitHub webhook deliveries; "" turns the webhook route off (404).
	WebhookSecret string
	// AuthorName and AuthorEmail sign the commits of submitted drafts.
	AuthorName  string
	AuthorEmail string
	// GitHubAPIURL is the base of GitHub's REST API, for opening pull requests.
	GitHubAPIURL string
}

// Remote is the followed repository as gitrepo takes it.
func (c repoConfig) Remote() gitrepo.Remote {
	return gitrepo.Remote{URL: c.URL, Ref: c.Ref, Token: c.Token}
}

func loadRepoConfig(e *envReader) repoConfig {
	c := repoConfig{
		URL:           e.str("ONTOLOGY_REPO_URL", ""),
		Ref:           e.str("ONTOLOGY_REPO_REF", "main"),
		Dir:           e.str("ONTOLOGY_REPO_DIR", filepath.Join(os.TempDir(), "ontohub-repo")),
		Token:         e.str("ONTOLOGY_REPO_TOKEN", ""),
		SyncInterval:  e.duration("SYNC_INTERVAL", 5*time.Minute),
		WebhookSecret: e.str("WEBHOOK_SECRET", ""),
		AuthorName:    e.str("SUBMIT_AUTHOR_NAME", "Ontology Hub"),
		AuthorEmail:   e.str("SUBMIT_AUTHOR_EMAIL", "ontohub@localhost"),
		GitHubAPIURL:  strings.TrimRight(e.str("GITHUB_API_URL", "https://api.github.com"), "/"),
	}
	if c.SyncInterval < 0 {
		e.fail("SYNC_INTERVAL", c.SyncInterval.String(), "must not be negative (0 turns periodic syncs off)")
	}
	if c.URL != "" {
		if err := c.Remote().Check(); err != nil {
			// The message names the URL without credentials; the value is not repeated.
			e.fail("ONTOLOGY_REPO_URL", c.Remote().Redacted(), err.Error())
		}
	}
	return c
}
