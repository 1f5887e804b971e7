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
