package outbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// lane is one channel's stream: its in-flight slots and its breaker.
type lane struct {
	ch    Channel
	slots chan struct{} // one token per message being sent
	done  chan struct{} // a delivery finished: a slot is free

	mu        sync.Mutex
	failures  int       // consecutive transient failures
	open      bool      // breaker open: probes only
	probeAt   time.Time // on the worker's clock
	probing   bool      // a probe is being sent
	lastSweep time.Time // wall time
	claimErr  bool      // the last claim failed (logged once)
	fault     string    // the configuration fault logged (ConfigFault.Problem), until a send succeeds
}

// runLane claims as slots free until ctx ends, then waits for the
// deliveries in flight.
func (w *Worker) runLane(ctx context.Context, l *lane, rec *recorder) {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	wake := w.Queue.wake[l.ch]
	for ctx.Err() == nil {
		if w.step(ctx, l, rec, &inflight) {
			continue // slots left and maybe more waiting
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-l.done:
		case <-time.After(w.Poll):
		}
	}
}

// step sweeps expired messages now and then and claims what the free slots
// allow. It reports whether to claim again at once.
func (w *Worker) step(ctx context.Context, l *lane, rec *recorder, inflight *sync.WaitGroup) bool {
	if rec.isFailing() {
		return false // outcomes wait to be written; take no more work
	}
	if time.Since(l.lastSweep) >= sweepEvery {
		l.lastSweep = time.Now()
		if err := w.sweep(ctx, l.ch); err != nil && ctx.Err() == nil {
			w.claimFailed(l, err)
			return false
		}
	}
	free := cap(l.slots) - len(l.slots)
	if free == 0 {
		return false
	}
	batch, probe, err := w.claimFor(ctx, l, free)
	if err != nil {
		if ctx.Err() == nil {
			w.claimFailed(l, err)
		}
		return false
	}
	l.mu.Lock()
	if l.claimErr {
		l.claimErr = false
		w.Log.Info("outbox: claiming again", "channel", l.ch)
	}
	l.mu.Unlock()
	for _, c := range batch {
		l.slots <- struct{}{}
		rec.held.Add(1)
		inflight.Go(func() {
			rec.in <- w.deliver(context.WithoutCancel(ctx), l, c, probe)
			<-l.slots
			select {
			case l.done <- struct{}{}:
			default:
			}
		})
	}
	return !probe && len(batch) == free
}

func (w *Worker) claimFailed(l *lane, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.claimErr {
		l.claimErr = true
		w.Log.Error("outbox: cannot claim messages; retrying every poll", "channel", l.ch, "err", err)
	}
}

// claimFor claims up to n due messages of l's channel, or, while its
// breaker is open, one probe when one is due: the waiting message first in
// line, due or not, since backoff must not delay the news of a recovery.
func (w *Worker) claimFor(ctx context.Context, l *lane, n int) (batch []claimed, probe bool, err error) {
	now := w.Clock.Now()
	dueBy := store.Millis(now)
	l.mu.Lock()
	if l.open {
		if l.probing || now.Before(l.probeAt) {
			l.mu.Unlock()
			return nil, false, nil
		}
		n, probe, dueBy, l.probing = 1, true, math.MaxInt64, true
	}
	l.mu.Unlock()
	batch, err = w.claim(ctx, l.ch, n, now, dueBy)
	if probe && len(batch) == 0 {
		l.mu.Lock()
		l.probing = false
		l.mu.Unlock()
	}
	return batch, probe, err
}

// deliver sends one claimed message and returns the outcome to record.
func (w *Worker) deliver(ctx context.Context, l *lane, c claimed, probe bool) outcome {
	now := w.Clock.Now()
	o := outcome{id: c.msg.ID, ch: c.msg.Channel, attempts: c.attempts}
	if c.expires.Valid && store.Millis(now) >= c.expires.Int64 {
		l.settle(w, untried, probe, nil) // not a send: the next probe may go at once
		o.kind = "expired"
		return o
	}
	err := w.Queue.open(&c.msg, c.sealed)
	if errors.Is(err, errUnknownKey) {
		l.settle(w, untried, probe, nil) // not a send: says nothing of the provider
		return w.unopened(c, o, now, err)
	}
	if err != nil {
		err = Permanent(err)
	} else if sender, ok := w.Senders[c.msg.Channel]; !ok {
		err = Permanent(fmt.Errorf("no sender for channel %s", c.msg.Channel))
	} else {
		sendCtx, cancel := context.WithTimeout(ctx, w.sendTimeout())
		o.providerID, err = sender.Send(sendCtx, c.msg)
		cancel()
	}
	if err == nil {
		l.settle(w, succeeded, probe, nil)
		o.kind, o.at = "sent", w.Clock.Now()
		// At debug: a line per message is volume, not news (the
		// deliveries metric counts them); no recipient, it is personal.
		w.Log.Debug("outbox: delivered", "id", c.msg.ID, "channel", c.msg.Channel, "provider_id", o.providerID, "attempts", c.attempts)
		return o
	}
	o.err = truncate(err.Error(), 500)
	permanent := IsPermanent(err)
	r := transient
	if permanent {
		r = untried
	}
	var fault *ConfigFault
	faulty := errors.As(err, &fault)
	if faulty {
		l.noteFault(w, fault)
	}
	open := l.settle(w, r, probe, err)
	// A configuration fault is never the message's: it waits for the fix.
	if permanent || (c.attempts >= w.MaxAttempts && !open && !faulty) {
		w.Log.Error("outbox: message failed for good", "id", c.msg.ID, "channel", c.msg.Channel, "attempts", c.attempts, "err", o.err)
		o.kind = "failed"
		return o
	}
	o.kind = "retry"
	if faulty {
		o.kind = "config_fault"
	}
	if open {
		// The breaker paces the channel now; a backoff recorded late must
		// not hold the message past the recovery.
		o.at = now
		return o
	}
	o.at = now.Add(w.backoff(c.attempts))
	if !faulty {
		w.Log.Warn("outbox: delivery failed, will retry", "id", c.msg.ID, "channel", c.msg.Channel, "attempts", c.attempts, "next", o.at, "err", o.err)
	}
	return o
}

