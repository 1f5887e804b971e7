package web_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/clock"
)

const notSolvedText = "The puzzle was not solved. Try this new one."

const lostPhone = `<a href="/reset-mobile" id="lost-phone">Lost this phone? Reset it instead</a>`

// A change needs the SMS code to the current number: its warning and its
// first step point a user without that phone to the reset. A bind, which
// has no current number, does not.
func TestChangeOffersResetForALostPhone(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		s.CreateAccount(t, "lost-phone@example.com", pw, "+6581237301", false)
		c := signedInClient(t, s, base, "lost-phone@example.com", "+6581237301")
		resp, page := get(t, c, base+"/settings/mobile")
		onPage(t, resp, page, "mobile_intro", 200)
		if !strings.Contains(page, lostPhone) {
			t.Fatalf("the warning has no way to the reset:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/start", url.Values{"csrf": {csrf(t, page)}})
		onPage(t, resp, page, "mobile_verify", 200)
		if !strings.Contains(page, lostPhone) {
			t.Fatalf("the codes step has no way to the reset:\n%s", mainOf(page))
		}

		afterReset(t, s, "lost-bind@example.com", "+6581237302")
		b := signedInClient(t, s, base, "lost-bind@example.com", "lost-bind@example.com")
		resp, page = get(t, b, base+"/settings/mobile")
		onPage(t, resp, page, "mobile_intro", 200)
		resp, page = post(t, b, base+"/settings/mobile/start", url.Values{"csrf": {csrf(t, page)}})
		onPage(t, resp, page, "mobile_verify", 200)
		if strings.Contains(page, "Lost this phone?") {
			t.Fatalf("a bind offers to reset a phone it does not have:\n%s", mainOf(page))
		}
	})
}

// keysForm is the form the slider posts for challenge id when the
// keyboard moved the piece to x.
func keysForm(tok, id string, x int, keys []captcha.Key) url.Values {
	raw := make([][2]int, len(keys))
	for i, k := range keys {
		raw[i] = [2]int{k.T, k.X}
	}
	b, _ := json.Marshal(raw)
	return url.Values{"csrf": {tok}, "captcha": {id}, "x": {strconv.Itoa(x)}, "keys": {string(b)}}
}

// The puzzle page, without its script: the handle is a slider to
// assistive technology, with its keys said on the page and a live region;
// and "I can't do the puzzle" sends the code without it.
func TestPuzzlePageForKeyboardAndWithoutPuzzle(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		s, base := changeServer(t, apptest.Options{Clock: clock.NewFake(time.Now())})
		s.CreateAccount(t, "keys@example.com", pw, "+6581237311", false)
		c := signedInClient(t, s, base, "keys@example.com", "+6581237311")
		tok := toNewNumber(t, s, c, base, "keys@example.com", "+6581237311")
		resp, page := post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"8123 7312"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
		for _, want := range []string{
			`role="slider" tabindex="0" aria-labelledby="slider-hint" aria-describedby="slider-keys"`,
			`aria-valuemin="0" aria-valuemax="300" aria-valuenow="0" aria-valuetext="Piece at the left edge"`,
			`id="slider-hint">Slide to complete the pattern verification</span>`,
			`id="slider-keys">With a keyboard: the arrow keys move the piece 1 pixel`,
			`id="slider-live" aria-live="polite"`,
			`<form method="post" action="/settings/mobile/no-puzzle"`,
			`id="skip-puzzle">I can't do the puzzle</button>`,
			"up to 3 times a day",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("puzzle page lacks %q", want)
			}
		}
		// Keys no person presses: a new puzzle.
		id := puzzleID(t, page)
		x, _ := s.Captcha.AnswerForTest(context.Background(), id)
		resp, page = post(t, c, base+"/settings/mobile/puzzle", keysForm(tok, id, x, []captcha.Key{{T: 0, X: x}, {T: 1, X: x}}))
		onPage(t, resp, page, "mobile_puzzle", 422)
		if !strings.Contains(page, notSolvedText) || puzzleID(t, page) == id {
			t.Fatalf("a scripted keyboard answer:\n%s", mainOf(page))
		}
		// Keys as a person presses them: the code is sent.
		id = puzzleID(t, page)
		x, _ = s.Captcha.AnswerForTest(context.Background(), id)
		mark := s.Mark(t, "+6581237312")
		resp, page = post(t, c, base+"/settings/mobile/puzzle", keysForm(tok, id, x, captcha.HumanKeys(rand.New(rand.NewPCG(7, 8)), x)))
		onPage(t, resp, page, "mobile_confirm", 200)
		s.CodeSince(t, "+6581237312", mark)

		// "I can't do the puzzle", to another number (a typo fixed).
		resp, page = post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"8123 7313"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
		s.Clock.(*clock.Fake).Advance(61 * time.Second)
		mark = s.Mark(t, "+6581237313")
		resp, page = post(t, c, base+"/settings/mobile/no-puzzle", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_confirm", 200)
		if !strings.Contains(page, "+65 ****7313") {
			t.Fatalf("confirm page after skipping the puzzle:\n%s", mainOf(page))
		}
		resp, page = post(t, c, base+"/settings/mobile/confirm", url.Values{"csrf": {tok}, "sms_code": {s.CodeSince(t, "+6581237313", mark)}})
		onPage(t, resp, page, "mobile_done", 200)
	})
}

