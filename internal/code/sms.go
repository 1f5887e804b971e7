package code

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/outbox"
	"github.com/rebindhq/rebind/internal/phone"
	"github.com/rebindhq/rebind/internal/ratelimit"
)

// SMSRules are the limits on paid SMS beyond the per-destination ones:
// SMS pumping (sending to premium ranges a fraudster is paid for) is the
// main cost attack on these flows. Each limit is one atomic statement in
// the transaction of the send and holds across instances.
//
// Caps that anyone could fill, the per-address and per-prefix ones, apply
// only to numbers the requester names (a change's or bind's new number):
// an owner's code goes to the account's own number, which passed those
// caps when it was proven, and a stranger filling them must never stop the
// owner from signing in. The country and service budgets count every send,
// but named numbers may use only NewNumberShare percent of each, so the
// rest is kept for owners.
type SMSRules struct {
	PerAccountDay     int // SMS codes for one account a day
	PerIPHour         int // SMS codes to named numbers asked for from one client address an hour
	PerPrefixDay      int // to named numbers sharing all but their last 4 digits, a day
	PerCallingCodeDay int // to one country calling code, a day
	GlobalDay         int // the daily SMS budget of the whole service
	// NewNumberShare is the percentage of the calling-code and daily
	// budgets that sends to named numbers may use; 0 means no separate
	// share.
	NewNumberShare int
	// Countries are the regions (ISO 3166 alpha-2) SMS may go to; empty
	// means every region.
	Countries map[string]bool
}

// DefaultSMSRules are sized for an exchange of a few million users; every
// one is configurable.
var DefaultSMSRules = SMSRules{PerAccountDay: 20, PerIPHour: 20, PerPrefixDay: 10, PerCallingCodeDay: 5000, GlobalDay: 50000,
	NewNumberShare: 50}

// The SMS limits' names. BudgetLimit and NewNumberBudgetLimit are the ones
// to alert on.
const (
	BudgetLimit               = "sms_budget_day"
	NewNumberBudgetLimit      = "sms_new_number_budget_day"
	CallingCodeLimit          = "sms_calling_code_day"
	NewNumberCallingCodeLimit = "sms_new_number_calling_code_day"
	PrefixLimit               = "sms_prefix_day"
	AddressLimit              = "sms_ip_hour"
	AccountLimit              = "sms_account_day"
)

// ErrCountry is returned for a number in a region SMS may not go to.
var ErrCountry = errors.New("code: SMS to this country is not available")

// SMSAllowed reports whether SMS may go to numbers of region.
func (s *Service) SMSAllowed(region string) bool {
	return len(s.rules.SMS.Countries) == 0 || s.rules.SMS.Countries[region]
}

type take struct {
	subject string
	rule    ratelimit.Rule
}

// smsLimits takes from every SMS limit that applies to r sent for by, or
// refuses.
func (s *Service) smsLimits(ctx context.Context, tx *sql.Tx, r Request, by Requester) error {
	n, err := phone.ParseE164(r.To)
	if err != nil {
		return apperr.Wrap(apperr.InvalidMobile, "not a valid mobile number", err)
	}
	if !s.SMSAllowed(n.Region()) {
		return apperr.Wrap(apperr.InvalidMobile, "SMS to numbers of "+phone.CountryName(n.Region())+" is not available", ErrCountry)
	}
	day, hour := LongestWindow, hourWindow
	rs := s.rules.SMS
	cc := "cc:" + strconv.Itoa(n.CallingCode())
	busy := "too many SMS codes are being sent to numbers like this one"
	country := "too many SMS codes are being sent to " + phone.CountryName(n.Region())
	var takes []take
	if by == Chooser {
		takes = append(takes,
			take{"prefix:" + n.Prefix(), ratelimit.Rule{Name: PrefixLimit, Limit: rs.PerPrefixDay, Window: day, Refusal: busy}},
			take{"ip:" + client.From(ctx).IP, ratelimit.Rule{Name: AddressLimit, Limit: rs.PerIPHour, Window: hour,
				Refusal: "too many SMS codes were asked for from your network"}},
			take{cc, ratelimit.Rule{Name: NewNumberCallingCodeLimit, Limit: rs.share(rs.PerCallingCodeDay), Window: day, Refusal: country}})
	}
	if r.AccountID != "" {
		takes = append(takes, take{"account:" + r.AccountID, ratelimit.Rule{Name: AccountLimit, Limit: rs.PerAccountDay, Window: day,
			Refusal: "too many SMS codes were sent for this account today"}})
	}
	takes = append(takes, take{cc, ratelimit.Rule{Name: CallingCodeLimit, Limit: rs.PerCallingCodeDay, Window: day, Refusal: country}})
	// The budgets come last: a send refused by a narrower limit does not
	// spend them (the transaction rolls back either way).
	unavailable := "SMS codes are unavailable at the moment"
	if by == Chooser {
		takes = append(takes, take{"all", ratelimit.Rule{Name: NewNumberBudgetLimit, Limit: rs.share(rs.GlobalDay), Window: day, Refusal: unavailable}})
	}
	takes = append(takes, take{"all", ratelimit.Rule{Name: BudgetLimit, Limit: rs.GlobalDay, Window: day, Refusal: unavailable}})
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

// share is the part of budget that sends to named numbers may use.
func (rs SMSRules) share(budget int) int {
	if rs.NewNumberShare <= 0 || budget <= 0 {
		return 0
	}
	return max(budget*rs.NewNumberShare/100, 1)
}

// Refusal is a send refused by a limit, as told to OnLimit.
type Refusal struct {
	Limit     string
	By        Requester
	Channel   outbox.Channel
	AccountID string
}

// limited tells OnLimit which limit refused a send.
func (s *Service) limited(r Request, by Requester, err error) error {
	if s.OnLimit != nil && apperr.Is(err, apperr.RateLimited) {
		if name, _ := apperr.As(err).Fields["limit"].(string); name != "" {
			s.OnLimit(Refusal{Limit: name, By: by, Channel: r.Channel, AccountID: r.AccountID})
		}
	}
	return err
}
