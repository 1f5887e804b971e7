package code

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/phone"
	"github.com/rebindhq/rebind/internal/ratelimit"
)

// SMSRules are the limits on paid SMS beyond the per-destination ones:
// SMS pumping (sending to premium ranges a fraudster is paid for) is the
// main cost attack on these flows. Each limit is one atomic statement in
// the transaction of the send and holds across instances.
type SMSRules struct {
	PerAccountDay     int // SMS codes for one account a day
	PerIPHour         int // SMS codes asked for from one client address an hour
	PerPrefixDay      int // to numbers sharing all but their last 4 digits, a day
	PerCallingCodeDay int // to one country calling code, a day
	GlobalDay         int // the daily SMS budget of the whole service
	// Countries are the regions (ISO 3166 alpha-2) SMS may go to; empty
	// means every region.
	Countries map[string]bool
}

// DefaultSMSRules are sized for an exchange of a few million users; every
// one is configurable.
var DefaultSMSRules = SMSRules{PerAccountDay: 20, PerIPHour: 20, PerPrefixDay: 10, PerCallingCodeDay: 5000, GlobalDay: 50000}

// BudgetLimit is the name of the global daily budget, for alerts.
const BudgetLimit = "sms_budget_day"

// ErrCountry is returned for a number in a region SMS may not go to.
var ErrCountry = errors.New("code: SMS to this country is not available")

// SMSAllowed reports whether SMS may go to numbers of region.
func (s *Service) SMSAllowed(region string) bool {
	return len(s.rules.SMS.Countries) == 0 || s.rules.SMS.Countries[region]
}

// smsLimits takes from every SMS limit for r, or refuses.
func (s *Service) smsLimits(ctx context.Context, tx *sql.Tx, r Request) error {
	n, err := phone.ParseE164(r.To)
	if err != nil {
		return apperr.Wrap(apperr.InvalidMobile, "not a valid mobile number", err)
	}
	if !s.SMSAllowed(n.Region()) {
		return apperr.Wrap(apperr.InvalidMobile, "SMS to numbers of "+phone.CountryName(n.Region())+" is not available", ErrCountry)
	}
	day, hour := 24*time.Hour, time.Hour
	rs := s.rules.SMS
	takes := []struct {
		subject string
		rule    ratelimit.Rule
	}{
		{"prefix:" + n.Prefix(), ratelimit.Rule{Name: "sms_prefix_day", Limit: rs.PerPrefixDay, Window: day}},
		{"cc:" + strconv.Itoa(n.CallingCode()), ratelimit.Rule{Name: "sms_calling_code_day", Limit: rs.PerCallingCodeDay, Window: day}},
		{"ip:" + client.From(ctx).IP, ratelimit.Rule{Name: "sms_ip_hour", Limit: rs.PerIPHour, Window: hour}},
	}
	if r.AccountID != "" {
		takes = append(takes, struct {
			subject string
			rule    ratelimit.Rule
		}{"account:" + r.AccountID, ratelimit.Rule{Name: "sms_account_day", Limit: rs.PerAccountDay, Window: day}})
	}
	// The budget comes last: a send refused by a narrower limit does not
	// spend it (the transaction rolls back either way).
	takes = append(takes, struct {
		subject string
		rule    ratelimit.Rule
	}{"all", ratelimit.Rule{Name: BudgetLimit, Limit: rs.GlobalDay, Window: day}})
	for _, t := range takes {
		if t.rule.Limit <= 0 {
			continue
		}
		if err := s.limiter.Take(ctx, tx, t.subject, t.rule); err != nil {
			return err
		}
	}
	return nil
}

// limited tells OnLimit which limit refused a send.
func (s *Service) limited(err error) error {
	if s.OnLimit != nil && apperr.Is(err, apperr.RateLimited) {
		if name, _ := apperr.As(err).Fields["limit"].(string); name != "" {
			s.OnLimit(name)
		}
	}
	return err
}
