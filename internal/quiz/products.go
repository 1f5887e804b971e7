package quiz

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rebindhq/rebind/internal/store"
)

// ProductsUsed asks how the owner used the exchange: products and order
// types. It names no asset, so it is independent of the trading questions
// (assetsOf returns nothing for it).
const ProductsUsed Kind = "products_used"

// productTexts and orderTypeTexts are the option texts of the values that
// may be asked (QuestionProducts, QuestionOrderTypes), as an exchange's own
// menus name them.
var (
	productTexts = map[string]string{
		"convert":         "Convert (instant swap)",
		"dust_convert":    "Convert small balances (dust)",
		"grid_bot":        "Spot grid bot",
		"dca_bot":         "DCA bot",
		"rebalancing_bot": "Rebalancing bot",
		"signal_bot":      "Signal bot",
		"demo_trading":    "Demo trading",
		"pre_market":      "Pre-market trading",
		"price_alert":     "Price alerts",
	}
	orderTypeTexts = map[string]string{
		"stop_limit":    "Stop-limit order",
		"stop_market":   "Stop-market order",
		"oco":           "OCO order (one cancels the other)",
		"trailing_stop": "Trailing stop order",
		"post_only":     "Post-only order",
		"ioc":           "Immediate-or-cancel (IOC) order",
		"fok":           "Fill-or-kill (FOK) order",
		"iceberg":       "Iceberg order",
		"twap":          "TWAP order",
		"scaled":        "Scaled order",
		"chase":         "Chase order",
	}
)

// OptionText is the text an option of kind k with value v shows: a
// product's or order type's name as people know it, the value itself for
// markets and assets. (Addresses are masked where options are made.)
func OptionText(k Kind, v string) string {
	var t string
	switch k {
	case ProductsUsed:
		t = productTexts[v]
		if t == "" {
			t = orderTypeTexts[v]
		}
	}
	if t == "" {
		return v
	}
	return t
}

// factsOf names, in the terms of NotificationFacts, the facts a question
// built from values reveals: one per value, so the test that keeps
// questions and notifications apart checks every value that may be asked.
func factsOf(prefix string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = prefix + v
	}
	return out
}

// productsSQL walks the account's distinct products by index probes, like
// marketsSQL: a handful of index entries per product however many uses the
// exchange pushed.
const productsSQL = `WITH RECURSIVE p(product) AS (
	SELECT min(product) FROM product_uses WHERE account_id = $1
	UNION ALL
	SELECT (SELECT min(u.product) FROM product_uses u WHERE u.account_id = $1 AND u.product > p.product)
	FROM p WHERE p.product IS NOT NULL
)
SELECT product FROM p WHERE product IS NOT NULL LIMIT 100`

// orderTypesSQL walks the distinct order types of the account's trades the
// same way; trades without one sort apart (NULL) and are skipped.
const orderTypesSQL = `WITH RECURSIVE o(order_type) AS (
	SELECT min(order_type) FROM trades WHERE account_id = $1 AND order_type IS NOT NULL
	UNION ALL
	SELECT (SELECT min(t.order_type) FROM trades t WHERE t.account_id = $1 AND t.order_type IS NOT NULL AND t.order_type > o.order_type)
	FROM o WHERE o.order_type IS NOT NULL
)
SELECT order_type FROM o WHERE order_type IS NOT NULL LIMIT 100`

// unknownOrderTypeSQL finds, by one index probe, whether any trade of the
// account came without an order type.
const unknownOrderTypeSQL = `SELECT count(*) FROM (SELECT 1 FROM trades WHERE account_id = $1 AND order_type IS NULL LIMIT 1) u`

// loadProducts returns the products the account used that a question may
// name, and spot.
func loadProducts(ctx context.Context, q store.Querier, accountID string) ([]string, error) {
	return loadDistinct(ctx, q, "products", productsSQL, accountID, QuestionProducts, UniversalProducts)
}

// loadOrderTypes returns the order types of the account's fills that a
// question may name, and limit and market, or nothing when any fill's
// order type is unknown: an
// unknown one may be exactly the type a decoy shows, which the owner would
// rightly tick.
func loadOrderTypes(ctx context.Context, q store.Querier, accountID string) ([]string, error) {
	var unknown int
	if err := q.QueryRowContext(ctx, unknownOrderTypeSQL, accountID).Scan(&unknown); err != nil {
		return nil, fmt.Errorf("quiz: order types: %w", store.Translate(err))
	}
	if unknown > 0 {
		return nil, nil
	}
	return loadDistinct(ctx, q, "order types", orderTypesSQL, accountID, QuestionOrderTypes, UniversalOrderTypes)
}

// loadDistinct runs a loose index scan and keeps the values in keep or
// also.
func loadDistinct(ctx context.Context, q store.Querier, what, query, accountID string, keep, also []string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, accountID)
	if err != nil {
		return nil, fmt.Errorf("quiz: %s: %w", what, store.Translate(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("quiz: %s: %w", what, err)
		}
		if slices.Contains(keep, v) || slices.Contains(also, v) {
			out = append(out, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quiz: %s: %w", what, store.Translate(err))
	}
	slices.SortFunc(out, strings.Compare)
	return out, nil
}
