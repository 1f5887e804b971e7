package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf16"

	"github.com/rebindhq/rebind/internal/outbox"
)

var _ outbox.Sender = (*Sender)(nil)

// maxResponse bounds what is read from the provider: a broken or hostile
// endpoint must not make a worker buffer an unbounded body.
const maxResponse = 64 << 10

// Segment limits: 160 GSM-7 septets, or 70 UTF-16 units once any character
// forces UCS-2.
const (
	maxSeptets = 160
	maxUCS2    = 70
)

// Send posts m and returns the provider's message sid. A message that cannot
// be sent as it is (too long, refused by the provider with a 4xx other than
// 401, 403 and 429) is outbox.Permanent; outages, throttling and network
// errors are not. Refused credentials (401, 403) and certificate faults are
// an *outbox.ConfigFault: retried, and reported apart.
func (s *Sender) Send(ctx context.Context, m outbox.Message) (string, error) {
	if err := check(m); err != nil {
		return "", outbox.Permanent(err)
	}
	form := url.Values{"To": {m.To}, "From": {s.from}, "Body": {m.Body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("sms: building request: %w", err)
	}
	req.SetBasicAuth(s.sid, s.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", configFault(s.redact(fmt.Errorf("sms: %w", err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", s.redact(fmt.Errorf("sms: reading provider answer: %w", err))
	}
	return s.interpret(resp.StatusCode, body)
}

// check refuses locally what the provider would refuse or split: an SMS
// that needs two segments costs twice and may arrive out of order.
func check(m outbox.Message) error {
	switch {
	case m.Channel != outbox.SMS:
		return fmt.Errorf("sms: cannot send a %q message", m.Channel)
	case m.To == "":
		return errors.New("sms: no recipient")
	case m.Body == "":
		return errors.New("sms: empty body")
	case !fitsOneSegment(m.Body):
		return fmt.Errorf("sms: body of %d characters does not fit one SMS", len([]rune(m.Body)))
	}
	return nil
}

// fitsOneSegment counts printable ASCII and line breaks as GSM-7 (the
// characters ^{}\[]~| take two septets, backtick is not in GSM-7). Any other
// character is treated as forcing UCS-2, even the few non-ASCII ones GSM-7
// has: erring short is cheaper than a split message.
func fitsOneSegment(body string) bool {
	septets := 0
	for _, r := range body {
		switch {
		case strings.ContainsRune("^{}\\[]~|", r):
			septets += 2
		case r == '\n' || r == '\r' || (r >= ' ' && r < 0x7f && r != '`'):
			septets++
		default:
			return len(utf16.Encode([]rune(body))) <= maxUCS2
		}
	}
	return septets <= maxSeptets
}

// providerError is Twilio's error body.
type providerError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (s *Sender) interpret(status int, body []byte) (string, error) {
	if status/100 == 2 {
		var ok struct {
			SID string `json:"sid"`
		}
		// Without a sid we cannot tell a provider from a captive portal;
		// retrying risks a duplicate, which beats a silent loss.
		if json.Unmarshal(body, &ok) != nil || ok.SID == "" {
			return "", fmt.Errorf("sms: provider answered %d without a message sid", status)
		}
		return ok.SID, nil
	}
	err := s.redact(fmt.Errorf("sms: provider answered %d: %s", status, describe(status, body)))
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return "", credentialsRefused(err)
	}
	if status/100 == 4 && status != http.StatusTooManyRequests {
		return "", outbox.Permanent(err)
	}
	return "", err
}

func describe(status int, body []byte) string {
	var pe providerError
	if json.Unmarshal(body, &pe) == nil && pe.Message != "" {
		return fmt.Sprintf("%q (code %d)", pe.Message, pe.Code)
	}
	return http.StatusText(status)
}

// redactedError hides the auth token from the text of an error while
// keeping the chain for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact keeps the token out of logs even if the provider or the transport
// echoes it back.
func (s *Sender) redact(err error) error {
	if !strings.Contains(err.Error(), s.token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), s.token, "[redacted]"), err: err}
}
