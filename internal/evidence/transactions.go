package evidence

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
)

var (
	txidPattern   = regexp.MustCompile(`^[A-Za-z0-9:_\-]{8,128}$`)
	coinPattern   = regexp.MustCompile(`^[A-Z0-9]{2,12}$`)
	amountPattern = regexp.MustCompile(`^[0-9]{1,20}(\.[0-9]{1,18})?$`)
)

// CheckTransactions tidies and checks typed transactions: a TXID of 8 to
// 128 letters, digits, ':', '_' or '-'; a coin symbol; a positive decimal
// amount. Errors name the entry and the field.
func CheckTransactions(txs []Transaction) ([]Transaction, error) {
	if len(txs) > MaxTransactions {
		return nil, apperr.New(apperr.InvalidRequest, fmt.Sprintf("at most %d transactions can be typed", MaxTransactions)).With("field", "transactions")
	}
	out := make([]Transaction, len(txs))
	for i, t := range txs {
		t = Transaction{TXID: strings.TrimSpace(t.TXID), Coin: strings.ToUpper(strings.TrimSpace(t.Coin)), Amount: strings.TrimSpace(t.Amount)}
		field := ""
		switch {
		case !txidPattern.MatchString(t.TXID):
			field = "txid"
		case !coinPattern.MatchString(t.Coin):
			field = "coin"
		case !amountPattern.MatchString(t.Amount) || !positive(t.Amount):
			field = "amount"
		}
		if field != "" {
			return nil, apperr.New(apperr.InvalidRequest, fmt.Sprintf("transaction %d: the %s is not valid", i+1, field)).
				With("field", fmt.Sprintf("transactions[%d].%s", i, field))
		}
		out[i] = t
	}
	return out, nil
}

func positive(amount string) bool {
	r, ok := new(big.Rat).SetString(amount)
	return ok && r.Sign() > 0
}

// Match compares typed transaction t with the records that carry its
// TXID. The amount matches when the record, rounded to as many decimals as
// were typed, is the typed amount: a user copies "0.05" from a screen that
// the records keep as 0.0500012.
func Match(t Transaction, records []account.Recorded) Transaction {
	t.Match = MatchNone
	for _, r := range records {
		t.Direction = r.Direction
		if !strings.EqualFold(r.Coin, t.Coin) {
			t.Match = MatchCoinDiffers
			continue
		}
		if closeEnough(t.Amount, r.Amount) {
			t.Match, t.Recorded = MatchExact, ""
			return t
		}
		t.Match, t.Recorded = MatchAmountDiffers, r.Amount
	}
	if t.Match == MatchNone {
		t.Direction = ""
	}
	return t
}

// closeEnough reports whether recorded is within half a unit of typed's
// last decimal place.
func closeEnough(typed, recorded string) bool {
	a, ok1 := new(big.Rat).SetString(typed)
	b, ok2 := new(big.Rat).SetString(recorded)
	if !ok1 || !ok2 {
		return false
	}
	decimals := 0
	if i := strings.IndexByte(typed, '.'); i >= 0 {
		decimals = len(typed) - i - 1
	}
	half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)))
	diff := new(big.Rat).Sub(a, b)
	return diff.Abs(diff).Cmp(half) <= 0
}
