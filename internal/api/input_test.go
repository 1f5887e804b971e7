package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/adminapi"
	"github.com/rebindhq/rebind/internal/api"
	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

// jsonRoute is one route of the user or admin API as the fuzzer calls it.
type jsonRoute struct {
	method string
	// path is the route's pattern; a query after "?" may hold wildcards too.
	path string
	// auth is "", "user" (the fixture's session) or "admin".
	auth string
	// body is JSON in which every string the fuzzer may replace is written
	// «default».
	body string
}

// jsonRoutes lists every route of both JSON APIs; TestJSONRoutesAreAllFuzzed
// keeps it complete.
var jsonRoutes = []jsonRoute{
	{"POST", "/api/v1/sessions", "", `{"email":"«fuzz@example.com»","password":"«not-the-password»"}`},
	{"POST", "/api/v1/sessions/{login_id}/code", "", ""},
	{"POST", "/api/v1/sessions/{login_id}/verify", "", `{"code":"«000000»"}`},
	{"GET", "/api/v1/sessions/current", "user", ""},
	{"DELETE", "/api/v1/sessions/current", "user", ""},
	{"GET", "/api/v1/account", "user", ""},
	{"POST", "/api/v1/mobile-reset", "", `{"email":"«fuzz@example.com»","password":"«not-the-password»","agree":true}`},
	{"GET", "/api/v1/mobile-reset/{flow_id}", "", ""},
	{"POST", "/api/v1/mobile-reset/{flow_id}/email-code", "", ""},
	{"POST", "/api/v1/mobile-reset/{flow_id}/email-code/verify", "", `{"code":"«000000»"}`},
	{"POST", "/api/v1/mobile-reset/{flow_id}/quiz", "", ""},
	{"POST", "/api/v1/mobile-reset/{flow_id}/quiz/{quiz_id}/answers", "", `{"answers":{"«question»":["«option»"]}}`},
	{"GET", "/api/v1/mobile-reset/{flow_id}/documents", "", ""},
	{"POST", "/api/v1/mobile-reset/{flow_id}/documents", "", ""},
	{"POST", "/api/v1/mobile-reset/{flow_id}/documents/files", "", ""},
	{"DELETE", "/api/v1/mobile-reset/{flow_id}/documents/files/{file_id}", "", ""},
	{"GET", "/api/v1/application-status/{secret}", "", ""},
	{"POST", "/api/v1/password-reset", "", `{"email":"«nobody@example.com»"}`},
	{"POST", "/api/v1/password-reset/{flow_id}/code", "", ""},
	{"POST", "/api/v1/password-reset/{flow_id}/confirm", "", `{"code":"«000000»","new_password":"«a-fresh-long-passphrase»"}`},
	{"POST", "/api/v1/security/stop", "", `{"token":"«aaaaaaaaaaaaaaaaaaaaaaaaaa»"}`},
	{"POST", "/api/v1/mobile-change", "user", ""},
	{"GET", "/api/v1/mobile-change/{flow_id}", "user", ""},
	{"POST", "/api/v1/mobile-change/{flow_id}/email-code", "user", ""},
	{"POST", "/api/v1/mobile-change/{flow_id}/sms-code", "user", ""},
	{"POST", "/api/v1/mobile-change/{flow_id}/verify", "user", `{"email_code":"«000000»","sms_code":"«000000»"}`},
	{"POST", "/api/v1/mobile-change/{flow_id}/new-number", "user", `{"country":"«SG»","number":"«91234567»","captcha_token":"«aaaaaaaaaaaaaaaaaaaaaaaaaa»"}`},
	{"POST", "/api/v1/mobile-change/{flow_id}/confirm", "user", `{"sms_code":"«000000»"}`},
	{"POST", "/api/v1/mobile-bind", "user", ""},
	{"GET", "/api/v1/mobile-bind/{flow_id}", "user", ""},
	{"POST", "/api/v1/mobile-bind/{flow_id}/email-code", "user", ""},
	{"POST", "/api/v1/mobile-bind/{flow_id}/verify", "user", `{"email_code":"«000000»"}`},
	{"POST", "/api/v1/mobile-bind/{flow_id}/new-number", "user", `{"country":"«SG»","number":"«91234567»","captcha_token":"«aaaaaaaaaaaaaaaaaaaaaaaaaa»"}`},
	{"POST", "/api/v1/mobile-bind/{flow_id}/confirm", "user", `{"sms_code":"«000000»"}`},
	{"POST", "/api/v1/captcha", "user", `{"flow_id":"«{flow_id}»","country":"«SG»","number":"«91234567»"}`},
	{"POST", "/api/v1/captcha/{captcha_id}", "", `{"x":10,"trail":[[0,0,50],[400,10,52]]}`},
	{"GET", "/api/v1/dev/outbox?to={to}&limit=5", "", ""},
	{"POST", "/admin/v1/accounts", "admin", `{"email":"«new@example.com»","password":"«long-enough-password»","mobile":"«+6591234567»"}`},
	{"GET", "/admin/v1/accounts/{id}", "admin", ""},
	{"POST", "/admin/v1/accounts/{id}/activity", "admin", `{"logins":[{"external_id":"«l1»","at":"2024-01-02T03:04:05Z","ip":"«192.0.2.1»","country":"«SG»","city":"«Singapore»","device":"«Chrome»"}],` +
		`"trades":[{"external_id":"«t1»","market":"«BTC/USDT»","side":"«buy»","at":"2024-01-02T03:04:05Z"}],"balances":[{"asset":"«BTC»","amount":"«1.5»"}]}`},
	{"GET", "/admin/v1/accounts/{id}/withdrawal-eligibility", "admin", ""},
	{"POST", "/admin/v1/accounts/{id}/unfreeze", "admin", ""},
	{"GET", "/admin/v1/audit?account={id}&limit=5", "admin", ""},
	{"GET", "/admin/v1/applications?state={state}&limit=5", "admin", ""},
	{"GET", "/admin/v1/applications/{id}", "admin", ""},
	{"GET", "/admin/v1/applications/{id}/files/{file_id}", "admin", ""},
	{"POST", "/admin/v1/applications/{id}/decision", "admin", `{"decision":"«reject»","reason":"«other»","note":"«a note»"}`},
}

