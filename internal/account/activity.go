package account

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
)

// Transfer is a deposit or a withdrawal.
type Transfer struct {
	ExternalID string    `json:"external_id"`
	Coin       string    `json:"coin"`
	Network    string    `json:"network"`
	Amount     string    `json:"amount"`
	Address    string    `json:"address"`
	TxID       string    `json:"txid"`
	At         time.Time `json:"at"`
}

// Login is a sign-in recorded by the exchange.
type Login struct {
	ExternalID string    `json:"external_id"`
	At         time.Time `json:"at"`
	IP         string    `json:"ip"`
	Country    string    `json:"country"`
	City       string    `json:"city"`
	Device     string    `json:"device"`
}

// Trade is an order fill. OrderType is nil when the exchange does not say
// (unknown: never guessed).
type Trade struct {
	ExternalID string    `json:"external_id"`
	Market     string    `json:"market"`
	Side       string    `json:"side"`
	OrderType  *string   `json:"order_type"`
	At         time.Time `json:"at"`
}

// Balance is the amount of one asset held now.
type Balance struct {
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
	// USDValue is the balance's value in US dollars, if the exchange
	// gives it (it decides whether a document reset needs two approvals).
	USDValue *string `json:"usd_value,omitempty"`
}

// Activity is one push of account history. Balances, when present (even
// empty), replace the previous snapshot.
type Activity struct {
	Deposits    []Transfer `json:"deposits"`
	Withdrawals []Transfer `json:"withdrawals"`
	Logins      []Login    `json:"logins"`
	Trades      []Trade    `json:"trades"`
	Balances    *[]Balance `json:"balances"`
	// Products are first uses of exchange products.
	Products []ProductUse `json:"products"`
}

var (
	reExternalID = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	reAsset      = regexp.MustCompile(`^[A-Z0-9]{1,16}$`)
	reNetwork    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)
	reAmount     = regexp.MustCompile(`^[0-9]{1,30}(\.[0-9]{1,18})?$`)
	reAddress    = regexp.MustCompile(`^[A-Za-z0-9:._-]{1,128}$`)
	reTxID       = regexp.MustCompile(`^[A-Za-z0-9:_-]{1,128}$`)
	reMarket     = regexp.MustCompile(`^[A-Z0-9]{1,16}/[A-Z0-9]{1,16}$`)
	reCountry    = regexp.MustCompile(`^[A-Z]{2}$`)
	reText       = regexp.MustCompile(`^[^\x00-\x1f\x7f]{1,128}$`)
)

// MaxItems bounds one push.
const MaxItems = 5000

// Validate checks every item and says which one is wrong.
func (a *Activity) Validate(now time.Time) error {
	n := len(a.Deposits) + len(a.Withdrawals) + len(a.Logins) + len(a.Trades) + len(a.Products)
	if a.Balances != nil {
		n += len(*a.Balances)
	}
	if n > MaxItems {
		return apperr.New(apperr.InvalidRequest, fmt.Sprintf("at most %d items per push", MaxItems))
	}
	latest := now.Add(5 * time.Minute)
	for _, list := range []struct {
		name string
		v    []Transfer
	}{{"deposits", a.Deposits}, {"withdrawals", a.Withdrawals}} {
		for i, t := range list.v {
			if err := checkTransfer(t, latest); err != "" {
				return invalid(list.name, i, err)
			}
		}
	}
	for i, l := range a.Logins {
		if err := checkLogin(l, latest); err != "" {
			return invalid("logins", i, err)
		}
	}
	for i, t := range a.Trades {
		if err := checkTrade(t, latest); err != "" {
			return invalid("trades", i, err)
		}
	}
	for i, p := range a.Products {
		if err := checkProduct(p, latest); err != "" {
			return invalid("products", i, err)
		}
	}
	if a.Balances != nil {
		seen := make(map[string]bool)
		for i, b := range *a.Balances {
			if err := checkBalance(b, seen); err != "" {
				return invalid("balances", i, err)
			}
		}
	}
	return nil
}

func invalid(list string, i int, msg string) error {
	return apperr.New(apperr.InvalidRequest, fmt.Sprintf("%s[%d].%s", list, i, msg))
}

func checkTime(at, latest time.Time) string {
	if at.IsZero() || at.After(latest) || at.Year() < 2009 {
		return "at: must be a time between 2009 and now"
	}
	return ""
}

func checkTransfer(t Transfer, latest time.Time) string {
	switch {
	case !reExternalID.MatchString(t.ExternalID):
		return "external_id: must be 1 to 128 printable characters"
	case !reAsset.MatchString(t.Coin):
		return "coin: must be an upper-case asset symbol"
	case !reNetwork.MatchString(t.Network):
		return "network: must be a network name"
	case !positive(t.Amount):
		return "amount: must be a positive decimal string"
	case !reAddress.MatchString(t.Address):
		return "address: must be an address of at most 128 characters"
	case !reTxID.MatchString(t.TxID):
		return "txid: must be a transaction id of at most 128 characters"
	}
	return checkTime(t.At, latest)
}

