// Package server implements the HTTP API of ontohub: the strict server interface generated from
// openapi.yaml, wrapped in request validation, rate limiting, security headers and logging.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// Config holds the server's settings (read from the environment by cmd/ontohub).
type Config struct {
	// PublicBaseURL is the base of capability URLs; empty derives it from each request.
	PublicBaseURL string
	// AllowedHosts are the Host header values (host or host:port) a capability URL may be built
	// from when PublicBaseURL is empty; any other Host gives the listener's own address.
	AllowedHosts []string
	// DraftTTL is how long a draft lives after creation.
	DraftTTL time.Duration
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// MaxInflightBodyBytes bounds the bytes of request bodies held in memory at once.
	MaxInflightBodyBytes int64
	// MaxExpensivePerAddr bounds the expensive requests (search, graph, used-by) one client
	// address key runs at once; default DefaultMaxExpensivePerAddr.
	MaxExpensivePerAddr int
	// CORSAllowedOrigins are the browser origins allowed to call the API ("*" for any).
	CORSAllowedOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-* headers are believed.
	TrustedProxies []netip.Prefix
	// DraftMaxChanges bounds the changes of one draft (0: changeset.DefaultMaxChanges).
	DraftMaxChanges int
	// DraftMaxEntityBytes bounds the size of an entity a change makes (0: the default).
	DraftMaxEntityBytes int
	// PreviewCacheSize is how many draft previews are kept built (0: DefaultPreviewCacheSize).
	PreviewCacheSize int
	// MaxHeavyRequests bounds the draft preview builds, validations and submits running at once
	// (0: DefaultMaxHeavyRequests).
	MaxHeavyRequests int
	// Version and Commit are the build's, reported by GET /api/v1/version.
	Version, Commit string
	// Metrics, when set, is served at GET /metrics (metrics.Handler); nil when the metrics are
	// served on an address of their own, or not at all.
	Metrics http.Handler
	// Sync is the schema repository sync; nil when the hub follows no repository.
	Sync Syncer
	// WebhookSecret keys the GitHub webhook's signatures; "" (or no Sync) turns the route off.
	WebhookSecret string
	// Submitter pushes submitted drafts to the schema repository; nil when the hub follows none.
	Submitter Submitter
	// SubmitAuthor is the author of the commits of submitted drafts.
	SubmitAuthor gitrepo.Author
	// GitHubAPIURL is the base of GitHub's REST API, for pull requests.
	GitHubAPIURL string
}

// DefaultMaxInflightBodyBytes is the default of Config.MaxInflightBodyBytes: sixteen bodies of
// the default largest size at once.
const DefaultMaxInflightBodyBytes = 16 << 20

// Server implements gen.StrictServerInterface: reads from the in-memory snapshot, drafts from
// the Store.
type Server struct {
	store     *store.Store
	snapshots *snapshot.Holder
	limiter   *ratelimit.Limiter
	cfg       Config
	// proxies tells whether a request came through one of cfg.TrustedProxies.
	proxies ratelimit.ClientIP
	log     *slog.Logger
	// health shares database checks among /health calls.
	health *dbCheck
	// unavailable logs database outages once each, with a count.
	unavailable *outageLog
	// draining is set when the server begins to shut down.
	draining atomic.Bool
	// closing is set when keep-alive connections are to be closed after their current response.
	closing atomic.Bool
	// bodies bounds the request bodies held in memory at once.
	bodies *bodyBudget
	// previews keeps the last draft previews built.
	previews *previewCache
	// heavy bounds the heavy requests running at once, all clients together.
	heavy heavyLimit
	// expensive bounds the expensive requests each client runs at once.
	expensive *expensiveLimit
}

var _ gen.StrictServerInterface = (*Server)(nil)

// New returns a Server reading the ontology from snapshots and drafts from st. limiter may be
// disabled but not nil.
func New(st *store.Store, snapshots *snapshot.Holder, limiter *ratelimit.Limiter, cfg Config, log *slog.Logger) *Server {
	if cfg.DraftTTL <= 0 {
		cfg.DraftTTL = 168 * time.Hour
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxInflightBodyBytes <= 0 {
		cfg.MaxInflightBodyBytes = DefaultMaxInflightBodyBytes
	}
	health := &dbCheck{ping: st.Ping}
	return &Server{store: st, snapshots: snapshots, limiter: limiter, cfg: cfg, proxies: ratelimit.NewClientIP(cfg.TrustedProxies),
		log: log, health: health, unavailable: &outageLog{log: log, check: health.result},
		bodies: &bodyBudget{limit: cfg.MaxInflightBodyBytes}, expensive: newExpensiveLimit(cfg.MaxExpensivePerAddr),
		previews: newPreviewCache(cfg.PreviewCacheSize), heavy: newHeavyLimit(cfg.MaxHeavyRequests)}
}

// snapshot returns the snapshot one request answers from: every part of an answer comes from it.
// A request carrying a draft's token answers from that draft's preview (see preview).
func (s *Server) snapshot(ctx context.Context) *snapshot.Snapshot {
	if preview, ok := ctx.Value(previewKey{}).(*snapshot.Snapshot); ok {
		return preview
	}
	return s.snapshots.Current()
}

// Drain makes /health answer 503 draining, so load balancers stop sending new requests while
// the ones in flight finish.
func (s *Server) Drain() { s.draining.Store(true) }

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// CloseKeepAlives makes every response from now on carry Connection: close, so each keep-alive
// connection is closed by the server right after the response to the request it carries. A
// client that is sending a request meanwhile gets its answer; closing idle connections outright
// (http.Server.SetKeepAlivesEnabled(false)) would race with such a request and reset it.
func (s *Server) CloseKeepAlives() { s.closing.Store(true) }

// ErrShuttingDown is the cause a shutting-down process cancels the requests still running at
// SHUTDOWN_TIMEOUT with (see context.WithCancelCause and http.Server.BaseContext): a handler
// that gives up for it is answered 503 with Retry-After instead of being cut off.
var ErrShuttingDown = errors.New("server: shutting down")

// requestError answers a request the generated wrapper could not decode. The validator has
// already checked it against the contract, so this is rare: a repeated query parameter, say.
func (s *Server) requestError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, newProblem(http.StatusBadRequest, detailInvalid, wrapperFieldError(r, err)))
}

