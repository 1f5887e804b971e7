package demo

import "math"

// DefaultPopulation returns the model of a mid-sized global exchange. The
// shares follow what exchanges publish about their users (a majority KYC
// verified, most with SMS 2FA, a minority that never moved funds on chain)
// and the heavy tails of retail activity: most accounts touch a few coins
// and markets, a few touch dozens. Each call returns a fresh copy.
func DefaultPopulation() *Population {
	return &Population{
		Coins:     defaultCoins(),
		Markets:   defaultMarkets(),
		Countries: defaultCountries(),
		Devices:   defaultDevices(),

		KYC:           0.60,
		Mobile:        0.85,
		NoTransfers:   0.15,
		RecentDeposit: 0.10,
		HomeLogins:    0.85,
		TravelLogins:  0.04,

		RegistrationAgeDays: Count{{30, 90, 0.15}, {91, 365, 0.30}, {366, 730, 0.25}, {731, 1460, 0.30}},
		DepositCoins:        Count{{1, 1, 0.50}, {2, 2, 0.25}, {3, 3, 0.13}, {4, 6, 0.12}},
		Deposits:            Count{{1, 1, 0.22}, {2, 2, 0.16}, {3, 4, 0.20}, {5, 9, 0.20}, {10, 24, 0.14}, {25, 80, 0.08}},
		WithdrawalAddresses: Count{{0, 0, 0.45}, {1, 1, 0.25}, {2, 2, 0.14}, {3, 3, 0.08}, {4, 6, 0.06}, {7, 12, 0.02}},
		WithdrawalsPerAddress: Count{{1, 1, 0.35}, {2, 3, 0.30}, {4, 8, 0.22}, {9, 20, 0.10},
			{21, 40, 0.03}},
		MarketsTraded: Count{{0, 0, 0.30}, {1, 1, 0.20}, {2, 2, 0.14}, {3, 3, 0.10}, {4, 4, 0.07}, {5, 5, 0.05},
			{6, 8, 0.07}, {9, 15, 0.05}, {16, 30, 0.02}},
		TradesPerMarket: Count{{1, 2, 0.32}, {3, 5, 0.25}, {6, 10, 0.18}, {11, 25, 0.14}, {26, 60, 0.08},
			{61, 130, 0.03}},
		AssetsHeld:        Count{{0, 0, 0.12}, {1, 1, 0.25}, {2, 2, 0.22}, {3, 3, 0.15}, {4, 4, 0.10}, {5, 7, 0.11}, {8, 15, 0.05}},
		Logins:            Count{{1, 3, 0.15}, {4, 10, 0.25}, {11, 30, 0.30}, {31, 80, 0.20}, {81, 200, 0.10}},
		DevicesPerAccount: Count{{1, 1, 0.45}, {2, 2, 0.35}, {3, 4, 0.20}},

		// The median account with trades has about 20 fills in this model.
		TypicalTrades: 20,
		// Order habits. A mobile app's one-tap Buy and Sell are market
		// orders, and most retail accounts trade from the app, so about a
		// third never use the order book's limit form; a smaller group,
		// mostly on the web, only ever rests limit orders; the rest mix.
		MarketOnly:  0.35,
		LimitOnly:   0.15,
		MixedMarket: [2]float64{0.2, 0.8},
		OrderTypes:  defaultOrderTypes(),
		// An account that uses a stop or OCO order does not use it on every
		// trade: about one fill in five.
		SpecialOrders: 0.2,
		Products:      defaultProducts(),
	}
}