func checkLogin(l Login, latest time.Time) string {
	switch {
	case !reExternalID.MatchString(l.ExternalID):
		return "external_id: must be 1 to 128 printable characters"
	case !validIP(l.IP):
		return "ip: must be an IP address"
	case !reCountry.MatchString(l.Country):
		return "country: must be an ISO 3166 alpha-2 code"
	case !reText.MatchString(l.City):
		return "city: must be 1 to 128 printable characters"
	case !reText.MatchString(l.Device):
		return "device: must be 1 to 128 printable characters"
	}
	return checkTime(l.At, latest)
}

func checkTrade(t Trade, latest time.Time) string {
	switch {
	case !reExternalID.MatchString(t.ExternalID):
		return "external_id: must be 1 to 128 printable characters"
	case !reMarket.MatchString(t.Market):
		return "market: must be written BASE/QUOTE, e.g. BTC/USDT"
	case t.Side != "buy" && t.Side != "sell":
		return "side: must be buy or sell"
	}
	if err := checkOrderType(t.OrderType); err != "" {
		return err
	}
	return checkTime(t.At, latest)
}

func checkBalance(b Balance, seen map[string]bool) string {
	switch {
	case !reAsset.MatchString(b.Asset):
		return "asset: must be an upper-case asset symbol"
	case seen[b.Asset]:
		return "asset: listed twice"
	case !reAmount.MatchString(b.Amount):
		return "amount: must be a decimal string"
	case b.USDValue != nil && !reAmount.MatchString(*b.USDValue):
		return "usd_value: must be a decimal string"
	}
	seen[b.Asset] = true
	return ""
}

func positive(amount string) bool {
	return reAmount.MatchString(amount) && strings.Trim(amount, "0.") != ""
}

func validIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// Pushed counts what a push stored.
type Pushed struct {
	Inserted   int `json:"inserted"`
	Duplicates int `json:"duplicates"`
}

// AddActivity stores a validated push in tx. Items whose external id the
// account already has are counted as duplicates and left as they are, so a
// push can be repeated safely. Balance rows count as inserted.
func (s *Store) AddActivity(ctx context.Context, tx *sql.Tx, accountID string, a Activity) (Pushed, error) {
	var p Pushed
	count := func(res sql.Result, err error) error {
		if err != nil {
			return fmt.Errorf("account: add activity: %w", store.Translate(err))
		}
		if n, _ := res.RowsAffected(); n == 1 {
			p.Inserted++
		} else {
			p.Duplicates++
		}
		return nil
	}
	for _, list := range []struct {
		dir string
		v   []Transfer
	}{{"deposit", a.Deposits}, {"withdrawal", a.Withdrawals}} {
		for _, t := range list.v {
			if err := count(tx.ExecContext(ctx, `INSERT INTO transfers (account_id, direction, external_id, coin, network, amount, address, txid, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
				accountID, list.dir, t.ExternalID, t.Coin, t.Network, t.Amount, t.Address, t.TxID, store.Millis(t.At))); err != nil {
				return Pushed{}, err
			}
		}
	}
	for _, l := range a.Logins {
		if err := count(tx.ExecContext(ctx, `INSERT INTO logins (account_id, external_id, at, ip, country, city, device)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			accountID, l.ExternalID, store.Millis(l.At), l.IP, l.Country, l.City, l.Device)); err != nil {
			return Pushed{}, err
		}
	}
	for _, t := range a.Trades {
		if err := count(tx.ExecContext(ctx, `INSERT INTO trades (account_id, external_id, market, side, order_type, at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			accountID, t.ExternalID, t.Market, t.Side, t.OrderType, store.Millis(t.At))); err != nil {
			return Pushed{}, err
		}
	}
	for _, p := range a.Products {
		if err := count(tx.ExecContext(ctx, `INSERT INTO product_uses (account_id, external_id, product, at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			accountID, p.ExternalID, p.Product, store.Millis(p.At))); err != nil {
			return Pushed{}, err
		}
	}
	if a.Balances != nil {
		if _, err := tx.ExecContext(ctx, "DELETE FROM balances WHERE account_id = $1", accountID); err != nil {
			return Pushed{}, fmt.Errorf("account: replace balances: %w", store.Translate(err))
		}
		now := store.Millis(s.clock.Now())
		for _, b := range *a.Balances {
			if err := count(tx.ExecContext(ctx, "INSERT INTO balances (account_id, asset, amount, updated_at, usd_value) VALUES ($1, $2, $3, $4, $5)",
				accountID, b.Asset, b.Amount, now, b.USDValue)); err != nil {
				return Pushed{}, err
			}
		}
	}
	return p, nil
}
