package web_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
	"github.com/rebindhq/rebind/internal/captcha"
)

// TestBrowserChangeMobileByTheArticle follows "How to change mobile
// number?" by its labels, dragging the slider with the mouse.
func TestBrowserChangeMobileByTheArticle(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, old, fresh = "mover@example.com", "+6581236601", "+447400123458"
		id := s.CreateAccount(t, email, pw, old, false)
		ctx := browsertest.New(t, 120*time.Second)
		signInInBrowser(t, ctx, s, base, email, old)

		// 1. [Settings] under [Account] in the top right.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("header details.menu summary"))); err != nil {
			t.Fatal(err)
		}
		if summary, _ := pageText(ctx, "header details.menu summary"); summary != "Account" {
			t.Fatalf("menu label %q", summary)
		}
		clickLabel(t, ctx, "Settings")
		waitPage(t, ctx, "settings")
		// 2. In [Account Verification], [Change] on the right of [Mobile].
		if h2, _ := pageText(ctx, "#account-verification"); h2 != "Account Verification" {
			t.Fatalf("section %q", h2)
		}
		right, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const row = document.querySelector("#mobile-setting");
		const name = row.querySelector(".setting-name"), change = row.querySelector("a");
		return name.textContent === "Mobile" && change.textContent === "Change" &&
			change.getBoundingClientRect().left > name.getBoundingClientRect().right;
	})()`))
		if err != nil || !right {
			t.Fatalf("[Change] is not on the right of [Mobile] (%v)", err)
		}
		clickLabel(t, ctx, "Change")
		// 3. The warning, [Continue].
		waitPage(t, ctx, "mobile_intro")
		if text := mainText(t, ctx); !strings.Contains(text, "24 hours") || !strings.Contains(text, "old number") {
			t.Fatalf("warning: %q", text)
		}
		clickLabel(t, ctx, "Continue")
		// 4. [Email verification code] and [SMS code], each got by its own button.
		waitPage(t, ctx, "mobile_verify")
		getCodes(t, ctx, s, email, old)
		clickLabel(t, ctx, "Next")
		// 5. [Country code], searched, and the new [Mobile number], checked as typed.
		waitPage(t, ctx, "mobile_number")
		chooseNumber(t, ctx, "united king", "GB", "07400 123458", "United Kingdom")
		clickLabel(t, ctx, "Next")
		// 6. The slider, then the 6-digit [SMS code] and [Next].
		waitPage(t, ctx, "mobile_puzzle")
		mark := s.Mark(t, fresh)
		slide(t, ctx, s, false)
		waitPage(t, ctx, "mobile_confirm")
		confirmNew(t, ctx, s, fresh, mark)
		// 7. Changed.
		if text := mainText(t, ctx); !strings.Contains(text, "Mobile number changed") || !strings.Contains(text, "+44 ****3458") {
			t.Fatalf("success page: %q", text)
		}
		if a, _ := s.Accounts.ByID(context.Background(), s.DB, id); a.Mobile != fresh {
			t.Fatalf("account after the change: %+v", a)
		}
		clickLabel(t, ctx, "Back to settings")
		waitPage(t, ctx, "settings")
	})
}

// TestBrowserBindMobileWithTouch binds a number to an account that has
// none (as after a reset) on a phone-sized touch screen, dragging the
// slider with a finger on a puzzle shown smaller than its pixels.
func TestBrowserBindMobileWithTouch(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, fresh = "thumb@example.com", "+6581236602"
		id := s.CreateAccount(t, email, pw, "", false)
		ctx := browsertest.New(t, 120*time.Second)
		signInInBrowser(t, ctx, s, base, email, email)
		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		// A small phone, where the puzzle is shown narrower than its pixels.
		if err := chromedp.Do(phone, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(base+"/settings")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "settings")
		clickLabel(t, phone, "Bind")
		waitPage(t, phone, "mobile_intro")
		clickLabel(t, phone, "Continue")
		waitPage(t, phone, "mobile_verify")
		if n, err := chromedp.Run(phone, chromedp.Evaluate[int](`document.querySelectorAll("#sms-code, #get-sms-code").length`)); err != nil || n != 0 {
			t.Fatalf("a bind asks for an SMS code to an old number (%d fields, %v)", n, err)
		}
		getCodes(t, phone, s, email, "")
		clickLabel(t, phone, "Next")
		waitPage(t, phone, "mobile_number")
		chooseNumber(t, phone, "+65", "SG", "8123 6602", "Singapore")
		clickLabel(t, phone, "Next")
		waitPage(t, phone, "mobile_puzzle")
		if wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
			t.Fatalf("the puzzle scrolls sideways on a phone (%v)", err)
		}
		mark := s.Mark(t, fresh)
		slide(t, phone, s, true)
		waitPage(t, phone, "mobile_confirm")
		confirmNew(t, phone, s, fresh, mark)
		if text := mainText(t, phone); !strings.Contains(text, "Mobile number bound") || !strings.Contains(text, "+65 ****6602") {
			t.Fatalf("success page: %q", text)
		}
		if a, _ := s.Accounts.ByID(context.Background(), s.DB, id); a.Mobile != fresh {
			t.Fatalf("account after the bind: %+v", a)
		}
	})
}

// signInInBrowser signs in through the pages; the code goes to "to".
func signInInBrowser(t *testing.T, ctx context.Context, s *apptest.Server, base, email, to string) {
	t.Helper()
	mark := s.Mark(t, to)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS(`form[action="/login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="login_verify"] #code`)),
	)
	if err == nil {
		err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#code"), s.CodeSince(t, to, mark)),
			chromedp.Click(chromedp.CSS(`form[action="/login/verify"] button.wide`)))
	}
	if err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "account")
}

