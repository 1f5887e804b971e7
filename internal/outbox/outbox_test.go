package outbox_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// recorder is a fake provider: it records what it was given and can be told
// to fail.
type recorder struct {
	mu   sync.Mutex
	sent map[string]int // message id -> times delivered
	got  []outbox.Message
	fail error
}

func (r *recorder) Send(_ context.Context, m outbox.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return "", r.fail
	}
	if r.sent == nil {
		r.sent = make(map[string]int)
	}
	r.sent[m.ID]++
	r.got = append(r.got, m)
	return "p-" + m.ID, nil
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

var t0 = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

func setup(t *testing.T, db *store.DB) (*outbox.Queue, *outbox.Worker, *recorder, *clock.Fake) {
	clk := clock.NewFake(t0)
	q, err := outbox.NewQueue(clk, keys.Set{bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w := &outbox.Worker{DB: db, Queue: q, Clock: clk, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: rec, outbox.SMS: rec}}
	return q, w, rec, clk
}

func enqueue(t *testing.T, db *store.DB, q *outbox.Queue, m outbox.Message, expires time.Time) string {
	t.Helper()
	var id string
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		id, err = q.Enqueue(context.Background(), tx, m, "test", expires)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func state(t *testing.T, db *store.DB, id string) (st, sealed string, attempts int) {
	t.Helper()
	err := db.QueryRowContext(context.Background(), "SELECT state, sealed, attempts FROM outbox WHERE id = $1", id).Scan(&st, &sealed, &attempts)
	if err != nil {
		t.Fatal(err)
	}
	return st, sealed, attempts
}

func TestDeliverSealsAndErases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, _ := setup(t, db)
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Subject: "Hi", Body: "your code is 123456"}, time.Time{})
		_, sealed, _ := state(t, db, id)
		if strings.Contains(sealed, "123456") || sealed == "" {
			t.Fatalf("queued content is not sealed: %q", sealed)
		}
		if n, err := w.RunOnce(context.Background()); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if len(rec.got) != 1 || rec.got[0].Body != "your code is 123456" || rec.got[0].Subject != "Hi" || rec.got[0].ID != id {
			t.Fatalf("delivered %+v", rec.got)
		}
		st, sealed, _ := state(t, db, id)
		if st != "sent" || sealed != "" {
			t.Fatalf("after delivery: state %q, sealed %q", st, sealed)
		}
		if n, _ := w.RunOnce(context.Background()); n != 0 {
			t.Fatal("a sent message was claimed again")
		}
	})
}

// TestOutageRetriesUntilDelivered: a provider outage delays a message, it
// never loses it.
func TestOutageRetriesUntilDelivered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, clk := setup(t, db)
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.SMS, To: "+6581234567", Body: "code 1"}, time.Time{})
		rec.setFail(errors.New("connection refused"))
		ctx := context.Background()
		for i := 1; i <= 3; i++ {
			w.RunOnce(ctx)
			st, _, attempts := state(t, db, id)
			if st != "pending" || attempts != i {
				t.Fatalf("after failure %d: state %q attempts %d", i, st, attempts)
			}
			if n, _ := w.RunOnce(ctx); n != 0 {
				t.Fatal("retried before the backoff ended")
			}
			clk.Advance(time.Hour)
		}
		rec.setFail(nil)
		w.RunOnce(ctx)
		if st, _, _ := state(t, db, id); st != "sent" || rec.sent[id] != 1 {
			t.Fatalf("after recovery: state %q, delivered %d times", st, rec.sent[id])
		}
	})
}

func TestPermanentFailureAndMaxAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, clk := setup(t, db)
		ctx := context.Background()
		rec.setFail(outbox.Permanent(errors.New("550 no such user")))
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "x@example.com", Body: "b"}, time.Time{})
		w.RunOnce(ctx)
		if st, _, _ := state(t, db, id); st != "failed" {
			t.Fatalf("permanent failure left state %q", st)
		}
		rec.setFail(errors.New("timeout"))
		w.MaxAttempts = 2
		id = enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "y@example.com", Body: "b"}, time.Time{})
		w.RunOnce(ctx)
		clk.Advance(time.Hour)
		w.RunOnce(ctx)
		if st, _, attempts := state(t, db, id); st != "failed" || attempts != 2 {
			t.Fatalf("after max attempts: %q, %d", st, attempts)
		}
	})
}

func TestExpiredMessageIsDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, clk := setup(t, db)
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.SMS, To: "+6581234567", Body: "code 2"}, t0.Add(5*time.Minute))
		rec.setFail(errors.New("down"))
		w.RunOnce(context.Background())
		rec.setFail(nil)
		clk.Advance(10 * time.Minute)
		w.RunOnce(context.Background())
		if st, sealed, _ := state(t, db, id); st != "expired" || sealed != "" || len(rec.got) != 0 {
			t.Fatalf("expired code message: state %q, sealed %q, delivered %d", st, sealed, len(rec.got))
		}
	})
}

// TestLeaseExpiryRecoversACrashedWorker: a worker that claimed a message and
// died leaves it to another worker once the lease ends.
func TestLeaseExpiryRecoversACrashedWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, clk := setup(t, db)
		id := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "z@example.com", Body: "b"}, time.Time{})
		_, err := db.ExecContext(context.Background(), "UPDATE outbox SET state = 'sending', attempts = 1, lease_until = $1 WHERE id = $2",
			store.Millis(t0.Add(time.Minute)), id)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := w.RunOnce(context.Background()); n != 0 {
			t.Fatal("claimed a message under another worker's lease")
		}
		clk.Advance(2 * time.Minute)
		w.RunOnce(context.Background())
		if st, _, _ := state(t, db, id); st != "sent" || rec.sent[id] != 1 {
			t.Fatalf("state %q, delivered %d", st, rec.sent[id])
		}
	})
}

// TestSeveralWorkersDeliverEachMessageOnce runs three workers (as three
// instances would) over 60 messages.
func TestSeveralWorkersDeliverEachMessageOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, _, rec, clk := setup(t, db)
		for i := range 60 {
			enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: fmt.Sprintf("u%d@example.com", i), Body: "b"}, time.Time{})
		}
		var wg sync.WaitGroup
		for range 3 {
			w := &outbox.Worker{DB: db, Queue: q, Clock: clk, Batch: 4, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: rec}}
			wg.Go(func() {
				for {
					n, err := w.RunOnce(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		if len(rec.sent) != 60 {
			t.Fatalf("%d distinct messages delivered, want 60", len(rec.sent))
		}
		for id, n := range rec.sent {
			if n != 1 {
				t.Fatalf("message %s delivered %d times", id, n)
			}
		}
	})
}

func TestSealedContentIsBoundToItsRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		q, w, rec, _ := setup(t, db)
		a := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "victim@example.com", Body: "secret"}, time.Time{})
		b := enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "thief@example.com", Body: "nothing"}, time.Time{})
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "UPDATE outbox SET sealed = (SELECT sealed FROM outbox WHERE id = $1) WHERE id = $2", a, b); err != nil {
			t.Fatal(err)
		}
		w.RunOnce(ctx)
		if st, _, _ := state(t, db, b); st != "failed" {
			t.Fatalf("moved content: state %q", st)
		}
		for _, m := range rec.got {
			if m.To == "thief@example.com" {
				t.Fatal("moved content was delivered to another recipient")
			}
		}
	})
}

func TestDevSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		q, _ := outbox.NewQueue(clk, keys.Set{bytes.Repeat([]byte{9}, 32)})
		dev := outbox.DevSender{DB: db, Clock: clk}
		w := &outbox.Worker{DB: db, Queue: q, Clock: clk, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: dev, outbox.SMS: dev}}
		enqueue(t, db, q, outbox.Message{Channel: outbox.SMS, To: "+6581234567", Body: "123456 is your code"}, time.Time{})
		enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Subject: "S", Body: "B"}, time.Time{})
		w.RunOnce(context.Background())
		all, err := outbox.DevMessages(context.Background(), db, "", 10)
		if err != nil || len(all) != 2 {
			t.Fatalf("DevMessages = %v, %v", all, err)
		}
		one, _ := outbox.DevMessages(context.Background(), db, "+6581234567", 10)
		if len(one) != 1 || one[0].Body != "123456 is your code" || one[0].Channel != outbox.SMS {
			t.Fatalf("DevMessages(to) = %+v", one)
		}
		counts, _ := outbox.Counts(context.Background(), db)
		if counts["sent"] != 2 {
			t.Fatalf("Counts = %v", counts)
		}
	})
}