// errUnknownKey is a message sealed under a secret this instance does not
// accept: during a rolling change of the server secret, by an instance
// given the new one first.
var errUnknownKey = errors.New("outbox: sealed under a server secret this instance does not accept")

// unopened is the outcome of a message sealed under a secret this instance
// does not accept. Another instance may accept it, so it is left for a
// later claim, not failed, until its attempts run out.
func (w *Worker) unopened(c claimed, o outcome, now time.Time, err error) outcome {
	o.err = truncate(err.Error(), 500)
	if c.attempts >= w.MaxAttempts {
		w.Log.Error("outbox: message failed for good: no accepted server secret opens it", "id", c.msg.ID, "channel", c.msg.Channel,
			"attempts", c.attempts, "err", o.err)
		o.kind = "failed"
		return o
	}
	o.kind, o.at = "retry", now.Add(w.backoff(c.attempts))
	w.Log.Error("outbox: message does not open here: it was sealed under a server secret this instance does not accept "+
		"(give every instance the same REBIND_SECRET, with REBIND_SECRET_PREVIOUS during a rotation); left for a later attempt",
		"id", c.msg.ID, "channel", c.msg.Channel, "attempts", c.attempts, "next", o.at, "err", o.err)
	return o
}

// noteFault logs a configuration fault once per episode: when it first
// appears or changes, not for every message it stops. A success ends the
// episode (settle).
func (l *lane) noteFault(w *Worker, f *ConfigFault) {
	l.mu.Lock()
	first := l.fault != f.Problem
	l.fault = f.Problem
	l.mu.Unlock()
	if first {
		w.Log.Error("outbox: "+f.Problem+": "+f.Fix+"; messages wait and are retried until it is fixed",
			"channel", l.ch, "err", truncate(f.Err.Error(), 500))
	}
}

// A delivery's result as the breaker sees it.
type result int

const (
	untried   result = iota // expired, or refused for good: says nothing of the provider
	succeeded               // the provider accepted a message
	transient               // the provider failed in a way worth retrying
)

// settle feeds a delivery's result to the breaker and reports whether the
// breaker is open afterwards.
func (l *lane) settle(w *Worker, r result, probe bool, err error) bool {
	now := w.Clock.Now()
	l.mu.Lock()
	if probe {
		l.probing = false
	}
	switch r {
	case untried:
		open := l.open
		l.mu.Unlock()
		return open
	case transient:
		l.failures++
		if probe {
			l.probeAt = now.Add(w.ProbeEvery)
		}
		opened := !l.open && l.failures >= w.BreakAfter
		if opened {
			l.open, l.probeAt = true, now.Add(w.ProbeEvery)
		}
		open := l.open
		l.mu.Unlock()
		if opened && !errors.As(err, new(*ConfigFault)) { // a fault is logged once, by noteFault
			w.Log.Error("outbox: channel is failing; sending one probe message at a time until it recovers",
				"channel", l.ch, "failures", w.BreakAfter, "probe_every", w.ProbeEvery, "err", err)
			if w.Breaker != nil {
				w.Breaker(l.ch, true)
			}
		}
		return open
	}
	closed, fault := l.open, l.fault
	l.failures, l.open, l.fault = 0, false, ""
	l.mu.Unlock()
	if fault != "" {
		w.Log.Info("outbox: configuration fault fixed; delivering again", "channel", l.ch, "fault", fault)
	}
	if closed {
		n, rerr := w.release(context.Background(), l.ch, now)
		w.Log.Info("outbox: channel recovered; waiting messages are due now", "channel", l.ch, "released", n, "err", rerr)
		if w.Breaker != nil {
			w.Breaker(l.ch, false)
		}
	}
	return false
}
