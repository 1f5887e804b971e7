package app

import (
	"strings"
	"testing"
)

// REBIND_QUIZ_KINDS names kinds that exist, at least a quiz's worth; the
// order-type kind that became part of products_used is refused with what
// to do instead.
func TestQuizKinds(t *testing.T) {
	if kinds, err := quizKinds(nil); err != nil || kinds != nil {
		t.Errorf("none configured: %v, %v; want all (nil)", kinds, err)
	}
	all := []string{"markets_traded", "first_market", "assets_bought", "assets_sold", "assets_held", "withdrawal_addresses", "products_used"}
	if kinds, err := quizKinds(all); err != nil || len(kinds) != len(all) {
		t.Errorf("every kind: %v, %v", kinds, err)
	}
	for _, c := range []struct {
		names []string
		want  string
	}{
		{append(all[:6:6], "order_types"), "products_used"},
		{append(all[:6:6], "favourite_colour"), `unknown kind "favourite_colour"`},
		{all[:3], "3 are enabled"},
	} {
		if _, err := quizKinds(c.names); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %q", c.names, err, c.want)
		}
	}
}
