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
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/flow/change"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/phone"
)

// The new number: [Country code] and [Mobile number], checked as typed
// (GET /settings/mobile/check) and on submit, then the slider puzzle,
// whose solution lets change.Service send the SMS code to the number.

// checkNumber says what is wrong with a new number, or returns it.
func (p *Pages) checkNumber(acc account.Account, region, number string) (phone.Number, string) {
	if strings.TrimSpace(region) == "" {
		return phone.Number{}, "Choose the country code of the new number."
	}
	n, err := change.ParseNumber(region, number)
	switch {
	case err != nil:
		return phone.Number{}, sentence(apperr.As(err).Message)
	case n.E164() == acc.Mobile:
		return phone.Number{}, "This is the number bound to your account now. Enter a new one."
	case !p.Change.Codes.SMSAllowed(n.Region()):
		return phone.Number{}, "We cannot send SMS to numbers of " + phone.CountryName(n.Region()) + " yet."
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
	region, e164, _ = strings.Cut(p.cookie(r, p.numberCookie()), ":")
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
	return p.render(w, r, status, "mobile_number", p.mobileTitle(d.Bind), d, msg)
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
		return redirect(w, r, "/settings/mobile")
	}
	region, number := strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))), r.PostFormValue("number")
	n, msg := p.checkNumber(f.acc, region, number)
	if msg != "" {
		d := mobilePage{page: "number", Region: region, Number: number, NumberError: msg}
		return p.mobileShow(w, r, f, http.StatusBadRequest, d, "")
	}
	p.setCookie(w, p.numberCookie(), region+":"+n.E164(), change.Lifetime)
	return redirect(w, r, "/settings/mobile/puzzle")
}

// puzzleView is a challenge as the puzzle template shows it.
type puzzleView struct {
	ID                    string
	Background, Piece     template.URL
	PieceY, Width, Height int
}

// renderPuzzle draws a new puzzle bound to the flow and the number kept,
// and shows it. Drawing costs CPU, so an address may ask for only so many,
// counted with the API's puzzles.
func (p *Pages) renderPuzzle(w http.ResponseWriter, r *http.Request, f mobileFlow, status int, d mobilePage, msg string) error {
	region, e164, ok := p.newNumberOf(r)
	if !ok {
		return p.renderNumber(w, r, status, f.acc, d, msg)
	}
	if err := p.Limiter.Take(r.Context(), p.DB, "ip:"+client.From(r.Context()).IP, captcha.PerIP); err != nil {
		if apperr.Is(err, apperr.RateLimited) {
			d.Region, d.Number = region, e164
			return p.renderNumber(w, r, apperr.As(err).Code.Status(), f.acc, d, waitMessage("Too many puzzles were asked for.", apperr.As(err)))
		}
		return err
	}
	ch, err := p.Captcha.New(r.Context(), captcha.Binding{FlowID: f.id, Number: e164})
	if err != nil {
		return err
	}
	// The images are our own data: URLs, which html/template would refuse.
	if !strings.HasPrefix(ch.Background, "data:image/") || !strings.HasPrefix(ch.Piece, "data:image/") {
		return fmt.Errorf("web: the puzzle's images are not data: images")
	}
	d.Puzzle = puzzleView{ID: ch.ID, Background: template.URL(ch.Background), Piece: template.URL(ch.Piece),
		PieceY: ch.PieceY, Width: ch.Width, Height: ch.Height}
	d.NewNumber = account.MaskMobile(e164)
	return p.render(w, r, status, "mobile_puzzle", p.mobileTitle(d.Bind), d, msg)
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

// mobilePuzzle judges the slider's answer and, solved, has the SMS code
// sent to the new number. A failed puzzle is replaced by a new one.
func (p *Pages) mobilePuzzle(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.mobileFlowOf(w, r)
	if !ok {
		return nil
	}
	region, e164, ok := p.newNumberOf(r)
	if !ok {
		return redirect(w, r, "/settings/mobile/number")
	}
	again := mobilePage{page: "puzzle"}
	x, trail, ok := readAnswer(r)
	if !ok {
		return p.mobileShow(w, r, f, http.StatusUnprocessableEntity, again, "Drag the slider until the piece fits the gap.")
	}
	tok, err := p.Captcha.Solve(r.Context(), r.PostFormValue("captcha"), x, trail)
	if err == nil {
		_, err = p.Change.NewNumber(r.Context(), f.caller, f.kind, f.id, region, e164, tok)
	}
	switch e := apperr.As(err); {
	case err == nil:
		return redirect(w, r, "/settings/mobile")
	case e.Code == apperr.CaptchaInvalid || (e.Code == apperr.InvalidRequest && tok == ""):
		return p.mobileShow(w, r, f, http.StatusUnprocessableEntity, again, notSolved)
	case e.Code == apperr.InvalidMobile || e.Code == apperr.MobileUnavailable || e.Code == apperr.InvalidRequest:
		d := mobilePage{page: "number", Region: region, Number: e164}
		return p.mobileRefused(w, r, f, d, "number", err, change.NewNumber, change.ConfirmNew)
	}
	return p.mobileRefused(w, r, f, mobilePage{}, "", err, change.NewNumber, change.ConfirmNew)
}

// readAnswer reads the slider's answer: x, the piece's left edge, and the
// drag trail as JSON [[ms, x, y], …], all in the picture's pixels.
func readAnswer(r *http.Request) (int, []captcha.Point, bool) {
	x, err := strconv.Atoi(r.PostFormValue("x"))
	raw := r.PostFormValue("trail")
	if err != nil || raw == "" || len(raw) > 64<<10 {
		return 0, nil, false
	}
	var samples [][3]int
	if err := json.Unmarshal([]byte(raw), &samples); err != nil {
		return 0, nil, false
	}
	trail := make([]captcha.Point, len(samples))
	for i, s := range samples {
		trail[i] = captcha.Point{T: s[0], X: s[1], Y: s[2]}
	}
	return x, trail, true
}
