package account

import (
	"slices"
	"strings"
	"time"
)

// OrderTypes is the closed list of order types a trade may carry: what the
// order forms of the large spot exchanges offer (limit and market
// everywhere; stop, OCO and trailing orders on most; post-only, IOC and FOK
// as time-in-force choices; iceberg, TWAP, scaled and chase as algorithmic
// orders on some). An exchange maps its own types to the one its order form
// showed the user: a take-profit limit order placed through a "Stop Limit"
// form is stop_limit, as the owner remembers it.
var OrderTypes = []string{
	"limit", "market", "stop_limit", "stop_market", "oco", "trailing_stop", "post_only", "ioc", "fok",
	"iceberg", "twap", "scaled", "chase",
}

// Products is the closed list of exchange products whose first use an
// exchange may push: trading (spot, margin, futures, options, convert, bots,
// copy trading, demo and pre-market trading), earning (flexible and fixed
// savings, staking, dual investment, auto-invest, launchpool and launchpad),
// lending, payments (P2P, card, pay, gift cards), NFTs, and two tools
// (converting small balances, price alerts).
var Products = []string{
	"spot", "margin", "futures_usdt", "futures_coin", "options", "convert", "dust_convert",
	"grid_bot", "dca_bot", "rebalancing_bot", "signal_bot", "copy_trading", "demo_trading", "pre_market",
	"earn_flexible", "earn_fixed", "staking", "dual_investment", "auto_invest", "launchpool", "launchpad",
	"loan", "p2p", "card", "pay", "gift_card", "nft", "price_alert",
}

// ProductUse is the first use of an exchange product.
type ProductUse struct {
	ExternalID string    `json:"external_id"`
	Product    string    `json:"product"`
	At         time.Time `json:"at"`
}

func checkOrderType(t *string) string {
	if t == nil || slices.Contains(OrderTypes, *t) {
		return ""
	}
	return "order_type: must be one of " + strings.Join(OrderTypes, ", ") + ", or left out when unknown"
}

func checkProduct(p ProductUse, latest time.Time) string {
	switch {
	case !reExternalID.MatchString(p.ExternalID):
		return "external_id: must be 1 to 128 printable characters"
	case !slices.Contains(Products, p.Product):
		return "product: must be one of " + strings.Join(Products, ", ")
	}
	return checkTime(p.At, latest)
}
