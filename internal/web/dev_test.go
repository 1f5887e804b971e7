package web_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/demo"
)

// demoServer starts a dev server on the named database with the named demo
// accounts, as "go run ./cmd/rebind" seeds them, and returns their ids by
// email.
func demoServer(t *testing.T, databaseURL string) (*apptest.Server, map[string]string) {
	t.Helper()
	s := apptest.Start(t, apptest.Options{DatabaseURL: databaseURL})
	seeded, err := demo.SeedNamed(context.Background(), s.DB, s.Hasher, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, a := range seeded {
		ids[a.Email] = a.ID
	}
	return s, ids
}

// onEachDatabase runs fn on a dev server with the demo accounts on SQLite
// and, when configured, on PostgreSQL.
func onEachDatabase(t *testing.T, fn func(t *testing.T, s *apptest.Server, ids map[string]string)) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, ids := demoServer(t, opts.DatabaseURL)
		fn(t, s, ids)
	})
}

// countOf runs a query that returns one number; a failed query fails the
// test, so a count is never read from a query that did not run.
func countOf(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// demoCard is one account as /dev/accounts shows it.
type demoCard struct {
	password, route, chances string
	// answers are the facts listed under each question, by its text.
	answers map[string][]string
}

var (
	cardBlock = regexp.MustCompile(`(?s)<section class="card demo-account" id="account-([^"]+)" data-email="([^"]+)">(.*?)</section>`)
	kindBlock = regexp.MustCompile(`(?s)<div class="demo-kind" data-question="([^"]+)" data-asked="(true|false)">(.*?)</div>`)
	factItem  = regexp.MustCompile(`<li data-fact="([^"]+)">`)
	cardField = func(name string) *regexp.Regexp { return regexp.MustCompile(name + `(?:="([^"]*)")?>([^<]*)<`) }
)

// demoCards reads /dev/accounts by account email.
func demoCards(t *testing.T, page string) map[string]demoCard {
	t.Helper()
	out := map[string]demoCard{}
	for _, b := range cardBlock.FindAllStringSubmatch(page, -1) {
		c := demoCard{answers: map[string][]string{}}
		if m := cardField("data-password").FindStringSubmatch(b[3]); m != nil {
			c.password = m[2]
		}
		if m := cardField("data-chances").FindStringSubmatch(b[3]); m != nil {
			c.chances = m[2]
		}
		if m := cardField("data-route").FindStringSubmatch(b[3]); m != nil {
			c.route = m[1]
		}
		for _, k := range kindBlock.FindAllStringSubmatch(b[3], -1) {
			for _, f := range factItem.FindAllStringSubmatch(k[3], -1) {
				c.answers[k[1]] = append(c.answers[k[1]], f[1])
			}
		}
		out[b[2]] = c
	}
	return out
}

// answerFromCard ticks, in each question of a quiz, the options the card
// lists under that question: what a tester reading the page would do.
func answerFromCard(t *testing.T, c demoCard, qz map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, raw := range qz["questions"].([]any) {
		q := raw.(map[string]any)
		listed, ok := c.answers[q["text"].(string)]
		if !ok {
			t.Fatalf("the page lists nothing under %q", q["text"])
		}
		ids := []string{}
		for _, o := range q["options"].([]any) {
			opt := o.(map[string]any)
			if slices.Contains(listed, opt["text"].(string)) {
				ids = append(ids, opt["id"].(string))
			}
		}
		out[q["id"].(string)] = ids
	}
	return out
}

// startDemoReset runs a mobile reset of a demo account through the API to
// the choice of method and returns the flow id and the methods offered.
func startDemoReset(t *testing.T, s *apptest.Server, email, password string) (string, map[string]any) {
	t.Helper()
	mark := s.Mark(t, email)
	r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": password, "agree": true})
	if r.Status != 201 {
		t.Fatalf("start the reset of %s: %d %s", email, r.Status, r.Raw)
	}
	id := r.Body["flow_id"].(string)
	r = s.Do(t, "POST", "/api/v1/mobile-reset/"+id+"/email-code/verify", "", map[string]string{"code": s.CodeSince(t, email, mark)})
	if r.Status != 200 || r.Body["state"] != "method_required" {
		t.Fatalf("verify the email code of %s: %d %s", email, r.Status, r.Raw)
	}
	return id, r.Body
}

// The page is useful only if what it shows passes the quiz: a tester who
// knows nothing but the page passes the rich demo account's reset, and the
// accounts it sends to documents are the ones the reset sends there.
func TestDevAccountsPageAnswersTheQuiz(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *apptest.Server, ids map[string]string) {
		resp, page := get(t, s.Client(), s.URL+"/dev/accounts")
		if resp.StatusCode != 200 {
			t.Fatalf("/dev/accounts: %d", resp.StatusCode)
		}
		cards := demoCards(t, page)
		if len(cards) != len(ids) {
			t.Fatalf("the page shows %d accounts, %d were seeded:\n%s", len(cards), len(ids), page)
		}
		alice := cards["alice@demo.rebind.invalid"]
		if alice.password != "harbor-lantern-17" || alice.route != "questions" || alice.chances != "3" {
			t.Fatalf("alice's card: %+v", alice)
		}
		flowID, status := startDemoReset(t, s, "alice@demo.rebind.invalid", alice.password)
		if !slices.Contains(status["methods"].([]any), any("questions")) {
			t.Fatalf("the page offers questions, the reset does not: %v", status)
		}
		r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
		if r.Status != 201 {
			t.Fatalf("quiz: %d %s", r.Status, r.Raw)
		}
		answers := answerFromCard(t, alice, r.Body)
		r = s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+r.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": answers})
		if r.Status != 200 || r.Body["result"] != "passed" {
			t.Fatalf("answered from the page, the quiz was %d %s", r.Status, r.Raw)
		}
		// Every other account goes where the page says: bob has no reset,
		// the others are offered questions exactly when the page says so.
		for email, c := range cards {
			switch {
			case email == "alice@demo.rebind.invalid":
			case c.route == "none":
				r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": c.password, "agree": true})
				if r.Status != 409 || email != "bob@demo.rebind.invalid" {
					t.Errorf("%s: the page says no reset, the reset answers %d %s", email, r.Status, r.Raw)
				}
			default:
				_, status := startDemoReset(t, s, email, c.password)
				if offered := slices.Contains(status["methods"].([]any), any("questions")); offered != (c.route == "questions") {
					t.Errorf("%s: the page says %q, the reset offers %v", email, c.route, status["methods"])
				}
			}
		}
	})
}

