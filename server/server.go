// Package server implements the HTTP API of ontohub: the strict server interface generated from
// openapi.yaml, wrapped in request validation, rate limiting, security headers and logging.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ratelimit"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// Config holds the server's settings (read from the environment by cmd/ontohub).
type Config struct {
	// PublicBaseURL is the base of capability URLs; empty derives it from each request.
	PublicBaseURL string
	// DraftTTL is how long a draft lives after creation.
	DraftTTL time.Duration
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// MaxInflightBodyBytes bounds the bytes of request bodies held in memory at once.
	MaxInflightBodyBytes int64
	// CORSAllowedOrigins are the browser origins allowed to call the API ("*" for any).
	CORSAllowedOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-* headers are believed.
	TrustedProxies []netip.Prefix
	// Sync is the schema repository sync; nil when the hub follows no repository.
	Sync Syncer
	// WebhookSecret keys the GitHub webhook's signatures; "" (or no Sync) turns the route off.
	WebhookSecret string
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
	// bodies bounds the request bodies held in memory at once.
	bodies *bodyBudget
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
	return &Server{store: st, snapshots: snapshots, limiter: limiter, cfg: cfg, proxies: ratelimit.NewClientIP(cfg.TrustedProxies),
		log: log, health: &dbCheck{ping: st.Ping}, unavailable: &outageLog{log: log},
		bodies: &bodyBudget{limit: cfg.MaxInflightBodyBytes}}
}

// snapshot returns the snapshot one request answers from: every part of an answer comes from it.
func (s *Server) snapshot(context.Context) *snapshot.Snapshot { return s.snapshots.Current() }

// Drain makes /health answer 503 draining, so load balancers stop sending new requests while
// the ones in flight finish.
func (s *Server) Drain() { s.draining.Store(true) }

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

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
// (a NUL character, invalid UTF-8), 503 when the database is away or too slow, else a generic
// 500. The cause is logged with the request id, never sent to the client.
func (s *Server) responseError(w http.ResponseWriter, r *http.Request, err error) {
	log := s.log.With("request_id", requestIDFrom(r.Context()))
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && (pgErr.Code == pgCharacterNotInRepertoire || pgErr.Code == pgUntranslatableCharacter):
		log.Info("request text rejected by the database", "error", err)
		writeProblem(w, newProblem(http.StatusBadRequest,
			"The request holds text that cannot be stored: a NUL character or invalid UTF-8."))
	case errors.Is(err, errOntologyLoading):
		w.Header().Set("Retry-After", "1")
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailLoading))
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer, but the access log gets a status.
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailUnavailable))
	case store.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded):
		s.unavailable.report(requestIDFrom(r.Context()), err)
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailUnavailable))
	default:
		log.Error("internal error", "error", err)
		writeProblem(w, newProblem(http.StatusInternalServerError, detailInternal))
	}
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
	case "GetHealth", "CreateDraft", "GetDraft", "UpdateDraft", "DeleteDraft", "GetSync", "ReceiveGithubWebhook":
		return next
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		if !s.snapshots.Loaded() {
			return nil, errOntologyLoading
		}
		return next(ctx, w, r, request)
	}
}