// defaultOrderTypes are the order types besides limit and market. No
// exchange publishes how many accounts use each, so the shares are this
// model's stated estimates, ordered by how far each sits from the default
// order form: on the large spot exchanges limit and market are the first
// two tabs and stop-limit the third (a minority of retail traders protect
// positions with stops; studies of brokerage accounts find the same);
// stop-market, OCO and trailing stops sit behind a menu; post-only, IOC
// and FOK are time-in-force choices that mostly API and fee-conscious
// traders set; iceberg, TWAP, scaled and chase are algorithmic orders for
// large or frequent traders. The busier an account, the likelier it uses
// each (Elasticity), the advanced ones most of all.
func defaultOrderTypes() []Habit {
	return []Habit{
		{"stop_limit", 0.15, 0.5}, {"stop_market", 0.05, 0.5}, {"oco", 0.04, 0.7}, {"trailing_stop", 0.03, 0.7},
		{"post_only", 0.03, 1}, {"ioc", 0.01, 1}, {"fok", 0.006, 1}, {"scaled", 0.005, 1}, {"twap", 0.004, 1},
		{"iceberg", 0.003, 1}, {"chase", 0.003, 1},
	}
}

// defaultProducts are the products besides spot, with the share of funded
// accounts of typical activity that use each: again estimates, not
// published figures. Convert is the one-screen swap beginners use as much
// as traders (no elasticity); savings (flexible earn) and staking hold idle
// balances of traders and holders alike; P2P is how many countries' users
// buy their first USDT, whatever they do next; derivatives carry most of
// an exchange's volume but only a minority of accounts (USDT-margined
// futures far more than coin-margined, margin and options); bots, copy
// trading, pre-market and demo trading are newer tools a few percent try,
// busier traders more; cards, pay, gift cards and NFTs are side businesses
// few accounts touch. Leftover small balances (dust), which trading leaves
// behind, are converted by a tenth.
func defaultProducts() []Habit {
	return []Habit{
		{"convert", 0.30, 0}, {"earn_flexible", 0.25, 0.3}, {"futures_usdt", 0.20, 0.7}, {"p2p", 0.15, 0},
		{"price_alert", 0.12, 0.3}, {"dust_convert", 0.10, 0.3}, {"staking", 0.08, 0.3}, {"earn_fixed", 0.07, 0.3},
		{"margin", 0.06, 0.7}, {"launchpool", 0.06, 0.5}, {"grid_bot", 0.05, 0.7}, {"copy_trading", 0.04, 0.3},
		{"auto_invest", 0.04, 0}, {"pay", 0.04, 0}, {"futures_coin", 0.03, 1}, {"dca_bot", 0.03, 0.5},
		{"demo_trading", 0.03, 0.3}, {"card", 0.03, 0}, {"dual_investment", 0.02, 0.5}, {"pre_market", 0.015, 0.7},
		{"launchpad", 0.015, 0.5}, {"loan", 0.015, 0.5}, {"nft", 0.015, 0.3}, {"options", 0.01, 1},
		{"gift_card", 0.01, 0}, {"rebalancing_bot", 0.008, 0.7}, {"signal_bot", 0.003, 1},
	}
}

// zipf is the popularity of the item ranked r (from 1): retail attention to
// coins and markets falls off roughly as a power law.
func zipf(r int) float64 { return 1 / math.Pow(float64(r), 1.1) }

