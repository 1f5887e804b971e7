package smstest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/sms/smstest"
)

// The fake must refuse what Twilio refuses, or tests against it prove
// nothing about the real provider.
func TestServerAnswersLikeTwilio(t *testing.T) {
	srv := smstest.NewServer(t)
	base, _ := url.Parse(srv.URL())
	base.User = nil
	path := "/2010-04-01/Accounts/" + smstest.SID + "/Messages.json"
	full := url.Values{"To": {"+41791234567"}, "From": {"+15005550006"}, "Body": {"hi"}}
	without := func(k string) url.Values {
		v := url.Values{}
		for key, val := range full {
			if key != k {
				v[key] = val
			}
		}
		return v
	}
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		form       url.Values
		wantStatus int
		wantCode   int
	}{
		{"accepted", "POST", path, smstest.Token, full, 201, 0},
		{"wrong token", "POST", path, "nope", full, 401, 20003},
		{"other account", "POST", "/2010-04-01/Accounts/AC1/Messages.json", smstest.Token, full, 404, 20404},
		{"no To", "POST", path, smstest.Token, without("To"), 400, 21604},
		{"no From", "POST", path, smstest.Token, without("From"), 400, 21603},
		{"no Body", "POST", path, smstest.Token, without("Body"), 400, 21602},
		{"To not E.164", "POST", path, smstest.Token, url.Values{"To": {"0791234567"}, "From": {"x"}, "Body": {"hi"}}, 400, 21211},
		{"GET", "GET", path, smstest.Token, nil, 405, 20004},
		{"unknown path", "POST", "/2010-04-01/Messages.json", smstest.Token, full, 404, 20404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base.String()+tt.path, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(smstest.SID, tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Code int }
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.wantStatus || body.Code != tt.wantCode {
				t.Errorf("got %d code %d, want %d code %d", resp.StatusCode, body.Code, tt.wantStatus, tt.wantCode)
			}
		})
	}
	if srv.Calls() != len(tests) || len(srv.Messages()) != 1 {
		t.Errorf("calls = %d, accepted = %d; want %d, 1", srv.Calls(), len(srv.Messages()), len(tests))
	}
}
