package blob

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// An object put in a transaction that rolled back is deleted by Discard;
// one whose key was committed is left readable.
func TestDiscard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := filepath.Join(t.TempDir(), "documents")
		f := newFixture(t, db, dir, randomSecret())
		var rolledBack string
		errRollback := errors.New("roll back")
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			if rolledBack, err = f.Put(ctx, tx, passport); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, rolledBack)); err != nil {
			t.Fatalf("the rolled-back object should still be on disk before Discard: %v", err)
		}
		kept := f.put(t, passport)
		for _, id := range []string{rolledBack, kept} {
			if err := f.Discard(ctx, id); err != nil {
				t.Fatalf("Discard %s: %v", id, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, rolledBack)); !os.IsNotExist(err) {
			t.Fatalf("rolled-back object after Discard: %v", err)
		}
		if _, err := f.Get(ctx, kept); err != nil {
			t.Fatalf("a committed object after Discard: %v", err)
		}
		if err := f.Discard(ctx, rolledBack); err != nil {
			t.Fatalf("Discard again: %v", err)
		}
	})
}
