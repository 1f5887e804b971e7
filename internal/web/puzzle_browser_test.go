package web_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/browsertest"
)

// axNode returns the role, name and description assistive technology gets
// for the focused element.
func axNode(t *testing.T, ctx context.Context) (role, name, description string) {
	t.Helper()
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document.activeElement"})
	if err != nil || res.Result == nil || res.Result.ObjectID == "" {
		t.Fatalf("focused element: %v", err)
	}
	no := false
	tree, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: res.Result.ObjectID, FetchRelatives: &no})
	if err != nil || len(tree.Nodes) == 0 {
		t.Fatalf("accessibility tree: %v", err)
	}
	text := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		if err := json.Unmarshal(v.Value, &s); err != nil {
			t.Fatalf("accessibility value %s: %v", v.Value, err)
		}
		return s
	}
	n := tree.Nodes[0]
	return text(n.Role), text(n.Name), text(n.Description)
}

// sliderState is what the handle tells assistive technology.
type sliderState struct {
	Now  string `json:"now"`
	Max  string `json:"max"`
	Text string `json:"text"`
	Live string `json:"live"`
}

func slider(t *testing.T, ctx context.Context) sliderState {
	t.Helper()
	st, err := chromedp.Run(ctx, chromedp.Evaluate[sliderState](`(h => ({now: h.getAttribute("aria-valuenow"),
		max: h.getAttribute("aria-valuemax"), text: h.getAttribute("aria-valuetext"),
		live: document.querySelector("#slider-live").textContent}))(document.querySelector("#slider-handle"))`))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// hand presses keys at a person's pace. Each key event carries the time
// it is meant to happen at, so a busy machine that delivers events late
// does not bunch them up: the page times keys by their events' stamps.
type hand struct{ next time.Time }

// press presses key n times, gap apart.
func (h *hand) press(t *testing.T, ctx context.Context, key string, n int, gap time.Duration, opts ...chromedp.KeyOption) {
	t.Helper()
	if h.next.IsZero() {
		h.next = time.Now()
	}
	for range n {
		time.Sleep(time.Until(h.next)) // pacing the hand, not waiting for a result
		at := input.TimeSinceEpoch(float64(h.next.UnixMicro()) / 1e6)
		stamp := func(p *input.DispatchKeyEventParams) { p.Timestamp = at }
		if err := chromedp.Do(ctx, chromedp.KeyEvent(key, append(opts, stamp)...)); err != nil {
			t.Fatal(err)
		}
		h.next = h.next.Add(gap)
	}
}

// WCAG 2.1.1: the change by keyboard alone, at desktop width. Tab reaches
// the handle, which is a slider with a name, a description of its keys
// and its position; the keys move the piece (Home and End too), a live
// region says where it rests, and Enter sends the answer, which the server
// judges by its keyboard checks.
func TestBrowserChangeMobileByKeyboard(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, old, fresh = "keyboard@example.com", "+6581237601", "+6581237602"
		s.CreateAccount(t, email, pw, old, false)
		ctx := browsertest.New(t, 120*time.Second)
		signInInBrowser(t, ctx, s, base, email, old)
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/settings/mobile")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "mobile_intro")
		clickLabel(t, ctx, "Continue")
		waitPage(t, ctx, "mobile_verify")
		getCodes(t, ctx, s, email, old)
		clickLabel(t, ctx, "Next")
		waitPage(t, ctx, "mobile_number")
		chooseNumber(t, ctx, "singapore", "SG", "8123 7602", "Singapore")
		clickLabel(t, ctx, "Next")
		waitPage(t, ctx, "mobile_puzzle")
		scriptReady(t, ctx)
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelector(".puzzle-piece").style.top !== ""`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatal(err)
		}

		// Tab, from the top of the page, reaches the handle.
		var h hand
		for i := 0; ; i++ {
			if i == 40 {
				t.Fatal("Tab never reaches the slider's handle")
			}
			h.press(t, ctx, kb.Tab, 1, 50*time.Millisecond)
			id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
			if err != nil {
				t.Fatal(err)
			}
			if id == "slider-handle" {
				break
			}
		}
		role, name, description := axNode(t, ctx)
		if role != "slider" || name != "Slide to complete the pattern verification" || !strings.Contains(description, "arrow keys") {
			t.Fatalf("the handle reads as %q %q %q", role, name, description)
		}
		st := slider(t, ctx)
		top, _ := strconv.Atoi(st.Max)
		if st.Now != "0" || top < 200 || top > 250 || st.Text != "Piece at the left edge" {
			t.Fatalf("slider at the start: %+v", st)
		}
		// End and Home reach either end.
		h.press(t, ctx, kb.End, 1, 200*time.Millisecond)
		if st := slider(t, ctx); st.Now != st.Max {
			t.Fatalf("after End: %+v", st)
		}
		h.press(t, ctx, kb.Home, 1, 200*time.Millisecond)
		if st := slider(t, ctx); st.Now != "0" {
			t.Fatalf("after Home: %+v", st)
		}
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#puzzle").dataset.captcha`))
		if err != nil {
			t.Fatal(err)
		}
		x, err := s.Captcha.AnswerForTest(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		tens := x/10 + 1 // one press too far, unless that is past the end
		if tens*10 > top {
			tens--
		}
		h.press(t, ctx, kb.ArrowRight, tens, 60*time.Millisecond, chromedp.KeyModifiers(chromedp.ModifierShift))
		if tens*10 > x {
			h.press(t, ctx, kb.ArrowLeft, tens*10-x, 300*time.Millisecond)
		} else {
			h.press(t, ctx, kb.ArrowRight, x-tens*10, 300*time.Millisecond)
		}
		want := "Piece at " + strconv.Itoa(x) + " of " + st.Max + " pixels"
		err = chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelector("#slider-live").textContent === `+strconv.Quote(want+"."),
			chromedp.WithPollingTimeout(5*time.Second)))
		if st := slider(t, ctx); err != nil || st.Now != strconv.Itoa(x) || st.Text != want {
			t.Fatalf("after the arrows, want %d: %+v (%v)", x, st, err)
		}
		mark := s.Mark(t, fresh)
		h.next = time.Now() // after the look at where the piece rests
		h.press(t, ctx, kb.Enter, 1, 0)
		waitPage(t, ctx, "mobile_confirm")
		confirmNew(t, ctx, s, fresh, mark)
	})
}

// On a phone, without JavaScript (or without being able to do a visual
// puzzle at all): "I can't do the puzzle" sends the code, and the bind
// completes; the send is audited as one that skipped the puzzle.
func TestBrowserBindWithoutThePuzzle(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		const email, fresh = "no-puzzle-browser@example.com", "+6581237611"
		id := afterReset(t, s, email, "+6581237610")
		ctx := browsertest.New(t, 120*time.Second)
		signInInBrowser(t, ctx, s, base, email, email)
		phone, cancel := browsertest.Mobile(ctx)
		defer cancel()
		if err := chromedp.Do(phone, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "account")
		clickLabel(t, phone, "Bind mobile")
		waitPage(t, phone, "mobile_intro")
		clickLabel(t, phone, "Continue")
		waitPage(t, phone, "mobile_verify")
		getCodes(t, phone, s, email, "")
		clickLabel(t, phone, "Next")
		waitPage(t, phone, "mobile_number")
		chooseNumber(t, phone, "+65", "SG", "8123 7611", "Singapore")
		clickLabel(t, phone, "Next")
		waitPage(t, phone, "mobile_puzzle")
		if wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
			t.Fatalf("the puzzle page scrolls sideways on a phone (%v)", err)
		}
		// The same page without the script.
		if _, err := chromedp.Call(phone, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(phone, chromedp.Navigate(base+"/settings/mobile/puzzle")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "mobile_puzzle")
		if text := mainText(t, phone); !strings.Contains(text, "choose “I can't do the puzzle” below") || !strings.Contains(text, "up to 3 times a day") {
			t.Fatalf("puzzle page without JavaScript: %q", text)
		}
		mark := s.Mark(t, fresh)
		if err := chromedp.Do(phone, chromedp.Click(chromedp.CSS("#skip-puzzle"))); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "mobile_confirm")
		if err := chromedp.Do(phone, chromedp.SendKeys(chromedp.CSS("#sms-code"), s.CodeSince(t, fresh, mark)), chromedp.Click(chromedp.CSS("#next"))); err != nil {
			t.Fatal(err)
		}
		waitPage(t, phone, "mobile_done")
		events, err := s.Audit.List(context.Background(), s.DB, id, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		skips := 0
		for _, e := range events {
			if e.Action == "authn_code_sent" && e.Detail["puzzle"] == "skipped" {
				skips++
			}
		}
		if skips != 1 {
			t.Fatalf("sends audited as without the puzzle: %d", skips)
		}
	})
}
