// Package server implements the HTTP API of ontohub: the strict server interface generated from
// openapi.yaml, wrapped in request validation, rate limiting, security headers and logging.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ratelimit"
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
	// CORSAllowedOrigins are the browser origins allowed to call the API ("*" for any).
	CORSAllowedOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-* headers are believed.
	TrustedProxies []netip.Prefix
}

// Server implements gen.StrictServerInterface over a Store.
type Server struct {
	store   *store.Store
	limiter *ratelimit.Limiter
	cfg     Config
	// proxies tells whether a request came through one of cfg.TrustedProxies.
	proxies ratelimit.ClientIP
	log     *slog.Logger
}

var _ gen.StrictServerInterface = (*Server)(nil)

// New returns a Server. limiter may be disabled but not nil.
func New(st *store.Store, limiter *ratelimit.Limiter, cfg Config, log *slog.Logger) *Server {
	if cfg.DraftTTL <= 0 {
		cfg.DraftTTL = 168 * time.Hour
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	return &Server{store: st, limiter: limiter, cfg: cfg, proxies: ratelimit.NewClientIP(cfg.TrustedProxies), log: log}
}

// Handler returns the complete handler chain: logging and security headers around everything;
// rate limiting, body limits and contract validation around /api/; /health served without limits;
// the documentation routes outside the validator.
func (s *Server) Handler() (http.Handler, error) {
	api := http.NewServeMux()
	strict := gen.NewStrictHandlerWithOptions(s, []gen.StrictMiddlewareFunc{s.withBaseURL, withQueryTimeout}, gen.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	gen.HandlerWithOptions(strict, gen.StdHTTPServerOptions{
		BaseRouter:       api,
		ErrorHandlerFunc: s.requestError,
	})

	// A path the validator lets through but no route takes: a path parameter that decodes to
	// "/" (say /api/v1/drafts/%2F). A draft path keeps the one draft 404, so a malformed token
	// looks like any other unknown one.
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/drafts/") {
			writeProblem(w, newProblem(http.StatusNotFound, detailDraftNotFound))
			return
		}
		notFoundHandler(w, r)
	})

	validate, err := newValidator()
	if err != nil {
		return nil, err
	}
	// The body limit comes first: the validator reads the whole body, and must never be handed
	// more than MAX_BODY_BYTES of it.
	validated := limitBody(s.cfg.MaxBodyBytes, validate(api))
	limited := make(map[string]http.Handler)
	for _, class := range []string{ratelimit.ClassDraftCreate, ratelimit.ClassDraftRead, ratelimit.ClassList, ratelimit.ClassRead} {
		limited[class] = s.limiter.Middleware(class, validated)
	}

	root := http.NewServeMux()
	root.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			// HEAD is GET without a body: the contract lists GETs only, and net/http drops the
			// body of a response to a HEAD request by itself.
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		limited[rateClass(api, r)].ServeHTTP(w, r)
	}))
	root.Handle("GET /health", api)
	root.HandleFunc("/health", methodNotAllowed("GET, HEAD"))
	root.HandleFunc("/api", notFoundHandler)
	if err := s.mountDocs(root); err != nil {
		return nil, err
	}
	root.HandleFunc("/", notFoundHandler)

	route := func(r *http.Request) string {
		mux := root
		if strings.HasPrefix(r.URL.Path, "/api/") {
			mux = api
		}
		if _, pattern := mux.Handler(r); pattern != "" && pattern != "/" {
			return pattern
		}
		return "unmatched"
	}
	return logRequests(s.log, route, secureHeaders(s.cfg.CORSAllowedOrigins, root)), nil
}

// rateClass picks the rate-limit budget of an API request from the contract route it matches.
// Requests that match no route still spend the single-read budget, so probing costs too.
func rateClass(api *http.ServeMux, r *http.Request) string {
	_, pattern := api.Handler(r)
	switch pattern {
	case "POST /api/v1/drafts":
		return ratelimit.ClassDraftCreate
	case "GET /api/v1/entities/{entity_type}", "GET /api/v1/modules", "GET /api/v1/profiles":
		return ratelimit.ClassList
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/drafts/") {
		return ratelimit.ClassDraftRead
	}
	return ratelimit.ClassRead
}

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
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer, but the access log gets a status.
		writeProblem(w, newProblem(http.StatusServiceUnavailable, detailUnavailable))
	case store.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded):
		log.Warn("database unavailable", "error", err)
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
