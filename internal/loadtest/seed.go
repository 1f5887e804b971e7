package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/phone"
	"github.com/rebindhq/rebind/internal/quiz"
)

// account is a seeded account a worker drives flows on.
type account struct {
	id, email, password, mobile string
	token                       string // a session, for the signed-in flows
	facts                       quiz.Facts
	uses                        int
}

// mobilePlans are mobile ranges of several countries: numbers are spread
// over calling codes and number prefixes, so the per-code and per-prefix
// SMS caps (docs/security.md) are not what a run measures.
var mobilePlans = []struct {
	region, prefix string
	digits         int
}{
	{"SG", "+658", 7}, {"SG", "+659", 7}, {"GB", "+4475", 8}, {"GB", "+4477", 8}, {"AU", "+614", 8},
	{"FR", "+336", 8}, {"NL", "+316", 8}, {"ES", "+346", 8}, {"IT", "+3934", 8},
}

// ids makes the run's unique emails and numbers: the run's random tag in
// every email, and random numbers checked with the server's own rules.
type ids struct {
	mu   sync.Mutex
	tag  string
	n    int
	rng  *rand.Rand
	used map[string]bool
}

func newIDs(rng *rand.Rand) *ids {
	return &ids{tag: fmt.Sprintf("%08x", rng.Uint32()), rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), used: map[string]bool{}}
}

func (g *ids) email() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return fmt.Sprintf("lt-%s-%d@loadtest.invalid", g.tag, g.n)
}

// mobile returns an unused valid mobile number: E.164, and its region and
// national number for a change's new-number step.
func (g *ids) mobile() (e164, region, national string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		p := mobilePlans[g.rng.IntN(len(mobilePlans))]
		var b strings.Builder
		b.WriteString(p.prefix)
		for range p.digits {
			b.WriteByte(byte('0' + g.rng.IntN(10)))
		}
		n, err := phone.ParseE164(b.String())
		if err != nil || g.used[n.E164()] {
			continue
		}
		national := strings.TrimPrefix(n.E164(), "+"+fmt.Sprint(n.CallingCode()))
		if typed, err := phone.Parse(n.Region(), national); err != nil || typed.E164() != n.E164() {
			continue
		}
		g.used[n.E164()] = true
		return n.E164(), n.Region(), national
	}
}

// markets are the exchange's common markets; each account trades a few at
// random, so no market is held by nearly every account (a value most
// accounts have is never asked, quiz.MaxRate).
var markets = []string{
	"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT", "BNB/USDT", "TRX/USDT", "ADA/USDT", "TON/USDT",
	"LTC/USDT", "LINK/USDT", "AVAX/USDT", "DOT/USDT", "SHIB/USDT", "BCH/USDT", "POL/USDT", "ATOM/USDT", "XLM/USDT",
	"NEAR/USDT", "APT/USDT", "ARB/USDT", "OP/USDT", "FIL/USDT", "ETC/USDT",
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// history draws an account's activity for the admin API's push, and the
// facts its owner knows from it (quiz.Facts, as the server will load
// them), so the tool answers questions as the owner would.
func history(rng *rand.Rand) (map[string]any, quiz.Facts) {
	now := time.Now().UTC()
	at := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour).Truncate(time.Second) }
	var f quiz.Facts
	var trades, withdrawals, balances []map[string]any
	perm := rng.Perm(len(markets))
	for i, j := range perm[:4+rng.IntN(3)] {
		m := quiz.Market{Market: markets[j], FirstBuy: at(400 - 7*i), FirstSell: at(300 - 5*i)}
		f.Markets = append(f.Markets, m)
		trades = append(trades,
			map[string]any{"external_id": fmt.Sprintf("b%d", i), "market": m.Market, "side": "buy", "at": m.FirstBuy.Format(time.RFC3339)},
			map[string]any{"external_id": fmt.Sprintf("s%d", i), "market": m.Market, "side": "sell", "at": m.FirstSell.Format(time.RFC3339)})
		if i < 3 {
			asset := quiz.Base(m.Market)
			f.Held = append(f.Held, asset)
			balances = append(balances, map[string]any{"asset": asset, "amount": fmt.Sprint(1 + rng.IntN(500))})
		}
	}
	for i := range 3 {
		b := []byte("T")
		for range 33 {
			b = append(b, base58[rng.IntN(len(base58))])
		}
		f.Addresses = append(f.Addresses, quiz.Address{Address: string(b), Network: "TRC20"})
		withdrawals = append(withdrawals, map[string]any{"external_id": fmt.Sprintf("w%d", i), "coin": "USDT", "network": "TRC20",
			"amount": "25", "address": string(b), "txid": fmt.Sprintf("wx%d%08x", i, rng.Uint32()), "at": at(90 + i).Format(time.RFC3339)})
	}
	push := map[string]any{
		"trades": trades, "withdrawals": withdrawals, "balances": balances,
		"deposits": []map[string]any{{"external_id": "d0", "coin": "USDT", "network": "TRC20", "amount": "900",
			"address": "TDep" + fmt.Sprintf("%030d", rng.Uint64N(1e18)), "txid": fmt.Sprintf("dx%08x", rng.Uint32()), "at": at(400).Format(time.RFC3339)}},
	}
	return push, f
}

