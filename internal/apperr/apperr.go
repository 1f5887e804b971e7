// Package apperr defines rebind's one error type: a code from the closed set
// of the API contract, a message that is safe to show to the caller, optional
// extra fields, and the internal cause, which is kept for logs only.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Code is one of the error codes of the API contract (SPEC §5).
type Code string

// The closed set of codes.
const (
	InvalidRequest     Code = "invalid_request"
	InvalidMobile      Code = "invalid_mobile"
	InvalidCredentials Code = "invalid_credentials"
	Unauthorized       Code = "unauthorized"
	Forbidden          Code = "forbidden"
	NotFound           Code = "not_found"
	WrongState         Code = "wrong_state"
	Conflict           Code = "conflict"
	FlowExpired        Code = "flow_expired"
	FileTooLarge       Code = "file_too_large"
	UnsupportedMedia   Code = "unsupported_media"
	InvalidCode        Code = "invalid_code"
	CodeExpired        Code = "code_expired"
	CaptchaInvalid     Code = "captcha_invalid"
	MobileUnavailable  Code = "mobile_unavailable"
	QuizUnavailable    Code = "quiz_unavailable"
	RateLimited        Code = "rate_limited"
	Unavailable        Code = "unavailable"
	Internal           Code = "internal"
)

var statusOf = map[Code]int{
	InvalidRequest:     http.StatusBadRequest,
	InvalidMobile:      http.StatusBadRequest,
	InvalidCredentials: http.StatusUnauthorized,
	Unauthorized:       http.StatusUnauthorized,
	Forbidden:          http.StatusForbidden,
	NotFound:           http.StatusNotFound,
	WrongState:         http.StatusConflict,
	Conflict:           http.StatusConflict,
	FlowExpired:        http.StatusGone,
	FileTooLarge:       http.StatusRequestEntityTooLarge,
	UnsupportedMedia:   http.StatusUnsupportedMediaType,
	InvalidCode:        http.StatusUnprocessableEntity,
	CodeExpired:        http.StatusUnprocessableEntity,
	CaptchaInvalid:     http.StatusUnprocessableEntity,
	MobileUnavailable:  http.StatusUnprocessableEntity,
	QuizUnavailable:    http.StatusConflict,
	RateLimited:        http.StatusTooManyRequests,
	Unavailable:        http.StatusServiceUnavailable,
	Internal:           http.StatusInternalServerError,
}

// Status returns the HTTP status of a code; unknown codes are 500.
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is rebind's error. Message is shown to the caller; Err is not.
type Error struct {
	Code    Code
	Message string
	// Fields are extra members of the JSON error object, such as
	// attempts_left or retry_after_seconds.
	Fields map[string]any
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a message safe to show.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Wrap returns an error with a code and message that keeps cause for logs.
func Wrap(code Code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Err: cause}
}

// With returns a copy of e with an extra field.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Fields = make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	c.Fields[key] = value
	return &c
}

// RateLimit returns the rate_limited error for a wait of d, rounded up to a
// whole second and never below one. The message says what was refused; the
// wait is added to it in words, so nobody is left with "too many requests"
// and no idea when to come back.
func RateLimit(msg string, d time.Duration) *Error {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return New(RateLimited, msg+"; try again in "+Wait(secs)).With("retry_after_seconds", secs)
}

// Wait says a wait of secs seconds in words, rounded up: "40 seconds",
// "1 minute", "23 minutes", "3 hours".
func Wait(secs int) string {
	n, unit := secs, "second"
	switch {
	case secs > 2*3600:
		n, unit = (secs+3599)/3600, "hour"
	case secs > 90:
		n, unit = (secs+59)/60, "minute"
	}
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// ErrShed is in the chain of every Busy error: load shed on purpose, which
// is logged as a warning, not as a fault.
var ErrShed = errors.New("load shed")

// Busy returns the unavailable error of a server shedding load: the
// caller is asked to come back after d (Retry-After), and nothing about
// the caller was counted against them.
func Busy(d time.Duration, cause error) *Error {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return Wrap(Unavailable, "too busy; try again shortly", fmt.Errorf("%w: %w", ErrShed, cause)).With("retry_after_seconds", secs)
}

// RetryAfter returns the Retry-After header value of a rate_limited or
// unavailable error that says when to come back, or "" for any other error.
func RetryAfter(err error) string {
	var e *Error
	if !errors.As(err, &e) || (e.Code != RateLimited && e.Code != Unavailable) {
		return ""
	}
	if s, ok := e.Fields["retry_after_seconds"].(int); ok {
		return strconv.Itoa(s)
	}
	return ""
}

// RetryIn returns how long a rate_limited error asks to wait; zero for any
// other error.
func RetryIn(err error) time.Duration {
	s, _ := strconv.Atoi(RetryAfter(err))
	return time.Duration(s) * time.Second
}

// As returns the *Error in err's chain. Anything unclassified becomes an
// internal error whose message says nothing about the cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
