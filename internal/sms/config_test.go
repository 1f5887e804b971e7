package sms_test

import (
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/sms"
)

const secret = "tok3n-secret-value"

func TestNewAccepts(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		allowHTTP bool
	}{
		{"https", "https://AC123:" + secret + "@api.twilio.com", false},
		{"https with port and base", "https://AC123:" + secret + "@sms.example:8443/api/laml/", false},
		{"uuid-style sid", "https://0a1b-2c3d_4e:" + secret + "@sms.example", false},
		{"http when allowed", "http://AC123:" + secret + "@127.0.0.1:8080", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sms.New(tt.url, "+15005550006", tt.allowHTTP, nil); err != nil {
				t.Fatalf("New: %v", err)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name, url, from, want string
		allowHTTP             bool
	}{
		{"http in production", "http://AC123:" + secret + "@sms.example", "+1555", "https", false},
		{"other scheme", "ftp://AC123:" + secret + "@sms.example", "+1555", "https", true},
		{"no credentials", "https://sms.example", "+1555", "SID and auth token", false},
		{"no token", "https://AC123@sms.example", "+1555", "SID and auth token", false},
		{"no sid", "https://:" + secret + "@sms.example", "+1555", "SID and auth token", false},
		{"sid changes the path", "https://AC%2F..:" + secret + "@sms.example", "+1555", "account SID", false},
		{"no host", "https://AC123:" + secret + "@", "+1555", "malformed", false},
		{"bad port", "https://AC123:" + secret + "@sms.example:port", "+1555", "malformed", false},
		{"unencoded slash in token", "https://AC123:" + secret + "/x@sms.example", "+1555", "malformed", false},
		{"query", "https://AC123:" + secret + "@sms.example?region=x", "+1555", "malformed", false},
		{"no sender", "https://AC123:" + secret + "@sms.example", "", "sender", false},
		{"sender with line break", "https://AC123:" + secret + "@sms.example", "+1555\n", "sender", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.New(tt.url, tt.from, tt.allowHTTP, nil)
			if err == nil {
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}
