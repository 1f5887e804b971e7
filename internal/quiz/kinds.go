package quiz

// Kind is a kind of question. Every kind asks about something the owner did
// inside the account; none is about deposits (anyone can send one), logins
// or registration (the exchange's own emails show those).
type Kind string

// The kinds of question.
const (
	MarketsTraded       Kind = "markets_traded"
	FirstMarket         Kind = "first_market"
	AssetsBought        Kind = "assets_bought"
	AssetsSold          Kind = "assets_sold"
	AssetsHeld          Kind = "assets_held"
	WithdrawalAddresses Kind = "withdrawal_addresses"
)

// Spec describes a kind.
type Spec struct {
	Kind Kind
	Text string
	// Single kinds have exactly one correct option.
	Single bool
	// MinFacts is how many facts of the kind an account needs for the
	// question to be asked.
	MinFacts int
	// Facts names the account facts the question reveals, in the terms of
	// NotificationFacts, so a test can check no notification shows them.
	Facts []string
}

// Specs lists every kind, in a fixed order.
var Specs = []Spec{
	{MarketsTraded, "Which of these markets have you traded on?", false, 2, []string{"trade.market"}},
	{FirstMarket, "Which of these was the first market you traded on?", true, 1, []string{"trade.market", "trade.order"}},
	{AssetsBought, "Which of these assets have you bought on the exchange?", false, 2, []string{"trade.market", "trade.side"}},
	{AssetsSold, "Which of these assets have you sold on the exchange?", false, 2, []string{"trade.market", "trade.side"}},
	{AssetsHeld, "Which of these assets do you hold in your account now?", false, 2, []string{"balance.asset"}},
	{WithdrawalAddresses, "To which of these addresses have you withdrawn funds?", false, 2, []string{"withdrawal.address"}},
}

// SpecOf returns the spec of a kind.
func SpecOf(k Kind) (Spec, bool) {
	for _, s := range Specs {
		if s.Kind == k {
			return s, true
		}
	}
	return Spec{}, false
}

// NotificationFacts lists what each message that reaches the owner's
// mailbox shows: rebind's own messages and the exchange's notifications
// (as the documents path describes them). A question may use none of
// these; TestNoQuestionUsesANotifiedFact holds the two lists apart.
//
// The withdrawal-address question relies on the exchange's withdrawal
// notices showing neither the destination address nor the transaction id
// (from which a block explorer gives the address). An exchange whose
// notices do must switch that kind off (REBIND_QUIZ_KINDS).
var NotificationFacts = map[string][]string{
	"exchange.signup":     {"account.email", "account.registered_at"},
	"exchange.login":      {"login.at", "login.ip", "login.country", "login.city", "login.device"},
	"exchange.deposit":    {"deposit.coin", "deposit.network", "deposit.amount", "deposit.at", "deposit.address", "deposit.txid"},
	"exchange.withdrawal": {"withdrawal.coin", "withdrawal.network", "withdrawal.amount", "withdrawal.at"},
	"rebind.code":         {"code"},
	"rebind.notice":       {"event", "event.at", "event.ip", "mobile.masked"},
}
