package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/upload"
)

// accepts is what the upload pipeline takes, by content (SPEC §4, WebP
// optional and accepted).
var accepts = []string{"image/jpeg", "image/png", "image/webp"}

// kinds are the part names of pictures; which of them an account sends is
// the reset's to say.
var kinds = map[string]evidence.Kind{
	string(evidence.SelfieWithStatement):   evidence.SelfieWithStatement,
	string(evidence.EmailScreenshot):       evidence.EmailScreenshot,
	string(evidence.TransactionScreenshot): evidence.TransactionScreenshot,
}

// transactionsPart names the optional JSON part of a submission.
const transactionsPart = "transactions"

// onePartSlack is room beside one file for its multipart framing.
const onePartSlack = 64 << 10

func fileView(f evidence.File) map[string]any {
	return map[string]any{"id": f.ID, "kind": f.Kind, "width": f.Width, "height": f.Height}
}

// applicationView is an application as its user sees it.
func (a *API) applicationView(app evidence.Application) map[string]any {
	out := map[string]any{"id": app.ID, "state": app.Shown(a.Clock.Now()), "submitted_at": app.SubmittedAt,
		"deadline": app.Deadline, "reason": nil, "reason_text": nil, "ended_at": nil}
	if app.Reason != "" {
		out["reason"], out["reason_text"] = app.Reason, evidence.Reasons[app.Reason]
	}
	if !app.EndedAt.IsZero() {
		out["ended_at"] = app.EndedAt
	}
	return out
}

func (a *API) documents(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Reset.Documents(r.Context(), r.PathValue("flow_id"))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(d.Items))
	for i, it := range d.Items {
		items[i] = map[string]any{"kind": it.Kind, "min": it.Min, "max": it.Max, "accepts": accepts}
	}
	files := make([]map[string]any, len(d.Files))
	for i, f := range d.Files {
		files[i] = fileView(f)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"class": d.Class, "statement_phrase": d.StatementPhrase,
		"application_date": d.ApplicationDate, "reference_code": d.ReferenceCode, "items": items,
		"transactions_required": d.Transactions, "files": files, "review_time": d.ReviewTime, "max_files": d.MaxFiles})
	return nil
}

// submitDocuments sends the application: the pictures in the request, those
// uploaded before through uploadFile, and the typed transactions.
func (a *API) submitDocuments(w http.ResponseWriter, r *http.Request) error {
	l := upload.Default
	form, err := readUpload(w, r, l.MaxBodyBytes(), l.MaxFiles, true)
	if err != nil {
		return err
	}
	sub, err := a.Reset.Submit(r.Context(), r.PathValue("flow_id"), form.pics, form.txs)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"application_id": sub.Application.ID,
		"state": sub.Application.State, "status_url": sub.StatusLink})
	return nil
}

// uploadFile stores one picture ahead of the submission, so a page or an
// app can send pictures one at a time and show each as it is accepted.
func (a *API) uploadFile(w http.ResponseWriter, r *http.Request) error {
	form, err := readUpload(w, r, upload.Default.MaxFileBytes+onePartSlack, 1, false)
	if err != nil {
		return err
	}
	if len(form.pics) == 0 {
		return apperr.New(apperr.InvalidRequest, "send one picture, in a part named by its kind")
	}
	f, err := a.Reset.Upload(r.Context(), r.PathValue("flow_id"), form.pics[0])
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, fileView(f))
	return nil
}

