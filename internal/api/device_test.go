package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/credential"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// fromDevice posts body to path presenting device token dev in the
// Rebind-Device header.
func fromDevice(t *testing.T, s *apptest.Server, path, dev string, body any) apptest.Response {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if dev != "" {
		req.Header.Set(credential.DeviceHeader, dev)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := apptest.Response{Status: resp.StatusCode, Header: resp.Header}
	if out.Raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Raw, &out.Body); err != nil {
		t.Fatalf("%s: not JSON: %s", path, out.Raw)
	}
	return out
}

// signInForDevice signs in through the API and returns the device token
// the sign-in issued.
func signInForDevice(t *testing.T, s *apptest.Server, email, to string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": pw})
	if r.Status != 200 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
	}
	r = s.Do(t, "POST", "/api/v1/sessions/"+r.Body["login_id"].(string)+"/verify", "", map[string]string{"code": s.Code(t, to, 1)})
	dev, _ := r.Body["device_token"].(string)
	if r.Status != 200 || dev == "" {
		t.Fatalf("verify: %d %s", r.Status, r.Raw)
	}
	return dev
}

func signInBody(email, password string) map[string]string {
	return map[string]string{"email": email, "password": password}
}

// Issue 7, SEC-REC-3 (CS-FP: no lockout by strangers): anyone can spend the
// password attempts of an email (10 in 15 minutes), so a browser or app
// that signed in to the account before is held to a limit of its own. The
// owner keeps signing in and starting a reset from it; another account's
// device token, a forged or expired one, or one from before a password
// change does not open that door.
func TestStrangersCannotSpendTheOwnersPasswordAttempts(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now().UTC().Truncate(24 * time.Hour).Add(time.Hour))
		s := apptest.Start(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "devoted@example.com", pw, "+6581238001", false)
		s.CreateAccount(t, "other@example.com", pw, "", false)
		dev := signInForDevice(t, s, "devoted@example.com", "+6581238001")
		otherDev := signInForDevice(t, s, "other@example.com", "other@example.com")
		for i := range 10 {
			if r := s.Do(t, "POST", "/api/v1/sessions", "", signInBody("devoted@example.com", "guess-"+pw)); r.Status != 401 && r.Status != 429 {
				t.Fatalf("stranger's guess %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		r := s.Do(t, "POST", "/api/v1/sessions", "", signInBody("devoted@example.com", pw))
		if r.Status != 429 || r.Body["error"].(map[string]any)["limit"] != "signin_email" {
			t.Fatalf("the right password from a new device after 10 guesses: %d %s", r.Status, r.Raw)
		}
		forged := dev[:len(dev)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(dev, "AA")]
		for name, tok := range map[string]string{"another account's": otherDev, "a forged": forged, "a malformed": "x.y.z.w"} {
			if r := fromDevice(t, s, "/api/v1/sessions", tok, signInBody("devoted@example.com", pw)); r.Status != 429 {
				t.Fatalf("%s device token opened the limit: %d %s", name, r.Status, r.Raw)
			}
		}
		if r := fromDevice(t, s, "/api/v1/sessions", dev, signInBody("devoted@example.com", pw)); r.Status != 200 {
			t.Fatalf("the owner's device: %d %s", r.Status, r.Raw)
		}
		r = fromDevice(t, s, "/api/v1/mobile-reset", dev, map[string]any{"email": "devoted@example.com", "password": pw, "agree": true})
		if r.Status != 201 {
			t.Fatalf("the owner's mobile reset from its device: %d %s", r.Status, r.Raw)
		}
		// The device's own limit: 10 attempts in 15 minutes, counted with the
		// two above.
		for i := range 8 {
			if r := fromDevice(t, s, "/api/v1/sessions", dev, signInBody("devoted@example.com", "typo-"+pw)); r.Status != 401 {
				t.Fatalf("attempt %d from the device: %d %s", i+3, r.Status, r.Raw)
			}
		}
		r = fromDevice(t, s, "/api/v1/sessions", dev, signInBody("devoted@example.com", pw))
		if r.Status != 429 || r.Body["error"].(map[string]any)["limit"] != credential.PerDevice.Name {
			t.Fatalf("11th attempt from one device: %d %s", r.Status, r.Raw)
		}
		// A device token lasts 180 days from its sign-in.
		clk.Advance(credential.DeviceLifetime + time.Minute)
		for range 10 {
			s.Do(t, "POST", "/api/v1/sessions", "", signInBody("devoted@example.com", "guess-"+pw))
		}
		if r := fromDevice(t, s, "/api/v1/sessions", dev, signInBody("devoted@example.com", pw)); r.Status != 429 {
			t.Fatalf("an expired device token opened the limit: %d %s", r.Status, r.Raw)
		}
	})
}

