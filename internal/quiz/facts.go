package quiz

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// Market is one market an account traded on.
type Market struct {
	Market    string
	FirstBuy  time.Time // zero if never bought
	FirstSell time.Time // zero if never sold
}

// First is the time of the market's first trade.
func (m Market) First() time.Time {
	switch {
	case m.FirstBuy.IsZero():
		return m.FirstSell
	case m.FirstSell.IsZero() || m.FirstBuy.Before(m.FirstSell):
		return m.FirstBuy
	}
	return m.FirstSell
}

// Address is a withdrawal destination.
type Address struct {
	Address string
	Network string
}

// Facts are what questions are built from.
type Facts struct {
	Markets []Market
	// Held are the assets with a non-zero balance now, except any the
	// account received by deposit in the last 30 days (a deposit can come
	// from anyone, so it must not make an answer right).
	Held      []string
	Addresses []Address
	// Recent are the assets a deposit brought in the last 30 days. They
	// are neither answers nor decoys of the held question: the owner may
	// hold them without having chosen to.
	Recent []string
	// Products and OrderTypes are those a question may name
	// (QuestionProducts, QuestionOrderTypes) and the Universal ones;
	// OrderTypes is empty when any trade's order type is unknown.
	Products   []string
	OrderTypes []string
}

// barred returns the values that questions of kind k may not show at all.
func (f Facts) barred(k Kind) map[string]bool {
	out := map[string]bool{}
	if k == AssetsHeld {
		for _, a := range f.Recent {
			out[a] = true
		}
	}
	return out
}

// networks maps each withdrawal address to its network.
func (f Facts) networks() map[string]string {
	out := make(map[string]string, len(f.Addresses))
	for _, a := range f.Addresses {
		out[a.Address] = a.Network
	}
	return out
}

// Values returns the account's facts of kind k as option values.
func (f Facts) Values(k Kind) []string {
	var out []string
	switch k {
	case MarketsTraded:
		for _, m := range f.Markets {
			out = append(out, m.Market)
		}
	case FirstMarket:
		if len(f.Markets) >= 2 {
			first := f.Markets[0]
			for _, m := range f.Markets[1:] {
				if m.First().Before(first.First()) {
					first = m
				}
			}
			out = []string{first.Market}
		}
	case AssetsBought, AssetsSold:
		seen := map[string]bool{}
		for _, m := range f.Markets {
			traded := !m.FirstBuy.IsZero()
			if k == AssetsSold {
				traded = !m.FirstSell.IsZero()
			}
			if base := Base(m.Market); traded && !seen[base] {
				seen[base] = true
				out = append(out, base)
			}
		}
	case AssetsHeld:
		out = append(out, f.Held...)
	case WithdrawalAddresses:
		for _, a := range f.Addresses {
			out = append(out, a.Address)
		}
	case ProductsUsed:
		out = append(out, f.Products...)
		out = append(out, f.OrderTypes...)
	}
	sort.Strings(out)
	return out
}

// Base is the base asset of a market: BTC of BTC/USDT.
func Base(market string) string {
	base, _, _ := strings.Cut(market, "/")
	return base
}

// recentDeposit is how old a deposit must be before the asset it brought
// may count as held.
const recentDeposit = 30 * 24 * time.Hour

// marketsSQL walks the account's distinct markets by index probes (a loose
// index scan written as a recursive query, portable to both dialects), then
// probes each market's first buy and first sell. It reads a handful of
// index entries per market however long the history is.
const marketsSQL = `WITH RECURSIVE m(market) AS (
	SELECT min(market) FROM trades WHERE account_id = $1
	UNION ALL
	SELECT (SELECT min(t.market) FROM trades t WHERE t.account_id = $1 AND t.market > m.market)
	FROM m WHERE m.market IS NOT NULL
)
SELECT market,
	(SELECT min(at) FROM trades t WHERE t.account_id = $1 AND t.market = m.market AND t.side = 'buy'),
	(SELECT min(at) FROM trades t WHERE t.account_id = $1 AND t.market = m.market AND t.side = 'sell')
FROM m WHERE market IS NOT NULL LIMIT 500`

