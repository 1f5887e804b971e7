// httpjson touches no database, so its tests run once, without one.
package httpjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/httpjson"
)

type item struct {
	Name string `json:"name"`
}

type body struct {
	Email   string              `json:"email"`
	Agree   bool                `json:"agree"`
	Count   int                 `json:"count"`
	Items   []item              `json:"items"`
	Answers map[string][]string `json:"answers"`
}

func decode(contentType, raw string) (body, error) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(raw))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	var b body
	err := httpjson.Decode(httptest.NewRecorder(), r, &b)
	return b, err
}

// A JSON object of known fields and right types decodes, with or without
// a charset, and with no Content-Type at all.
func TestDecodeReadsAnObject(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", ""} {
		b, err := decode(ct, `{"email":"a@example.com","agree":true,"count":2,"items":[{"name":"x"}],"answers":{"q":["o"]}} `)
		if err != nil || b.Email != "a@example.com" || !b.Agree || b.Count != 2 || b.Items[0].Name != "x" || b.Answers["q"][0] != "o" {
			t.Errorf("Content-Type %q: %+v %v", ct, b, err)
		}
	}
	// Exactly MaxBody bytes is allowed.
	raw := `{"email":"` + strings.Repeat("a", httpjson.MaxBody-len(`{"email":""}`)) + `"}`
	if _, err := decode("application/json", raw); err != nil || len(raw) != httpjson.MaxBody {
		t.Errorf("a body of MaxBody bytes: %v", err)
	}
}

// SPEC §5: unknown fields, wrong types, bodies over 64 KiB, text that is
// not UTF-8 or holds NUL are invalid_request, with a message that says
// what is wrong without echoing the body.
func TestDecodeRefusals(t *testing.T) {
	for _, c := range []struct {
		name, contentType, raw, message string
	}{
		{"not JSON", "text/plain", `{}`, "the body must be JSON (Content-Type: application/json)"},
		{"a form", "application/x-www-form-urlencoded", `email=a`, "the body must be JSON (Content-Type: application/json)"},
		{"bad Content-Type", "application/", `{}`, "the body must be JSON (Content-Type: application/json)"},
		{"too large", "application/json", `{"email":"` + strings.Repeat("a", httpjson.MaxBody) + `"}`, "the body is larger than 64 KiB"},
		{"empty", "application/json", ``, "the body is empty; a JSON object is required"},
		{"broken", "application/json", `{"email":`, "the body is not valid JSON"},
		{"syntax", "application/json", `{"email" "a"}`, "the body is not valid JSON"},
		{"unknown field", "application/json", `{"email":"a","role":"admin"}`, `unknown field "role"`},
		{"string for bool", "application/json", `{"agree":"yes"}`, `field "agree" must be of type boolean`},
		{"number for string", "application/json", `{"email":5}`, `field "email" must be of type string`},
		{"string for number", "application/json", `{"count":"5"}`, `field "count" must be of type number`},
		{"object for array", "application/json", `{"items":{}}`, `field "items" must be of type array`},
		{"array for object", "application/json", `[]`, "the body must be a JSON object"},
		{"two objects", "application/json", `{} {}`, "the body must hold one JSON object"},
		{"invalid UTF-8", "application/json", "{\"email\":\"a\xffb\"}", "the body holds a NUL character or bytes that are not UTF-8"},
		{"NUL", "application/json", `{"email":"a\u0000b"}`, `field "email" holds a NUL character or bytes that are not UTF-8`},
		{"NUL in a list", "application/json", `{"items":[{"name":"x"},{"name":"\u0000"}]}`, `field "items[1].name" holds a NUL`},
		{"NUL in a key", "application/json", `{"answers":{"q\u0000":[]}}`, `field "answers" holds a NUL`},
	} {
		_, err := decode(c.contentType, c.raw)
		if !apperr.Is(err, apperr.InvalidRequest) || !strings.HasPrefix(apperr.As(err).Message, c.message) {
			t.Errorf("%s: %v, want invalid_request %q", c.name, err, c.message)
		}
		if len(c.raw) > 3 && strings.Contains(apperr.As(err).Message, c.raw) {
			t.Errorf("%s: the message echoes the body", c.name)
		}
	}
}

// response sends err through an Adapter's WriteError and returns the
// status, the headers, the decoded body and the log.
func response(t *testing.T, err error) (int, http.Header, map[string]any, string) {
	t.Helper()
	var logs bytes.Buffer
	a := httpjson.Adapter{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	w := httptest.NewRecorder()
	a.WriteError(w, httptest.NewRequest("GET", "/x", nil), err)
	var out map[string]any
	if e := json.Unmarshal(w.Body.Bytes(), &out); e != nil {
		t.Fatalf("%v: the response is not JSON: %s", err, w.Body)
	}
	return w.Code, w.Header(), out, logs.String()
}

// SPEC §5's error shape: the status of the code, and
// {"error":{"code","message",…}} with the error's extra fields beside them;
// a 429 also sets Retry-After to retry_after_seconds.
func TestErrorShape(t *testing.T) {
	status, h, out, logs := response(t, apperr.New(apperr.InvalidCode, "the code is not right").With("attempts_left", 2))
	want := map[string]any{"error": map[string]any{"code": "invalid_code", "message": "the code is not right", "attempts_left": float64(2)}}
	if status != 422 || fmt.Sprint(out) != fmt.Sprint(want) || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("invalid_code: %d %v %q", status, out, h.Get("Content-Type"))
	}
	if h.Get("Retry-After") != "" || logs != "" {
		t.Errorf("invalid_code: Retry-After %q, log %q", h.Get("Retry-After"), logs)
	}
	status, h, out, _ = response(t, fmt.Errorf("wrapped: %w", apperr.RateLimit("too many", 90*time.Second).With("limit", "signin_ip")))
	e, _ := out["error"].(map[string]any)
	if status != 429 || e["code"] != "rate_limited" || e["retry_after_seconds"] != float64(90) || e["limit"] != "signin_ip" ||
		h.Get("Retry-After") != "90" || len(out) != 1 {
		t.Errorf("rate_limited: %d %v Retry-After %q", status, out, h.Get("Retry-After"))
	}
}

