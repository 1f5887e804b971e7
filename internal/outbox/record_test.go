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

// secondWaits is a provider for two messages: the first send takes the
// database's write lock as locker does, the second returns only once let
// go, and any later send (a message sent again) goes through at once.
type secondWaits struct {
	*locker
	mu     sync.Mutex
	calls  int
	letGo  chan struct{}
	second chan struct{} // closed when the second send has returned
}

func (s *secondWaits) Send(ctx context.Context, m outbox.Message) (string, error) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mu.Unlock()
	switch n {
	case 1:
		return s.locker.Send(ctx, m)
	case 2:
		<-s.letGo
		defer close(s.second)
	}
	return s.recorder.Send(ctx, m)
}

// TestNoClaimWhileOutcomesWait: two messages are sent at once; recording
// the first fails (the database refuses writes), the second's outcome
// waits behind it, and both leases run out meanwhile. When the first is
// written at last and the recorder is slow to write the next group (as
// with a stale connection after a restart), the lanes still claim nothing:
// the second message, whose outcome is waiting, is sent once. The old
// worker resumed claiming after the first successful write and sent it
// again.
func TestNoClaimWhileOutcomesWait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, clk := setup(t, db)
		logs := &syncBuffer{}
		w.Log = slog.New(slog.NewTextHandler(logs, nil))
		w.Poll, w.RecordTimeout = 5*time.Millisecond, 2*time.Second
		sender := &secondWaits{locker: &locker{recorder: rec, db: db, conn: make(chan *sql.Conn, 1)},
			letGo: make(chan struct{}), second: make(chan struct{})}
		w.Senders = map[outbox.Channel]outbox.Sender{outbox.Email: sender}
		sentTwice := func() bool {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, n := range rec.sent {
				if n > 1 {
					return true
				}
			}
			return false
		}
		var once sync.Once
		w.Observe = func(_ outbox.Channel, kind string) {
			// The first outcome written: hold the recorder back from the
			// next group for a hundred polls, or until a message goes out
			// again.
			once.Do(func() {
				for range 100 {
					if sentTwice() {
						return
					}
					time.Sleep(w.Poll)
				}
			})
		}
		ids := []string{
			enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Body: "a"}, time.Time{}),
			enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "b@example.com", Body: "b"}, time.Time{}),
		}
		run(t, w)
		c := <-sender.conn
		ctx := context.Background()
		t.Cleanup(func() { c.ExecContext(ctx, "ROLLBACK"); c.Close() })
		waitFor(t, "a failed write of the outcome", func() bool {
			if db.Dialect == store.Postgres {
				c.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid)) AND query LIKE 'UPDATE outbox SET state = ''sent''%'`)
			}
			l := logs.String()
			return strings.Contains(l, "level=ERROR") && strings.Contains(l, "record")
		})
		close(sender.letGo)
		<-sender.second
		clk.Advance(2 * time.Minute) // both leases run out
		if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		c.Close()
		waitFor(t, "both messages recorded sent", func() bool { return countState(t, db, "sent") == 2 })
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, id := range ids {
			if rec.sent[id] != 1 {
				t.Errorf("message %s sent %d times", id, rec.sent[id])
			}
		}
	})
}

// TestClaimOutageLogsOnce (issue 13, item 6): while the database cannot be
// claimed from, the worker keeps trying every poll but logs one ERROR for
// the outage and one line when it claims again, not a line a poll.
func TestClaimOutageLogsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, _ := setup(t, db)
		logs := &syncBuffer{}
		w.Log = slog.New(slog.NewTextHandler(logs, nil))
		w.Poll = 5 * time.Millisecond
		ctx := context.Background()
		// The table gone stands for a database that answers every claim
		// with an error.
		if _, err := db.ExecContext(ctx, "ALTER TABLE outbox RENAME TO outbox_away"); err != nil {
			t.Fatal(err)
		}
		run(t, w)
		waitFor(t, "the outage logged", func() bool { return strings.Contains(logs.String(), "cannot claim messages") })
		// Let it fail many more polls (each 5 ms); on a slow machine fewer,
		// which only makes the count below easier to meet.
		time.Sleep(200 * time.Millisecond)
		if _, err := db.ExecContext(ctx, "ALTER TABLE outbox_away RENAME TO outbox"); err != nil {
			t.Fatal(err)
		}
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Body: "b"}, time.Time{})
		waitFor(t, "the message sent after the outage", func() bool {
			st, _, _ := state(t, db, id)
			return st == "sent"
		})
		l := logs.String()
		if n := strings.Count(l, "level=ERROR"); n != 2 || strings.Count(l, "cannot claim messages") != 2 {
			// One line for each channel's lane.
			t.Errorf("%d ERROR lines during the outage, want one per channel:\n%s", n, l)
		}
		if n := strings.Count(l, "claiming again"); n < 1 || n > 2 {
			t.Errorf("%d recovery lines, want one per channel that claimed:\n%s", n, l)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.sent[id] != 1 {
			t.Fatalf("sent %d times", rec.sent[id])
		}
	})
}
