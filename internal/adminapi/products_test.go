package adminapi_test

import (
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// The activity push takes an order type on trades and a list of product
// uses, idempotent on external_id, and refuses a value outside the closed
// lists with a 400 that names the item and stores nothing of the push.
func TestActivityPushProductsAndOrderTypes(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		id := s.CreateAccount(t, "q@example.com", pw, "", false)
		url := "/admin/v1/accounts/" + id + "/activity"
		push := map[string]any{
			"trades": []map[string]any{
				{"external_id": "t-1", "market": "BTC/USDT", "side": "buy", "order_type": "oco", "at": "2026-01-06T08:00:00Z"},
				{"external_id": "t-2", "market": "BTC/USDT", "side": "sell", "order_type": nil, "at": "2026-01-07T08:00:00Z"},
				{"external_id": "t-3", "market": "ETH/USDT", "side": "buy", "at": "2026-01-08T08:00:00Z"},
			},
			"products": []map[string]any{
				{"external_id": "p-1", "product": "dca_bot", "at": "2026-01-09T08:00:00Z"},
				{"external_id": "p-2", "product": "futures_usdt", "at": "2026-01-10T08:00:00Z"},
			},
		}
		r := s.Admin(t, "POST", url, push)
		if r.Status != 200 || r.Body["inserted"] != float64(5) || r.Body["duplicates"] != float64(0) {
			t.Fatalf("first push: %d %s", r.Status, r.Raw)
		}
		r = s.Admin(t, "POST", url, push)
		if r.Status != 200 || r.Body["inserted"] != float64(0) || r.Body["duplicates"] != float64(5) {
			t.Fatalf("repeated push: %d %s", r.Status, r.Raw)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM trades WHERE account_id = $1 AND order_type = 'oco'", id); n != 1 {
			t.Errorf("%d trades stored as oco, want 1", n)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM trades WHERE account_id = $1 AND order_type IS NULL", id); n != 2 {
			t.Errorf("%d trades without an order type, want 2 (null and absent)", n)
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM product_uses WHERE account_id = $1", id); n != 2 {
			t.Errorf("%d product uses stored, want 2", n)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"trades": []map[string]any{{"external_id": "t-9", "market": "BTC/USDT", "side": "buy", "order_type": "stop", "at": "2026-01-06T08:00:00Z"}}}, "trades[0].order_type"},
			{map[string]any{"trades": []map[string]any{{"external_id": "t-9", "market": "BTC/USDT", "side": "buy", "order_type": 3, "at": "2026-01-06T08:00:00Z"}}}, "order_type"},
			{map[string]any{"products": []map[string]any{{"external_id": "p-8", "product": "convert", "at": "2026-01-06T08:00:00Z"}, {"external_id": "p-9", "product": "savings", "at": "2026-01-06T08:00:00Z"}}}, "products[1].product"},
			{map[string]any{"products": []map[string]any{{"external_id": "p-9", "product": "convert", "at": "2999-01-06T08:00:00Z"}}}, "products[0].at"},
			{map[string]any{"products": []map[string]any{{"external_id": "p-9", "product": "convert", "at": "2026-01-06T08:00:00Z", "venue": "x"}}}, "venue"},
		} {
			r := s.Admin(t, "POST", url, c.body)
			if r.Status != 400 || r.ErrorCode() != "invalid_request" || !strings.Contains(r.Body["error"].(map[string]any)["message"].(string), c.field) {
				t.Errorf("%v: %d %s, want 400 naming %s", c.body, r.Status, r.Raw, c.field)
			}
		}
		if n := storetest.Count(t, s.DB, "SELECT count(*) FROM product_uses WHERE account_id = $1", id); n != 2 {
			t.Errorf("a refused push stored product uses: %d rows", n)
		}
	})
}
