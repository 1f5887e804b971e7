package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema change. Most are portable SQL in
// NNNN_name.sql; a change that cannot be written portably (triggers) comes as
// a pair NNNN_name.postgres.sql and NNNN_name.sqlite.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations for a dialect, in order.
func Migrations(d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	byVersion := make(map[int]Migration)
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
			if name[dot+1:] != d.String() {
				continue // the other dialect's variant
			}
			name = name[:dot]
		}
		num, label, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		if prev, dup := byVersion[version]; dup {
			return nil, fmt.Errorf("store: migrations %q and %q share version %d", prev.Name, label, version)
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		byVersion[version] = Migration{Version: version, Name: label, SQL: string(body)}
	}
	list := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Version < list[j].Version })
	for i, m := range list {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration %d is missing", i+1)
		}
	}
	return list, nil
}

// Migrate applies every migration that has not been applied yet, each in its
// own transaction. Several instances may call it at once: on PostgreSQL an
// advisory lock serialises them, on SQLite the immediate transaction does.
func (db *DB) Migrate(ctx context.Context) (applied []Migration, err error) {
	list, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	if _, err := db.Pending(ctx); err != nil {
		return nil, err
	}
	for _, m := range list {
		done, err := db.apply(ctx, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// migrationLockID is an arbitrary constant naming rebind's advisory lock.
const migrationLockID = 0x7265_6269_6e64

func (db *DB) apply(ctx context.Context, m Migration) (applied bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if db.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockID); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			m.Version, m.Name, Millis(time.Now())); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return applied, nil
}

// Pending returns how many migrations have not been applied yet. A schema
// newer than this build knows is an error: a newer release migrated the
// database, and this one must not run against it.
func (db *DB) Pending(ctx context.Context) (int, error) {
	list, err := Migrations(db.Dialect)
	if err != nil {
		return 0, err
	}
	current, err := db.schemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if current > len(list) {
		return 0, fmt.Errorf("store: the database's schema is at version %d, newer than this build knows (%d): "+
			"a newer release migrated it; run that release (or one as new), never an older one against it", current, len(list))
	}
	return len(list) - current, nil
}

// schemaVersion is the highest migration applied, 0 on an empty database.
func (db *DB) schemaVersion(ctx context.Context) (int, error) {
	var current sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&current)
	if isUndefinedTable(err) {
		return 0, nil
	}
	if err != nil {
		return 0, Translate(fmt.Errorf("store: read schema version: %w", err))
	}
	return int(current.Int64), nil
}
