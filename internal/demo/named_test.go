package demo

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/password"
)

// TestNamedAccountsCoverTheCases checks that each named account is the case
// its note promises, and that its password is one a user could choose.
func TestNamedAccountsCoverTheCases(t *testing.T) {
	accounts := NamedAccounts(testNow)
	type class struct{ kyc, mobile, records bool }
	want := []class{{true, true, true}, {true, false, true}, {false, true, true}, {false, true, false}}
	if len(accounts) != len(want) {
		t.Fatalf("%d named accounts, want %d", len(accounts), len(want))
	}
	for k, n := range accounts {
		a := n.Activity
		got := class{n.KYC, n.Mobile != "", len(a.Deposits)+len(a.Withdrawals) > 0}
		if got != want[k] {
			t.Errorf("%s is %+v, want %+v", n.Email, got, want[k])
		}
		if err := a.Validate(testNow); err != nil {
			t.Errorf("%s: %v", n.Email, err)
		}
		checkTimeline(t, k, n.Generated, testNow)
		if len(n.Password) < 12 || password.Check(n.Password, n.Email) != nil {
			t.Errorf("%s: password %q is short, common or contains the email", n.Email, n.Password)
		}
		if !strings.HasSuffix(n.Email, "@"+Domain) {
			t.Errorf("%s is not at %s", n.Email, Domain)
		}
	}
	alice := accounts[0].Activity
	if len(alice.Withdrawals) == 0 || len(alice.Trades) == 0 || len(*alice.Balances) < 3 {
		t.Error("alice lacks the rich history that questions need")
	}
	if carol := accounts[2].Activity; len(carol.Withdrawals) == 0 {
		t.Error("carol has no withdrawal to show a transaction screenshot of")
	}
	if !reflect.DeepEqual(accounts, NamedAccounts(testNow)) {
		t.Error("named accounts differ between calls")
	}
}

func TestPrintSignIn(t *testing.T) {
	var seeded []Seeded
	for _, n := range NamedAccounts(testNow) {
		seeded = append(seeded, Seeded{Named: n})
	}
	var b bytes.Buffer
	if err := PrintSignIn(&b, seeded); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{"alice@demo.rebind.invalid", "harbor-lantern-17", "SMS to +65 ****4567", "email code"} {
		if !strings.Contains(out, s) {
			t.Errorf("sign-in help lacks %q:\n%s", s, out)
		}
	}
}
