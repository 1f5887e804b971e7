package apptest

import (
	"testing"

	"github.com/rebindhq/rebind/internal/store/storetest"
)

// EachDatabase runs fn as a subtest on each database with the Options that
// start a server on it: "sqlite" always, "postgres" in a fresh schema when
// configured (skipped otherwise, or failed when PostgreSQL is required).
func EachDatabase(t *testing.T, fn func(t *testing.T, opts Options)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Options{}) })
	t.Run("postgres", func(t *testing.T) { fn(t, Options{DatabaseURL: storetest.PostgresURL(t)}) })
}
