package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/token"
)

// A browser's cross-site request that would change state is refused on
// every route of the user and admin API with 403 in the SPEC §5 shape, not
// the standard library's text/plain (issue 7; SEC-SES-5).
func TestCrossOriginRefusalsAreJSON(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		fs := &fuzzServer{name: "sqlite", s: s, session: "x", ids: map[string]string{"to": "+6581239001"}}
		for _, name := range []string{"id", "quiz_id", "mobile-bind", "sessions/login_id", "captcha/captcha_id",
			"mobile-reset/flow_id", "password-reset/flow_id", "mobile-change/flow_id"} {
			fs.ids[name] = token.NewID()
		}
		refused := 0
		for _, r := range jsonRoutes {
			if r.method == "GET" {
				continue
			}
			for _, header := range [][2]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
				req, err := fs.request(r, r.slots()-1, "x")
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set(header[0], header[1])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var body struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
					json.Unmarshal(raw, &body) != nil || body.Error.Code != "forbidden" || body.Error.Message == "" {
					t.Errorf("%s with %s: %s: %d %s %s", r.pattern(), header[0], header[1], resp.StatusCode, resp.Header.Get("Content-Type"), raw)
				}
			}
			refused++
		}
		if refused < 29 {
			t.Fatalf("only %d state-changing routes were tried", refused)
		}
	})
}
