package httphtml

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/httpjson"
)

// PartsHandler handles a form post that sends files: parts is the body's
// multipart reader, past the form token.
type PartsHandler func(w http.ResponseWriter, r *http.Request, parts *multipart.Reader) error

// WrapParts returns h as an http.Handler for a form that sends files
// (enctype multipart/form-data). The body is bounded to max bytes and read
// as a stream by h, part by part, never parsed into memory or temporary
// files as ParseMultipartForm would. The form's first part must be its
// csrf field (browsers send parts in the order of the form's fields): it
// is checked before anything else is read, so a forged post costs one
// small part. A post that is not multipart passes Wrap's checks and is
// then refused. Errors are rendered as the error page.
func (s *Site) WrapParts(max int64, h PartsHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts, err := s.checkParts(w, r, max)
		if err == nil {
			err = h(w, r, parts)
		}
		if err != nil {
			s.ErrorPage(w, r, err)
		}
	})
}

// maxToken bounds the form token part; a real one is 43 characters.
const maxToken = 256

func (s *Site) checkParts(w http.ResponseWriter, r *http.Request, max int64) (*multipart.Reader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		if err := s.check(w, r); err != nil {
			return nil, err
		}
		return nil, apperr.New(apperr.InvalidRequest, "This form sends files and could not be read. Go back, reload the page and try again.")
	}
	if err := httpjson.CheckText(r); err != nil {
		return nil, err
	}
	expired := apperr.New(apperr.Forbidden, "This form has expired. Go back, reload the page and try again.")
	parts, err := r.MultipartReader()
	if err != nil {
		return nil, apperr.Wrap(apperr.InvalidRequest, "This form could not be read. Go back, reload the page and try again.", err)
	}
	first, err := parts.NextPart()
	if err != nil || first.FormName() != "csrf" || first.FileName() != "" {
		return nil, expired
	}
	tok, err := io.ReadAll(io.LimitReader(first, maxToken+1))
	if err != nil || len(tok) > maxToken || !s.validToken(r, string(tok)) {
		return nil, expired
	}
	return parts, nil
}
