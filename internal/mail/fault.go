package mail

import (
	"errors"
	"net/textproto"

	gomail "github.com/wneessen/go-mail"

	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/tlsclient"
)

// settings are the variables that configure the SMTP connection
// (internal/config), named in the advice on a fault.
var settings = tlsclient.Names{Server: "SMTP server", URL: "REBIND_SMTP_URL",
	CA: "REBIND_SMTP_CA_FILE", Cert: "REBIND_SMTP_CLIENT_CERT_FILE", Key: "REBIND_SMTP_CLIENT_KEY_FILE"}

// configFault returns err as an *outbox.ConfigFault when only a change of
// our configuration ends it: a certificate fault on either side, or the
// server refusing our credentials (535) or asking for them (530). Other
// errors are returned as they are.
func configFault(err error) error {
	if f := tlsclient.Classify(err); f != tlsclient.None {
		problem, fix := f.Explain(settings)
		return &outbox.ConfigFault{Problem: problem, Fix: fix, Err: err}
	}
	switch replyCode(err) {
	case 535:
		return &outbox.ConfigFault{Problem: "SMTP server refused our user name or password",
			Fix: "correct the user and password in REBIND_SMTP_URL", Err: err}
	case 530:
		return &outbox.ConfigFault{Problem: "SMTP server requires authentication",
			Fix: "put the relay's user and password in REBIND_SMTP_URL (smtp://user:pass@host)", Err: err}
	}
	return err
}

// replyCode is the SMTP reply code in err: go-mail reports a refused AUTH
// as a *textproto.Error and a refused command of a message as a
// *gomail.SendError.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}
