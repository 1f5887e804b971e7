package outbox_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Issue 13, item 1: a message sealed under the previous secret is
// delivered by an instance that still accepts it; one that does not (a
// rolling change given in the wrong order) leaves it for another instance
// instead of failing it for good, and does not count it against the
// provider (the breaker stays closed).
func TestMessagesOpenAcrossARotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		old, next := bytes.Repeat([]byte{9}, 32), bytes.Repeat([]byte{10}, 32)
		q, _, _, clk := setup(t, db) // seals under old
		ctx := context.Background()
		ids := []string{
			enqueue(t, db, q, outbox.Message{Channel: outbox.Email, To: "a@example.com", Subject: "Hi", Body: "your code is 123456"}, time.Time{}),
			enqueue(t, db, q, outbox.Message{Channel: outbox.SMS, To: "+6581234567", Body: "code 654321"}, time.Time{}),
		}
		worker := func(set keys.Set) (*outbox.Worker, *recorder) {
			nq, err := outbox.NewQueue(clk, set)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			return &outbox.Worker{DB: db, Queue: nq, Clock: clk, Senders: map[outbox.Channel]outbox.Sender{outbox.Email: rec, outbox.SMS: rec},
				BreakAfter: 1}, rec
		}
		stranger, rec := worker(keys.Set{next})
		if n, err := stranger.RunOnce(ctx); n != 2 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		for _, id := range ids {
			if st, sealed, attempts := state(t, db, id); st != "pending" || sealed == "" || attempts != 1 {
				t.Fatalf("after an instance that does not accept the secret: %s, sealed %t, %d attempts", st, sealed != "", attempts)
			}
		}
		if len(rec.got) != 0 {
			t.Fatalf("sent %d messages it could not open", len(rec.got))
		}
		// Its breaker did not open: a message of its own goes at once.
		nq, _ := outbox.NewQueue(clk, keys.Set{next})
		own := enqueue(t, db, nq, outbox.Message{Channel: outbox.SMS, To: "+6581230000", Body: "fresh"}, time.Time{})
		if n, err := stranger.RunOnce(ctx); n != 1 || err != nil || len(rec.got) != 1 || rec.got[0].ID != own {
			t.Fatalf("own message: RunOnce = %d, %v; sent %+v", n, err, rec.got)
		}

		clk.Advance(time.Hour)
		rotated, rec := worker(keys.Set{next, old})
		if n, err := rotated.RunOnce(ctx); n != 2 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if len(rec.got) != 2 || rec.got[0].Body+rec.got[1].Body != "your code is 123456code 654321" &&
			rec.got[1].Body+rec.got[0].Body != "your code is 123456code 654321" {
			t.Fatalf("delivered %+v", rec.got)
		}
		for _, id := range ids {
			if st, _, _ := state(t, db, id); st != "sent" {
				t.Fatalf("message %s is %s after the rotated instance ran", id, st)
			}
		}
	})
}