func (a *API) removeFile(w http.ResponseWriter, r *http.Request) error {
	if err := a.Reset.RemoveFile(r.Context(), r.PathValue("flow_id"), r.PathValue("file_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) applicationStatus(w http.ResponseWriter, r *http.Request) error {
	app, err := a.Reset.ApplicationStatus(r.Context(), r.PathValue("secret"))
	if err != nil {
		return err
	}
	out := a.applicationView(app)
	out["class"], out["reference_code"] = app.Class, app.ReferenceCode
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

// uploadForm is what a multipart upload carried.
type uploadForm struct {
	pics []reset.Picture
	txs  []evidence.Transaction
}

// readUpload reads a multipart/form-data body part by part, never more
// than maxBody bytes in all (so nothing is spooled to memory or disk beyond
// the pictures themselves): pictures in parts named by their kind, each
// at most MaxFileBytes and at most maxFiles of them, and, when withTxs,
// one "transactions" part. Any other part is refused, naming it.
func readUpload(w http.ResponseWriter, r *http.Request, maxBody int64, maxFiles int, withTxs bool) (uploadForm, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return uploadForm{}, apperr.New(apperr.InvalidRequest, "the body must be multipart/form-data")
	}
	var form uploadForm
	sawTxs := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return uploadForm{}, partError(err)
		}
		name := part.FormName()
		switch kind, ok := kinds[name]; {
		case ok:
			if len(form.pics) == maxFiles {
				return uploadForm{}, tooMany(maxFiles)
			}
			data, err := upload.ReadLimited(part, upload.Default.MaxFileBytes)
			if err != nil {
				return uploadForm{}, apperr.As(err).With("field", name)
			}
			form.pics = append(form.pics, reset.Picture{Kind: kind, Data: data})
		case name == transactionsPart && withTxs:
			if sawTxs {
				return uploadForm{}, apperr.New(apperr.InvalidRequest, "send the transactions in one part").With("field", name)
			}
			sawTxs = true
			if form.txs, err = readTransactions(part); err != nil {
				return uploadForm{}, err
			}
		default:
			return uploadForm{}, unknownPart(name, withTxs)
		}
	}
}

func tooMany(n int) error {
	if n == 1 {
		return apperr.New(apperr.InvalidRequest, "send exactly one picture per request")
	}
	return upload.Default.CheckCount(n + 1)
}

// partError classifies a failure to read the multipart framing: past the
// body's bound it is file_too_large, otherwise a broken request.
func partError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return apperr.New(apperr.FileTooLarge, "the upload is larger than the pictures it may carry")
	}
	return apperr.Wrap(apperr.InvalidRequest, "the multipart body could not be read", err)
}

// unknownPart refuses a part by its name, which is echoed only when it is
// short, readable text.
func unknownPart(name string, withTxs bool) error {
	if !httpjson.ValidText(name) || utf8.RuneCountInString(name) > 64 {
		name = "(unreadable)"
	}
	msg := "unknown part \"" + name + "\": pictures go in parts named selfie_with_statement, email_screenshot or transaction_screenshot"
	if withTxs {
		msg += ", typed transactions in one part named transactions"
	}
	return apperr.New(apperr.InvalidRequest, msg).With("field", name)
}

// readTransactions decodes the transactions part strictly, as the JSON
// bodies are: a list of {txid, coin, amount}, nothing else.
func readTransactions(p *multipart.Part) ([]evidence.Transaction, error) {
	bad := func(msg string) error {
		return apperr.New(apperr.InvalidRequest, msg).With("field", transactionsPart)
	}
	data, err := io.ReadAll(io.LimitReader(p, httpjson.MaxBody+1))
	switch {
	case err != nil:
		return nil, partError(err)
	case len(data) > httpjson.MaxBody:
		return nil, bad("the transactions part is larger than 64 KiB")
	case !httpjson.ValidText(string(data)):
		return nil, bad("the transactions part holds a NUL character or bytes that are not UTF-8")
	}
	var in []struct {
		TXID   string `json:"txid"`
		Coin   string `json:"coin"`
		Amount string `json:"amount"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, bad(`transactions must be a JSON list of {"txid", "coin", "amount"}, each a string`)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("the transactions part must hold one JSON list")
	}
	out := make([]evidence.Transaction, len(in))
	for i, t := range in {
		out[i] = evidence.Transaction{TXID: t.TXID, Coin: t.Coin, Amount: t.Amount}
	}
	return out, nil
}