// An unclassified error is a 500 that says nothing of its cause; the
// cause goes to the log only.
func TestInternalErrorsHideTheirCause(t *testing.T) {
	status, _, out, logs := response(t, errors.New("pq: password authentication failed for user rebind"))
	e, _ := out["error"].(map[string]any)
	if status != 500 || e["code"] != "internal" || e["message"] != "internal error" || len(e) != 2 {
		t.Errorf("internal: %d %v", status, out)
	}
	if !strings.Contains(logs, "password authentication failed") {
		t.Errorf("the cause is not logged: %q", logs)
	}
	status, _, out, logs = response(t, apperr.Wrap(apperr.Unavailable, "the database is unavailable", errors.New("dial tcp: refused")))
	if e, _ := out["error"].(map[string]any); status != 503 || e["message"] != "the database is unavailable" || !strings.Contains(logs, "dial tcp") {
		t.Errorf("unavailable: %d %v, log %q", status, out, logs)
	}
}

// Wrap refuses a path or query that is not valid text before the handler
// runs, in the error shape.
func TestWrapChecksThePathAndQuery(t *testing.T) {
	ran := 0
	h := httpjson.Adapter{Log: slog.New(slog.DiscardHandler)}.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		ran++
		return apperr.New(apperr.NotFound, "no such thing")
	})
	for _, c := range []struct {
		target string
		status int
		code   string
	}{
		{"/api/v1/x", 404, "not_found"},
		{"/api/v1/a%00b", 400, "invalid_request"},
		{"/api/v1/a%FFb", 400, "invalid_request"},
		{"/api/v1/x?q=a%00", 400, "invalid_request"},
		{"/api/v1/x?q=%C3%28", 400, "invalid_request"},
		{"/api/v1/x?a%00=1", 400, "invalid_request"},
	} {
		ran = 0
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.target, nil))
		var out struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != c.status || out.Error.Code != c.code || out.Error.Message == "" {
			t.Errorf("%s: %d %s", c.target, w.Code, w.Body)
		}
		if want := map[bool]int{true: 1, false: 0}[c.status == 404]; ran != want {
			t.Errorf("%s: the handler ran %d times, want %d", c.target, ran, want)
		}
	}
}

// CheckText looks at the path, the query and a parsed form, names and
// values alike.
func TestCheckText(t *testing.T) {
	ok := httptest.NewRequest("POST", "/settings?x=1", nil)
	ok.PostForm = url.Values{"csrf": {"abc"}, "number": {"8123 4567"}}
	if err := httpjson.CheckText(ok); err != nil {
		t.Fatalf("valid text: %v", err)
	}
	for _, form := range []url.Values{{"csrf": {"a\x00"}}, {"csrf": {"a\xff"}}, {"a\x00": {"1"}}, {"n": {"ok", "\xc3\x28"}}} {
		r := httptest.NewRequest("POST", "/settings", nil)
		r.PostForm = form
		if err := httpjson.CheckText(r); !apperr.Is(err, apperr.InvalidRequest) {
			t.Errorf("form %q: %v", form, err)
		}
	}
	for s, want := range map[string]bool{"": true, "plain": true, "ünïcödé ✓": true, "a\x00": false, "\xff": false, "\xc3": false} {
		if httpjson.ValidText(s) != want {
			t.Errorf("ValidText(%q) = %v", s, !want)
		}
	}
}

func TestBearerTokenAndMissing(t *testing.T) {
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "BEARER abc": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		if got := httpjson.BearerToken(r); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", header, got, want)
		}
	}
	if err := httpjson.Missing("email"); !apperr.Is(err, apperr.InvalidRequest) || apperr.As(err).Message != `field "email" is required` {
		t.Errorf("Missing: %v", err)
	}
}

// An error no layer classified that says the database cannot be reached
// (PostgreSQL shutting down, here wrapped by a read that did not translate
// it) is 503 unavailable, not 500: during a restart clients are told to
// come back, and no one is paged for an internal error.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	shutdown := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	status, _, out, logs := response(t, fmt.Errorf("flow: read: %w", shutdown))
	if e, _ := out["error"].(map[string]any); status != 503 || e["code"] != "unavailable" || !strings.Contains(logs, "57P01") {
		t.Errorf("a server shutting down: %d %v, log %q", status, out, logs)
	}
}
