package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
)

// An X-Forwarded-For from a peer outside the trusted proxies is ignored
// and warned of at most once a minute, with the peer and how many were
// ignored since the last warning; a trusted proxy's, or a request without
// the header, is not warned of.
func TestForwardWarner(t *testing.T) {
	var buf bytes.Buffer
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	warn := NewForwardWarner(slog.New(slog.NewJSONHandler(&buf, nil)), clk)
	h := Client([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, warn)(echoClient())
	send := func(remote, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	type warning struct {
		Level, Peer string
		Seen        int `json:"ignored_since_last_warning"`
	}
	warnings := func() []warning {
		var ws []warning
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var w warning
			if err := dec.Decode(&w); err != nil {
				t.Fatal(err)
			}
			ws = append(ws, w)
		}
		return ws
	}
	send("10.0.0.2:1", "198.51.100.7") // a trusted proxy
	send("203.0.113.9:1", "")          // no header
	if ws := warnings(); len(ws) != 0 {
		t.Fatalf("warned without cause: %+v", ws)
	}
	send("203.0.113.9:1", "1.2.3.4")
	if ws := warnings(); len(ws) != 1 || ws[0] != (warning{"WARN", "203.0.113.9", 1}) {
		t.Fatalf("the first ignored header: %+v, want one warning naming the peer", ws)
	}
	for range 5 {
		send("203.0.113.10:1", "1.2.3.4")
	}
	clk.Advance(59 * time.Second)
	send("203.0.113.10:1", "1.2.3.4")
	if ws := warnings(); len(ws) != 0 {
		t.Fatalf("warned again within the minute: %+v", ws)
	}
	clk.Advance(time.Second)
	send("203.0.113.11:1", "1.2.3.4")
	if ws := warnings(); len(ws) != 1 || ws[0] != (warning{"WARN", "203.0.113.11", 7}) {
		t.Fatalf("a minute later: %+v, want one warning counting the 7 ignored since the last", ws)
	}
}
