package quiz

import "slices"

// Fallback values: the exchange's common markets and assets with
// Zipf-like weights, the prior of the base rates. They dominate only in a
// new installation with few accounts; as accounts grow, the rates sampled
// from them take over.
var (
	fallbackMarkets = weighted([]string{
		"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT", "BNB/USDT", "ETH/BTC", "TRX/USDT",
		"ADA/USDT", "TON/USDT", "LTC/USDT", "USDC/USDT", "LINK/USDT", "AVAX/USDT", "DOT/USDT", "SHIB/USDT",
		"BTC/USDC", "ETH/USDC", "BCH/USDT", "POL/USDT", "ATOM/USDT", "XLM/USDT", "NEAR/USDT", "APT/USDT",
		"ARB/USDT", "OP/USDT", "FIL/USDT", "ETC/USDT", "SOL/USDC", "XRP/BTC", "LTC/BTC", "SOL/BTC",
	})
	fallbackAssets = weighted([]string{
		"USDT", "BTC", "ETH", "USDC", "SOL", "XRP", "BNB", "DOGE", "TRX", "TON", "ADA", "LTC", "LINK",
		"AVAX", "DOT", "SHIB", "BCH", "POL", "ATOM", "XLM", "NEAR", "APT", "ARB", "OP", "FIL", "ETC",
	})
	// The products and order types a question may name, likeliest first:
	// tools of every retail app (convert, alerts) before bots and the
	// order types of active traders before algorithmic ones.
	fallbackProducts = weighted([]string{
		"convert", "price_alert", "dust_convert", "grid_bot", "dca_bot", "demo_trading", "pre_market",
		"rebalancing_bot", "signal_bot",
	})
	fallbackOrderTypes = weighted([]string{
		"stop_limit", "stop_market", "oco", "trailing_stop", "post_only", "ioc", "fok", "scaled", "twap",
		"iceberg", "chase",
	})
)

type value struct {
	Value  string
	Weight float64
}

// weighted gives the i-th value the weight 1/(i+1).
func weighted(values []string) []value {
	out := make([]value, len(values))
	for i, v := range values {
		out[i] = value{v, 1 / float64(i+1)}
	}
	return out
}

func fallbackFor(k Kind) []value {
	switch k {
	case MarketsTraded, FirstMarket:
		return fallbackMarkets
	case ProductsUsed:
		return append(slices.Clone(fallbackProducts), fallbackOrderTypes...)
	}
	return fallbackAssets
}
