package store

import (
	"database/sql"
	"sync"
)

// commitHooks holds, for each transaction DB.Tx has open, the functions to
// run once it commits. It is keyed by the *sql.Tx that fn receives, so
// callers need no handle beyond the Querier they were given.
var commitHooks sync.Map // *sql.Tx -> *hookList

type hookList struct {
	mu  sync.Mutex
	fns []func()
}

// AfterCommit runs fn once what q wrote is visible to other connections:
// after the commit of a transaction opened by DB.Tx (not after a rollback,
// and not for an attempt that is retried), or at once when q is not such a
// transaction (a *DB, a *sql.DB: autocommit). fn runs on the committing
// goroutine and must not block.
func AfterCommit(q Querier, fn func()) {
	if tx, ok := q.(*sql.Tx); ok {
		if v, ok := commitHooks.Load(tx); ok {
			h := v.(*hookList)
			h.mu.Lock()
			h.fns = append(h.fns, fn)
			h.mu.Unlock()
			return
		}
	}
	fn()
}

// trackCommit registers tx for AfterCommit; the returned function forgets
// it and, when committed, runs what was registered.
func trackCommit(tx *sql.Tx) func(committed bool) {
	h := &hookList{}
	commitHooks.Store(tx, h)
	return func(committed bool) {
		commitHooks.Delete(tx)
		if !committed {
			return
		}
		h.mu.Lock()
		fns := h.fns
		h.mu.Unlock()
		for _, fn := range fns {
			fn()
		}
	}
}
