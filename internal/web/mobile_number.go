package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/captcha"
	"github.com/rebindhq/rebind/internal/change"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/phone"
)

// The new number: [Country code] and [Mobile number], checked as typed
// (GET /settings/mobile/check) and on submit, then the slider puzzle,
// whose solution lets change.Service send the SMS code to the number.

// checkNumber says what is wrong with a new number, or returns it.
func (p *Pages) checkNumber(acc account.Account, region, number string) (phone.Number, string) {
	n, err := p.Change.CheckNumber(acc, region, number)
	if err != nil {
		return phone.Number{}, httphtml.Sentence(apperr.As(err).Message)
	}
	return n, ""
}

// numberCheck is the answer of GET /settings/mobile/check.
type numberCheck struct {
	Valid   bool   `json:"valid"`
	Message string `json:"message"`
}

// mobileCheck tells the page, as the user types, whether the number is a
// mobile number of the chosen country. It only reads.
func (p *Pages) mobileCheck(w http.ResponseWriter, r *http.Request) error {
	_, acc, err := p.current(r)
	if err != nil {
		httpjson.Write(w, http.StatusUnauthorized, numberCheck{Message: "Sign in again to go on."})
		return nil
	}
	q := r.URL.Query()
	answer := numberCheck{Valid: true, Message: "A valid mobile number for " + phone.CountryName(q.Get("country")) + "."}
	if _, msg := p.checkNumber(acc, q.Get("country"), q.Get("number")); msg != "" {
		answer = numberCheck{Message: msg}
	}
	httpjson.Write(w, http.StatusOK, answer)
	return nil
}

// newNumberOf reads the number kept for the puzzle: "SG:+6581234567", the
// country chosen and the number checked.
func (p *Pages) newNumberOf(r *http.Request) (region, e164 string, ok bool) {
	region, e164, _ = strings.Cut(httphtml.Cookie(r, p.numberCookie()), ":")
	return region, e164, region != "" && e164 != ""
}

// renderNumber shows the [Country code] and [Mobile number] form, filled
// with what was typed, or the number kept, or the country of the number
// bound now.
func (p *Pages) renderNumber(w http.ResponseWriter, r *http.Request, status int, acc account.Account, d mobilePage, msg string) error {
	if d.Region == "" {
		d.Region, d.Number, _ = p.newNumberOf(r)
	}
	if d.Region == "" && acc.Mobile != "" {
		if n, err := phone.ParseE164(acc.Mobile); err == nil {
			d.Region = n.Region()
		}
	}
	d.Countries = countryOptions()
	return p.site.Render(w, r, status, "mobile_number", p.mobileTitle(d.Bind), d, msg)
}

func (p *Pages) mobileNumberPage(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	return p.mobileShow(w, r, f, http.StatusOK, mobilePage{page: "number"}, "")
}

// mobileNumber takes the new number and goes on to the puzzle.
func (p *Pages) mobileNumber(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	v, err := p.Change.Status(r.Context(), f.caller, f.kind, f.id)
	if err != nil {
		return p.mobileRefused(w, r, f, mobilePage{}, "", err)
	}
	if v.State != change.NewNumber && v.State != change.ConfirmNew {
		return httphtml.Redirect(w, r, "/settings/mobile")
	}
	region, number := strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))), r.PostFormValue("number")
	n, msg := p.checkNumber(f.acc, region, number)
	if msg != "" {
		d := mobilePage{page: "number", Region: region, Number: number, NumberError: msg}
		return p.mobileShow(w, r, f, http.StatusBadRequest, d, "")
	}
	p.site.SetCookie(w, p.numberCookie(), region+":"+n.E164(), change.Lifetime)
	return httphtml.Redirect(w, r, "/settings/mobile/puzzle")
}

// puzzleView is a challenge as the puzzle template shows it.
type puzzleView struct {
	ID                    string
	Background, Piece     template.URL
	PieceY, Width, Height int
}

// renderPuzzle draws a new puzzle bound to the flow and the number kept,
// and shows it. Drawing costs CPU, so an account may ask for only so many,
// counted with the API's puzzles; past that the page still offers the way
// without the puzzle.
func (p *Pages) renderPuzzle(w http.ResponseWriter, r *http.Request, f mobileFlow, status int, d mobilePage, msg string) error {
	_, e164, ok := p.newNumberOf(r)
	if !ok {
		return p.renderNumber(w, r, status, f.acc, d, msg)
	}
	d.NewNumber, d.NoPuzzlePerDay = account.MaskMobile(e164), change.WithoutPuzzle.Limit
	ch, err := p.Change.Puzzle(r.Context(), f.caller, f.id, e164)
	if apperr.Is(err, apperr.RateLimited) {
		return p.site.Render(w, r, apperr.As(err).Code.Status(), "mobile_puzzle", p.mobileTitle(d.Bind), d, apperr.As(err).Message)
	}
	if err != nil {
		return err
	}
	// The images are our own data: URLs, which html/template would refuse.
	if !strings.HasPrefix(ch.Background, "data:image/") || !strings.HasPrefix(ch.Piece, "data:image/") {
		return fmt.Errorf("web: the puzzle's images are not data: images")
	}
	d.Puzzle = puzzleView{ID: ch.ID, Background: template.URL(ch.Background), Piece: template.URL(ch.Piece),
		PieceY: ch.PieceY, Width: ch.Width, Height: ch.Height}
	return p.site.Render(w, r, status, "mobile_puzzle", p.mobileTitle(d.Bind), d, msg)
}

