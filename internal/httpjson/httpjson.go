// Package httpjson is the JSON side of rebind's HTTP surfaces: handlers
// that return an error, strict request decoding (SPEC §5: unknown fields,
// wrong types, bodies over 64 KiB, NUL bytes and invalid UTF-8 are
// invalid_request), and the one error shape {"error":{"code","message",…}}.
package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/store"
)

// MaxBody is the largest JSON body accepted.
const MaxBody = 64 << 10

// Handler is an HTTP handler that returns its error instead of writing it.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Mux is what a route table registers on: an *http.ServeMux, or a recorder
// in tests that need the list of routes.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Adapter turns Handlers into http.Handlers, writing their errors as JSON
// and logging the causes of internal ones.
type Adapter struct {
	Log *slog.Logger
}

// Wrap returns h as an http.Handler. A path or query that holds a NUL byte
// or invalid UTF-8 is refused before h runs (CheckText).
func (a Adapter) Wrap(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := CheckText(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			a.WriteError(w, r, err)
		}
	})
}

// StatusClientClosed is the status logged and counted for a request whose
// client went away before the answer (nginx's 499): not a server failure,
// so it neither logs an error nor counts as a 5xx.
const StatusClientClosed = 499

// ClientGone reports whether r's client went away: its context was
// cancelled while the handler ran. (The server cancels it when the
// connection closes or the HTTP/2 stream is reset; a handler's own
// deadline ends a derived context, not this one.)
func ClientGone(r *http.Request) bool { return errors.Is(r.Context().Err(), context.Canceled) }

// WriteError writes err as the contract's error object. Unclassified errors
// are 500 with no detail; their cause goes to the log only. When the client
// has gone away, whatever failed failed because of that: the answer is
// StatusClientClosed, logged at info.
func (a Adapter) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if ClientGone(r) {
		a.Log.Info("client closed request", "request_id", client.From(r.Context()).RequestID, "err", err)
		w.WriteHeader(StatusClientClosed)
		return
	}
	e := apperr.As(store.Classify(err))
	status := e.Code.Status()
	switch {
	case errors.Is(err, apperr.ErrShed):
		// Shedding is the designed answer to a burst, counted by its own
		// metrics: a warning, not a page per refused request.
		a.Log.Warn("request shed", "request_id", client.From(r.Context()).RequestID, "err", err)
	case status >= 500:
		a.Log.Error("request failed", "request_id", client.From(r.Context()).RequestID, "code", e.Code, "err", err)
	}
	if ra := apperr.RetryAfter(e); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	body := make(map[string]any, len(e.Fields)+2)
	for k, v := range e.Fields {
		body[k] = v
	}
	body["code"] = string(e.Code)
	body["message"] = e.Message
	Write(w, status, map[string]any{"error": body})
}

// Write writes v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(true)
		enc.Encode(v)
	}
}

// Decode reads a JSON object body into dst strictly: the content type must
// be JSON, the body at most MaxBody and valid UTF-8, no unknown fields, no
// wrong types, no NUL in any string, nothing after the object.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apperr.New(apperr.InvalidRequest, "the body must be JSON (Content-Type: application/json)")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return apperr.Wrap(apperr.InvalidRequest, describe(err), err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD: a changed
	// value is refused rather than stored.
	if !utf8.Valid(body) {
		return badText("the body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return apperr.Wrap(apperr.InvalidRequest, describe(err), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.InvalidRequest, "the body must hold one JSON object")
	}
	if field, ok := findNUL(reflect.ValueOf(dst), ""); ok {
		return badText(fieldName(field))
	}
	return nil
}

// describe says what is wrong with a body without echoing it.
func describe(err error) string {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return fmt.Sprintf("the body is larger than %d KiB", MaxBody>>10)
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("field %q must be of type %s", typeErr.Field, typeName(typeErr.Type.String()))
		}
		return "the body must be a JSON object"
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON"
	case errors.Is(err, io.EOF):
		return "the body is empty; a JSON object is required"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "the body is not a valid request"
}

func typeName(goType string) string {
	switch {
	case goType == "string":
		return "string"
	case goType == "bool":
		return "boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "number"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case strings.HasPrefix(goType, "map["):
		return "object"
	case goType == "time.Time":
		return "RFC 3339 time string"
	}
	return "object"
}

// Missing returns the invalid_request error for a required field.
func Missing(field string) error {
	return apperr.New(apperr.InvalidRequest, fmt.Sprintf("field %q is required", field))
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
