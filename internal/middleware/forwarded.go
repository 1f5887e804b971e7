package middleware

import (
	"log/slog"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
)

// forwardWarnEvery is how often ForwardWarner may log.
const forwardWarnEvery = time.Minute

// ForwardWarner says, at most once a minute, that X-Forwarded-For arrived
// from a peer outside REBIND_TRUSTED_PROXIES and was ignored. Such a
// header is either a client trying to choose the address the limits count
// (ignoring it is right) or a proxy the setting forgot, under which every
// user shares the proxy's address and its limits: the operator must hear
// of the second. One is shared by both listeners of an instance.
type ForwardWarner struct {
	log   *slog.Logger
	clock clock.Clock
	mu    sync.Mutex
	last  time.Time // of the last warning; zero before the first
	seen  int       // ignored headers since the last warning
}

// NewForwardWarner logs to log.
func NewForwardWarner(log *slog.Logger, clk clock.Clock) *ForwardWarner {
	return &ForwardWarner{log: log, clock: clk}
}

// saw counts one ignored header from peer and warns when a minute has
// passed since the last warning, with the count since then.
func (f *ForwardWarner) saw(peer string) {
	f.mu.Lock()
	f.seen++
	now := f.clock.Now()
	if !f.last.IsZero() && now.Sub(f.last) < forwardWarnEvery {
		f.mu.Unlock()
		return
	}
	n := f.seen
	f.last, f.seen = now, 0
	f.mu.Unlock()
	f.log.Warn("X-Forwarded-For from a peer not in REBIND_TRUSTED_PROXIES was ignored: the peer's own address counts as the client's; "+
		"if the peer is your proxy, add it to REBIND_TRUSTED_PROXIES", "peer", peer, "ignored_since_last_warning", n)
}
