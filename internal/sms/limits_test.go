package sms_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/sms/smstest"
)

func TestSendKeepsToOneSegment(t *testing.T) {
	tests := []struct {
		name string
		body string
		fits bool
	}{
		{"160 ASCII", strings.Repeat("a", 160), true},
		{"161 ASCII", strings.Repeat("a", 161), false},
		{"80 escaped GSM characters", strings.Repeat("{", 80), true},
		{"81 escaped GSM characters", strings.Repeat("{", 81), false},
		{"70 non-ASCII", strings.Repeat("é", 70), true},
		{"71 non-ASCII", strings.Repeat("é", 71), false},
		{"35 emoji, 70 UTF-16 units", strings.Repeat("🔐", 35), true},
		{"36 emoji", strings.Repeat("🔐", 36), false},
		{"backtick forces UCS-2", "`" + strings.Repeat("a", 70), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smstest.NewServer(t)
			_, err := send(t, newSender(t, srv.URL(), nil), text(tt.body))
			if tt.fits {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			if !outbox.IsPermanent(err) {
				t.Errorf("err = %v, want a permanent error", err)
			}
			if srv.Calls() != 0 {
				t.Errorf("%d provider calls for a refused body", srv.Calls())
			}
		})
	}
}

func TestSendRefusesOtherMessagesLocally(t *testing.T) {
	srv := smstest.NewServer(t)
	s := newSender(t, srv.URL(), nil)
	email := text("hi")
	email.Channel = outbox.Email
	noRecipient := text("hi")
	noRecipient.To = ""
	for _, m := range []outbox.Message{email, noRecipient} {
		if _, err := send(t, s, m); !outbox.IsPermanent(err) {
			t.Errorf("%+v: err = %v, want a permanent error", m, err)
		}
	}
	if srv.Calls() != 0 {
		t.Errorf("%d provider calls", srv.Calls())
	}
}

// Answers that are not Twilio's: each must end in a retryable error, and a
// redirect must not be followed with the credentials.
func TestSendDistrustsOddAnswers(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"sid":"SMredirected"}`)
	}))
	t.Cleanup(target.Close)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"200 HTML from a portal", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html>Sign in to the Wi-Fi</html>")
		}},
		{"201 without sid", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"status":"queued"}`)
		}},
		{"huge body is cut off", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"pad":"`+strings.Repeat("x", 1<<20)+`","sid":"SMlate"}`)
		}},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}},
		{"502 from a proxy", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := httptest.NewServer(tt.handler)
			t.Cleanup(h.Close)
			rawURL := strings.Replace(h.URL, "http://", "http://AC1:"+secret+"@", 1)
			_, err := send(t, newSender(t, rawURL, nil), text("hi"))
			if err == nil || outbox.IsPermanent(err) {
				t.Errorf("err = %v, want a retryable error", err)
			}
		})
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("redirect followed %d times", n)
	}
}
