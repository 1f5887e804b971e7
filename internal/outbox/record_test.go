package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// syncBuffer is a log sink safe for the worker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// locker is a provider that, on accepting a message, has another
// connection take the database's write lock, so recording `sent` fails.
type locker struct {
	*recorder
	db   *store.DB
	conn chan *sql.Conn
}

func (l *locker) Send(ctx context.Context, m outbox.Message) (string, error) {
	id, err := l.recorder.Send(ctx, m)
	c, cerr := l.db.Conn(context.Background())
	if cerr == nil && l.db.Dialect == store.SQLite {
		_, cerr = c.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	} else if cerr == nil {
		if _, cerr = c.ExecContext(context.Background(), "BEGIN"); cerr == nil {
			_, cerr = c.ExecContext(context.Background(), "LOCK TABLE outbox IN EXCLUSIVE MODE")
		}
	}
	if cerr != nil {
		panic(cerr)
	}
	l.conn <- c
	return id, err
}

// TestSentRecordedAfterTheDatabaseAnswers: the provider accepts a message,
// then the database refuses the write of `sent` (SQLite: another
// connection holds the write lock; PostgreSQL: the table is locked and the
// waiting connection is killed, as in a restart). Once the database answers
// the message is recorded sent, and it was sent exactly once. The old
// worker logged the failure and sent the message again after its lease.
func TestSentRecordedAfterTheDatabaseAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, _ := setup(t, db)
		logs := &syncBuffer{}
		w.Log = slog.New(slog.NewTextHandler(logs, nil))
		// Long enough to open a connection on a loaded machine (a timed-out
		// query costs pgx its connection).
		w.Poll, w.RecordTimeout = 5*time.Millisecond, 2*time.Second
		lk := &locker{recorder: rec, db: db, conn: make(chan *sql.Conn, 1)}
		w.Senders = map[outbox.Channel]outbox.Sender{outbox.Email: lk}
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Body: "b"}, time.Time{})
		run(t, w)
		c := <-lk.conn
		ctx := context.Background()
		t.Cleanup(func() { c.ExecContext(ctx, "ROLLBACK"); c.Close() }) // whatever happens, let go of the lock
		waitFor(t, "a failed write of the outcome", func() bool {
			if db.Dialect == store.Postgres {
				// Kill a connection waiting on the lock, as a restart
				// would; only those our lock blocks: others share the server.
				c.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid)) AND query LIKE 'UPDATE outbox SET state = ''sent''%'`)
			}
			l := logs.String()
			return strings.Contains(l, "level=ERROR") && strings.Contains(l, "record")
		})
		if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		c.Close()
		waitFor(t, "the message recorded sent", func() bool {
			st, _, _ := state(t, db, id)
			return st == "sent"
		})
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.sent[id] != 1 {
			t.Fatalf("sent %d times", rec.sent[id])
		}
	})
}

// TestTwoInstancesDeliverEachOnce: two workers on two handles of one
// database (two instances) stream 300 messages; each is delivered once.
func TestTwoInstancesDeliverEachOnce(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"sqlite": storetest.SQLiteURL, "postgres": storetest.PostgresURL} {
		t.Run(name, func(t *testing.T) {
			u := url(t)
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(context.Background(), u)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				dbs = append(dbs, db)
			}
			q, _, rec, clk := setup(t, dbs[0])
			for i := range 300 {
				enqueue(t, dbs[0], q, outbox.Message{Channel: outbox.Email, To: fmt.Sprintf("u%d@example.com", i), Body: "b"}, time.Time{})
			}
			for _, db := range dbs {
				run(t, &outbox.Worker{DB: db, Queue: q, Clock: clk, Poll: 5 * time.Millisecond,
					InFlight: map[outbox.Channel]int{outbox.Email: 8}, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: rec}})
			}
			waitFor(t, "all sent", func() bool { return countState(t, dbs[0], "sent") == 300 })
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.sent) != 300 {
				t.Fatalf("%d distinct messages delivered, want 300", len(rec.sent))
			}
			for id, n := range rec.sent {
				if n != 1 {
					t.Fatalf("message %s delivered %d times", id, n)
				}
			}
		})
	}
}
