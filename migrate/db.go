package migrate

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// maintenanceDatabase is the database every PostgreSQL server has, used to create and
// drop other databases.
const maintenanceDatabase = "postgres"

// PostgreSQL error codes the engine reacts to.
const (
	codeInvalidCatalogName    = "3D000" // the database does not exist
	codeDuplicateDatabase     = "42P04"
	codeInsufficientPrivilege = "42501"
)

// defaultConnectTimeout bounds connecting to the database when the URL sets no connect_timeout.
const defaultConnectTimeout = 10 * time.Second

// parseConfig parses a PostgreSQL URL or keyword/value connection string.
func parseConfig(databaseURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, fmt.Errorf("migrate: bad database URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		// A server that accepts connections but never answers must give a clear error, not
		// a hang; connect_timeout in the URL overrides this.
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	// Atlas runs DDL and then inspects the catalog on the same pool; cached prepared
	// statements could go stale in between, so use the unprepared extended protocol.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	return cfg, nil
}

// openDB opens a database/sql handle for Atlas (which works on database/sql) and checks
// that the server answers.
func openDB(ctx context.Context, cfg *pgx.ConnConfig) (*sql.DB, error) {
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: cannot reach database %q on %s:%d: %w", cfg.Database, cfg.Host, cfg.Port, err)
	}
	return db, nil
}

// openURL is parseConfig followed by openDB.
func openURL(ctx context.Context, databaseURL string) (*sql.DB, error) {
	cfg, err := parseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	return openDB(ctx, cfg)
}

// connectMaintenance connects to the maintenance database on the server of cfg.
func connectMaintenance(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	admin := cfg.Copy()
	admin.Database = maintenanceDatabase
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("migrate: cannot reach maintenance database %q on %s:%d: %w", maintenanceDatabase, cfg.Host, cfg.Port, err)
	}
	return conn, nil
}

// EnsureDatabase creates the database named in databaseURL when it does not exist yet,
// connecting to the "postgres" maintenance database on the same server to do so. It
// fails when the server is unreachable or the role may not create databases.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := parseConfig(databaseURL)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	if pgErrorCode(err) != codeInvalidCatalogName {
		return fmt.Errorf("migrate: cannot reach database %q on %s:%d: %w", cfg.Database, cfg.Host, cfg.Port, err)
	}
	return createDatabase(ctx, cfg, cfg.Database)
}

// createDatabase creates the database name on the server of cfg. A database that
// appeared meanwhile (another replica starting at the same time) is fine.
func createDatabase(ctx context.Context, cfg *pgx.ConnConfig, name string) error {
	conn, err := connectMaintenance(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	switch pgErrorCode(err) {
	case "":
		if err != nil {
			return fmt.Errorf("migrate: create database %q: %w", name, err)
		}
		return nil
	case codeDuplicateDatabase:
		return nil
	case codeInsufficientPrivilege:
		return fmt.Errorf("migrate: database %q does not exist and role %q may not create it: %w", name, cfg.User, err)
	default:
		return fmt.Errorf("migrate: create database %q: %w", name, err)
	}
}

// dropDatabase drops the database name on the server of cfg, ending its sessions.
func dropDatabase(ctx context.Context, cfg *pgx.ConnConfig, name string) error {
	conn, err := connectMaintenance(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// WITH (FORCE) (PostgreSQL 13+) ends sessions a pool may still hold open.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("migrate: drop database %q: %w", name, err)
	}
	return nil
}

// CreateDatabase creates the database name on the server of serverURL (an existing one
// is left as it is) and returns serverURL pointing at it.
func CreateDatabase(ctx context.Context, serverURL, name string) (string, error) {
	cfg, err := parseConfig(serverURL)
	if err != nil {
		return "", err
	}
	databaseURL, err := withDatabase(serverURL, name)
	if err != nil {
		return "", err
	}
	if err := createDatabase(ctx, cfg, name); err != nil {
		return "", err
	}
	return databaseURL, nil
}

// DropDatabase drops the database named in databaseURL, ending its open sessions.
// A database that does not exist is not an error.
func DropDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := parseConfig(databaseURL)
	if err != nil {
		return err
	}
	return dropDatabase(ctx, cfg, cfg.Database)
}

// RandomName returns prefix followed by an underscore and 16 random lowercase hex
// digits, a database name that does not collide with concurrent runs.
func RandomName(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b) // never fails, see crypto/rand
	return prefix + "_" + hex.EncodeToString(b)
}

// withDatabase returns databaseURL with its database replaced by name. It keeps user,
// host, port and options, in URL or keyword/value form.
func withDatabase(databaseURL, name string) (string, error) {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return "", fmt.Errorf("migrate: bad database URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value form the last occurrence of a keyword wins.
	return databaseURL + " dbname=" + name, nil
}

// devDatabase calls fn with a connection to a clean dev database: devURL when set,
// otherwise a scratch database created on the server of databaseURL and dropped after.
func devDatabase(ctx context.Context, databaseURL, devURL string, fn func(dev *sql.DB) error) (err error) {
	if devURL != "" {
		dev, err := openURL(ctx, devURL)
		if err != nil {
			return fmt.Errorf("dev database: %w", err)
		}
		defer dev.Close()
		return fn(dev)
	}
	cfg, err := parseConfig(databaseURL)
	if err != nil {
		return err
	}
	name := RandomName("ontohub_dev")
	if err := createDatabase(ctx, cfg, name); err != nil {
		return fmt.Errorf("%w (set DEV_DATABASE_URL to an empty database instead)", err)
	}
	defer func() {
		// The scratch database must go even when ctx was cancelled.
		if derr := dropDatabase(context.WithoutCancel(ctx), cfg, name); derr != nil {
			err = errors.Join(err, derr)
		}
	}()
	devCfg := cfg.Copy()
	devCfg.Database = name
	dev, err := openDB(ctx, devCfg)
	if err != nil {
		return err
	}
	defer dev.Close()
	return fn(dev)
}

// pgErrorCode returns the SQLSTATE of err, or "" when err did not come from the server.
func pgErrorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
