package loadtest

import (
	"math/rand/v2"

	"github.com/rebindhq/rebind/internal/quiz"
)

// History draws an account's activity for the admin API's push and the
// facts its owner knows from it, for tools other than this one that seed
// accounts the owner answers the quiz for (internal/faulttest).
func History(rng *rand.Rand) (map[string]any, quiz.Facts) { return history(rng) }

// Answers picks the options the owner's facts make right in a quiz as the
// API gives it.
func Answers(f quiz.Facts, qz map[string]any) (map[string][]string, error) { return answers(f, qz) }
