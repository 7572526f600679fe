// Package store is ontohub's data layer: every SQL statement the service runs against PostgreSQL
// lives here, next to the method that runs it.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when the row asked for does not exist (or is deleted or expired).
var ErrNotFound = errors.New("not found")

// connectTimeout bounds establishing a connection when the URL sets no connect_timeout.
const connectTimeout = 5 * time.Second

// Store holds the connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// Open creates a pool for databaseURL with at most maxConns connections. It does not wait for the
// database: the pool connects lazily, so a server can start (and report unhealthy) while the
// database is away, and recovers by itself when it returns.
func Open(ctx context.Context, databaseURL string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A database that accepts connections but never answers must not hang requests and
		// commands; connect_timeout in the URL overrides this.
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if maxConns > 0 {
		// pgxpool's default is max(4, NumCPU): too few for a web server on two cores.
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open pool: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool, waiting for acquired connections to be released.
func (s *Store) Close() { s.pool.Close() }

// Ping does a real round trip to the database.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// queryOne runs a query for one row and scans it with scan; no row is ErrNotFound.
func queryOne[T any](ctx context.Context, s *Store, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	// A failed Query hands its error to CollectOneRow through rows.
	rows, _ := s.pool.Query(ctx, sql, args...)
	item, err := pgx.CollectOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return item, ErrNotFound
	}
	return item, err
}

// IsUnavailable reports whether err means the database could not be reached (as opposed to a
// query that failed), so callers can answer 503 rather than 500.
func IsUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return pgconn.Timeout(err)
}

// Connect opens a connection of its own, outside the pool, with the pool's settings: for a
// session that must stay put, such as a LISTEN.
func (s *Store) Connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return conn, nil
}
