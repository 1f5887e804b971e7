package hold_test

import (
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/hold"
)

// Every reason a hold can have is said to its owner in words, from one
// table; an unknown one still reads as a sentence, never as its code.
func TestEveryReasonHasWords(t *testing.T) {
	for _, reason := range hold.Reasons {
		words := hold.Hold{Reason: reason}.Because()
		if !strings.HasPrefix(words, "because ") || strings.Contains(words, reason) || strings.Contains(words, "_") {
			t.Errorf("reason %s reads %q", reason, words)
		}
	}
	if len(hold.Reasons) != 5 {
		t.Errorf("reasons: %v", hold.Reasons)
	}
	if words := (hold.Hold{Reason: "something_new"}).Because(); strings.Contains(words, "something_new") || !strings.HasPrefix(words, "because ") {
		t.Errorf("an unknown reason reads %q", words)
	}
}
