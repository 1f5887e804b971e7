// Package middleware holds the HTTP layers every surface shares: request
// ids, the client address under the trusted-proxy rules, access logs,
// security headers, cross-origin protection, panic recovery and metrics.
// Each is a func(http.Handler) http.Handler.
package middleware

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/token"
)

// Chain applies layers so that the first one listed is the outermost.
func Chain(h http.Handler, layers ...func(http.Handler) http.Handler) http.Handler {
	for i := len(layers) - 1; i >= 0; i-- {
		h = layers[i](h)
	}
	return h
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// Client learns who is calling: the address (taking X-Forwarded-For into
// account only when the connection comes from a trusted proxy), a request id
// (a trusted proxy's X-Request-Id, or a new one), and the user agent. It
// puts them in the request context and echoes the request id. An
// X-Forwarded-For from a peer that is not a trusted proxy is ignored and
// told to warn, when it is not nil.
func Client(trusted []netip.Prefix, warn *ForwardWarner) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip, fromProxy := clientIP(r, trusted)
			if !fromProxy && warn != nil && len(r.Header["X-Forwarded-For"]) > 0 {
				warn.saw(ip)
			}
			id := r.Header.Get("X-Request-Id")
			if !fromProxy || !validRequestID.MatchString(id) {
				id = token.NewID()
			}
			w.Header()["X-Request-Id"] = []string{id}
			ua := r.UserAgent()
			if len(ua) > 256 {
				ua = ua[:256]
			}
			ctx := client.With(r.Context(), client.Info{IP: ip, RequestID: id, UserAgent: ua})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// clientIP returns the caller's address. Behind trusted proxies it walks
// X-Forwarded-For from the right and takes the first address that is not a
// trusted proxy; a client cannot spoof past that, because it only controls
// the left end.
func clientIP(r *http.Request, trusted []netip.Prefix) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host, false
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String(), false
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = addr.Unmap()
		if !isTrusted(addr, trusted) {
			return addr.String(), true
		}
	}
	return peer.String(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Observer is told about each finished request: the route pattern (never
// the raw path, which holds ids), the status and the duration.
type Observer func(r *http.Request, pattern string, status int, d time.Duration)

// Log writes one JSON line per request and tells observe. It logs the route
// pattern, not the path or query, so ids, codes and tokens never reach the
// log. A request whose client went away is 499 at info, whatever the
// handler wrote.
func Log(log *slog.Logger, observe Observer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			d := time.Since(start)
			pattern := r.Pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			// A failure after the client went away is the client's doing
			// (the handlers' adapters already answer so): 499, not an error.
			if sw.status >= 500 && httpjson.ClientGone(r) {
				sw.status = httpjson.StatusClientClosed
			}
			info := client.From(r.Context())
			// A 503 is the server saying so on purpose (shedding, a
			// database outage); the handler logged its cause at the level
			// it deserves, so the access line is a warning.
			level := slog.LevelInfo
			switch {
			case sw.status == http.StatusServiceUnavailable:
				level = slog.LevelWarn
			case sw.status >= 500:
				level = slog.LevelError
			}
			log.LogAttrs(r.Context(), level, "request", slog.String("request_id", info.RequestID),
				slog.String("ip", info.IP), slog.String("method", r.Method), slog.String("route", pattern),
				slog.Int("status", sw.status), slog.Float64("duration_ms", float64(d.Microseconds())/1000))
			if observe != nil {
				observe(r, pattern, sw.status, d)
			}
		})
	}
}

// Recover turns a panic into a 500 and logs it.
func Recover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error("panic", "request_id", client.From(r.Context()).RequestID, "panic", v)
					http.Error(w, "internal error", http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
