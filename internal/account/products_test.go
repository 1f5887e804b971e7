package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

func ptr(s string) *string { return &s }

// Order types and product uses are stored as pushed, an unknown order type
// as NULL, and a repeated push changes nothing.
func TestProductsAndOrderTypesAreStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := account.NewStore(clock.NewFake(now))
		a, err := s.Create(context.Background(), db, account.New{Email: "p@example.com", PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		at := now.Add(-30 * 24 * time.Hour)
		act := account.Activity{
			Trades: []account.Trade{
				{ExternalID: "t1", Market: "BTC/USDT", Side: "buy", OrderType: ptr("stop_limit"), At: at},
				{ExternalID: "t2", Market: "BTC/USDT", Side: "sell", At: at.Add(time.Hour)},
			},
			Products: []account.ProductUse{
				{ExternalID: "p1", Product: "grid_bot", At: at},
				{ExternalID: "p2", Product: "convert", At: at.Add(time.Minute)},
			},
		}
		p, err := push(t, db, s, a.ID, act)
		if err != nil || p.Inserted != 4 || p.Duplicates != 0 {
			t.Fatalf("first push = %+v, %v", p, err)
		}
		act.Products[1].Product = "p2p" // a changed repeat is still a duplicate
		act.Trades[0].OrderType = ptr("market")
		p, err = push(t, db, s, a.ID, act)
		if err != nil || p.Inserted != 0 || p.Duplicates != 4 {
			t.Fatalf("repeated push = %+v, %v", p, err)
		}
		if got := storetest.Value[string](t, db, "SELECT order_type FROM trades WHERE account_id = $1 AND external_id = 't1'", a.ID); got != "stop_limit" {
			t.Errorf("t1 order type %q, want stop_limit", got)
		}
		if n := storetest.Count(t, db, "SELECT count(*) FROM trades WHERE account_id = $1 AND external_id = 't2' AND order_type IS NULL", a.ID); n != 1 {
			t.Errorf("a trade without an order type is stored with one (%d rows with NULL)", n)
		}
		var products []string
		rows, err := db.QueryContext(context.Background(), "SELECT product, at FROM product_uses WHERE account_id = $1 ORDER BY external_id", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var product string
			var ms int64
			if err := rows.Scan(&product, &ms); err != nil {
				t.Fatal(err)
			}
			if ms != store.Millis(at) && ms != store.Millis(at.Add(time.Minute)) {
				t.Errorf("%s stored at %d", product, ms)
			}
			products = append(products, product)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(products, ",") != "grid_bot,convert" {
			t.Errorf("products stored %v", products)
		}
	})
}

// Every bad order type or product is a 400 naming it; nothing is guessed.
func TestProductsAndOrderTypesValidation(t *testing.T) {
	at := now.Add(-time.Hour)
	trade := func(ot *string) []account.Trade {
		return []account.Trade{{ExternalID: "t", Market: "BTC/USDT", Side: "buy", OrderType: ot, At: at}}
	}
	cases := map[string]account.Activity{
		"trades[0].order_type: must be one of": {Trades: trade(ptr("Limit"))},
		"trades[0].order_type":                 {Trades: trade(ptr(""))},
		"trades[0].order_type: ":               {Trades: trade(ptr("stop-limit"))},
		"products[0].product: must be one of":  {Products: []account.ProductUse{{ExternalID: "p", Product: "futures", At: at}}},
		"products[0].product":                  {Products: []account.ProductUse{{ExternalID: "p", Product: "", At: at}}},
		"products[1].external_id":              {Products: []account.ProductUse{{ExternalID: "p", Product: "convert", At: at}, {ExternalID: "a b", Product: "convert", At: at}}},
		"products[0].at":                       {Products: []account.ProductUse{{ExternalID: "p", Product: "convert", At: now.Add(time.Hour)}}},
	}
	for field, a := range cases {
		err := a.Validate(now)
		if !apperr.Is(err, apperr.InvalidRequest) || !strings.HasPrefix(apperr.As(err).Message, field) {
			t.Errorf("%s: Validate = %v", field, err)
		}
	}
	for _, ot := range append(account.OrderTypes, "") {
		a := account.Activity{Trades: trade(ptr(ot))}
		if ot == "" {
			a.Trades[0].OrderType = nil // unknown
		}
		if err := a.Validate(now); err != nil {
			t.Errorf("order type %q: %v", ot, err)
		}
	}
	for _, p := range account.Products {
		a := account.Activity{Products: []account.ProductUse{{ExternalID: "p", Product: p, At: at}}}
		if err := a.Validate(now); err != nil {
			t.Errorf("product %q: %v", p, err)
		}
	}
	// Products count towards the item limit like every list.
	big := account.Activity{Trades: make([]account.Trade, account.MaxItems), Products: make([]account.ProductUse, 1)}
	if err := big.Validate(now); !apperr.Is(err, apperr.InvalidRequest) || !strings.Contains(apperr.As(err).Message, "items per push") {
		t.Errorf("a push of MaxItems trades and one product: %v", err)
	}
}
