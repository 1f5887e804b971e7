package hold

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Answers answers the wallet's question for many callers at once without a
// cache: questions that arrive while the database works on earlier ones
// wait, and the next query answers all of them (at most MaxBatch) in one
// round trip. A batch is taken from the queue before its query starts, so
// every answer comes from a statement that began after the question
// arrived: a hold committed before a question arrives is always in its
// answer, exactly as with a query per question. At most inflight queries
// run at once; when the database fails, every question of the batch gets
// the error (fail closed).
type Answers struct {
	store *Store
	db    store.Querier
	slots chan struct{}

	mu    sync.Mutex
	queue []*question

	queries atomic.Int64
	// afterQuery, when set (tests), runs after a batch's query and before
	// its answers are given.
	afterQuery func(batch int)
}

// MaxBatch bounds the accounts one query asks about.
const MaxBatch = 128

// queryTimeout bounds one batch's query; a batch's query does not follow
// any one caller's context, since the others are waiting for it too.
const queryTimeout = 10 * time.Second

type question struct {
	id   string
	done chan struct{}
	e    Eligibility
	err  error
}

// NewAnswers returns answers from db, running at most inflight queries at
// once (at least 1).
func NewAnswers(s *Store, db store.Querier, inflight int) *Answers {
	return &Answers{store: s, db: db, slots: make(chan struct{}, max(inflight, 1))}
}

// Queries returns how many queries have answered questions, for tests and
// metrics.
func (a *Answers) Queries() int64 { return a.queries.Load() }

// Queued returns how many questions wait for a query to start.
func (a *Answers) Queued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.queue)
}

// WithdrawalEligibility answers whether the account may withdraw now, as
// Store.WithdrawalEligibility does.
func (a *Answers) WithdrawalEligibility(ctx context.Context, accountID string) (Eligibility, error) {
	if !token.ValidID(accountID) {
		return Eligibility{}, apperr.New(apperr.NotFound, "no such account")
	}
	q := &question{id: accountID, done: make(chan struct{})}
	a.mu.Lock()
	a.queue = append(a.queue, q)
	a.mu.Unlock()
	a.serve()
	select {
	case <-q.done:
		return q.e, q.err
	case <-ctx.Done():
		return Eligibility{}, ctx.Err()
	}
}

// serve starts a query loop if a slot is free. A loop that finds every
// slot taken leaves the queue to the loops holding them: each looks at the
// queue again after giving its slot back, so no question is left waiting
// with no query to come.
func (a *Answers) serve() {
	select {
	case a.slots <- struct{}{}:
		go a.loop()
	default:
	}
}

func (a *Answers) loop() {
	for {
		a.mu.Lock()
		n := min(len(a.queue), MaxBatch)
		batch := make([]*question, n)
		copy(batch, a.queue)
		a.queue = a.queue[n:]
		if len(a.queue) == 0 {
			a.queue = nil
		}
		a.mu.Unlock()
		if n > 0 {
			a.answer(batch)
		}
		<-a.slots
		a.mu.Lock()
		more := len(a.queue) > 0
		a.mu.Unlock()
		if !more {
			return
		}
		select {
		case a.slots <- struct{}{}:
		default:
			return
		}
	}
}

func (a *Answers) answer(batch []*question) {
	ids := make([]string, 0, len(batch))
	seen := make(map[string]bool, len(batch))
	for _, q := range batch {
		if !seen[q.id] {
			seen[q.id] = true
			ids = append(ids, q.id)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	got, err := a.store.eligibilities(ctx, a.db, ids)
	cancel()
	a.queries.Add(1)
	if a.afterQuery != nil {
		a.afterQuery(len(batch))
	}
	for _, q := range batch {
		switch e, ok := got[q.id]; {
		case err != nil:
			q.err = err
		case !ok:
			q.err = apperr.New(apperr.NotFound, "no such account")
		default:
			// Each caller gets its own copy of the slices.
			e.Reasons = append([]string{}, e.Reasons...)
			q.e = e
		}
		close(q.done)
	}
}
