package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
)

// inZone makes the browser tab of ctx read its clock in zone, with US
// English formats, as a user there would.
func inZone(t *testing.T, ctx context.Context, zone string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "en_US"}); err != nil {
		t.Fatal(err)
	}
}

// shownTime is a <time> as the page shows it.
type shownTime struct {
	At    string `json:"at"`
	Text  string `json:"text"`
	Title string `json:"title"`
}

// localTimes reads every <time data-local> of the page, once the page's
// script has written them in local time.
func localTimes(t *testing.T, ctx context.Context) []shownTime {
	t.Helper()
	times, err := chromedp.Run(ctx, chromedp.Poll[[]shownTime](`(() => {
		const all = Array.from(document.querySelectorAll("time[data-local]"));
		if (all.length === 0 || all.some(e => e.title === "")) return null;
		return all.map(e => ({at: e.getAttribute("datetime"), text: e.textContent, title: e.title}));
	})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("local times: %v", err)
	}
	return times
}

// checkLocalTimes fails unless every time on the page reads in the
// browser's zone (India: UTC+5:30), with the UTC text as its title.
func checkLocalTimes(t *testing.T, ctx context.Context, want int) {
	t.Helper()
	india := time.FixedZone("IST", 5*3600+1800)
	times := localTimes(t, ctx)
	if len(times) != want {
		t.Fatalf("times on the page: %+v", times)
	}
	for _, st := range times {
		at, err := time.Parse(time.RFC3339, st.At)
		if err != nil {
			t.Fatal(err)
		}
		local := at.In(india)
		if !strings.Contains(st.Text, local.Format("3:04 PM")) || !strings.Contains(st.Text, "GMT+5:30") ||
			!strings.Contains(st.Text, local.Format("Jan 2")) || st.Title != at.Format("2006-01-02 15:04 UTC") {
			t.Errorf("%s shown as %q (title %q), want %s", st.At, st.Text, st.Title, local.Format("Jan 2, 3:04 PM"))
		}
	}
}

// checkNumbersDoNotWrap fails unless every masked number on the page
// ("+65 ****5678") is laid out on one line.
func checkNumbersDoNotWrap(t *testing.T, ctx context.Context, want int) {
	t.Helper()
	type shown struct {
		Text    string `json:"text"`
		NoWrap  bool   `json:"noWrap"`
		OneLine bool   `json:"oneLine"`
	}
	numbers, err := chromedp.Run(ctx, chromedp.Evaluate[[]shown](`(() => {
		const out = [], walk = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
		for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			for (const m of n.textContent.matchAll(/\+\d{1,3} \*{4}\d{4}/g)) {
				const r = document.createRange();
				r.setStart(n, m.index);
				r.setEnd(n, m.index + m[0].length);
				out.push({text: m[0], noWrap: getComputedStyle(n.parentElement).whiteSpace === "nowrap", oneLine: r.getClientRects().length === 1});
			}
		}
		return out;
	})()`))
	if err != nil || len(numbers) < want {
		t.Fatalf("masked numbers on the page: %+v (%v)", numbers, err)
	}
	for _, n := range numbers {
		if !n.NoWrap || !n.OneLine {
			t.Errorf("%q may wrap: %+v", n.Text, n)
		}
	}
}

// The account page in a browser in India, at desktop and phone width: the
// holds in words and in local time, the masked number on one line; and,
// for an account whose mobile was reset, the banner's [Bind mobile] opens
// the bind flow.
func TestBrowserAccountPage(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, mobile = "held-browser@example.com", "+6581237201"
		id := s.CreateAccount(t, email, pw, mobile, false)
		holdAll(t, s, id)
		ctx := browsertest.New(t, 90*time.Second)
		inZone(t, ctx, "Asia/Kolkata")
		// The log-in page has no [Log In] in its top bar.
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "login")
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("header a[href='/login']").length`)); err != nil || n != 0 {
			t.Errorf("the log-in page shows [Log In] in its top bar (%d, %v)", n, err)
		}
		signInInBrowser(t, ctx, s, base, email, mobile)
		text := mainText(t, ctx)
		for _, want := range []string{"because your mobile verification was reset", "because your mobile number was changed",
			"because a mobile number was bound to your account", "because your password was reset"} {
			if !strings.Contains(text, want) {
				t.Errorf("account page lacks %q: %q", want, text)
			}
		}
		if strings.Contains(text, "_") || strings.Contains(text, "UTC") {
			t.Errorf("account page shows codes or UTC times: %q", text)
		}
		checkLocalTimes(t, ctx, 4)
		checkNumbersDoNotWrap(t, ctx, 1)

		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		inZone(t, phone, "Asia/Kolkata")
		if err := chromedp.Do(phone, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "account")
		checkLocalTimes(t, phone, 4)
		checkNumbersDoNotWrap(t, phone, 1)
		if wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
			t.Errorf("the account page scrolls sideways on a phone (%v)", err)
		}

		// After a reset, [Bind mobile] on the banner opens the bind flow.
		const unbound = "rebind-browser@example.com"
		afterReset(t, s, unbound, "+6581237202")
		other := browsertest.New(t, 60*time.Second)
		signInInBrowser(t, other, s, base, unbound, unbound)
		clickLabel(t, other, "Bind mobile")
		waitPage(t, other, "mobile_intro")
		if h1, _ := pageText(other, "main h1"); h1 != "Bind mobile number" {
			t.Fatalf("[Bind mobile] opened %q", h1)
		}
	})
}

// In a change, at phone width, the masked numbers stay on one line, and
// "Lost this phone? Reset it instead" leads from the codes step to the
// reset.
func TestBrowserChangeLeadsALostPhoneToTheReset(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, mobile = "lost-browser@example.com", "+6581237203"
		s.CreateAccount(t, email, pw, mobile, false)
		ctx := browsertest.New(t, 90*time.Second)
		signInInBrowser(t, ctx, s, base, email, mobile)
		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		if err := chromedp.Do(phone, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(base+"/settings")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "settings")
		checkNumbersDoNotWrap(t, phone, 1)
		clickLabel(t, phone, "Change")
		waitPage(t, phone, "mobile_intro")
		checkNumbersDoNotWrap(t, phone, 1)
		clickLabel(t, phone, "Continue")
		waitPage(t, phone, "mobile_verify")
		checkNumbersDoNotWrap(t, phone, 1)
		clickLabel(t, phone, "Lost this phone? Reset it instead")
		waitPage(t, phone, "reset_mobile")
	})
}