const addressesSQL = `WITH RECURSIVE a(address) AS (
	SELECT min(address) FROM transfers WHERE account_id = $1 AND direction = 'withdrawal'
	UNION ALL
	SELECT (SELECT min(t.address) FROM transfers t WHERE t.account_id = $1 AND t.direction = 'withdrawal' AND t.address > a.address)
	FROM a WHERE a.address IS NOT NULL
)
SELECT address,
	(SELECT t.network FROM transfers t WHERE t.account_id = $1 AND t.direction = 'withdrawal' AND t.address = a.address LIMIT 1)
FROM a WHERE address IS NOT NULL LIMIT 200`

// Load reads an account's facts with a few indexed queries.
func Load(ctx context.Context, q store.Querier, accountID string, now time.Time) (Facts, error) {
	var f Facts
	var err error
	if f.Markets, err = loadMarkets(ctx, q, accountID); err != nil {
		return Facts{}, err
	}
	if f.Held, f.Recent, err = loadHeld(ctx, q, accountID, now); err != nil {
		return Facts{}, err
	}
	if f.Addresses, err = loadAddresses(ctx, q, accountID); err != nil {
		return Facts{}, err
	}
	if f.Products, err = loadProducts(ctx, q, accountID); err != nil {
		return Facts{}, err
	}
	if f.OrderTypes, err = loadOrderTypes(ctx, q, accountID); err != nil {
		return Facts{}, err
	}
	return f, nil
}

func loadMarkets(ctx context.Context, q store.Querier, accountID string) ([]Market, error) {
	rows, err := q.QueryContext(ctx, marketsSQL, accountID)
	if err != nil {
		return nil, fmt.Errorf("quiz: markets: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Market
	for rows.Next() {
		var m Market
		var buy, sell *int64
		if err := rows.Scan(&m.Market, &buy, &sell); err != nil {
			return nil, fmt.Errorf("quiz: markets: %w", err)
		}
		if buy != nil {
			m.FirstBuy = store.Time(*buy)
		}
		if sell != nil {
			m.FirstSell = store.Time(*sell)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quiz: markets: %w", store.Translate(err))
	}
	return out, nil
}

func loadHeld(ctx context.Context, q store.Querier, accountID string, now time.Time) (held, recentCoins []string, err error) {
	recent := map[string]bool{}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT coin FROM transfers WHERE account_id = $1 AND direction = 'deposit' AND at > $2`,
		accountID, store.Millis(now.Add(-recentDeposit)))
	if err != nil {
		return nil, nil, fmt.Errorf("quiz: recent deposits: %w", store.Translate(err))
	}
	for rows.Next() {
		var coin string
		if err := rows.Scan(&coin); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("quiz: recent deposits: %w", err)
		}
		recent[coin] = true
		recentCoins = append(recentCoins, coin)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("quiz: recent deposits: %w", store.Translate(err))
	}
	rows, err = q.QueryContext(ctx, `SELECT asset, amount FROM balances WHERE account_id = $1 ORDER BY asset`, accountID)
	if err != nil {
		return nil, nil, fmt.Errorf("quiz: balances: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var asset, amount string
		if err := rows.Scan(&asset, &amount); err != nil {
			return nil, nil, fmt.Errorf("quiz: balances: %w", err)
		}
		if strings.Trim(amount, "0.") != "" && !recent[asset] {
			held = append(held, asset)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("quiz: balances: %w", store.Translate(err))
	}
	sort.Strings(recentCoins)
	return held, recentCoins, nil
}

func loadAddresses(ctx context.Context, q store.Querier, accountID string) ([]Address, error) {
	rows, err := q.QueryContext(ctx, addressesSQL, accountID)
	if err != nil {
		return nil, fmt.Errorf("quiz: addresses: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Address
	for rows.Next() {
		var a Address
		if err := rows.Scan(&a.Address, &a.Network); err != nil {
			return nil, fmt.Errorf("quiz: addresses: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quiz: addresses: %w", store.Translate(err))
	}
	return out, nil
}
