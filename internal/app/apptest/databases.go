package apptest

import (
	"strings"
	"sync"
	"testing"

	"github.com/rebindhq/rebind/internal/store/storetest"
)

// EachDatabase runs fn as a subtest on each database: "sqlite" always,
// "postgres" when configured (skipped otherwise, or failed when PostgreSQL
// is required). Every server Start starts within fn, its subtests included,
// runs on that subtest's database: a fresh SQLite file or PostgreSQL schema
// of its own unless Options.DatabaseURL names one. opts names a fresh
// database of the subtest's kind, for servers that must share one.
//
// Start refuses to run outside EachDatabase on a database it picks itself,
// so no server test runs on SQLite alone, where immediate transactions
// serialize writers and hide the races PostgreSQL would show, without
// saying why (Options.OnlySQLite).
func EachDatabase(t *testing.T, fn func(t *testing.T, opts Options)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		on(t, "sqlite")
		fn(t, Options{DatabaseURL: storetest.SQLiteURL(t)})
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		on(t, "postgres")
		fn(t, Options{DatabaseURL: url})
	})
}

// kinds maps the name of each running EachDatabase subtest to its
// database. Tests name their subtests uniquely, so a test's name tells which
// EachDatabase subtest, if any, it runs within.
var kinds sync.Map

func on(t *testing.T, kind string) {
	name := t.Name()
	kinds.Store(name, kind)
	t.Cleanup(func() { kinds.Delete(name) })
}

// kindOf returns the database of the EachDatabase subtest t runs within,
// or "" outside any.
func kindOf(t testing.TB) string {
	name := t.Name()
	for {
		if kind, ok := kinds.Load(name); ok {
			return kind.(string)
		}
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return ""
		}
		name = name[:i]
	}
}

// databaseURL returns a fresh database for a server that names none: of
// the EachDatabase subtest's kind, or SQLite for a test that says why it
// runs there only (its PostgreSQL subtest is skipped with the reason).
func databaseURL(t testing.TB, opts Options) string {
	t.Helper()
	kind := kindOf(t)
	if opts.OnlySQLite != "" {
		if kind == "postgres" {
			t.Skip("SQLite only: " + opts.OnlySQLite)
		}
		return storetest.SQLiteURL(t)
	}
	switch kind {
	case "sqlite":
		return storetest.SQLiteURL(t)
	case "postgres":
		return storetest.PostgresURL(t)
	}
	t.Fatal("apptest.Start outside apptest.EachDatabase: run the test within EachDatabase, " +
		"name a database in Options.DatabaseURL, or say in Options.OnlySQLite why it cannot run on PostgreSQL")
	return ""
}
