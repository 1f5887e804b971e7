package account_test

import (
	"context"
	"testing"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// An id that no account can have is not_found before any query: it never
// reaches the database, where a NUL or invalid UTF-8 would be an error
// (SPEC §5, issue 7; the admin API's unfreeze takes the id from its path).
func TestSetFrozenRefusesMalformedIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := account.NewStore(clock.NewFake(now))
		for _, id := range []string{"", "a\x00b", "a\xffb", "' OR 1=1 --", "aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
			changed, err := s.SetFrozen(context.Background(), db, id, false)
			if changed || !apperr.Is(err, apperr.NotFound) {
				t.Errorf("SetFrozen(%q) = %v, %v; want not_found", id, changed, err)
			}
		}
	})
}
