package evidence

import (
	"regexp"
	"slices"
	"strings"
)

// cue is a phrase that marks a kind of page, and how much it weighs.
type cue struct {
	phrase string
	weight int
}

// cueThreshold is the weight of cues a page needs to look like a kind,
// one strong cue (weight 2) among them: two strong ones, or a strong one
// and two weak ones. A counterparty's page may name a few weak ones
// ("Transaction Hash", "Confirmations", a "View in explorer" link); a
// message opened in a mail app names "Inbox" at most.
const cueThreshold = 4

// explorerCues mark a block explorer's transaction page.
var explorerCues = []cue{
	{"gas price", 2}, {"gas limit", 2}, {"gas used", 2}, {"block confirmations", 2}, {"block height", 2},
	{"txn hash", 2}, {"search by address", 2}, {"input data", 2}, {"nonce", 2}, {"token transfers", 2},
	{"explorer", 1}, {"confirmations", 1}, {"block", 1}, {"timestamp", 1}, {"transaction hash", 1},
	{"gas", 1}, {"overview", 1},
}

// explorerName is a word like the names of block explorers ("…scan").
var explorerName = regexp.MustCompile(`\b[a-z]{2,}scan\b`)

// inboxCues mark a mailbox's list of messages.
var inboxCues = []cue{
	{"inbox", 2}, {"promotions", 2}, {"compose", 2}, {"search in mail", 2}, {"search mail", 2},
	{"primary", 1}, {"social", 1}, {"updates", 1}, {"starred", 1}, {"drafts", 1}, {"spam", 1}, {"unread", 1},
}

// pageText is a screenshot's text for finding words: lower case, one
// space between words.
func pageText(lines []string) string {
	return " " + strings.Join(strings.Fields(strings.ToLower(strings.Join(lines, " "))), " ") + " "
}

// has reports whether phrase is in text as whole words.
func has(text, phrase string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], phrase)
		if j < 0 {
			return false
		}
		at := i + j
		if !letter(text[at-1]) && !letter(text[at+len(phrase)]) {
			return true
		}
		i = at + 1
	}
}

func letter(b byte) bool { return b >= 'a' && b <= 'z' }

// score adds the weights of the cues in text and returns the phrases
// found, and whether a strong one is among them.
func score(text string, cues []cue) (w int, strong bool, found []string) {
	for _, c := range cues {
		if has(text, c.phrase) {
			w += c.weight
			strong = strong || c.weight > 1
			found = append(found, c.phrase)
		}
	}
	return w, strong, found
}

// looksLikeExplorer reports whether text reads like a block explorer's
// page, with the cues it found.
func looksLikeExplorer(text string) (bool, []string) {
	w, strong, found := score(text, explorerCues)
	if m := explorerName.FindString(text); m != "" {
		w, strong, found = w+2, true, append(found, m)
	}
	return strong && w >= cueThreshold, found
}

// looksLikeInbox reports whether text reads like a list of messages.
func looksLikeInbox(text string) (bool, []string) {
	w, strong, found := score(text, inboxCues)
	return strong && w >= cueThreshold, found
}

// mailKinds are the notifications an email screenshot may be, with the
// phrases that mark each.
var mailKinds = []struct {
	kind    string
	phrases []string
}{
	{"signup", []string{"welcome", "registration", "registered", "sign up", "signup", "sign-up", "account created", "verify your email", "activate"}},
	{"login", []string{"login", "log in", "logged in", "signed in", "new device", "sign-in"}},
	{"deposit", []string{"deposit", "deposited", "credited", "deposit confirmed"}},
	{"withdrawal", []string{"withdrawal", "withdrawn", "withdraw"}},
}

// mailKind returns which notification text reads like: the kind whose
// phrases are found most often, "" when none is or two tie.
func mailKind(text string) string {
	best, bestN, tie := "", 0, false
	for _, k := range mailKinds {
		n := 0
		for _, p := range k.phrases {
			if has(text, p) {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN, tie = k.kind, n, false
		case n == bestN && n > 0:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// acceptedMailKinds are the notifications each class may send (the help
// center: signup and login for accounts without transfers; those and
// deposits and withdrawals for the others).
func acceptedMailKinds(c Class) []string {
	if c == NonKYCNoRecords {
		return []string{"signup", "login"}
	}
	return []string{"signup", "login", "deposit", "withdrawal"}
}

func mailKindAccepted(c Class, kind string) bool { return slices.Contains(acceptedMailKinds(c), kind) }