// Renew gives a used-up demo account back to the tester: chances, limits,
// password, no open flows, no freeze; and says so in the trail (SEC-AUD-3).
func TestDevRenewGivesADemoAccountBack(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *apptest.Server, ids map[string]string) {
		ctx := context.Background()
		const email, password = "alice@demo.rebind.invalid", "harbor-lantern-17"
		id := ids[email]
		// Use up the three chances with wrong answers.
		flowID, _ := startDemoReset(t, s, email, password)
		for range 3 {
			r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil)
			if r.Status != 201 {
				t.Fatalf("quiz: %d %s", r.Status, r.Raw)
			}
			blank := map[string][]string{}
			for _, q := range r.Body["questions"].([]any) {
				blank[q.(map[string]any)["id"].(string)] = []string{}
			}
			r = s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz/"+r.Body["quiz_id"].(string)+"/answers", "", map[string]any{"answers": blank})
			if r.Status != 200 || r.Body["result"] != "failed" {
				t.Fatalf("blank answers: %d %s", r.Status, r.Raw)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-reset/"+flowID+"/quiz", "", nil); r.ErrorCode() != "quiz_unavailable" {
			t.Fatalf("a fourth quiz: %d %s", r.Status, r.Raw)
		}
		c := s.Client()
		_, page := get(t, c, s.URL+"/dev/accounts")
		if card := demoCards(t, page)[email]; card.chances != "0" || card.route != "documents" {
			t.Fatalf("used up, alice's card says %+v", card)
		}
		// Spend the sign-in limit of the email with wrong passwords.
		for {
			r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": "wrong-password-1"})
			if r.Status == 429 {
				break
			}
			if r.Status != 401 {
				t.Fatalf("wrong password: %d %s", r.Status, r.Raw)
			}
		}
		// A password reset and a freeze, as a tester may leave them.
		other, err := s.Hasher.Hash(ctx, "another-password-55")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Accounts.SetPasswordHash(ctx, s.DB, id, other); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Accounts.SetFrozen(ctx, s.DB, id, true); err != nil {
			t.Fatal(err)
		}
		_, page = get(t, c, s.URL+"/dev/accounts")
		if card := demoCards(t, page)[email]; card.route != "none" || !strings.Contains(page, "the account is frozen") {
			t.Fatalf("frozen, alice's card says %+v", card)
		}
		// Without the form token nothing happens (SEC-SES-5).
		if resp, _ := post(t, c, s.URL+"/dev/accounts/"+id+"/renew", url.Values{}); resp.StatusCode != 403 {
			t.Fatalf("renew without a form token: %d", resp.StatusCode)
		}
		resp, page := post(t, c, s.URL+"/dev/accounts/"+id+"/renew", url.Values{"csrf": {csrf(t, page)}})
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/dev/accounts" || !strings.Contains(page, "Renewed "+email) {
			t.Fatalf("renew: %d %s\n%s", resp.StatusCode, resp.Request.URL, page)
		}
		if card := demoCards(t, page)[email]; card.chances != "3" || card.route != "questions" {
			t.Fatalf("renewed, alice's card says %+v", card)
		}
		if r := s.Do(t, "GET", "/api/v1/mobile-reset/"+flowID, "", nil); r.Body["state"] != "cancelled" {
			t.Fatalf("the open reset after renew: %d %s", r.Status, r.Raw)
		}
		// The printed password signs in again: not limited, not frozen.
		s.SignIn(t, email, password, "+6591234567")
		_, status := startDemoReset(t, s, email, password)
		if status["quiz_chances_left"] != float64(3) {
			t.Fatalf("after renew: %v", status)
		}
		if n := countOf(t, s, "SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'demo_account_renewed' AND actor = 'dev'", id); n != 1 {
			t.Fatalf("%d renew events in the trail", n)
		}
	})
}

