package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestStatusOfEveryContractCode(t *testing.T) {
	want := map[Code]int{
		InvalidRequest: 400, InvalidMobile: 400, InvalidCredentials: 401, Unauthorized: 401,
		Forbidden: 403, NotFound: 404, WrongState: 409, Conflict: 409, FlowExpired: 410,
		FileTooLarge: 413, UnsupportedMedia: 415, InvalidCode: 422, CodeExpired: 422,
		CaptchaInvalid: 422, MobileUnavailable: 422, QuizUnavailable: 409, RateLimited: 429,
		Unavailable: 503,
	}
	for code, status := range want {
		if got := code.Status(); got != status {
			t.Errorf("%s.Status() = %d, want %d", code, got, status)
		}
	}
	if got := Code("made_up").Status(); got != http.StatusInternalServerError {
		t.Errorf("unknown code status = %d", got)
	}
}

func TestAsHidesUnclassifiedCauses(t *testing.T) {
	e := As(errors.New("pq: relation accounts does not exist"))
	if e.Code != Internal || e.Message != "internal error" {
		t.Fatalf("As(raw) = %+v", e)
	}
	wrapped := fmt.Errorf("context: %w", New(NotFound, "no such flow"))
	if got := As(wrapped); got.Code != NotFound {
		t.Fatalf("As(wrapped) = %+v", got)
	}
}

func TestRateLimitRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", 1500 * time.Millisecond: "2", time.Minute: "60"} {
		if got := RetryAfter(RateLimit("slow down", d)); got != want {
			t.Errorf("RetryAfter(%v) = %q, want %q", d, got, want)
		}
	}
	if RetryAfter(New(NotFound, "x")) != "" {
		t.Error("Retry-After set for a non-429 error")
	}
}

func TestWithDoesNotShareFields(t *testing.T) {
	base := New(InvalidCode, "wrong code")
	a := base.With("attempts_left", 3)
	b := base.With("attempts_left", 1)
	if a.Fields["attempts_left"] != 3 || b.Fields["attempts_left"] != 1 || base.Fields != nil {
		t.Fatal("With mutated a shared map")
	}
}

// A refusal always says when to come back (issue 7: a user who gave the
// right password is never left with only "too many requests").
func TestRateLimitSaysWhen(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                  "slow down; try again in 1 second",
		40 * time.Second:                   "slow down; try again in 40 seconds",
		90 * time.Second:                   "slow down; try again in 90 seconds",
		91 * time.Second:                   "slow down; try again in 2 minutes",
		23*time.Minute + time.Second:       "slow down; try again in 24 minutes",
		2 * time.Hour:                      "slow down; try again in 120 minutes",
		2*time.Hour + time.Second:          "slow down; try again in 3 hours",
		23*time.Hour + 59*time.Minute + 59: "slow down; try again in 24 hours",
	} {
		if got := RateLimit("slow down", d).Message; got != want {
			t.Errorf("RateLimit(%v) says %q, want %q", d, got, want)
		}
	}
}
