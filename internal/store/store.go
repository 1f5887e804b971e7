// Package store owns the database: opening SQLite or PostgreSQL, the embedded
// migrations, transactions, the few places where the two dialects differ, and
// the translation of driver errors into rebind's error codes. The tables
// themselves are read and written by the packages that own them, through the
// Querier interface, so one transaction can span several of them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/rebindhq/rebind/internal/apperr"
)

// Dialect names the SQL dialect of a database.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// Querier is what both *sql.DB and *sql.Tx offer; store methods take it so
// that callers choose whether a statement runs alone or in a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database with its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Path is the file of an SQLite database; empty for PostgreSQL.
	Path string
}

// Open opens the database named by a URL: postgres://… (or postgresql://…),
// sqlite:///absolute/path.db or sqlite:relative/path.db. It checks that the
// database answers before returning.
func Open(ctx context.Context, rawURL string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	db, err := open(rawURL, o)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s database: %w", db.Dialect, err)
	}
	if db.Dialect == SQLite {
		if err := db.useWAL(pingCtx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// useWAL switches an SQLite file to write-ahead logging, which lets readers
// run beside the one writer. The mode is stored in the file. Switching takes
// an exclusive lock for which SQLite does not wait, so a busy answer from
// another process opening the same new file is retried here.
func (db *DB) useWAL(ctx context.Context) error {
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if err != nil && !retryable(err) {
			return fmt.Errorf("store: enable WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: enable WAL: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func open(rawURL string, o options) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		sqldb, err := sqlOpen("pgx", rawURL, o)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(20)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		return &DB{DB: sqldb, Dialect: Postgres}, nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		path, err := SQLitePath(rawURL)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: create database folder: %w", err)
		}
		// Immediate transactions take the write lock at BEGIN, so two
		// transactions never deadlock trying to upgrade a read lock; the busy
		// timeout makes writers queue instead of failing. WAL mode is set
		// once per file by Open.
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		sqldb, err := sqlOpen("sqlite", dsn, o)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		return &DB{DB: sqldb, Dialect: SQLite, Path: path}, nil
	}
	return nil, fmt.Errorf("store: database URL must start with postgres:// or sqlite:, got %q", redact(rawURL))
}

func sqlOpen(driverName, dsn string, o options) (*sql.DB, error) {
	sqldb, err := sql.Open(driverName, dsn)
	if err != nil || !o.counted {
		return sqldb, err
	}
	return counted(sqldb, dsn)
}

// SQLitePath returns the file path of an sqlite: URL.
func SQLitePath(rawURL string) (string, error) {
	rest := strings.TrimPrefix(rawURL, "sqlite:")
	if strings.HasPrefix(rest, "//") {
		u, err := url.Parse(rawURL)
		if err != nil || u.Host != "" || u.Path == "" {
			return "", fmt.Errorf("store: sqlite URL must be sqlite:///absolute/path or sqlite:relative/path")
		}
		return u.Path, nil
	}
	if rest == "" || strings.ContainsAny(rest, "?#") {
		return "", fmt.Errorf("store: sqlite URL must name a file without query options")
	}
	return rest, nil
}

// redact drops the user information from a URL so it can be shown in errors.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	u.User = url.User("…")
	return u.String()
}

// Tx runs fn in a transaction and commits it when fn returns nil. A
// transaction that fails because of a serialization failure, deadlock or busy
// database is retried a few times with a short backoff.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
			}
		}
		err = db.tx(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return Translate(fmt.Errorf("store: begin: %w", err))
	}
	done := trackCommit(tx)
	if err := fn(tx); err != nil {
		tx.Rollback()
		done(false)
		return err
	}
	if err := tx.Commit(); err != nil {
		done(false)
		return Translate(fmt.Errorf("store: commit: %w", err))
	}
	done(true)
	return nil
}

// SkipLocked is appended to a SELECT that claims queue rows: on PostgreSQL it
// lets several workers claim different rows at once; SQLite has one writer
// at a time, so it needs nothing.
func (db *DB) SkipLocked() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Ready reports whether the database answers a query.
func (db *DB) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return apperr.Wrap(apperr.Unavailable, "the database is unavailable", err)
	}
	return nil
}

// Millis converts a time to the stored form: Unix milliseconds, UTC. Times
// are integers in both dialects so comparisons and arithmetic are portable.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Time converts stored Unix milliseconds back to a UTC time.
func Time(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// IsNoRows reports whether err is sql.ErrNoRows.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
