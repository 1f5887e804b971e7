package sms_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/sms"
	"github.com/rebindhq/rebind/internal/sms/smstest"
)

const sender = "+15005550006"

func text(body string) outbox.Message {
	return outbox.Message{ID: "7", Channel: outbox.SMS, To: "+41791234567", Body: body}
}

func newSender(t *testing.T, rawURL string, client *http.Client) *sms.Sender {
	t.Helper()
	s, err := sms.New(rawURL, sender, true, client)
	if err != nil {
		t.Fatalf("sms.New: %v", err)
	}
	return s
}

func send(t *testing.T, s *sms.Sender, m outbox.Message) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

func TestSendDelivers(t *testing.T) {
	srv := smstest.NewServer(t)
	sid, err := send(t, newSender(t, srv.URL(), nil), text("Rebind: your code is 123456"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.HasPrefix(sid, "SM") {
		t.Errorf("sid = %q, want the provider's SM… id", sid)
	}
	want := smstest.Received{To: "+41791234567", From: sender, Body: "Rebind: your code is 123456"}
	if got := srv.Messages(); len(got) != 1 || got[0] != want {
		t.Errorf("provider got %+v, want [%+v]", got, want)
	}
	if srv.Calls() != 1 {
		t.Errorf("%d provider calls, want 1", srv.Calls())
	}
}

// The request as a Twilio-compatible provider with a base path sees it:
// method, path, basic auth, content type and exactly three fields.
func TestSendRequestShape(t *testing.T) {
	var got *http.Request
	var form url.Values
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got, form = r, r.PostForm
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"sid":"SMabc"}`)
	}))
	t.Cleanup(h.Close)
	u, _ := url.Parse(h.URL)
	u.User, u.Path = url.UserPassword("AC9", secret), "/api/laml/"

	if _, err := send(t, newSender(t, u.String(), nil), text("hello")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	user, pass, _ := got.BasicAuth()
	checks := map[string][2]string{
		"method":       {got.Method, "POST"},
		"path":         {got.URL.Path, "/api/laml/2010-04-01/Accounts/AC9/Messages.json"},
		"user":         {user, "AC9"},
		"password":     {pass, secret},
		"content type": {got.Header.Get("Content-Type"), "application/x-www-form-urlencoded"},
		"form":         {form.Encode(), url.Values{"To": {"+41791234567"}, "From": {sender}, "Body": {"hello"}}.Encode()},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
}

func TestSendClassifiesProviderAnswers(t *testing.T) {
	tests := []struct {
		name      string
		failing   int
		to        string
		badToken  bool
		permanent bool
		// fault: our configuration's, retried and reported apart
		// (outbox.ConfigFault), not the message's.
		fault bool
	}{
		{"outage 500", 500, "+41791234567", false, false, false},
		{"outage 503", 503, "+41791234567", false, false, false},
		{"throttled 429", 429, "+41791234567", false, false, false},
		{"invalid number 400", 0, "+0123", false, true, false},
		{"bad credentials 401", 0, "+41791234567", true, false, true},
		{"account refused 403", 403, "+41791234567", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smstest.NewServer(t)
			srv.SetFailing(tt.failing)
			rawURL := srv.URL()
			if tt.badToken {
				u, _ := url.Parse(rawURL)
				u.User = url.UserPassword(smstest.SID, secret)
				rawURL = u.String()
			}
			m := text("code 123456")
			m.To = tt.to
			_, err := send(t, newSender(t, rawURL, nil), m)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if outbox.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", !tt.permanent, tt.permanent, err)
			}
			if fault := new(*outbox.ConfigFault); errors.As(err, fault) != tt.fault {
				t.Errorf("configuration fault = %v, want %v: %v", !tt.fault, tt.fault, err)
			}
			if strings.Contains(err.Error(), smstest.Token) || strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains a token", err)
			}
			if srv.Calls() != 1 || len(srv.Messages()) != 0 {
				t.Errorf("calls = %d, accepted = %d; want 1, 0", srv.Calls(), len(srv.Messages()))
			}
		})
	}
}

func TestSendRetryableWhenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = send(t, newSender(t, "http://AC1:"+secret+"@"+addr, nil), text("hi"))
	if err == nil || outbox.IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the token", err)
	}
}

// A provider that does not answer must not hold a worker past the caller's
// deadline or the client's timeout. The provider holds every request for two
// minutes and whichever bound is not under test is an hour, so only the
// bound under test can end the call within the minute the test waits; no
// duration is compared.
func TestSendGivesUpOnSlowProvider(t *testing.T) {
	srv := smstest.NewServer(t)
	srv.SetDelay(2 * time.Minute)
	tests := []struct {
		name   string
		ctx    time.Duration
		client *http.Client
	}{
		{"context deadline", 200 * time.Millisecond, &http.Client{Timeout: time.Hour}},
		{"client timeout", time.Hour, &http.Client{Timeout: 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctx)
			defer cancel()
			s := newSender(t, srv.URL(), tt.client)
			done := make(chan error, 1)
			go func() {
				_, err := s.Send(ctx, text("hi"))
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || outbox.IsPermanent(err) {
					t.Fatalf("err = %v, want a retryable error", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Send still waiting for the provider after a minute")
			}
		})
	}
}

func TestSendConcurrently(t *testing.T) {
	srv := smstest.NewServer(t)
	s := newSender(t, srv.URL(), nil)
	const n = 40
	var wg sync.WaitGroup
	sids := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			sid, err := send(t, s, text(fmt.Sprint("code ", i)))
			if err != nil {
				t.Error(err)
			}
			sids <- sid
		})
	}
	wg.Wait()
	close(sids)
	distinct := map[string]bool{}
	for sid := range sids {
		distinct[sid] = true
	}
	if srv.Calls() != n || len(srv.Messages()) != n || len(distinct) != n {
		t.Errorf("calls = %d, accepted = %d, distinct sids = %d; want %d each",
			srv.Calls(), len(srv.Messages()), len(distinct), n)
	}
}
