package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Without -url, rebind health asks /readyz on REBIND_ADDR, on loopback when
// the address is a wildcard, and fails on any answer but 200.
func TestHealthAsksReadyz(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	var paths atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"0.0.0.0:" + port, ":" + port, "127.0.0.1:" + port} {
		getenv := env(t, map[string]string{"REBIND_ADDR": addr})
		var out strings.Builder
		if err := run(context.Background(), []string{"health"}, getenv, &out, &out); err != nil {
			t.Errorf("REBIND_ADDR=%s: %v", addr, err)
		}
		if p, _ := paths.Load().(string); p != "/readyz" || !strings.Contains(out.String(), "/readyz: 200") {
			t.Errorf("REBIND_ADDR=%s: asked %q, printed %q", addr, p, out.String())
		}
	}
	status.Store(503)
	getenv := env(t, map[string]string{"REBIND_ADDR": "0.0.0.0:" + port})
	if err := run(context.Background(), []string{"health"}, getenv, &strings.Builder{}, &strings.Builder{}); err == nil ||
		!strings.Contains(err.Error(), "503") {
		t.Errorf("a 503 from /readyz: %v, want an error naming it", err)
	}
	if err := run(context.Background(), []string{"health"}, env(t, map[string]string{"REBIND_ADDR": "nonsense"}), &strings.Builder{}, &strings.Builder{}); err == nil ||
		!strings.Contains(err.Error(), "REBIND_ADDR") {
		t.Errorf("a REBIND_ADDR without a port: %v, want an error naming it", err)
	}
}
