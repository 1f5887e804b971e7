package quiz_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

var now = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

func service(t testing.TB, clk clock.Clock) *quiz.Service {
	seal, err := keys.NewSealer(keys.Set{bytes.Repeat([]byte{5}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return quiz.New(clk, bytes.Repeat([]byte{6}, 32), seal, nil, quiz.DefaultRules)
}

// rich is an account history that supports every kind of question.
func rich(seed int) account.Activity {
	at := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	markets := []string{"BTC/USDT", "ETH/USDT", "SOL/USDT", "DOGE/USDT", "ADA/USDT", "LINK/USDT"}
	var a account.Activity
	for i, m := range markets[:3+seed%3] {
		a.Trades = append(a.Trades, account.Trade{ExternalID: fmt.Sprintf("t%d", i), Market: m, Side: "buy", At: at(300 - i)})
		a.Trades = append(a.Trades, account.Trade{ExternalID: fmt.Sprintf("s%d", i), Market: m, Side: "sell", At: at(200 - i)})
	}
	for i := range 2 + seed%2 {
		a.Withdrawals = append(a.Withdrawals, account.Transfer{ExternalID: fmt.Sprintf("w%d", i), Coin: "USDT", Network: "TRC20",
			Amount: "50", Address: fmt.Sprintf("TXwallet%d%032d", seed, i), TxID: fmt.Sprintf("tx%d", i), At: at(100 + i)})
	}
	a.Deposits = []account.Transfer{{ExternalID: "d1", Coin: "USDT", Network: "TRC20", Amount: "500", Address: "TDeposit", TxID: "dx", At: at(400)}}
	a.Balances = &[]account.Balance{{Asset: "BTC", Amount: "0.1"}, {Asset: "ETH", Amount: "1"}, {Asset: "USDT", Amount: "0"}}
	return a
}

func newAccount(t testing.TB, db *store.DB, act account.Activity) string {
	t.Helper()
	st := account.NewStore(clock.NewFake(now))
	var id string
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		a, err := st.Create(context.Background(), tx, account.New{Email: token.NewID() + "@example.com", PasswordHash: "x"})
		if err != nil {
			return err
		}
		id = a.ID
		_, err = st.AddActivity(context.Background(), tx, id, act)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newFlow(t testing.TB, db *store.DB, accountID string) string {
	t.Helper()
	id := token.NewID()
	_, err := db.ExecContext(context.Background(), `INSERT INTO flows (id, kind, account_id, state, created_at, updated_at, expires_at, ip)
		VALUES ($1, 'mobile_reset', $2, 'method_required', 0, 0, $3, '')`, id, accountID, store.Millis(now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func issue(t testing.TB, db *store.DB, s *quiz.Service, accountID string) (quiz.Issued, string, error) {
	t.Helper()
	flowID := newFlow(t, db, accountID)
	var q quiz.Issued
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		q, err = s.Issue(context.Background(), tx, flowID, accountID)
		return err
	})
	return q, flowID, err
}

// rightAnswers works out the right answers from the facts, as the owner
// would.
func rightAnswers(t testing.TB, db *store.DB, accountID string, q quiz.Issued) map[string][]string {
	t.Helper()
	f, err := quiz.Load(context.Background(), db, accountID, now)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string][]string{}
	for _, question := range q.Questions {
		kind := kindOf(question.Text)
		answers[question.ID] = []string{}
		for _, o := range question.Options {
			for _, v := range f.Values(kind) {
				if o.Text == quiz.OptionText(kind, v) || (kind == quiz.WithdrawalAddresses && strings.HasPrefix(o.Text, quiz.MaskAddress(v))) {
					answers[question.ID] = append(answers[question.ID], o.ID)
				}
			}
		}
	}
	return answers
}

func kindOf(text string) quiz.Kind {
	for _, s := range quiz.Specs {
		if s.Text == text {
			return s.Kind
		}
	}
	panic("unknown question " + text)
}

func TestFactsFromHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		id := newAccount(t, db, rich(0))
		f, err := quiz.Load(context.Background(), db, id, now)
		if err != nil {
			t.Fatal(err)
		}
		want := map[quiz.Kind][]string{
			quiz.MarketsTraded:       {"BTC/USDT", "ETH/USDT", "SOL/USDT"},
			quiz.FirstMarket:         {"BTC/USDT"},
			quiz.AssetsBought:        {"BTC", "ETH", "SOL"},
			quiz.AssetsSold:          {"BTC", "ETH", "SOL"},
			quiz.AssetsHeld:          {"BTC", "ETH"}, // USDT is 0
			quiz.WithdrawalAddresses: {"TXwallet000000000000000000000000000000000", "TXwallet000000000000000000000000000000001"},
		}
		for k, v := range want {
			if got := f.Values(k); !slices.Equal(got, v) {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
	})
}

// SEC-KBA-8: an asset that arrived by a recent deposit (anyone can send one)
// never counts as held.
func TestRecentDepositsDoNotCountAsHeld(t *testing.T) {
	db := storetest.SQLite(t)
	act := rich(0)
	act.Deposits = append(act.Deposits, account.Transfer{ExternalID: "planted", Coin: "ETH", Network: "ERC20", Amount: "5",
		Address: "0xabc", TxID: "0xdef", At: now.Add(-2 * 24 * time.Hour)})
	id := newAccount(t, db, act)
	f, _ := quiz.Load(context.Background(), db, id, now)
	if got := f.Values(quiz.AssetsHeld); !slices.Equal(got, []string{"BTC"}) {
		t.Fatalf("held = %v, want only BTC", got)
	}
}

func TestPassAndFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(t, clock.NewFake(now))
		id := newAccount(t, db, rich(1))
		q, flowID, err := issue(t, db, s, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Questions) != 4 || q.Chance != 1 {
			t.Fatalf("issued %d questions, chance %d", len(q.Questions), q.Chance)
		}
		for _, question := range q.Questions {
			if len(question.Options) != quiz.OptionsPerQuestion {
				t.Fatalf("question %q has %d options", question.Text, len(question.Options))
			}
		}
		right := rightAnswers(t, db, id, q)
		r, err := s.Submit(context.Background(), db, flowID, q.ID, right)
		if err != nil || !r.Passed {
			t.Fatalf("right answers: %+v, %v", r, err)
		}
		q, flowID, _ = issue(t, db, s, id)
		wrong := rightAnswers(t, db, id, q)
		for qid := range wrong {
			wrong[qid] = wrong[qid][1:] // one correct option left out
			break
		}
		if r, err := s.Submit(context.Background(), db, flowID, q.ID, wrong); err != nil || r.Passed || r.Chance != 2 {
			t.Fatalf("one answer wrong: %+v, %v", r, err)
		}
	})
}