var (
	wildcard = regexp.MustCompile(`\{[a-z_]+\}`)
	marker   = regexp.MustCompile(`«[^»]*»`)
)

func (r jsonRoute) pattern() string {
	p, _, _ := strings.Cut(r.path, "?")
	return r.method + " " + p
}

// slots counts the places a fuzzed value can go: each wildcard, each
// marked string of the body, and an extra query parameter.
func (r jsonRoute) slots() int {
	return len(wildcard.FindAllString(r.path, -1)) + len(marker.FindAllString(r.body, -1)) + 1
}

// recorder lists the patterns a route table registers.
type recorder []string

func (rec *recorder) Handle(pattern string, _ http.Handler) { *rec = append(*rec, pattern) }

// TestJSONRoutesAreAllFuzzed keeps jsonRoutes equal to the route tables of
// the user API (dev mode, so with the dev outbox) and the admin API.
func TestJSONRoutesAreAllFuzzed(t *testing.T) {
	var rec recorder
	ad := httpjson.Adapter{}
	(&api.API{Dev: true}).Routes(&rec, ad)
	(&adminapi.API{}).Routes(&rec, ad)
	var listed []string
	for _, r := range jsonRoutes {
		listed = append(listed, r.pattern())
	}
	for _, p := range rec {
		if p != "/api/" && p != "/admin/" && !slices.Contains(listed, p) {
			t.Errorf("route %q is not in jsonRoutes: add it so it is fuzzed", p)
		}
	}
	for _, p := range listed {
		if !slices.Contains(rec, p) {
			t.Errorf("jsonRoutes lists %q, which no route table has", p)
		}
	}
}

// fuzzServer is a server with the fixtures the fuzzed requests name: an
// account with a session, and an open flow of each kind it can have.
type fuzzServer struct {
	name    string
	s       *apptest.Server
	session string
	ids     map[string]string
}

// fuzzServers starts one server on SQLite and, when it is configured, one
// on PostgreSQL, which refuses text that SQLite stores (NUL, invalid UTF-8).
func fuzzServers(f *testing.F) []*fuzzServer {
	servers := []*fuzzServer{newFuzzServer(f, "sqlite", apptest.Options{DatabaseURL: storetest.SQLiteURL(f)})}
	if os.Getenv("REBIND_TEST_DATABASE_URL") != "" || os.Getenv("REBIND_TEST_REQUIRE_POSTGRES") == "1" {
		servers = append(servers, newFuzzServer(f, "postgres", apptest.Options{DatabaseURL: storetest.PostgresURL(f)}))
	}
	return servers
}

func newFuzzServer(f *testing.F, name string, opts apptest.Options) *fuzzServer {
	s := apptest.Start(f, opts)
	id := s.CreateAccount(f, "fuzz@example.com", pw, "+6581239001", false)
	fs := &fuzzServer{name: name, s: s, session: s.SignIn(f, "fuzz@example.com", pw, "+6581239001"),
		ids: map[string]string{"id": id, "to": "+6581239001", "quiz_id": token.NewID(), "mobile-bind": token.NewID(),
			"file_id": token.NewID(), "secret": token.NewID() + ".x", "state": "under_review"}}
	start := func(key, path, bearer string, body any) {
		r := s.Do(f, "POST", path, bearer, body)
		v, ok := r.Body[key].(string)
		if !ok {
			f.Fatalf("fixture %s: %d %s", path, r.Status, r.Raw)
		}
		fs.ids[strings.TrimPrefix(path, "/api/v1/")+"/"+key] = v
	}
	start("login_id", "/api/v1/sessions", "", map[string]string{"email": "fuzz@example.com", "password": pw})
	start("flow_id", "/api/v1/mobile-reset", "", map[string]any{"email": "fuzz@example.com", "password": pw, "agree": true})
	start("flow_id", "/api/v1/password-reset", "", map[string]string{"email": "fuzz@example.com"})
	start("flow_id", "/api/v1/mobile-change", fs.session, nil)
	start("captcha_id", "/api/v1/captcha", "", nil)
	return fs
}

