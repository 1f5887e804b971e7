package sms

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/tlsclient"
)

// settings are the variables that configure the SMS connection
// (internal/config), named in the advice on a fault.
var settings = tlsclient.Names{Server: "SMS provider", URL: "REBIND_SMS_URL",
	CA: "REBIND_SMS_CA_FILE", Cert: "REBIND_SMS_CLIENT_CERT_FILE", Key: "REBIND_SMS_CLIENT_KEY_FILE"}

// Check reads the account resource (GET /2010-04-01/Accounts/{SID}.json)
// with our credentials: the connection, the certificates and the
// credentials are tried and nothing is sent. A fault of our configuration
// is an *outbox.ConfigFault.
func (s *Sender) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.account, nil)
	if err != nil {
		return fmt.Errorf("sms: building request: %w", err)
	}
	req.SetBasicAuth(s.sid, s.token)
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return configFault(s.redact(fmt.Errorf("sms: %w", err)))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = s.redact(fmt.Errorf("sms: account check: provider answered %d: %s", resp.StatusCode, describe(resp.StatusCode, body)))
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return credentialsRefused(err)
	}
	return err
}

// configFault returns a transport error as an *outbox.ConfigFault when it
// is a certificate fault, and as it is otherwise.
func configFault(err error) error {
	if f := tlsclient.Classify(err); f != tlsclient.None {
		problem, fix := f.Explain(settings)
		return &outbox.ConfigFault{Problem: problem, Fix: fix, Err: err}
	}
	return err
}

func credentialsRefused(err error) error {
	return &outbox.ConfigFault{Problem: "SMS provider refused our credentials",
		Fix: "correct the account SID and auth token in REBIND_SMS_URL", Err: err}
}