// SEC-KBA-4 (stable design): a question shown again in a later chance has
// exactly the same options, in any order.
func TestOptionSetsAreStableAcrossChances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(t, clock.NewFake(now))
		for range 5 {
			newAccount(t, db, rich(2)) // decoys
		}
		id := newAccount(t, db, rich(3))
		seen := map[string][]string{}
		for chance := range 3 {
			q, _, err := issue(t, db, s, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, question := range q.Questions {
				var texts []string
				for _, o := range question.Options {
					texts = append(texts, o.Text)
				}
				slices.Sort(texts)
				if prev, ok := seen[question.Text]; ok && !slices.Equal(prev, texts) {
					t.Fatalf("chance %d: %q shows %v, before %v", chance+1, question.Text, texts, prev)
				}
				seen[question.Text] = texts
			}
		}
		if _, _, err := issue(t, db, s, id); !apperr.Is(err, apperr.QuizUnavailable) {
			t.Fatalf("4th chance: %v, want quiz_unavailable", err)
		}
	})
}

func TestChancesRenewAfterTheWindowOrASuccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(now)
		s := service(t, clk)
		id := newAccount(t, db, rich(0))
		for range 3 {
			if _, _, err := issue(t, db, s, id); err != nil {
				t.Fatal(err)
			}
		}
		if left, _ := s.ChancesLeft(context.Background(), db, id); left != 0 {
			t.Fatalf("%d chances left after 3", left)
		}
		clk.Advance(30*24*time.Hour - time.Minute)
		if _, _, err := issue(t, db, s, id); !apperr.Is(err, apperr.QuizUnavailable) {
			t.Fatal("chances renewed before 30 days")
		}
		clk.Advance(2 * time.Minute)
		if q, _, err := issue(t, db, s, id); err != nil || q.Chance != 1 {
			t.Fatalf("after 30 days: chance %d, %v", q.Chance, err)
		}
		s.Renew(context.Background(), db, id)
		if left, _ := s.ChancesLeft(context.Background(), db, id); left != 3 {
			t.Fatalf("after Renew: %d left", left)
		}
	})
}

func TestThinHistoryIsUnavailableAndCostsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(t, clock.NewFake(now))
		act := account.Activity{Trades: []account.Trade{{ExternalID: "t", Market: "BTC/USDT", Side: "buy", At: now.Add(-time.Hour * 1000)}}}
		id := newAccount(t, db, act)
		if _, _, err := issue(t, db, s, id); !apperr.Is(err, apperr.QuizUnavailable) {
			t.Fatalf("thin account: %v", err)
		}
		if left, _ := s.ChancesLeft(context.Background(), db, id); left != 3 {
			t.Fatalf("a refused quiz used a chance: %d left", left)
		}
		st, _ := s.Status(context.Background(), db, id)
		if st.Enough || st.ChancesLeft != 3 {
			t.Fatalf("Status = %+v", st)
		}
	})
}