// fill returns the value of a wildcard in route r.
func (fs *fuzzServer) fill(r jsonRoute, name string) string {
	switch name {
	case "login_id":
		return fs.ids["sessions/login_id"]
	case "captcha_id":
		return fs.ids["captcha/captcha_id"]
	case "flow_id":
		if strings.HasPrefix(r.path, "/api/v1/captcha") {
			return fs.ids["mobile-change/flow_id"] // a puzzle is for a change or bind
		}
		for _, kind := range []string{"mobile-reset", "password-reset", "mobile-change"} {
			if strings.Contains(r.path, "/"+kind+"/") {
				return fs.ids[kind+"/flow_id"]
			}
		}
		return fs.ids["mobile-bind"] // no bind is open: the account has a mobile
	}
	return fs.ids[name]
}

// request builds route r with value in slot (counted as in slots).
func (fs *fuzzServer) request(r jsonRoute, slot int, value string) (*http.Request, error) {
	n := 0
	next := func() bool { n++; return n-1 == slot }
	path, query, _ := strings.Cut(r.path, "?")
	path = wildcard.ReplaceAllStringFunc(path, func(w string) string {
		if next() {
			return url.PathEscape(value)
		}
		return url.PathEscape(fs.fill(r, w[1:len(w)-1]))
	})
	query = wildcard.ReplaceAllStringFunc(query, func(w string) string {
		if next() {
			return url.QueryEscape(value)
		}
		return url.QueryEscape(fs.fill(r, w[1:len(w)-1]))
	})
	body := marker.ReplaceAllStringFunc(r.body, func(m string) string {
		def := strings.Trim(m, "«»")
		if wildcard.MatchString(def) {
			def = fs.fill(r, def[1:len(def)-1])
		}
		if next() {
			return rawJSONString(value)
		}
		return rawJSONString(def)
	})
	if next() {
		query = strings.TrimPrefix(query+"&x="+url.QueryEscape(value), "&")
	}
	u := fs.s.URL + path
	if strings.HasPrefix(path, "/admin/") {
		u = fs.s.InternalURL + path // the admin API is on the internal listener only
	}
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(r.method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch r.auth {
	case "user":
		req.Header.Set("Authorization", "Bearer "+fs.session)
	case "admin":
		req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	}
	return req, nil
}

// rawJSONString writes s as a JSON string without touching its bytes:
// json.Marshal would replace invalid UTF-8, which is what must be sent.
func rawJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// noRedirects shows a redirect as it is, and fails a request that hangs.
var noRedirects = &http.Client{Timeout: 20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// FuzzJSONRoutes puts a value in one place of one route of the user or
// admin API and sends it to a server on each database. Whatever the value,
// the answer is never a 5xx, and an error is in the SPEC §5 shape; a NUL
// byte or invalid UTF-8, wherever it is, is 400 invalid_request before any
// of it reaches the database (SPEC §5, issue 7). The seeds put both in every
// place of every route; `go test -fuzz FuzzJSONRoutes ./internal/api/`
// looks further.
func FuzzJSONRoutes(f *testing.F) {
	for i, r := range jsonRoutes {
		for slot := range r.slots() {
			f.Add(uint8(i), uint8(slot), "a\x00b")
			f.Add(uint8(i), uint8(slot), "a\xffb")
		}
		f.Add(uint8(i), uint8(r.slots()-1), "x")
	}
	servers := fuzzServers(f)
	f.Fuzz(func(t *testing.T, ri, slot uint8, value string) {
		r := jsonRoutes[int(ri)%len(jsonRoutes)]
		s := int(slot) % r.slots()
		if len(value) > 4096 {
			t.Skip("longer than a request line should be")
		}
		if validText(value) && (r.pattern() == "DELETE /api/v1/sessions/current" || r.pattern() == "POST /api/v1/mobile-change") {
			t.Skip("would end the fixture's session or flow")
		}
		for _, fs := range servers {
			req, err := fs.request(r, s, value)
			if err != nil {
				t.Skip("not a request:", err)
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatalf("%s: %s: %v", fs.name, r.pattern(), err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			where := fmt.Sprintf("%s: %s with %q in place %d", fs.name, r.pattern(), value, s)
			if resp.StatusCode >= 500 {
				t.Fatalf("%s: %d %s", where, resp.StatusCode, raw)
			}
			if resp.StatusCode < 400 {
				if !validText(value) {
					t.Fatalf("%s was accepted: %d %s", where, resp.StatusCode, raw)
				}
				continue
			}
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(raw, &body) != nil ||
				body.Error.Code == "" || body.Error.Message == "" {
				t.Fatalf("%s: not the SPEC §5 error shape: %d %s %s", where, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
			}
			if !validText(value) && (resp.StatusCode != 400 || body.Error.Code != "invalid_request") {
				t.Fatalf("%s: %d %s, want 400 invalid_request", where, resp.StatusCode, raw)
			}
		}
	})
}

// validText is the rule under test, written again: valid UTF-8 without
// NUL.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