// A new password retires every device token of the account: a thief who
// signed in once does not keep a way past the email's limit.
func TestNewPasswordRetiresDeviceTokens(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		s.CreateAccount(t, "renewed@example.com", pw, "", false)
		dev := signInForDevice(t, s, "renewed@example.com", "renewed@example.com")
		mark := s.Mark(t, "renewed@example.com")
		r := s.Do(t, "POST", "/api/v1/password-reset", "", map[string]string{"email": "renewed@example.com"})
		if r.Status != 202 {
			t.Fatalf("password reset: %d %s", r.Status, r.Raw)
		}
		const newPW = "marmalade-comet-77"
		r = s.Do(t, "POST", "/api/v1/password-reset/"+r.Body["flow_id"].(string)+"/confirm", "",
			map[string]string{"code": s.CodeSince(t, "renewed@example.com", mark), "new_password": newPW})
		if r.Status != 200 {
			t.Fatalf("confirm: %d %s", r.Status, r.Raw)
		}
		for range 10 {
			s.Do(t, "POST", "/api/v1/sessions", "", signInBody("renewed@example.com", "guess-"+pw))
		}
		if r := fromDevice(t, s, "/api/v1/sessions", dev, signInBody("renewed@example.com", newPW)); r.Status != 429 {
			t.Fatalf("a device token from before the new password opened the limit: %d %s", r.Status, r.Raw)
		}
	})
}

// SEC-RACE-6: 40 wrong passwords at once from one device token, on SQLite
// and on two instances sharing one PostgreSQL: exactly 10 are checked.
func TestDeviceLimitUnderConcurrency(t *testing.T) {
	servers := map[string]func(t *testing.T) (*apptest.Server, *apptest.Server){
		"sqlite": func(t *testing.T) (*apptest.Server, *apptest.Server) {
			s := apptest.Start(t, apptest.Options{DatabaseURL: storetest.SQLiteURL(t)})
			return s, s
		},
		"postgres, two instances": func(t *testing.T) (*apptest.Server, *apptest.Server) {
			url := storetest.PostgresURL(t)
			a := apptest.Start(t, apptest.Options{DatabaseURL: url})
			return a, apptest.Start(t, apptest.Options{DatabaseURL: url, Env: map[string]string{"REBIND_SECRET": a.Secret}})
		},
	}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			a, b := start(t)
			a.CreateAccount(t, "racer@example.com", pw, "", false)
			dev := signInForDevice(t, a, "racer@example.com", "racer@example.com")
			before := a.Hasher.Checks() + b.Hasher.Checks()
			if a == b {
				before = a.Hasher.Checks()
			}
			var wrong, limited atomic.Int32
			var wg sync.WaitGroup
			gate := make(chan struct{})
			for i := range 40 {
				srv := []*apptest.Server{a, b}[i%2]
				wg.Go(func() {
					<-gate
					r := fromDevice(t, srv, "/api/v1/sessions", dev, signInBody("racer@example.com", "guess-"+pw))
					switch r.Status {
					case 401:
						wrong.Add(1)
					case 429:
						limited.Add(1)
					default:
						t.Errorf("%d %s", r.Status, r.Raw)
					}
				})
			}
			close(gate)
			wg.Wait()
			checks := a.Hasher.Checks() + b.Hasher.Checks() - before
			if a == b {
				checks = a.Hasher.Checks() - before
			}
			if wrong.Load() != 10 || limited.Load() != 30 || checks != 10 {
				t.Fatalf("%d checked wrong, %d limited, %d password hashes; want 10, 30, 10", wrong.Load(), limited.Load(), checks)
			}
		})
	}
}
