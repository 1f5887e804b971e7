// Package sms owns SMS delivery through a Twilio-compatible REST API: it
// checks that a text fits one segment, posts it, and decides which provider
// answers are permanent.
package sms

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// DefaultTimeout bounds one request to the provider when New is given no
// client.
const DefaultTimeout = 10 * time.Second

// Sender posts messages to one provider account. It is safe for concurrent
// use.
type Sender struct {
	endpoint string // Messages.json URL, without credentials
	account  string // the account resource, {SID}.json, for Check
	sid      string
	token    string
	from     string
	client   *http.Client
}

// errBadURL never quotes the URL: a malformed one may have the token in any
// part that the parser would echo back.
var errBadURL = errors.New("sms: SMS URL is malformed; expected https://SID:TOKEN@host[:port][/base]")

// New validates the configuration once, at start. rawURL is
// https://SID:TOKEN@host[:port][/base]; plain http is accepted only when
// allowHTTP (development and tests). from is the sender number or id. A nil
// client means one with a 10 s timeout that does not follow redirects.
func New(rawURL, from string, allowHTTP bool, client *http.Client) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errBadURL
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return nil, errors.New("sms: SMS URL must use https; plain http is allowed only outside production")
	default:
		return nil, errors.New("sms: SMS URL must be https://SID:TOKEN@host")
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errBadURL
	}
	sid := u.User.Username()
	token, _ := u.User.Password()
	if sid == "" || token == "" {
		return nil, errors.New("sms: SMS URL must carry the account SID and auth token as user and password")
	}
	if strings.ContainsFunc(sid, notIDChar) {
		return nil, errors.New("sms: account SID may hold only letters, digits, '-' and '_'")
	}
	if from == "" || strings.ContainsFunc(from, unicode.IsControl) {
		return nil, errors.New("sms: sender (from) must be a non-empty number or sender id")
	}
	base := url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}
	endpoint := base.JoinPath("2010-04-01", "Accounts", sid, "Messages.json")
	if client == nil {
		client = Client(nil)
	}
	account := base.JoinPath("2010-04-01", "Accounts", sid+".json")
	return &Sender{endpoint: endpoint.String(), account: account.String(), sid: sid, token: token, from: from, client: client}, nil
}

// Client is the HTTP client New uses by default: a 10 s timeout, no
// redirects, enough idle connections for the outbox, and tlsCfg (nil: the
// system roots) for the provider's certificate and our client certificate.
func Client(tlsCfg *tls.Config) *http.Client {
	// The default transport keeps 2 idle connections per host; the outbox
	// sends up to 16 at once, and every new connection costs a TLS
	// handshake.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	if tlsCfg != nil {
		t.TLSClientConfig = tlsCfg.Clone()
	}
	return &http.Client{Timeout: DefaultTimeout, CheckRedirect: noRedirects, Transport: t}
}

// noRedirects keeps a POST with credentials from being replayed elsewhere;
// a redirect is reported as the provider's answer.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// notIDChar rejects what would change the request path if put in it.
func notIDChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '-' || r == '_')
}
