// Package notify renders rebind's messages from templates and queues them in
// the outbox: verification codes, and notices of security events. Every
// notice of a security event carries a "This wasn't me" link. SMS bodies are
// short and carry no personal data: no names, email addresses or numbers.
package notify

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/store"
)

//go:embed templates
var files embed.FS

// Notifier renders and queues messages.
type Notifier struct {
	queue   *outbox.Queue
	brand   string
	baseURL *url.URL
	email   *template.Template
	sms     *template.Template
}

// New returns a notifier. baseURL is the canonical address of the site:
// links in messages are built from it, never from a request's Host header.
func New(queue *outbox.Queue, brand string, baseURL *url.URL) (*Notifier, error) {
	funcs := template.FuncMap{"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }}
	email, err := template.New("email").Funcs(funcs).ParseFS(files, "templates/*.email.txt")
	if err != nil {
		return nil, fmt.Errorf("notify: email templates: %w", err)
	}
	sms, err := template.New("sms").Funcs(funcs).ParseFS(files, "templates/*.sms.txt")
	if err != nil {
		return nil, fmt.Errorf("notify: sms templates: %w", err)
	}
	n := &Notifier{queue: queue, brand: brand, baseURL: baseURL, email: email, sms: sms}
	if err := n.checkLongest(); err != nil {
		return nil, err
	}
	return n, nil
}

// longestAction is the longest "to …" phrase any code message uses.
const longestAction = "reset your mobile verification"

// StopPath is the path of "This wasn't me" links; their token is 26
// characters.
const StopPath = "/stop"

// checkLongest renders every SMS template with the longest values this
// configuration can give it, so a brand or host name that would push an SMS
// past 160 characters stops the server at start instead of failing sends
// later.
func (n *Notifier) checkLongest() error {
	link := n.Link(StopPath, url.Values{"t": {strings.Repeat("a", 26)}})
	for _, t := range n.sms.Templates() {
		name := strings.TrimSuffix(t.Name(), ".sms.txt")
		if name == "sms" {
			continue
		}
		_, err := n.render(outbox.SMS, name, map[string]any{"Code": "000000", "Action": longestAction, "Minutes": 10,
			"Link": link, "At": time.Time{}, "IP": "", "HoldUntil": time.Time{}, "ChancesLeft": 0, "Mobile": "+999 ****0000",
			"Application": ApplicationNotice{Reference: "XXXX-XXXX", ReviewTime: "within 72 hours"}})
		if err != nil {
			return fmt.Errorf("notify: with brand %q and site %q: %w", n.brand, n.baseURL.Host, err)
		}
	}
	return nil
}

// Link returns an absolute link to path on the canonical site.
func (n *Notifier) Link(path string, query url.Values) string {
	u := *n.baseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	return u.String()
}

// send renders template name for the channel with data and queues it.
func (n *Notifier) send(ctx context.Context, q store.Querier, ch outbox.Channel, to, name string, data map[string]any, expires time.Time) error {
	m, err := n.render(ch, name, data)
	if err != nil {
		return err
	}
	m.To = to
	_, err = n.queue.Enqueue(ctx, q, m, name, expires)
	return err
}

// render fills template name for the channel. The first line of an email
// template is "Subject: …"; an SMS must fit 160 characters.
func (n *Notifier) render(ch outbox.Channel, name string, data map[string]any) (outbox.Message, error) {
	data["Brand"] = n.brand
	data["Site"] = n.baseURL.Hostname()
	var tmpl *template.Template
	switch ch {
	case outbox.Email:
		tmpl = n.email.Lookup(name + ".email.txt")
	case outbox.SMS:
		tmpl = n.sms.Lookup(name + ".sms.txt")
	}
	if tmpl == nil {
		return outbox.Message{}, fmt.Errorf("notify: no %s template %q", ch, name)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return outbox.Message{}, fmt.Errorf("notify: render %s: %w", name, err)
	}
	m := outbox.Message{Channel: ch}
	if ch == outbox.Email {
		first, body, _ := strings.Cut(buf.String(), "\n")
		m.Subject = strings.TrimSpace(strings.TrimPrefix(first, "Subject:"))
		m.Body = strings.TrimLeft(body, "\n")
		return m, nil
	}
	m.Body = strings.TrimSpace(buf.String())
	if len(m.Body) > 160 {
		return outbox.Message{}, fmt.Errorf("notify: sms %s is %d characters, over 160", name, len(m.Body))
	}
	return m, nil
}