func defaultCoins() []Coin {
	evm := func(extra ...Network) []Network { return append([]Network{{"ERC20", 1}}, extra...) }
	one := func(name string) []Network { return []Network{{name, 1}} }
	// In order of deposit popularity: stablecoins first, as on most
	// exchanges, where they are how money comes in.
	coins := []Coin{
		{"USDT", 0, []Network{{"TRC20", 0.50}, {"ERC20", 0.18}, {"BSC", 0.15}, {"SOL", 0.08}, {"TON", 0.05}, {"ARBITRUM", 0.04}}, 300, 2},
		{"BTC", 0, one("BTC"), 0.02, 8},
		{"ETH", 0, []Network{{"ERC20", 0.70}, {"ARBITRUM", 0.14}, {"BASE", 0.10}, {"OPTIMISM", 0.06}}, 0.3, 6},
		{"USDC", 0, []Network{{"ERC20", 0.35}, {"SOL", 0.25}, {"BASE", 0.15}, {"ARBITRUM", 0.10}, {"BSC", 0.10}, {"POLYGON", 0.05}}, 300, 2},
		{"SOL", 0, one("SOL"), 4, 4},
		{"XRP", 0, one("XRP"), 400, 2},
		{"BNB", 0, one("BSC"), 0.8, 4},
		{"DOGE", 0, one("DOGE"), 1500, 2},
		{"TRX", 0, one("TRC20"), 3000, 2},
		{"TON", 0, one("TON"), 50, 3},
		{"ADA", 0, one("ADA"), 600, 2},
		{"LTC", 0, one("LTC"), 3, 4},
		{"LINK", 0, evm(Network{"BSC", 0.2}), 30, 3},
		{"AVAX", 0, one("AVAXC"), 10, 3},
		{"SHIB", 0, evm(Network{"BSC", 0.15}), 5_000_000, 0},
		{"DOT", 0, one("DOT"), 40, 3},
		{"POL", 0, []Network{{"POLYGON", 0.8}, {"ERC20", 0.2}}, 600, 2},
		{"BCH", 0, one("BCH"), 0.5, 5},
		{"XLM", 0, one("XLM"), 1500, 2},
		{"NEAR", 0, one("NEAR"), 60, 3},
		{"ATOM", 0, one("ATOM"), 30, 3},
		{"APT", 0, one("APT"), 30, 3},
		{"ARB", 0, one("ARBITRUM"), 500, 2},
		{"OP", 0, one("OPTIMISM"), 200, 2},
		{"ETC", 0, one("ETC"), 15, 3},
		{"FIL", 0, one("FIL"), 40, 3},
	}
	for i := range coins {
		coins[i].Weight = zipf(i + 1)
	}
	return coins
}

func defaultMarkets() []Market {
	// By trading popularity: X/USDT dominates, a few X/USDC and X/BTC books
	// carry the rest.
	symbols := []string{
		"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT", "BNB/USDT", "USDC/USDT", "TON/USDT",
		"ADA/USDT", "BTC/USDC", "TRX/USDT", "SHIB/USDT", "LINK/USDT", "ETH/USDC", "AVAX/USDT", "LTC/USDT",
		"ETH/BTC", "SOL/USDC", "DOT/USDT", "POL/USDT", "BCH/USDT", "NEAR/USDT", "APT/USDT", "ARB/USDT",
		"OP/USDT", "XLM/USDT", "ATOM/USDT", "SOL/BTC", "XRP/BTC", "FIL/USDT", "ETC/USDT", "BNB/BTC",
		"LTC/BTC", "DOGE/BTC", "XRP/USDC", "DOGE/USDC", "LINK/BTC", "ADA/BTC",
	}
	markets := make([]Market, len(symbols))
	for i, s := range symbols {
		markets[i] = Market{s, zipf(i + 1)}
	}
	return markets
}

func defaultDevices() []Device {
	return []Device{
		{"Chrome 131 / Windows", 0.15}, {"iPhone 15 / iOS 18", 0.09}, {"iPhone 14 / iOS 17", 0.07},
		{"Android 14 / Samsung Galaxy S23", 0.07}, {"Android 13 / Samsung Galaxy A54", 0.07},
		{"Android 13 / Redmi Note 12", 0.07}, {"Chrome 131 / macOS", 0.06}, {"iPhone 13 / iOS 17", 0.05},
		{"iPhone 16 Pro / iOS 18", 0.05}, {"Chrome 131 / Android", 0.04}, {"Edge 131 / Windows", 0.04},
		{"Safari 18 / macOS", 0.04}, {"Android 14 / Pixel 8", 0.03}, {"Android 14 / Xiaomi 13T", 0.03},
		{"Firefox 133 / Windows", 0.03}, {"Android 12 / OPPO A57", 0.03}, {"Safari 18 / iOS", 0.02},
	}
}