// Past the quota, "I can't do the puzzle" says so, and when to try again,
// on the puzzle page; the puzzle itself still works.
func TestWithoutPuzzleQuotaOnThePage(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, _ apptest.Options) {
		clk := clock.NewFake(time.Now().Truncate(24 * time.Hour).Add(time.Hour))
		s, base := changeServer(t, apptest.Options{Clock: clk})
		s.CreateAccount(t, "quota@example.com", pw, "+6581237321", false)
		c := signedInClient(t, s, base, "quota@example.com", "+6581237321")
		tok := toNewNumber(t, s, c, base, "quota@example.com", "+6581237321")
		post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"8123 7322"}})
		for range 3 {
			resp, page := post(t, c, base+"/settings/mobile/no-puzzle", url.Values{"csrf": {tok}})
			onPage(t, resp, page, "mobile_confirm", 200)
			clk.Advance(61 * time.Second)
		}
		resp, page := post(t, c, base+"/settings/mobile/no-puzzle", url.Values{"csrf": {tok}})
		onPage(t, resp, page, "mobile_puzzle", 429)
		if !strings.Contains(page, "No more codes can be sent without the puzzle today; try again in 23 hours.") {
			t.Fatalf("over the quota:\n%s", mainOf(page))
		}
		resp, page = solve(t, s, c, base, tok, page)
		onPage(t, resp, page, "mobile_confirm", 200)
	})
}

// Issue 7: strangers at the owner's address who spend its puzzles do not
// keep the owner from the puzzle page; the owner's own 30 puzzles in 10
// minutes spent, the page says when more come and still offers the way
// without the puzzle.
func TestPuzzlePageOutlastsTheAddressesPuzzles(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s, base := changeServer(t, opts)
		s.CreateAccount(t, "drawn@example.com", pw, "+6581237331", false)
		c := signedInClient(t, s, base, "drawn@example.com", "+6581237331")
		tok := toNewNumber(t, s, c, base, "drawn@example.com", "+6581237331")
		for range 30 {
			if r := s.Do(t, "POST", "/api/v1/captcha", "", nil); r.Status != 201 {
				t.Fatalf("stranger's puzzle: %d", r.Status)
			}
		}
		resp, page := post(t, c, base+"/settings/mobile/number", url.Values{"csrf": {tok}, "country": {"SG"}, "number": {"8123 7332"}})
		onPage(t, resp, page, "mobile_puzzle", 200)
		puzzleID(t, page)
		for range 29 {
			get(t, c, base+"/settings/mobile/puzzle")
		}
		resp, page = get(t, c, base+"/settings/mobile/puzzle")
		onPage(t, resp, page, "mobile_puzzle", 429)
		if !strings.Contains(page, "Too many puzzles were asked for; try again in") || !strings.Contains(page, "I can't do the puzzle") {
			t.Fatalf("over the account's puzzles:\n%s", mainOf(page))
		}
	})
}
