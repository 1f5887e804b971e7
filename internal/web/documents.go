package web

import (
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/httphtml"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/upload"
)

// The documents step of a reset (SPEC §3.2 step 4): GET
// /reset-mobile/documents shows what the account's class must send, with a
// form that works alone (one multipart post of the pictures and the typed
// transactions to /reset-mobile/documents/submit) and that the page's
// script (static/documents.js) turns into one upload per picture, as it is
// picked, to /reset-mobile/documents/files. Pictures go one way: the server
// never sends one back to the user, so previews are made in the page.

// documentsPage is what the documents template receives.
type documentsPage struct {
	resetPage
	Docs  reset.Documents
	Items []documentItem
	// Rows are the form's transaction rows: what was typed, then empty
	// ones for a browser without the script (which adds rows itself).
	Rows            []txRow
	MaxTransactions int
	MaxMB           int64
	MinSide         int
}

// documentItem is one kind of picture the class sends, with the pictures
// uploaded so far.
type documentItem struct {
	evidence.Item
	kindText
	Files []evidence.File
}

// kindText is how the page names a kind of picture.
type kindText struct {
	Title string // the item's heading
	Noun  string // one picture of it, for "add 1 more …"
	Hint  string
}

func (p *Pages) kindTexts() map[evidence.Kind]kindText {
	return map[evidence.Kind]kindText{
		evidence.SelfieWithStatement: {"Selfie with your ID and the statement", "selfie with your ID and the statement",
			"One photo of you holding your ID document and the handwritten statement; send up to two more if one does not show everything."},
		evidence.EmailScreenshot: {"Screenshots of " + p.Brand + " emails", "email screenshot",
			"Each screenshot shows one opened email: your email address and the text of the message."},
		evidence.TransactionScreenshot: {"Transaction screenshots from the other side", "transaction screenshot",
			"From the app or site that sent your deposit, or received your withdrawal: coin, amount, address and TXID in view."},
	}
}

// txRow is one typed transaction of the form; Bad names the field the
// server refused, if any.
type txRow struct {
	Number             int
	TXID, Coin, Amount string
	Bad                string
}

// blankRows is how many rows a page without the script offers.
const blankRows = 3

// resetDocuments shows the documents step.
func (p *Pages) resetDocuments(w http.ResponseWriter, r *http.Request) error {
	id, ok := p.resetFlowID(w, r)
	if !ok {
		return nil
	}
	return p.renderDocuments(w, r, id, http.StatusOK, nil, "")
}

// renderDocuments shows the documents step with the rows typed and msg;
// a reset elsewhere (under review, finished, gone) goes to its own page.
func (p *Pages) renderDocuments(w http.ResponseWriter, r *http.Request, id string, status int, rows []txRow, msg string) error {
	v, err := p.Reset.Status(r.Context(), id)
	if apperr.Is(err, apperr.NotFound) || (err == nil && v.State != reset.MethodRequired) {
		return httphtml.Redirect(w, r, "/reset-mobile")
	}
	if err != nil {
		return err
	}
	docs, err := p.Reset.Documents(r.Context(), id)
	if err != nil {
		return err
	}
	v.ExpiresAt = docs.ExpiresAt // asking for the documents keeps the reset open longer
	p.site.SetCookie(w, p.resetCookie(), id, docs.ExpiresAt.Sub(p.Clock.Now()))
	d := documentsPage{resetPage: p.resetData(v), Docs: docs, MaxTransactions: evidence.MaxTransactions,
		MaxMB: p.uploadLimits().MaxFileBytes >> 20, MinSide: evidence.MinSide}
	texts := p.kindTexts()
	for _, it := range docs.Items {
		item := documentItem{Item: it, kindText: texts[it.Kind]}
		for _, f := range docs.Files {
			if f.Kind == it.Kind {
				item.Files = append(item.Files, f)
			}
		}
		d.Items = append(d.Items, item)
	}
	if docs.Transactions {
		d.Rows = formRows(rows)
	}
	return p.site.Render(w, r, status, "reset_mobile_documents", resetTitle, d, msg)
}

// formRows is the typed rows followed by blank ones, numbered, within
// MaxTransactions.
func formRows(typed []txRow) []txRow {
	var rows []txRow
	for _, t := range typed {
		if t.TXID+t.Coin+t.Amount != "" && len(rows) < evidence.MaxTransactions {
			rows = append(rows, t)
		}
	}
	for want := min(len(rows)+blankRows, evidence.MaxTransactions); len(rows) < want; {
		rows = append(rows, txRow{})
	}
	for i := range rows {
		rows[i].Number = i + 1
	}
	return rows
}