// SEC-RACE-3 (v5.0.0-2.3.4): 30 quiz requests at once with one chance
// left issue exactly one quiz.
func TestConcurrentIssueWithOneChanceLeft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(t, clock.NewFake(now))
		id := newAccount(t, db, rich(1))
		for range 2 {
			issue(t, db, s, id)
		}
		flows := make([]string, 30)
		for i := range flows {
			flows[i] = newFlow(t, db, id)
		}
		var issued, refused atomic.Int32
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for _, f := range flows {
			wg.Go(func() {
				<-gate
				err := db.Tx(context.Background(), func(tx *sql.Tx) error {
					_, err := s.Issue(context.Background(), tx, f, id)
					return err
				})
				switch {
				case err == nil:
					issued.Add(1)
				case apperr.Is(err, apperr.QuizUnavailable):
					refused.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if issued.Load() != 1 || refused.Load() != 29 {
			t.Fatalf("%d issued, %d refused; want 1 and 29", issued.Load(), refused.Load())
		}
	})
}

// One submission per quiz, even when 20 arrive at once.
func TestOneSubmissionPerQuiz(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(t, clock.NewFake(now))
		id := newAccount(t, db, rich(0))
		q, flowID, _ := issue(t, db, s, id)
		right := rightAnswers(t, db, id, q)
		var judged, refused atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_, err := s.Submit(context.Background(), db, flowID, q.ID, right)
				if err == nil {
					judged.Add(1)
				} else if apperr.Is(err, apperr.WrongState) {
					refused.Add(1)
				} else {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if judged.Load() != 1 || refused.Load() != 19 {
			t.Fatalf("%d judged, %d refused", judged.Load(), refused.Load())
		}
		if key := storetest.Value[string](t, db, "SELECT sealed_key FROM quizzes WHERE id = $1", q.ID); key != "" {
			t.Fatal("the answer key outlived the submission")
		}
	})
}

func TestSubmissionErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(now)
		s := service(t, clk)
		id := newAccount(t, db, rich(0))
		q, flowID, _ := issue(t, db, s, id)
		right := rightAnswers(t, db, id, q)
		ctx := context.Background()
		missing := map[string][]string{}
		for k, v := range right {
			missing[k] = v
			break
		}
		bogus := map[string][]string{}
		for k := range right {
			bogus[k] = []string{}
		}
		for k := range bogus {
			bogus[k] = []string{"not-an-option"}
			break
		}
		for name, answers := range map[string]map[string][]string{"missing": missing, "bogus": bogus} {
			if _, err := s.Submit(ctx, db, flowID, q.ID, answers); !apperr.Is(err, apperr.InvalidRequest) {
				t.Errorf("%s answers: %v", name, err)
			}
		}
		if _, err := s.Submit(ctx, db, newFlow(t, db, id), q.ID, right); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another flow's quiz: %v", err)
		}
		if _, err := s.Submit(ctx, db, flowID, token.NewID(), right); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown quiz: %v", err)
		}
		clk.Advance(11 * time.Minute)
		if _, err := s.Submit(ctx, db, flowID, q.ID, right); !apperr.Is(err, apperr.WrongState) {
			t.Errorf("expired quiz: %v", err)
		}
		issue(t, db, s, id)
		clk.Advance(11 * time.Minute)
		if n, _ := s.PurgeKeys(ctx, db); n != 2 {
			t.Errorf("PurgeKeys erased %d keys, want the 2 of the expired quizzes", n)
		}
	})
}

// SEC-KBA-9: what the caller sees holds no key, no values, no counts.
func TestIssuedQuizCarriesNoKey(t *testing.T) {
	db := storetest.SQLite(t)
	s := service(t, clock.NewFake(now))
	id := newAccount(t, db, rich(0))
	q, _, err := issue(t, db, s, id)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(q)
	for _, word := range []string{"correct", "score", "value", "kind", "TXwallet000000000000000000000000000000000"} {
		if strings.Contains(string(raw), word) {
			t.Errorf("issued quiz JSON contains %q", word)
		}
	}
	if stored := storetest.Value[string](t, db, "SELECT questions FROM quizzes WHERE id = $1", q.ID); strings.Contains(stored, "TXwallet000000000000000000000000000000000") {
		t.Error("the stored questions hold a full address")
	}
}

// SEC-KBA-11: the chance that random answers pass within 3 chances, from
// the generator's parameters; and a guesser who knows the rules and how
// many facts a question was drawn from, but cannot tell its options apart,
// is right with 1/ΣC(8, k) over k up to that count: 1/8, 1/36, 1/92,
// 1/162. The bound refuses any quiz over MaxGuessability for a guesser who
// knows more (TestInformedAttacker, TestCoverage).
func TestBlindGuessOdds(t *testing.T) {
	p := quiz.BlindPassChance(quiz.DefaultRules)
	t.Logf("blind random answers pass within 3 chances with probability %.3g", p)
	if p > 1e-6 {
		t.Fatalf("blind-guess pass chance %.3g is over 10⁻⁶", p)
	}
	for facts, want := range map[int]float64{1: 1. / 8, 2: 1. / 36, 3: 1. / 92, 4: 1. / 162, 9: 1. / 162} {
		if got := quiz.UniformOdds(quiz.MarketsTraded, facts); math.Abs(got-want) > 1e-12 {
			t.Errorf("%d facts: odds %.6f, want %.6f", facts, got, want)
		}
	}
	if got := quiz.UniformOdds(quiz.FirstMarket, 5); math.Abs(got-1./8) > 1e-12 {
		t.Errorf("first market: odds %.6f, want 1/8", got)
	}
}
