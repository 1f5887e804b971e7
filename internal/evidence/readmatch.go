package evidence

import (
	"regexp"
	"strings"
	"unicode"
)

// canonRune maps a character to its class among the ones OCR confuses in
// a screenshot's ids and addresses: O, o, Q, @ and 0; l, I, i, | and 1; S, s
// and 5; B, b and 8; Z, z and 2; g and 9; £ and f. Letters lose their
// case (hex ids have none; base58 ids keep enough bits without it). Any
// other character is dropped (-1): spaces and punctuation OCR adds or
// loses inside a long id.
func canonRune(r rune) rune {
	r = unicode.ToLower(r)
	switch r {
	case 'o', 'q', 'ø', '@':
		return '0'
	case 'l', 'i', '|', '!', 'í', 'ì', 'ï':
		return '1'
	case 's', '$', '§':
		return '5'
	case 'b':
		return '8'
	case 'z':
		return '2'
	case 'g':
		return '9'
	case '£', 'ƒ':
		return 'f'
	}
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// canonical is s in canonRune's classes.
func canonical(s string) string { return strings.Map(canonRune, s) }

// MinMatchedID is the shortest id on record searched for in a screenshot:
// a chain's TXID is 43 characters or more; a shorter id (a test's "tx1")
// would be found by chance in any text.
const MinMatchedID = 32

// maxEdits is how many characters of an id may be read wrong (changed,
// missing or extra) for it still to match: one in eight. Random ids never
// come that close. An id of n characters has at most (3·(n+1)·c)^k
// strings within k edits (each edit a change, deletion or insertion at
// one of n+1 places, among c classes), and a screenshot's text offers
// fewer than 2^13 places to start. For a 64-character hex TXID (k = 8,
// 15 classes, 2^250 possible ids) that is 2^13·(3·65·15)^8 ≈ 2^111
// strings out of 2^250: a chance of 2^-139 for each id on record. For a
// 44-character base58 one (k = 5, about 30 classes, 2^215 ids) it is
// about 2^-146. Mistakes of OCR, by contrast, come several to a line.
func maxEdits(n int) int { return n / 8 }

// editsWithin returns the fewest edits that turn id into some substring of
// text, when that is at most k. Before the full comparison it checks the
// pigeonhole: k edits touch at most k of k+1 pieces of id, so one piece
// is in text unchanged; without one, there is no match and no cost.
func editsWithin(text, id string, k int) (int, bool) {
	m := len(id)
	if m == 0 {
		return 0, false
	}
	piece := m / (k + 1)
	found := piece == 0
	for i := 0; i <= k && !found && piece > 0; i++ {
		end := (i + 1) * piece
		if i == k {
			end = m
		}
		found = strings.Contains(text, id[i*piece:end])
	}
	if !found {
		return 0, false
	}
	// Sellers' algorithm: edit distance of id against text where the
	// match may start and end anywhere in text.
	col := make([]int, m+1)
	for i := range col {
		col[i] = i
	}
	best := m
	for j := 0; j < len(text); j++ {
		diag := col[0] // free start: row 0 stays 0
		for i := 1; i <= m; i++ {
			sub := diag
			if id[i-1] != text[j] {
				sub++
			}
			diag = col[i]
			col[i] = min(sub, col[i]+1, col[i-1]+1)
		}
		best = min(best, col[m])
	}
	return best, best <= k
}

// idStream is the text of a screenshot in canonical classes, every line
// joined to the next: an id wrapped over two lines, or read with spaces
// inside, is whole in it.
func idStream(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(canonical(l))
	}
	return b.String()
}

// Shapes of TXIDs, as the chains write them (see internal/demo's table).
var (
	hexID    = regexp.MustCompile(`^(0x)?[0-9a-fA-F]{64}$`)
	base58ID = regexp.MustCompile(`^[1-9A-HJ-NP-Za-km-z]{43,44}$|^[1-9A-HJ-NP-Za-km-z]{86,88}$`)
	cidID    = regexp.MustCompile(`^bafy[a-z0-9]{55,60}$`)
)

// hexFix maps characters OCR reads for hex digits back to the digits.
var hexFix = strings.NewReplacer("O", "0", "o", "0", "Q", "0", "@", "0", "l", "1", "L", "1", "I", "1", "i", "1", "|", "1",
	"S", "5", "s", "5", "£", "f", "g", "9", "Z", "2", "z", "2")

// txidLike returns s as an id when it has one of the shapes, after hex
// digits misread as letters are put back ("0x" read as "Ox", "@x" or
// "Q0x" included) and a CID's letters put in lower case.
func txidLike(s string) (string, bool) {
	if base58ID.MatchString(s) {
		return s, true
	}
	if low := strings.ToLower(s); cidID.MatchString(low) {
		return low, true
	}
	prefix, body := "", s
	for i := 1; i <= 2 && i < len(s); i++ {
		if (s[i] == 'x' || s[i] == 'X') && strings.Trim(s[:i], "0OoQD@") == "" {
			prefix, body = "0x", s[i+1:]
			break
		}
	}
	fixed := prefix + hexFix.Replace(body)
	return fixed, hexID.MatchString(fixed)
}

// idPiece is a word that may be part of an id: six characters or more,
// letters and digits (and the symbols OCR reads for them), one a digit at
// least; label words ("Transaction", "Hash") have none.
func idPiece(w string) bool {
	if len(w) < 6 || !strings.ContainsAny(w, "0123456789") {
		return false
	}
	for _, r := range w {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) && !strings.ContainsRune("£|@", r) {
			return false
		}
	}
	return true
}

// txidsRead returns the TXID-like strings in lines. OCR splits a long id
// at spaces it imagines, and an app wraps one over two lines, so every
// run of id pieces next to each other on a line, or ending one line and
// starting the next, is tried, whole and in part.
func txidsRead(lines []string) []string {
	var out []string
	seen := map[string]bool{}
	var run []string
	flush := func() {
		for i := range run {
			for j := i + 1; j <= len(run); j++ {
				if id, ok := txidLike(strings.Join(run[i:j], "")); ok && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
		run = run[:0]
	}
	for _, l := range lines {
		words := strings.FieldsFunc(l, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(":,;()[]<>\"'", r) })
		inRun := false
		for i, w := range words {
			switch {
			case idPiece(w):
				run, inRun = append(run, splitLabel(w)...), true
			case len(run) > 0 && isAlnum(w) && (i > 0 || len(words) == 1 && (len(w) <= 3 || strings.ContainsAny(w, "0123456789"))):
				// A short part: OCR split the id there, or it is the end
				// of an id wrapped to this line (a label alone on its
				// line, "Txid", is not).
				run, inRun = append(run, w), true
			default:
				flush()
				inRun = false
			}
		}
		if !inRun {
			flush()
		}
	}
	flush()
	return out
}

// splitLabel splits a word where "0x" starts inside it: a label read
// without its space ("Hash0x3f…").
func splitLabel(w string) []string {
	if i := strings.Index(strings.ToLower(w[1:]), "0x"); i >= 0 {
		return []string{w[:i+1], w[i+1:]}
	}
	return []string{w}
}

func isAlnum(s string) bool {
	for _, r := range s {
		if r >= unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}
