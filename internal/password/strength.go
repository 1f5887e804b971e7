package password

import (
	_ "embed"
	"errors"
	"strings"
	"unicode/utf8"
)

// MinLength follows NIST SP 800-63B-4 §3.1.1.2 for a password used with a
// second factor.
const MinLength = 8

//go:embed common.txt
var commonList string

var common = func() map[string]bool {
	m := make(map[string]bool)
	for _, line := range strings.Split(commonList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// Check reports why a new password is not acceptable, or nil. It applies the
// NIST rules: a minimum and maximum length, no composition rules, and a
// blocklist of commonly used and context-specific values (the email).
func Check(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return errors.New("the password is not valid text")
	case n < MinLength:
		return errors.New("the password must be at least 8 characters long")
	case n > MaxLength:
		return errors.New("the password must be at most 128 characters long")
	}
	lower := strings.ToLower(password)
	if common[lower] {
		return errors.New("the password is too common")
	}
	if local, _, _ := strings.Cut(strings.ToLower(email), "@"); len(local) >= 4 && strings.Contains(lower, local) {
		return errors.New("the password must not contain your email address")
	}
	if len(strings.Trim(lower, lower[:1])) == 0 {
		return errors.New("the password must not repeat one character")
	}
	return nil
}