// documentsUpload takes one picture from the page's script: a csrf part,
// then one part named by its kind. It answers JSON: 201 {"id", "kind"},
// or the error object with its message in words for the page to show.
func (p *Pages) documentsUpload(w http.ResponseWriter, r *http.Request, parts *multipart.Reader) error {
	file, err := p.uploadOne(r, parts)
	if err != nil {
		e := apperr.As(err)
		httpjson.Adapter{Log: p.Log}.WriteError(w, r, &apperr.Error{Code: e.Code, Message: pictureWords(e), Fields: e.Fields, Err: e.Err})
		return nil
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"id": file.ID, "kind": file.Kind})
	return nil
}

func (p *Pages) uploadOne(r *http.Request, parts *multipart.Reader) (evidence.File, error) {
	id := httphtml.Cookie(r, p.resetCookie())
	if id == "" {
		return evidence.File{}, apperr.New(apperr.NotFound, "no reset in this browser")
	}
	part, err := parts.NextPart()
	if err != nil || !isKind(part.FormName()) {
		return evidence.File{}, apperr.New(apperr.InvalidRequest, "send one picture, in a part named by its kind")
	}
	data, err := upload.ReadLimited(part, p.uploadLimits().MaxFileBytes)
	if err != nil {
		return evidence.File{}, err
	}
	if _, err := parts.NextPart(); err == nil {
		return evidence.File{}, apperr.New(apperr.InvalidRequest, "send one picture at a time")
	}
	return p.Reset.Upload(r.Context(), id, reset.Picture{Kind: evidence.Kind(part.FormName()), Data: data})
}

// uploadLimits are the service's limits on pictures; a route table built
// without a service (a test listing the routes) gets SPEC's.
func (p *Pages) uploadLimits() upload.Limits {
	if p.Reset == nil || p.Reset.Uploads == nil {
		return upload.Default
	}
	return p.Reset.Uploads.Limits()
}

// uploadBound is the body bound of one picture's upload.
func (p *Pages) uploadBound() int64 {
	return upload.Limits{MaxFiles: 1, MaxFileBytes: p.uploadLimits().MaxFileBytes}.MaxBodyBytes()
}

func isKind(name string) bool {
	switch evidence.Kind(name) {
	case evidence.SelfieWithStatement, evidence.EmailScreenshot, evidence.TransactionScreenshot:
		return true
	}
	return false
}

// pictureWords says why a picture was refused, for people: "not a photo",
// "too large", "too small to read", or the service's own sentence.
func pictureWords(e *apperr.Error) string {
	switch e.Code {
	case apperr.UnsupportedMedia:
		return "Not a photo: " + clause(e.Message)
	case apperr.FileTooLarge:
		if strings.HasPrefix(e.Message, "at most") { // a count, not a size
			return httphtml.Sentence(e.Message)
		}
		return "Too large: " + clause(e.Message)
	case apperr.NotFound, apperr.WrongState, apperr.FlowExpired:
		return "This reset no longer takes pictures. Reload the page to see where it stands."
	case apperr.Internal:
		return "Something went wrong on our side. Try again."
	}
	return httphtml.Sentence(e.Message)
}

// clause ends the service's message as the end of a sentence.
func clause(msg string) string {
	return strings.TrimSuffix(msg, ".") + "."
}

// documentsRemove removes an uploaded picture: for the script, 204 (or
// the error object); for a form, back to the documents page.
func (p *Pages) documentsRemove(w http.ResponseWriter, r *http.Request) error {
	rerr := error(apperr.New(apperr.NotFound, "no reset in this browser"))
	if id := httphtml.Cookie(r, p.resetCookie()); id != "" {
		rerr = p.Reset.RemoveFile(r.Context(), id, r.PathValue("id"))
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		if rerr != nil {
			e := apperr.As(rerr)
			words := pictureWords(e)
			if e.Code == apperr.NotFound {
				words = "This picture is no longer here."
			}
			httpjson.Adapter{Log: p.Log}.WriteError(w, r, &apperr.Error{Code: e.Code, Message: words, Err: e.Err})
			return nil
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	switch {
	case apperr.Is(rerr, apperr.FlowExpired):
		return p.resetRefused(w, r, reset.MethodRequired, rerr)
	case rerr != nil && !apperr.Is(rerr, apperr.NotFound) && !apperr.Is(rerr, apperr.WrongState):
		return rerr
	}
	return httphtml.Redirect(w, r, "/reset-mobile/documents")
}
