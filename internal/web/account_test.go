package web_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/hold"
)

// holdAll puts a withdrawal hold of every reason the account page can show
// on account id, each ending at a different time.
func holdAll(t *testing.T, s *apptest.Server, id string) {
	t.Helper()
	for i, reason := range []string{hold.MobileReset, hold.MobileChange, hold.MobileBind, hold.PasswordReset} {
		if _, err := s.Holds.Extend(context.Background(), s.DB, id, reason, time.Duration(20+i)*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
}

// afterReset creates an account whose mobile was reset, as a passed reset
// leaves it: no number, mobile verification off, a rebind asked for.
func afterReset(t *testing.T, s *apptest.Server, email, mobile string) string {
	t.Helper()
	id := s.CreateAccount(t, email, pw, mobile, false)
	err := s.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := s.Accounts.UnbindMobile(context.Background(), tx, id, hold.MobileReset, "127.0.0.1", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The account page says why withdrawals are held in words, never by an
// internal reason code, and marks each end as a machine-readable time with
// the UTC text as its fallback (the page's script shows it in local time).
func TestAccountPageSaysHoldsInWords(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "held@example.com", pw, "+6581237001", false)
		holdAll(t, s, id)
		c := signedInClient(t, s, s.URL, "held@example.com", "+6581237001")
		resp, page := get(t, c, s.URL+"/")
		onPage(t, resp, page, "account", 200)
		for _, want := range []string{
			"because your mobile verification was reset.",
			"because your mobile number was changed.",
			"because a mobile number was bound to your account.",
			"because your password was reset.",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("account page lacks %q", want)
			}
		}
		for _, code := range []string{hold.MobileReset, hold.MobileChange, hold.MobileBind, hold.PasswordReset} {
			if strings.Contains(mainOf(page), code) {
				t.Errorf("account page shows the internal reason %q:\n%s", code, mainOf(page))
			}
		}
		times := regexp.MustCompile(`<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" data-local>(\d{4}-\d\d-\d\d \d\d:\d\d UTC)</time>`).FindAllStringSubmatch(page, -1)
		if len(times) != 4 {
			t.Fatalf("hold ends marked as times: %d\n%s", len(times), mainOf(page))
		}
		for _, m := range times {
			at, err := time.Parse(time.RFC3339, m[1])
			if err != nil || at.Format("2006-01-02 15:04 UTC") != m[2] {
				t.Errorf("time %q reads %q (%v)", m[1], m[2], err)
			}
		}
	})
}

// After a reset, the banner's [Bind mobile] opens the bind flow itself, and
// the log-in page has no [Log In] button in its top bar (other pages do).
func TestBannerAndTopBar(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		afterReset(t, s, "unbound@example.com", "+6581237002")
		c := signedInClient(t, s, s.URL, "unbound@example.com", "unbound@example.com")
		_, page := get(t, c, s.URL+"/")
		if !strings.Contains(page, `<a class="button small" href="/settings/mobile" id="bind-now">Bind mobile</a>`) {
			t.Fatalf("rebind banner:\n%s", mainOf(page))
		}
		resp, page := get(t, c, s.URL+"/settings/mobile")
		onPage(t, resp, page, "mobile_intro", 200)
		if !strings.Contains(page, "Bind mobile number") {
			t.Fatalf("the banner's link does not open the bind flow:\n%s", mainOf(page))
		}

		anon := s.Client()
		topBar := regexp.MustCompile(`(?s)<header class="topbar">.*?</header>`)
		_, page = get(t, anon, s.URL+"/login")
		if bar := topBar.FindString(page); bar == "" || strings.Contains(bar, "Log In") {
			t.Errorf("the log-in page's top bar: %q", bar)
		}
		for _, path := range []string{"/", "/reset-mobile", "/password-reset"} {
			_, page = get(t, anon, s.URL+path)
			if bar := topBar.FindString(page); !strings.Contains(bar, `<a class="button small" href="/login">Log In</a>`) {
				t.Errorf("%s: the top bar lacks [Log In]: %q", path, bar)
			}
		}
	})
}

// Every time a page shows goes through the "time" template: a <time> with
// its RFC 3339 moment, which the page's script shows in local time, and
// UTC text for a page without it.
func TestEveryTimeIsMarkedUp(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v (%v)", files, err)
	}
	uses := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if filepath.Base(f) == "_time.html" {
			continue
		}
		if strings.Contains(text, "{{utc ") || strings.Contains(text, "<time") {
			t.Errorf("%s shows a time without the time template", f)
		}
		uses += strings.Count(text, `{{template "time" `)
	}
	if uses < 3 {
		t.Errorf("the time template is used %d times", uses)
	}
}