// wrapperFieldError names the parameter a generated-wrapper error is about.
func wrapperFieldError(r *http.Request, err error) gen.FieldError {
	var (
		format   *gen.InvalidParamFormatError
		tooMany  *gen.TooManyValuesForParamError
		required *gen.RequiredParamError
		header   *gen.RequiredHeaderError
		unmarsh  *gen.UnmarshalingParamError
	)
	name := ""
	switch {
	case errors.As(err, &format):
		name = format.ParamName
	case errors.As(err, &tooMany):
		name = tooMany.ParamName
	case errors.As(err, &required):
		name = required.ParamName
	case errors.As(err, &unmarsh):
		name = unmarsh.ParamName
	case errors.As(err, &header):
		return gen.FieldError{Location: gen.FieldErrorLocationHeader, Field: header.ParamName, Message: err.Error()}
	default:
		return gen.FieldError{Location: gen.FieldErrorLocationBody, Message: err.Error()}
	}
	location := gen.FieldErrorLocationQuery
	if r.PathValue(name) != "" {
		location = gen.FieldErrorLocationPath
	}
	return gen.FieldError{Location: location, Field: name, Message: err.Error()}
}

// responseError answers a handler that returned an error: 400 for text the database cannot store
// (a NUL character, invalid UTF-8), 503 for every failure to get an answer from the database (it
// is down, hung, cut the connection mid-query, the pool timed out) and for requests cut short by a
// shutdown, else a generic 500. The cause is logged with the request id, never sent to the
// client. When the response has already begun — the error came from writing it, typically to a
// client that went away — nothing more is written: a second status line cannot be sent.
func (s *Server) responseError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestIDFrom(r.Context())
	if responseStarted(w) {
		// The error came from writing the response (or after it began): only the log can know.
		if clientGone(r) || writeFailed(err) {
			s.log.Debug("client disconnected", "request_id", id, "error", err)
		} else {
			s.log.Error("internal error after the response began", "request_id", id, "error", err)
		}
		return
	}
	var pgErr *pgconn.PgError
	switch {
	case clientGone(r):
		// Nobody reads an answer; the access log still gets a status.
		s.log.Debug("client disconnected", "request_id", id, "error", err)
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailUnavailable))
	case errors.As(err, &pgErr) && (pgErr.Code == pgCharacterNotInRepertoire || pgErr.Code == pgUntranslatableCharacter):
		s.log.Info("request text rejected by the database", "request_id", id, "error", err)
		writeProblem(w, newProblem(http.StatusBadRequest,
			"The request holds text that cannot be stored: a NUL character or invalid UTF-8."))
	case errors.Is(err, errOntologyLoading):
		w.Header().Set("Retry-After", "1")
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailLoading))
	case errors.Is(context.Cause(r.Context()), ErrShuttingDown):
		s.log.Info("request cut short by the shutdown timeout; answered 503", "request_id", id, "route", routeOf(r))
		w.Header().Set("Retry-After", "1")
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailShuttingDown))
	case databaseFailure(err):
		s.unavailable.report(id, err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailUnavailable))
	default:
		s.log.Error("internal error", "request_id", id, "error", err)
		writeProblem(w, newProblem(http.StatusInternalServerError, detailInternal))
	}
}

// clientGone reports whether the request's client went away: net/http cancelled its context
// (with no cause of ours, such as the shutdown).
func clientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled) && context.Cause(r.Context()) == context.Canceled
}

// writeFailed reports whether err is a failed write to a connection, as when the client hung up
// while its response was being written. Only meaningful once the response has begun: before,
// such an error is the database connection's.
func writeFailed(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "write" || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// SQLSTATEs of text PostgreSQL refuses to store: invalid UTF-8 (character_not_in_repertoire) and
// \u0000 in jsonb (untranslatable_character).
const (
	pgCharacterNotInRepertoire = "22021"
	pgUntranslatableCharacter  = "22P05"
)

// queryTimeout is the longest a handler waits on the database before answering 503: a database
// that accepts connections but stops answering must not hold requests forever.
const queryTimeout = 10 * time.Second

// withQueryTimeout bounds every operation's context by queryTimeout.
func withQueryTimeout(next gen.StrictHandlerFunc, _ string) gen.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		return next(ctx, w, r, request)
	}
}

// errOntologyLoading is a read before this replica has loaded any snapshot.
var errOntologyLoading = errors.New("server: ontology snapshot not loaded yet")

// whenLoaded answers every operation that reads the ontology with 503 until the first snapshot
// is loaded: an empty ontology would be a wrong answer, not a slow one.
func (s *Server) whenLoaded(next gen.StrictHandlerFunc, operationID string) gen.StrictHandlerFunc {
	switch operationID {
	case "GetHealth", "GetVersion", "CreateDraft", "GetDraft", "UpdateDraft", "DeleteDraft", "GetSync", "ReceiveGithubWebhook":
		return next
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		if !s.snapshots.Loaded() {
			return nil, errOntologyLoading
		}
		return next(ctx, w, r, request)
	}
}