// getCodes gets and enters the email code, and the SMS code to mobile
// unless it is empty. Each button sends in the background and counts down;
// a code typed before the other button was pressed stays.
func getCodes(t *testing.T, ctx context.Context, s *apptest.Server, email, mobile string) {
	t.Helper()
	// Without its script the button posts the form (the no-script way);
	// clicking before the deferred script has run would leave the page.
	scriptReady(t, ctx)
	fields := []struct{ name, to string }{{"email", email}, {"sms", mobile}}
	for _, f := range fields {
		if f.to == "" {
			continue
		}
		mark := s.Mark(t, f.to)
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#get-"+f.name+"-code")),
			chromedp.Poll[chromedp.Void](`document.querySelector("#get-`+f.name+`-code").disabled &&
				/^Get code \(\d+s\)$/.test(document.querySelector("#get-`+f.name+`-code").textContent) &&
				document.querySelector("#`+f.name+`-hint").textContent.includes("was sent")`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if err == nil {
			err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#"+f.name+"-code"), s.CodeSince(t, f.to, mark)))
		}
		if err != nil {
			t.Fatalf("get the %s code: %v", f.name, err)
		}
	}
	if kept, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#email-code"))); len(kept) != 6 {
		t.Fatalf("the email code typed was lost: %q", kept)
	}
}