func (p *Pages) mobilePuzzlePage(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	return p.mobileShow(w, r, f, http.StatusOK, mobilePage{page: "puzzle"}, "")
}

// notSolved is said for every failed puzzle, whatever check failed.
const notSolved = "The puzzle was not solved. Try this new one."

// mobilePuzzle judges the slider's answer, dragged or given with the
// keyboard, and, solved, has the SMS code sent to the new number. A failed
// puzzle is replaced by a new one.
func (p *Pages) mobilePuzzle(w http.ResponseWriter, r *http.Request) error {
	f, region, e164, ok := p.numberStep(w, r)
	if !ok {
		return nil
	}
	again := mobilePage{page: "puzzle"}
	a, ok := readAnswer(r)
	if !ok {
		return p.mobileShow(w, r, f, http.StatusUnprocessableEntity, again, "Drag the slider until the piece fits the gap.")
	}
	var tok string
	var err error
	if a.keys != nil {
		tok, err = p.Captcha.SolveKeys(r.Context(), r.PostFormValue("captcha"), a.x, a.keys)
	} else {
		tok, err = p.Captcha.Solve(r.Context(), r.PostFormValue("captcha"), a.x, a.trail)
	}
	if apperr.Is(err, apperr.InvalidRequest) {
		return p.mobileShow(w, r, f, http.StatusUnprocessableEntity, again, notSolved)
	}
	if err == nil {
		_, err = p.Change.NewNumber(r.Context(), f.caller, f.kind, f.id, region, e164, tok)
	}
	return p.newNumberSent(w, r, f, region, e164, err)
}

// mobileNoPuzzle has the SMS code sent to the new number without the
// puzzle, for a user who cannot do it ("I can't do the puzzle"), from the
// account's stricter quota (change.WithoutPuzzle).
func (p *Pages) mobileNoPuzzle(w http.ResponseWriter, r *http.Request) error {
	f, region, e164, ok := p.numberStep(w, r)
	if !ok {
		return nil
	}
	_, err := p.Change.NewNumberWithoutPuzzle(r.Context(), f.caller, f.kind, f.id, region, e164)
	return p.newNumberSent(w, r, f, region, e164, err)
}

// numberStep returns this browser's flow and the new number kept for it,
// or sends the browser where it must go first.
func (p *Pages) numberStep(w http.ResponseWriter, r *http.Request) (f mobileFlow, region, e164 string, ok bool) {
	if f, ok = p.mobileFlowOf(w, r); !ok {
		return f, "", "", false
	}
	if region, e164, ok = p.newNumberOf(r); !ok {
		httphtml.Redirect(w, r, "/settings/mobile/number")
	}
	return f, region, e164, ok
}

// newNumberSent shows what came of sending the code to the new number:
// the code step, or the refusal beside what caused it.
func (p *Pages) newNumberSent(w http.ResponseWriter, r *http.Request, f mobileFlow, region, e164 string, err error) error {
	again := mobilePage{page: "puzzle"}
	switch e := apperr.As(err); {
	case err == nil:
		return httphtml.Redirect(w, r, "/settings/mobile")
	case e.Code == apperr.CaptchaInvalid:
		return p.mobileShow(w, r, f, http.StatusUnprocessableEntity, again, notSolved)
	case e.Code == apperr.InvalidMobile || e.Code == apperr.MobileUnavailable || e.Code == apperr.InvalidRequest:
		d := mobilePage{page: "number", Region: region, Number: e164}
		return p.mobileRefused(w, r, f, d, "number", err, change.NewNumber, change.ConfirmNew)
	case e.Code == apperr.RateLimited && e.Fields["limit"] == change.WithoutPuzzle.Name:
		return p.mobileShow(w, r, f, e.Code.Status(), again, httphtml.Sentence(e.Message))
	}
	return p.mobileRefused(w, r, f, mobilePage{}, "", err, change.NewNumber, change.ConfirmNew)
}

// answer is the slider's answer as the page posts it: x, the piece's left
// edge, and either the drag trail as JSON [[ms, x, y], …] or, when the
// keyboard moved it, the keys as [[ms, x], …], in the picture's pixels.
type answer struct {
	x     int
	trail []captcha.Point
	keys  []captcha.Key
}

// readAnswer reads the slider's answer.
func readAnswer(r *http.Request) (answer, bool) {
	x, err := strconv.Atoi(r.PostFormValue("x"))
	if err != nil {
		return answer{}, false
	}
	if raw := r.PostFormValue("keys"); raw != "" {
		var keys [][2]int
		if len(raw) > 64<<10 || json.Unmarshal([]byte(raw), &keys) != nil {
			return answer{}, false
		}
		a := answer{x: x, keys: make([]captcha.Key, len(keys))}
		for i, k := range keys {
			a.keys[i] = captcha.Key{T: k[0], X: k[1]}
		}
		return a, true
	}
	raw := r.PostFormValue("trail")
	var samples [][3]int
	if raw == "" || len(raw) > 64<<10 || json.Unmarshal([]byte(raw), &samples) != nil {
		return answer{}, false
	}
	a := answer{x: x, trail: make([]captcha.Point, len(samples))}
	for i, s := range samples {
		a.trail[i] = captcha.Point{T: s[0], X: s[1], Y: s[2]}
	}
	return a, true
}
