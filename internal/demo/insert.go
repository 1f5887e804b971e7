package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// maxParams bounds the placeholders of one statement. Both databases take
// far more (PostgreSQL 65535, SQLite 32766), but past a few hundred rows a
// longer statement saves little round-trip time and costs parsing and
// memory.
const maxParams = 6000

// table collects the rows of one table and writes them with multi-row
// INSERT statements, which both drivers accept with $n placeholders.
type table struct {
	name string
	cols []string
	args []any
}

func newTable(name string, cols ...string) *table {
	return &table{name: name, cols: cols}
}

func (t *table) add(values ...any) { t.args = append(t.args, values...) }

// flush writes the rows in statements of at most maxParams placeholders.
// Full statements have the same text, so a driver that caches prepared
// statements (pgx) parses it once per connection. It leaves the rows in
// place, so a transaction that store.DB.Tx retries writes them again.
func (t *table) flush(ctx context.Context, d store.Dialect, tx *sql.Tx) error {
	per := maxParams / len(t.cols) * len(t.cols)
	for off := 0; off < len(t.args); off += per {
		n := min(per, len(t.args)-off)
		if _, err := tx.ExecContext(ctx, t.statement(d, n/len(t.cols)), t.args[off:off+n]...); err != nil {
			return fmt.Errorf("demo: insert into %s: %w", t.name, store.Translate(err))
		}
	}
	return nil
}

// statement writes placeholders as $n for PostgreSQL and as bare ? for
// SQLite. SQLite takes $n too, but as a parameter named "$n", and both its
// parser and the driver's binding look names up in a list one by one: a
// statement of n named parameters costs O(n²), which made a 6000-parameter
// INSERT slower than the rows it wrote.
func (t *table) statement(d store.Dialect, rows int) string {
	var b strings.Builder
	b.Grow(32 + rows*len(t.cols)*7)
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range t.cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if d == store.SQLite {
				b.WriteByte('?')
				continue
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Insert stores accounts and all their history in one transaction and
// returns their new ids, in order. Every account gets passwordHash: the
// bulk path hashes one password once, because argon2id at ~20 ms a hash
// would cost over half an hour of CPU per 100,000 accounts, twenty times
// as long as writing them. Rows are stamped created now (wall clock). An
// email or mobile that is already taken fails the whole transaction
// (conflict).
func Insert(ctx context.Context, db *store.DB, accounts []Generated, passwordHash string) ([]string, error) {
	ids := make([]string, len(accounts))
	for i := range ids {
		ids[i] = token.NewID()
	}
	return ids, InsertWithIDs(ctx, db, accounts, ids, passwordHash)
}

// InsertWithIDs is Insert with the accounts' ids given (ids[i] for
// accounts[i]), for simulations that must come out the same every run:
// the security questions are drawn from generators seeded with the
// account's id.
func InsertWithIDs(ctx context.Context, db *store.DB, accounts []Generated, ids []string, passwordHash string) error {
	now := store.Millis(time.Now())
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, t := range tables(accounts, ids, passwordHash, now) {
			if err := t.flush(ctx, db.Dialect, tx); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// tables lays the accounts out as rows, accounts first for the foreign keys.
func tables(accounts []Generated, ids []string, passwordHash string, now int64) []*table {
	accts := newTable("accounts", "id", "email", "email_norm", "password_hash", "mobile",
		"mobile_verification", "kyc", "registered_at", "created_at", "updated_at")
	transfers := newTable("transfers", "account_id", "direction", "external_id", "coin", "network",
		"amount", "address", "txid", "at")
	logins := newTable("logins", "account_id", "external_id", "at", "ip", "country", "city", "device")
	trades := newTable("trades", "account_id", "external_id", "market", "side", "order_type", "at")
	products := newTable("product_uses", "account_id", "external_id", "product", "at")
	balances := newTable("balances", "account_id", "asset", "amount", "updated_at")
	for i, g := range accounts {
		id := ids[i]
		var mobile any // NULL, not "": the column is UNIQUE
		if g.Mobile != "" {
			mobile = g.Mobile
		}
		accts.add(id, g.Email, strings.ToLower(g.Email), passwordHash, mobile, g.Mobile != "", g.KYC,
			store.Millis(g.RegisteredAt), now, now)
		for _, d := range g.Activity.Deposits {
			transfers.add(id, "deposit", d.ExternalID, d.Coin, d.Network, d.Amount, d.Address, d.TxID, store.Millis(d.At))
		}
		for _, w := range g.Activity.Withdrawals {
			transfers.add(id, "withdrawal", w.ExternalID, w.Coin, w.Network, w.Amount, w.Address, w.TxID, store.Millis(w.At))
		}
		for _, l := range g.Activity.Logins {
			logins.add(id, l.ExternalID, store.Millis(l.At), l.IP, l.Country, l.City, l.Device)
		}
		for _, t := range g.Activity.Trades {
			var orderType any // NULL when unknown
			if t.OrderType != nil {
				orderType = *t.OrderType
			}
			trades.add(id, t.ExternalID, t.Market, t.Side, orderType, store.Millis(t.At))
		}
		for _, u := range g.Activity.Products {
			products.add(id, u.ExternalID, u.Product, store.Millis(u.At))
		}
		if g.Activity.Balances != nil {
			for _, b := range *g.Activity.Balances {
				balances.add(id, b.Asset, b.Amount, now)
			}
		}
	}
	return []*table{accts, transfers, logins, trades, balances, products}
}