// After a passed reset the demo number is gone; renew binds it again, so
// the reset can be tried once more.
func TestDevRenewBindsTheDemoNumberAgain(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, ids := demoServer(t, opts.DatabaseURL)
		ctx := context.Background()
		const email = "alice@demo.rebind.invalid"
		tx, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Accounts.UnbindMobile(ctx, tx, ids[email], "mobile_reset", "127.0.0.1", ""); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if r := s.Do(t, "POST", "/api/v1/mobile-reset", "", map[string]any{"email": email, "password": "harbor-lantern-17", "agree": true}); r.Status != 409 {
			t.Fatalf("reset with no mobile: %d %s", r.Status, r.Raw)
		}
		done, err := s.Demo.Renew(ctx, ids[email])
		if err != nil || !done.MobileRestored {
			t.Fatalf("renew: %+v %v", done, err)
		}
		a, err := s.Accounts.ByID(ctx, s.DB, ids[email])
		if err != nil || a.Mobile != "+6591234567" || !a.MobileVerification || a.RebindRequired {
			t.Fatalf("after renew: %+v %v", a, err)
		}
		startDemoReset(t, s, email, "harbor-lantern-17")
	})
}

// Only the named demo accounts are renewed: any other id is not found.
func TestDevRenewRefusesOtherAccounts(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, _ := demoServer(t, opts.DatabaseURL)
		other := s.CreateAccount(t, "real@example.com", pw, "+6581230001", true)
		c := s.Client()
		_, page := get(t, c, s.URL+"/dev/accounts")
		for _, id := range []string{other, "not-an-id", "aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
			resp, body := post(t, c, s.URL+"/dev/accounts/"+id+"/renew", url.Values{"csrf": {csrf(t, page)}})
			if resp.StatusCode != 404 {
				t.Errorf("renew %s: %d\n%s", id, resp.StatusCode, body)
			}
		}
		if n := countOf(t, s, "SELECT count(*) FROM audit_events WHERE action = 'demo_account_renewed'"); n != 0 {
			t.Fatalf("%d renew events for accounts that are not demo accounts", n)
		}
	})
}

// Production has none of it: the pages are not registered, and the desk
// refuses if reached anyway (defence in depth). The page shows quiz answers
// and renew gives chances back, which production must never do (SEC-KBA-2,
// SEC-KBA-9).
func TestProductionHasNoDemoDesk(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		p := apptest.Start(t, apptest.Options{Production: true})
		ctx := context.Background()
		seeded, err := demo.SeedNamed(ctx, p.DB, p.Hasher, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		alice := seeded[0].ID
		if _, err := p.DB.ExecContext(ctx, "UPDATE accounts SET quiz_used = 3, quiz_window_start = $1 WHERE id = $2", time.Now().UnixMilli(), alice); err != nil {
			t.Fatal(err)
		}
		c := p.Client()
		resp, page := get(t, c, p.URL+"/dev/accounts")
		if resp.StatusCode != 404 {
			t.Fatalf("/dev/accounts in production: %d", resp.StatusCode)
		}
		// Even with a valid form token, renew is no page.
		_, login := get(t, c, p.URL+"/login")
		resp, _ = post(t, c, p.URL+"/dev/accounts/"+alice+"/renew", url.Values{"csrf": {csrf(t, login)}})
		if resp.StatusCode != 404 {
			t.Fatalf("renew in production: %d", resp.StatusCode)
		}
		_, home := get(t, c, p.URL+"/")
		if strings.Contains(home, "/dev/") || strings.Contains(page, "/dev/accounts") {
			t.Fatal("a production page links to the dev tools")
		}
		if _, err := p.Demo.Cards(ctx); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("cards in production: %v", err)
		}
		if _, err := p.Demo.Renew(ctx, alice); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("renew in production: %v", err)
		}
		if n := countOf(t, p, "SELECT quiz_used FROM accounts WHERE id = $1", alice); n != 3 {
			t.Fatalf("production renew changed the chances: %d used", n)
		}
	})
}

// The dev outbox and the home page link to the demo accounts in dev.
func TestDevPagesLinkToDemoAccounts(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		for _, path := range []string{"/dev/outbox", "/"} {
			if _, page := get(t, s.Client(), s.URL+path); !strings.Contains(page, `href="/dev/accounts"`) {
				t.Errorf("%s has no link to /dev/accounts", path)
			}
		}
	})
}
