// Package httphtml is the HTML side of rebind's HTTP surfaces, the twin of
// httpjson: handlers that return an error, pages parsed from a set of
// templates around one layout, rendering, the error page, the signed form
// token every state-changing form carries, and cookies that a Secure site
// pins to its host. A surface (the user pages, the staff console) brings
// its own templates, handlers and route table.
package httphtml

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/httpjson"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
)

// Handler is a page handler that returns its error.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Site is one surface's pages: its templates, its form token key and its
// cookies.
type Site struct {
	Templates *Templates
	Log       *slog.Logger
	// CSRFKeys sign the form tokens: the current key signs, any accepted
	// key verifies (a page served before a rotation still posts).
	CSRFKeys keys.Set
	// Secure means https: cookies get Secure and the __Host- prefix.
	Secure bool
	// CookiePrefix starts every cookie name ("rebind_"). Cookies do not
	// tell ports apart, so two surfaces on one host need two prefixes.
	CookiePrefix string
	// MaxForm bounds the body of a form post (DefaultMaxForm when 0);
	// past it the post is refused before its fields are read.
	MaxForm int64
	// View returns what a page's template receives, given the kit's part;
	// nil gives the templates the View itself. A surface embeds View in a
	// struct of its own to add what its layout shows (who is signed in).
	View func(r *http.Request, v View) any
}

// DefaultMaxForm is the largest form post a page takes: its fields are
// short, so 64 KiB is far more than any needs. (A form that sends files
// goes through WrapParts, with its own bound.)
const DefaultMaxForm = 64 << 10

// Wrap returns h as an http.Handler. It bounds every form post's body,
// checks the form token of every state-changing request, refuses a form,
// query or address holding a NUL or invalid UTF-8 (which no field takes,
// and PostgreSQL cannot store), and renders a returned error as the
// error page.
func (s *Site) Wrap(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := s.check(w, r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.ErrorPage(w, r, err)
		}
	})
}

// check is what every request passes before its handler runs.
func (s *Site) check(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodPost {
		if err := s.readForm(w, r); err != nil {
			return err
		}
		if !s.ValidCSRF(r) {
			return apperr.New(apperr.Forbidden, "This form has expired. Go back, reload the page and try again.")
		}
	}
	return httpjson.CheckText(r)
}

// readForm reads a post's form within MaxForm bytes.
func (s *Site) readForm(w http.ResponseWriter, r *http.Request) error {
	limit := s.MaxForm
	if limit <= 0 {
		limit = DefaultMaxForm
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apperr.New(apperr.FileTooLarge, "This form is too large to send. Go back and shorten what you typed.")
	}
	if err != nil {
		return apperr.New(apperr.InvalidRequest, "This form could not be read. Go back, reload the page and try again.")
	}
	return nil
}

// Refusal answers every request with err as an error page, for refusals
// made before a page's handler runs (a cross-site form post).
func (s *Site) Refusal(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.ErrorPage(w, r, err) })
}

// ErrorPage renders err with the "error" template, with the status of its
// code. Unclassified errors are 500 with no detail; their cause goes to
// the log only. A client that went away gets no page (see
// httpjson.WriteError).
func (s *Site) ErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	if httpjson.ClientGone(r) {
		s.Log.Info("client closed request", "request_id", client.From(r.Context()).RequestID, "err", err)
		w.WriteHeader(httpjson.StatusClientClosed)
		return
	}
	e := apperr.As(store.Classify(err))
	switch {
	case errors.Is(err, apperr.ErrShed): // see httpjson.WriteError
		s.Log.Warn("page shed", "request_id", client.From(r.Context()).RequestID, "err", err)
	case e.Code.Status() >= 500:
		s.Log.Error("page failed", "request_id", client.From(r.Context()).RequestID, "err", err)
	}
	if rerr := s.Render(w, r, e.Code.Status(), "error", "Something went wrong", nil, e.Message); rerr != nil {
		s.Log.Error("render error page", "err", rerr)
	}
}

// Redirect sends the browser to path with 303 See Other, so a form's POST
// becomes a GET of the next page.
func Redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// Sentence writes an error message as a sentence for a page: the API's
// messages start in lower case and have no full stop.
func Sentence(msg string) string {
	if msg == "" {
		return ""
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return msg
}