// chooseNumber searches the [Country code] list, checks the choice and
// the placeholder, and types the [Mobile number], first too short (the
// check says so), then whole.
func chooseNumber(t *testing.T, ctx context.Context, search, region, number, country string) {
	t.Helper()
	short, rest := number[:4], number[4:]
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#country-filter"), search),
		chromedp.Poll[chromedp.Void](`document.querySelector("#country").value === "`+region+`" &&
			document.querySelector("#number").placeholder !== ""`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.SendKeys(chromedp.CSS("#number"), short),
		chromedp.Poll[chromedp.Void](`document.querySelector("#number-status").classList.contains("field-error")`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.SendKeys(chromedp.CSS("#number"), rest),
		chromedp.Poll[chromedp.Void](`document.querySelector("#number-status").textContent === "A valid mobile number for `+country+`."`,
			chromedp.WithPollingTimeout(5*time.Second)),
	)
	if err != nil {
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#country").value + " " + document.querySelector("#number-status").textContent`))
		t.Fatalf("choose %s %s: %v (%s)", region, number, err, status)
	}
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("#country option")).filter(o => !o.hidden).length`)); err != nil || shown > 20 {
		t.Fatalf("the search %q left %d countries (%v)", search, shown, err)
	}
}

// slide drags the puzzle's handle to the answer along a person-like path,
// at its pace, with the mouse or a finger, scaled to the picture's size on
// the screen.
func slide(t *testing.T, ctx context.Context, s *apptest.Server, touch bool) {
	t.Helper()
	type geometry struct {
		ID     string  `json:"id"`
		X      float64 `json:"x"`
		Y      float64 `json:"y"`
		Scale  float64 `json:"scale"`
		Hint   bool    `json:"hint"`
		Placed bool    `json:"placed"`
	}
	g, err := chromedp.Run(ctx, chromedp.Poll[geometry](`(() => {
		const form = document.querySelector("#puzzle"), piece = form.querySelector(".puzzle-piece");
		if (!piece.complete || piece.style.top === "") return null;
		const h = document.querySelector("#slider-handle").getBoundingClientRect();
		const f = form.querySelector(".puzzle-frame").getBoundingClientRect();
		return {id: form.dataset.captcha, x: h.left + h.width / 2, y: h.top + h.height / 2, scale: f.width / +form.dataset.width,
			hint: document.querySelector("#slider-hint").textContent === "Slide to complete the pattern verification", placed: true};
	})()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || !g.Hint || !g.Placed {
		t.Fatalf("puzzle on the page: %+v (%v)", g, err)
	}
	if touch && g.Scale >= 1 {
		t.Fatalf("the puzzle is not scaled down on a phone: %v", g.Scale)
	}
	x, err := s.Captcha.AnswerForTest(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	trail := captcha.HumanTrail(rand.New(rand.NewPCG(uint64(x), 11)), x)
	start := time.Now()
	for i, p := range trail {
		at := start.Add(time.Duration(p.T) * time.Millisecond)
		time.Sleep(time.Until(at))
		px, py := g.X+float64(p.X)*g.Scale, g.Y+float64(p.Y-trail[0].Y)*g.Scale
		stamp := input.TimeSinceEpoch(float64(at.UnixMicro()) / 1e6)
		if err := pointer(ctx, touch, i, len(trail), px, py, stamp); err != nil {
			t.Fatalf("drag sample %d: %v", i, err)
		}
	}
}

// pointer dispatches sample i of n: a press, a move or the release.
func pointer(ctx context.Context, touch bool, i, n int, x, y float64, at input.TimeSinceEpoch) error {
	if touch {
		p := input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchMove, Timestamp: at,
			TouchPoints: []*input.TouchPoint{{X: x, Y: y}}}
		switch i {
		case 0:
			p.Type = input.DispatchTouchEventTypeTouchStart
		case n - 1:
			// The finger lifts where the last move left it.
			if _, err := chromedp.Call(ctx, input.DispatchTouchEvent, p); err != nil {
				return err
			}
			p = input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchEnd, Timestamp: at, TouchPoints: []*input.TouchPoint{}}
		}
		_, err := chromedp.Call(ctx, input.DispatchTouchEvent, p)
		return err
	}
	typ, buttons := chromedp.MouseMoved, int64(1)
	switch i {
	case 0:
		typ = chromedp.MousePressed
	case n - 1:
		typ, buttons = chromedp.MouseReleased, 0
	}
	return chromedp.Do(ctx, chromedp.MouseEvent(typ, x, y, chromedp.ButtonLeft, func(p *input.DispatchMouseEventParams) {
		p.Buttons, p.Timestamp, p.ClickCount = buttons, at, 1
	}))
}

// confirmNew enters the SMS code sent to the new number and finishes.
func confirmNew(t *testing.T, ctx context.Context, s *apptest.Server, number string, mark map[string]bool) {
	t.Helper()
	countingDown(t, ctx, "#send-again", "[Send again]")
	if label, _ := pageText(ctx, "label[for=sms-code]"); label != "SMS code" {
		t.Fatalf("code label %q", label)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#sms-code"), s.CodeSince(t, number, mark))); err != nil {
		t.Fatal(err)
	}
	clickLabel(t, ctx, "Next")
	waitPage(t, ctx, "mobile_done")
}
