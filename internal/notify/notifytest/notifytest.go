// Package notifytest builds, for tests of the services that notify, the
// queue and notifier the app would: a real outbox queue with a fixed seal
// key and links under https://rebind.example.
package notifytest

import (
	"bytes"
	"net/url"
	"testing"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/notify"
	"github.com/rebindhq/rebind/internal/outbox"
)

// New returns a queue and a notifier that queues on it.
func New(t testing.TB, clk clock.Clock) (*outbox.Queue, *notify.Notifier) {
	t.Helper()
	queue, err := outbox.NewQueue(clk, keys.Set{bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://rebind.example")
	notifier, err := notify.New(queue, "Rebind", base)
	if err != nil {
		t.Fatal(err)
	}
	return queue, notifier
}
