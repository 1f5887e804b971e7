package outbox

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
)

// Worker delivers queued messages. Each instance of the server runs one;
// they share the table safely: a claim marks rows as sending under a lease,
// and on PostgreSQL skips rows another worker is claiming at that moment.
//
// Each channel streams on its own: up to InFlight messages are being sent
// at once, and a slot that frees is refilled by the next claim, so one slow
// message holds up nobody. Outcomes are written in groups by one recorder.
// A channel whose provider keeps failing trips its breaker: the worker then
// sends one probe message every ProbeEvery, and on the first success makes
// every waiting message of the channel due at once.
type Worker struct {
	DB      *store.DB
	Queue   *Queue
	Senders map[Channel]Sender
	Clock   clock.Clock
	Log     *slog.Logger
	// Observe, when set, is told the outcome of each delivery attempt:
	// "sent", "retry", "config_fault" (a retry after a ConfigFault),
	// "failed" or "expired".
	Observe func(ch Channel, outcome string)
	// Breaker, when set, is told when a channel's breaker opens and closes.
	Breaker func(ch Channel, open bool)

	InFlight      map[Channel]int // messages sent at once, per channel (default 16 each)
	Batch         int             // most messages RunOnce claims per channel (default 10)
	Lease         time.Duration   // how long a claim lasts (default 1 minute)
	Poll          time.Duration   // pause between polls when idle (default 250 ms)
	MaxAttempts   int             // attempts before a message is marked failed (default 20)
	BaseBackoff   time.Duration   // first retry delay, doubled each time (default 2 s)
	MaxBackoff    time.Duration   // longest retry delay (default 5 minutes)
	BreakAfter    int             // consecutive transient failures that open a channel's breaker (default 5)
	ProbeEvery    time.Duration   // while open, one probe this often, on Clock (default 5 s)
	RecordTimeout time.Duration   // bound on one attempt to write outcomes (default 5 s)

	initOnce sync.Once
	lanes    map[Channel]*lane
}

// DefaultInFlight is how many messages of one channel are sent at once.
const DefaultInFlight = 16

// sweepEvery is how often a channel's expired messages are marked.
const sweepEvery = time.Second

func (w *Worker) defaults() {
	if w.Batch == 0 {
		w.Batch = 10
	}
	if w.Lease == 0 {
		w.Lease = time.Minute
	}
	if w.Poll == 0 {
		w.Poll = 250 * time.Millisecond
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 20
	}
	if w.BaseBackoff == 0 {
		w.BaseBackoff = 2 * time.Second
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = 5 * time.Minute
	}
	if w.BreakAfter == 0 {
		w.BreakAfter = 5
	}
	if w.ProbeEvery == 0 {
		w.ProbeEvery = 5 * time.Second
	}
	if w.RecordTimeout == 0 {
		w.RecordTimeout = 5 * time.Second
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	w.initOnce.Do(func() {
		w.lanes = make(map[Channel]*lane)
		for _, ch := range []Channel{Email, SMS} {
			n := w.InFlight[ch]
			if n <= 0 {
				n = DefaultInFlight
			}
			w.lanes[ch] = &lane{ch: ch, slots: make(chan struct{}, n), done: make(chan struct{}, 1)}
		}
	})
}

// Run delivers until ctx ends. It then stops claiming, lets the messages in
// flight finish, writes their outcomes (for up to ten seconds if the
// database does not answer), closes the senders that are io.Closers and
// returns nil.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	rec := &recorder{w: w, in: make(chan outcome, 1024)}
	recCtx, cancelRec := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRec()
	var recDone, lanes sync.WaitGroup
	recDone.Go(func() { rec.run(recCtx) })
	for _, l := range w.lanes {
		lanes.Go(func() { w.runLane(ctx, l, rec) })
	}
	lanes.Wait()
	grace := time.AfterFunc(10*time.Second, cancelRec)
	defer grace.Stop()
	close(rec.in)
	recDone.Wait()
	for _, s := range w.Senders {
		if c, ok := s.(io.Closer); ok {
			c.Close()
		}
	}
	return nil
}

// RunOnce marks expired messages, claims up to Batch due messages per
// channel (one probe while a channel's breaker is open), delivers them and
// records the outcomes before returning how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.defaults()
	rec := &recorder{w: w}
	total := 0
	for _, ch := range []Channel{Email, SMS} {
		l := w.lanes[ch]
		if err := w.sweep(ctx, ch); err != nil {
			return total, err
		}
		batch, probe, err := w.claimFor(ctx, l, w.Batch)
		if err != nil {
			return total, err
		}
		total += len(batch)
		outcomes := make([]outcome, len(batch))
		var wg sync.WaitGroup
		for i, c := range batch {
			wg.Go(func() { outcomes[i] = w.deliver(context.WithoutCancel(ctx), l, c, probe) })
		}
		wg.Wait()
		rec.record(ctx, outcomes)
	}
	return total, nil
}

// backoff is exponential with full jitter in its upper half, capped.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.BaseBackoff << min(attempts-1, 30)
	if d <= 0 || d > w.MaxBackoff {
		d = w.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// sendTimeout bounds one send: at most half the lease, so a provider that
// answers slowly has answered (or the send is abandoned) before the lease
// ends and another instance may take the message over, and at most 30 s.
func (w *Worker) sendTimeout() time.Duration {
	return min(30*time.Second, w.Lease/2)
}
