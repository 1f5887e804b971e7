package store

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rebindhq/rebind/internal/apperr"
)

// Translate turns a driver error into rebind's error codes, keeping the
// driver error as the cause: a unique violation becomes conflict, no rows
// becomes not_found, text the database cannot store (a NUL byte, invalid
// UTF-8) becomes invalid_request, an unreachable database becomes
// unavailable. Other errors are returned unchanged. It is the only place
// that knows the drivers' error types.
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return apperr.Wrap(apperr.NotFound, "not found", err)
	case IsUniqueViolation(err):
		return apperr.Wrap(apperr.Conflict, "already exists", err)
	case badText(err):
		// The requests' readers refuse such text first; this is the last line.
		return apperr.Wrap(apperr.InvalidRequest, "the request holds a NUL character or bytes that are not UTF-8", err)
	case unreachable(err):
		return apperr.Wrap(apperr.Unavailable, "the database is unavailable", err)
	}
	return err
}

// Classify is what an HTTP answer makes of an error that no layer
// classified: one that says the database cannot be reached now (a dropped
// or refused connection, a server shutting down) is unavailable (503), not
// internal, wherever a read forgot to Translate it. Any other error is
// returned as it is.
func Classify(err error) error {
	var e *apperr.Error
	if err == nil || errors.As(err, &e) || !unreachable(err) {
		return err
	}
	return apperr.Wrap(apperr.Unavailable, "the database is unavailable", err)
}

// IsUniqueViolation reports whether err is a unique or primary key violation.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// badText reports whether the database refused text it cannot store.
// PostgreSQL's text holds neither NUL nor invalid UTF-8 (22021
// character_not_in_repertoire, 22P05 untranslatable_character); SQLite
// stores both, so it never says this.
func badText(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05")
}

// retryable reports whether a transaction failed only because of contention
// and may succeed if run again.
func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return false
}

func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08: connection exception; 57P0x: the server is shutting down.
		return len(pg.Code) == 5 && (pg.Code[:2] == "08" || pg.Code[:4] == "57P0")
	}
	return false
}

// isUndefinedTable reports whether err says a table does not exist.
func isUndefinedTable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "42P01"
	}
	var lite *sqlite.Error
	return errors.As(err, &lite) && strings.Contains(lite.Error(), "no such table")
}
