package quiz

import "slices"

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

// Spec describes a kind. A kind is available to an account with one
// telling fact of it: the bound (guessability) judges how thin a question
// may be, knowing how many facts each was drawn from.
type Spec struct {
	Kind Kind
	Text string
	// Single kinds have exactly one correct option.
	Single bool
	// Facts names the account facts the question reveals, in the terms of
	// NotificationFacts, so a test can check no notification shows them.
	Facts []string
}

// Specs lists every kind, in a fixed order.
var Specs = []Spec{
	{MarketsTraded, "Which of these markets have you traded on?", false, []string{"trade.market"}},
	{FirstMarket, "Which of these was the first market you traded on?", true, []string{"trade.market", "trade.order"}},
	{AssetsBought, "Which of these assets have you bought on the exchange?", false, []string{"trade.market", "trade.side"}},
	{AssetsSold, "Which of these assets have you sold on the exchange?", false, []string{"trade.market", "trade.side"}},
	{AssetsHeld, "Which of these assets do you hold in your account now?", false, []string{"balance.asset"}},
	{WithdrawalAddresses, "To which of these addresses have you withdrawn funds?", false, []string{"withdrawal.address"}},
	{ProductsUsed, "Which of these have you used on the exchange? An order type counts once an order of that type was filled.", false,
		append(factsOf("product.", QuestionProducts), factsOf("trade.order_type.", QuestionOrderTypes)...)},
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
	// The exchange's product emails: P2P order notices; earn subscription,
	// redemption and settlement receipts; margin calls, liquidations and
	// loan LTV alerts; copy-trading notices of the lead trader's moves;
	// launchpool and launchpad results and rewards; card, pay, gift-card
	// and NFT receipts. Each reveals that the owner uses the product.
	"exchange.p2p":          {"product.p2p"},
	"exchange.earn":         {"product.earn_flexible", "product.earn_fixed", "product.staking", "product.dual_investment", "product.auto_invest"},
	"exchange.margin_call":  {"product.margin", "product.futures_usdt", "product.futures_coin", "product.options", "product.loan"},
	"exchange.copy_trading": {"product.copy_trading"},
	"exchange.launch":       {"product.launchpool", "product.launchpad"},
	"exchange.payment":      {"product.card", "product.pay", "product.gift_card", "product.nft"},
}

// QuestionProducts and QuestionOrderTypes are the products (of
// account.Products) and order types (of account.OrderTypes) the
// products_used question may name, as an answer or a decoy; the others are
// never shown. They are one question, not two: nine products or eleven
// order types cannot fill eight options often enough for each to be shown
// as a decoy as often as it is right (a text-only classifier told right
// from decoy with AUC 0.71-0.76 on each alone), twenty can. Left out:
// every product an exchange email reveals (above), and the Universal
// values. They rely on three
// things an operator must check (docs/security.md): the exchange sends no
// email when these products are used (bot, alert or convert notices by
// push or in the app only), nor for order fills or triggered stop and
// trailing orders; it pushes the first use of every one of these products
// it offers, history included, since a product it offers but does not push
// can be a decoy that its owner rightly ticks; and it pushes each fill's
// order type as the order form named it to the user. An exchange that
// differs switches products_used off (REBIND_QUIZ_KINDS). An account with
// a trade without an order type is asked about its products only.
var (
	QuestionProducts = []string{"convert", "dust_convert", "grid_bot", "dca_bot", "rebalancing_bot", "signal_bot",
		"demo_trading", "pre_market", "price_alert"}
	QuestionOrderTypes = []string{"stop_limit", "stop_market", "oco", "trailing_stop", "post_only", "ioc", "fok",
		"iceberg", "twap", "scaled", "chase"}
	// UniversalProducts and UniversalOrderTypes are values nearly every
	// account with a trade has: spot trading and limit and market orders.
	// They are facts, so the base rates of the others are shares of all
	// traders, as for markets and assets, but are never asked whatever the
	// estimate says (Universal: EstimateRates rates them 1): they prove
	// nothing, and spot trading is what the trading questions already ask
	// about.
	UniversalProducts   = []string{"spot"}
	UniversalOrderTypes = []string{"limit", "market"}
	Universal           = map[Kind][]string{ProductsUsed: append(slices.Clone(UniversalProducts), UniversalOrderTypes...)}
)
