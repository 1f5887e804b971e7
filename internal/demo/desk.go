package demo

import (
	"context"
	"fmt"
	"slices"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/flow"
	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/store"
)

// Desk is the dev server's help desk for the named demo accounts: it shows
// the history their security questions are built from, so a tester can
// answer them, and renews them after use. It works in dev mode only; the
// pages that use it are not registered in production, and Desk refuses
// there as well.
type Desk struct {
	DB       *store.DB
	Clock    clock.Clock
	Accounts *account.Store
	Flows    *flow.Store
	Quiz     *quiz.Service
	Limiter  *ratelimit.Limiter
	Hasher   *password.Hasher
	Audit    *audit.Log
	// QuizEnabled mirrors REBIND_QUIZ_ENABLED: off, every reset goes to
	// documents.
	QuizEnabled bool
	// Dev is true in dev mode; Desk does nothing without it.
	Dev bool
}

// Card is what the desk shows of one named account.
type Card struct {
	Email, Password, Case string
	// DemoMobile is the number the account was created with ("" for none).
	DemoMobile string
	Account    account.Account
	// ChancesLeft are the account's security-question chances now.
	ChancesLeft int
	// Route is where a mobile reset of the account goes now: "questions"
	// (security questions, or documents), "documents" (documents only) or
	// "none" (no reset can start). Why says why.
	Route string
	Why   string
	Kinds []KindFacts
}

// KindFacts are the account's facts of one kind of question: the right
// options of that question, as the question shows them.
type KindFacts struct {
	Question string
	// Single questions have one right option; the others, every listed
	// value that is among the options.
	Single bool
	Facts  []Fact
	// Asked reports whether a quiz can ask this kind; NotAsked says why
	// not.
	Asked    bool
	NotAsked string
}

// Fact is one right answer: Shown as the option reads, Full when the
// option shows it shortened (a withdrawal address).
type Fact struct {
	Shown, Full string
}

func (d *Desk) refuse() error {
	if d.Dev {
		return nil
	}
	return apperr.New(apperr.Forbidden, "demo accounts are shown and renewed in dev mode only")
}

// Cards returns a card for every named account that exists in the
// database, in the order they were printed at start.
func (d *Desk) Cards(ctx context.Context) ([]Card, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	rates, err := d.Quiz.Rates(ctx, d.DB)
	if err != nil {
		return nil, err
	}
	var out []Card
	for _, n := range named {
		a, err := d.Accounts.ByEmail(ctx, d.DB, n.local+"@"+Domain)
		if apperr.Is(err, apperr.NotFound) {
			continue // not seeded (REBIND_DEMO=false), or seeded elsewhere
		}
		if err != nil {
			return nil, fmt.Errorf("demo: read %s: %w", n.local, err)
		}
		c, err := d.card(ctx, a, rates)
		if err != nil {
			return nil, err
		}
		c.Password, c.Case, c.DemoMobile = n.password, n.note, n.mobile
		out = append(out, c)
	}
	return out, nil
}

func (d *Desk) card(ctx context.Context, a account.Account, rates quiz.Rates) (Card, error) {
	c := Card{Email: a.Email, Account: a}
	st, err := d.Quiz.Status(ctx, d.DB, a.ID)
	if err != nil {
		return Card{}, err
	}
	f, err := quiz.Load(ctx, d.DB, a.ID, d.Clock.Now())
	if err != nil {
		return Card{}, err
	}
	c.ChancesLeft = st.ChancesLeft
	available := d.Quiz.Available(f, rates)
	for _, spec := range quiz.Specs {
		c.Kinds = append(c.Kinds, kindFacts(spec, f, rates, slices.Contains(available, spec.Kind)))
	}
	need := d.Quiz.Rules().Questions
	c.Route = "documents"
	switch {
	case a.Frozen:
		c.Route, c.Why = "none", "No mobile reset: the account is frozen (a \"This wasn't me\" link), so sign-in and resets are refused until it is renewed."
	case a.Mobile == "" || !a.MobileVerification:
		c.Route, c.Why = "none", "No mobile reset: mobile verification is off. It signs in with an email code; bind a mobile in Settings."
	case !d.QuizEnabled:
		c.Why = "Documents only: security questions are switched off (REBIND_QUIZ_ENABLED=false)."
	case !st.Enough:
		c.Why = fmt.Sprintf("Documents only: a quiz asks %d kinds of question and this history is enough for %d.", need, len(available))
	case st.ChancesLeft == 0:
		c.Why = "Documents only until renewed: its security-question chances are used up."
	default:
		c.Route = "questions"
		c.Why = fmt.Sprintf("Security questions or documents: a quiz asks %d of the questions below (this history allows %d of them).", need, len(available))
	}
	return c, nil
}

// kindFacts lists the right options of a kind. A question shows only
// values few accounts share (quiz.Telling), so some listed facts may
// never appear among its options; every one that does is right.
func kindFacts(spec quiz.Spec, f quiz.Facts, rates quiz.Rates, asked bool) KindFacts {
	k := KindFacts{Question: spec.Text, Single: spec.Single, Asked: asked}
	networks := map[string]string{}
	for _, a := range f.Addresses {
		networks[a.Address] = a.Network
	}
	for _, v := range f.Values(spec.Kind) {
		if spec.Kind != quiz.WithdrawalAddresses {
			k.Facts = append(k.Facts, Fact{Shown: quiz.OptionText(spec.Kind, v)})
			continue
		}
		shown := quiz.MaskAddress(v) // as the option reads it
		if n := networks[v]; n != "" {
			shown += " (" + n + ")"
		}
		k.Facts = append(k.Facts, Fact{Shown: shown, Full: v})
	}
	if !asked {
		if len(quiz.Telling(f, spec.Kind, rates)) > 0 {
			k.NotAsked = "not asked: this kind is switched off (REBIND_QUIZ_KINDS)"
		} else {
			k.NotAsked = "not asked: no fact of this kind that few accounts share"
		}
	}
	return k
}
