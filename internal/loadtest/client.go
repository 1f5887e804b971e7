package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// newHTTPClient returns the one client every virtual user shares: one
// transport whose idle pool holds a connection per worker, so connections
// are reused instead of opened per request.
func newHTTPClient(maxConc int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2*maxConc + 16
	tr.MaxIdleConnsPerHost = maxConc + 8
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// stepError is a step that did not answer as the flow needs: an HTTP
// status with the contract's error code (SPEC §5), a code that did not
// arrive, or a wrong outcome.
type stepError struct {
	Step   string
	Status int
	Code   string
	// retryAfter is a 503's or 429's Retry-After.
	retryAfter time.Duration
}

func (e *stepError) Error() string {
	if e.Status == 0 {
		return e.Step + ": " + e.Code
	}
	return fmt.Sprintf("%s: %d %s", e.Step, e.Status, e.Code)
}

// run is one flow of one virtual user: its client address, and the time
// of each step and each code's delivery.
type run struct {
	ctx      context.Context
	hc       *http.Client
	xff      string
	steps    []timing
	delivery []time.Duration
	// flowID is the server's flow the flow opened, newMobile the number a
	// change binds (Config.OnFlow).
	flowID, newMobile string
}

type timing struct {
	step string
	d    time.Duration
}

// clientAddr is a random address of 198.18.0.0/15, the range set aside
// for benchmarks (RFC 2544): each flow comes from its own, as users do.
func clientAddr(rng *rand.Rand) string {
	v := rng.Uint32N(1 << 17)
	return netip.AddrFrom4([4]byte{198, 18 + byte(v>>16), byte(v >> 8), byte(v)}).String()
}

// call sends one JSON request as step and decodes the answer; a status
// other than want is a stepError carrying the error's code.
func (r *run) call(step string, want int, method, url, bearer string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(r.ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if r.xff != "" {
		req.Header.Set("X-Forwarded-For", r.xff)
	}
	start := time.Now()
	resp, err := r.hc.Do(req)
	if err != nil {
		if r.ctx.Err() != nil {
			return nil, r.ctx.Err()
		}
		return nil, &stepError{Step: step, Code: "transport"}
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.steps = append(r.steps, timing{step, time.Since(start)})
	if err != nil {
		return nil, &stepError{Step: step, Code: "transport"}
	}
	var out map[string]any
	if len(raw) > 0 {
		json.Unmarshal(raw, &out)
	}
	if resp.StatusCode != want {
		code := ""
		if e, ok := out["error"].(map[string]any); ok {
			code, _ = e["code"].(string)
		}
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return out, &stepError{Step: step, Status: resp.StatusCode, Code: code, retryAfter: time.Duration(secs) * time.Second}
	}
	return out, nil
}

// code waits for the code to "to" requested at since, timing its delivery.
func (r *run) code(in *Inbox, step, to string, since time.Time, timeout time.Duration) (string, error) {
	a, err := in.Wait(r.ctx, to, since, timeout)
	if err != nil {
		if r.ctx.Err() != nil {
			return "", r.ctx.Err()
		}
		return "", &stepError{Step: step, Code: err.Error()}
	}
	r.delivery = append(r.delivery, a.At.Sub(since))
	return a.Code, nil
}

// wrong is a flow that answered every step but did not reach its outcome.
func wrong(step, what string) error { return &stepError{Step: step, Code: "wrong_outcome: " + what} }

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// patient is call for seeding: a 503 (the server's password checks are
// saturated by the seeding itself) is tried again after its Retry-After,
// for up to a minute.
func (r *run) patient(step string, want int, method, url, bearer string, body any) (map[string]any, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := r.call(step, want, method, url, bearer, body)
		var se *stepError
		if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return out, err
		}
		select {
		case <-time.After(max(se.retryAfter, 100*time.Millisecond)):
		case <-r.ctx.Done():
			return nil, r.ctx.Err()
		}
	}
}
