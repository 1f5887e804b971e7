package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/upload"
)

// submission is the documents form as posted: the pictures in it (none
// when the script uploaded them already) and the typed rows.
type submission struct {
	pics  []reset.Picture
	names []string // each picture's file name, for messages
	rows  []txRow
}

// Bounds of a typed field and of the rows a form may send (the page
// offers at most MaxTransactions).
const (
	maxField = 200
	maxRows  = 2 * evidence.MaxTransactions
)

// readSubmission reads the form's parts in order, each picture within the
// size limit, before any is checked; a file input left empty is skipped.
func (p *Pages) readSubmission(parts *multipart.Reader) (submission, error) {
	limits := p.uploadLimits()
	var sub submission
	columns := map[string][]string{}
	for {
		part, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sub, readError(err)
		}
		name := part.FormName()
		switch name {
		case "txid", "coin", "amount":
			v, err := readField(part)
			if err != nil {
				return sub, err
			}
			if columns[name] = append(columns[name], v); len(columns[name]) > maxRows {
				return sub, apperr.New(apperr.InvalidRequest, fmt.Sprintf("at most %d transactions can be typed", evidence.MaxTransactions))
			}
			continue
		}
		if !isKind(name) {
			return sub, apperr.New(apperr.InvalidRequest, "this form holds a field that it should not; reload the page and try again")
		}
		data, err := upload.ReadLimited(part, limits.MaxFileBytes)
		if err != nil {
			return sub, apperr.As(err).With("part", len(sub.pics))
		}
		if len(data) == 0 && part.FileName() == "" {
			continue
		}
		if err := limits.CheckCount(len(sub.pics) + 1); err != nil {
			return sub, err
		}
		sub.pics = append(sub.pics, reset.Picture{Kind: evidence.Kind(name), Data: data})
		sub.names = append(sub.names, fileName(part.FileName()))
	}
	sub.rows = zipRows(columns)
	return sub, nil
}

// readField reads one typed field within maxField bytes of text.
func readField(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxField+1))
	switch {
	case err != nil:
		return "", readError(err)
	case len(b) > maxField:
		return "", apperr.New(apperr.InvalidRequest, fmt.Sprintf("the %s is too long", part.FormName()))
	case !httpjson.ValidText(string(b)):
		return "", apperr.New(apperr.InvalidRequest, fmt.Sprintf("field %q holds a NUL character or bytes that are not UTF-8", part.FormName()))
	}
	return strings.TrimSpace(string(b)), nil
}

func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apperr.New(apperr.FileTooLarge, "these pictures are too large to send together; send fewer at once")
	}
	return apperr.Wrap(apperr.InvalidRequest, "the form could not be read; reload the page and try again", err)
}

// fileName is a picked file's name as the page may repeat it: printable,
// short.
func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1 // controls and bidirectional overrides
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if utf8.RuneCountInString(name) > 60 {
		name = string([]rune(name)[:57]) + "…"
	}
	return name
}

// zipRows pairs the columns of the transaction rows, in order.
func zipRows(columns map[string][]string) []txRow {
	n := max(len(columns["txid"]), len(columns["coin"]), len(columns["amount"]))
	rows := make([]txRow, n)
	at := func(col string, i int) string {
		if i < len(columns[col]) {
			return columns[col][i]
		}
		return ""
	}
	for i := range rows {
		rows[i] = txRow{TXID: at("txid", i), Coin: at("coin", i), Amount: at("amount", i)}
	}
	return rows
}

// transactions returns the rows that hold anything, as typed, and the
// index of each one's row.
func transactions(rows []txRow) ([]evidence.Transaction, []int) {
	var txs []evidence.Transaction
	var at []int
	for i, r := range rows {
		if r.TXID+r.Coin+r.Amount != "" {
			txs = append(txs, evidence.Transaction{TXID: r.TXID, Coin: r.Coin, Amount: r.Amount})
			at = append(at, i)
		}
	}
	return txs, at
}

// documentsSubmit sends the application: the pictures in the post (a
// browser without the script) and those uploaded before, and the typed
// transactions. The browser keeps its reset until the review's deadline,
// so coming back shows the application under review.
func (p *Pages) documentsSubmit(w http.ResponseWriter, r *http.Request, parts *multipart.Reader) error {
	id, ok := p.resetFlowID(w, r)
	if !ok {
		return nil
	}
	sub, err := p.readSubmission(parts)
	var sent reset.Submitted
	if err == nil {
		txs, _ := transactions(sub.rows)
		sent, err = p.Reset.Submit(r.Context(), id, sub.pics, txs)
	}
	if err != nil {
		return p.submitRefused(w, r, id, sub, err)
	}
	p.site.SetCookie(w, p.resetCookie(), id, sent.Application.Deadline.Sub(p.Clock.Now()))
	return httphtml.Redirect(w, r, "/reset-mobile")
}

// submitRefused shows the documents page again with what was typed and
// why the application was refused, in words; a reset that has moved on
// goes to its own page.
func (p *Pages) submitRefused(w http.ResponseWriter, r *http.Request, id string, sub submission, err error) error {
	e := apperr.As(err)
	switch e.Code {
	case apperr.FlowExpired, apperr.NotFound:
		return p.resetRefused(w, r, reset.MethodRequired, err)
	case apperr.WrongState:
		return httphtml.Redirect(w, r, "/reset-mobile")
	case apperr.Internal, apperr.Unavailable:
		return err
	}
	msg := pictureWords(e)
	field, _ := e.Fields["field"].(string)
	if i, ok := e.Fields["part"].(int); ok && i < len(sub.names) {
		msg = fmt.Sprintf("The picture %q was not accepted. %s Nothing was sent: choose the pictures again.", sub.names[i], msg)
	} else if n := atLeast(e.Message); isKind(field) && n > 0 {
		msg = fmt.Sprintf("Add at least %d %s%s.", n, p.kindTexts()[evidence.Kind(field)].Noun, map[bool]string{true: "s"}[n > 1])
	}
	var row int
	var col string
	if n, _ := fmt.Sscanf(strings.NewReplacer("[", " ", "].", " ").Replace(field), "transactions %d %s", &row, &col); n == 2 {
		_, at := transactions(sub.rows)
		if row < len(at) {
			sub.rows[at[row]].Bad = col
			// Shown again, the rows that hold anything come first, in order.
			msg = fmt.Sprintf("Transaction %d: %s", row+1, fieldWords[col])
		}
	}
	return p.renderDocuments(w, r, id, e.Code.Status(), sub.rows, msg)
}

// atLeast reads the number of the service's "at least N … needed".
func atLeast(msg string) int {
	var n int
	fmt.Sscanf(msg, "at least %d", &n)
	return n
}

// fieldWords say what a typed transaction's field should be.
var fieldWords = map[string]string{
	"txid":   "the TXID should be 8 to 128 letters and digits (':', '_' and '-' allowed), copied from the screenshot.",
	"coin":   "the coin should be its symbol, such as USDT or BTC.",
	"amount": "the amount should be a number above zero, such as 25 or 0.015.",
}
