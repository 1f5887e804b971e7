package app

import (
	"context"
	"fmt"

	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/mail"
	"github.com/rebindhq/rebind/internal/sms"
	"github.com/rebindhq/rebind/internal/tlsclient"
)

// newMailSender builds the SMTP sender from REBIND_SMTP_*.
func newMailSender(cfg *config.Config) (*mail.Sender, error) {
	tlsCfg, err := tlsclient.Config(cfg.SMTPTLS)
	if err != nil {
		return nil, fmt.Errorf("REBIND_SMTP_CA_FILE or REBIND_SMTP_CLIENT_*: %w", err)
	}
	s, err := mail.New(cfg.SMTPURL, cfg.MailFrom, mail.RequireTLS(cfg.Production), mail.TLSConfig(tlsCfg), mail.HELO(cfg.SMTPHELO))
	if err != nil {
		return nil, fmt.Errorf("REBIND_SMTP_URL: %w", err)
	}
	return s, nil
}

// newSMSSender builds the SMS sender from REBIND_SMS_*.
func newSMSSender(cfg *config.Config) (*sms.Sender, error) {
	tlsCfg, err := tlsclient.Config(cfg.SMSTLS)
	if err != nil {
		return nil, fmt.Errorf("REBIND_SMS_CA_FILE or REBIND_SMS_CLIENT_*: %w", err)
	}
	s, err := sms.New(cfg.SMSURL, cfg.SMSFrom, !cfg.Production, sms.Client(tlsCfg))
	if err != nil {
		return nil, fmt.Errorf("REBIND_SMS_URL: %w", err)
	}
	return s, nil
}

// Probe is the result of one check of the way out.
type Probe struct {
	Name string // "smtp", "sms"
	// Skipped says why the check did not run (the dev outbox); Err is
	// its fault, an *outbox.ConfigFault when the configuration is to blame.
	Skipped string
	Err     error
}

// CheckOutside tries the SMTP relay (EHLO, STARTTLS, AUTH, QUIT) and the
// SMS API (an authenticated read of the account) as configured, sending
// nothing. serve runs it at start and "rebind check" on demand.
func CheckOutside(ctx context.Context, cfg *config.Config) []Probe {
	probes := []Probe{{Name: "smtp"}, {Name: "sms"}}
	if cfg.SMTPURL == "" {
		probes[0].Skipped = "REBIND_SMTP_URL is unset: emails go to the dev outbox"
	} else if s, err := newMailSender(cfg); err != nil {
		probes[0].Err = err
	} else {
		probes[0].Err = s.Check(ctx)
		s.Close()
	}
	if cfg.SMSURL == "" {
		probes[1].Skipped = "REBIND_SMS_URL is unset: SMS go to the dev outbox"
	} else if s, err := newSMSSender(cfg); err != nil {
		probes[1].Err = err
	} else {
		probes[1].Err = s.Check(ctx)
	}
	return probes
}