// answers picks every option of each question that the owner's facts make
// right: the value itself, or for an address its masked form.
func answers(f quiz.Facts, qz map[string]any) (map[string][]string, error) {
	out := map[string][]string{}
	qs, _ := qz["questions"].([]any)
	for _, raw := range qs {
		q, _ := raw.(map[string]any)
		var spec quiz.Spec
		for _, s := range quiz.Specs {
			if s.Text == q["text"] {
				spec = s
			}
		}
		if spec.Kind == "" {
			return nil, fmt.Errorf("unknown question %q", q["text"])
		}
		ids := []string{}
		opts, _ := q["options"].([]any)
		for _, o := range opts {
			opt, _ := o.(map[string]any)
			text := str(opt, "text")
			for _, v := range f.Values(spec.Kind) {
				if text == quiz.OptionText(spec.Kind, v) ||
					(spec.Kind == quiz.WithdrawalAddresses && strings.HasPrefix(text, quiz.MaskAddress(v))) {
					ids = append(ids, str(opt, "id"))
					break
				}
			}
		}
		out[str(q, "id")] = ids
	}
	return out, nil
}

// seed creates an account through the admin API as kind says: a mobile
// bound, a history for questions, a session signed in (its second factor
// read from the sinks like any code).
func (t *Tool) seed(ctx context.Context, kind seedKind, rng *rand.Rand) (*account, error) {
	if kind.bare {
		return &account{id: fmt.Sprintf("%026x", rng.Uint64())}, nil
	}
	r := &run{ctx: ctx, hc: t.hc}
	a := &account{email: t.ids.email(), password: t.pw}
	var push map[string]any
	if kind.history {
		push, a.facts = history(rng)
	}
	for try := 0; ; try++ {
		body := map[string]any{"email": a.email, "password": a.password, "kyc": kind.history}
		if kind.mobile {
			a.mobile, _, _ = t.ids.mobile()
			body["mobile"] = a.mobile
		}
		out, err := r.patient("create", 201, "POST", t.cfg.AdminURL+"/admin/v1/accounts", t.cfg.AdminToken, body)
		var se *stepError
		if errors.As(err, &se) && se.Code == "conflict" && kind.mobile && try < 5 {
			continue // the number is another run's
		}
		if err != nil {
			return nil, err
		}
		a.id = str(out, "id")
		break
	}
	if push != nil {
		if _, err := r.call("activity", 200, "POST", t.cfg.AdminURL+"/admin/v1/accounts/"+a.id+"/activity", t.cfg.AdminToken, push); err != nil {
			return nil, err
		}
	}
	if kind.signIn {
		r.xff = clientAddr(rng)
		since := time.Now()
		out, err := r.patient("sign_in", 200, "POST", t.cfg.BaseURL+"/api/v1/sessions", "", map[string]string{"email": a.email, "password": a.password})
		if err != nil {
			return nil, err
		}
		to := a.email
		if a.mobile != "" {
			to = a.mobile
		}
		code, err := r.code(t.inbox, "sign_in_code", to, since, t.cfg.CodeTimeout)
		if err != nil {
			return nil, err
		}
		if out, err = r.call("sign_in_verify", 200, "POST", t.cfg.BaseURL+"/api/v1/sessions/"+str(out, "login_id")+"/verify", "",
			map[string]string{"code": code}); err != nil {
			return nil, err
		}
		a.token = str(out, "token")
	}
	return a, nil
}
