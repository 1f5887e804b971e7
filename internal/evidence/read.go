package evidence

import (
	"fmt"
	"regexp"
	"strings"
)

// What the screenshots' text is compared with, and the findings it gives.
// They are advice for the reviewer, read by OCR: a finding says what was
// read and where, never decides.

// Record is a deposit or withdrawal on the account's records.
type Record struct {
	Direction                            string // deposit or withdrawal
	Coin, Network, Amount, Address, TXID string
}

// Facts are what a screenshot's text is compared with: the account's.
type Facts struct {
	Class   Class
	Email   string
	Brand   string // the exchange's name, which its emails carry
	Records []Record
}

// ReadFindings returns the findings of picture f, whose text OCR read as
// lines: on a transaction screenshot, the TXIDs read and how they match
// the records, and whether the page is a block explorer's or a mailbox's;
// on an email screenshot, whether the account's address is read, which
// notification it reads like, and any TXID on record it shows.
func ReadFindings(f File, lines []string, facts Facts) []Finding {
	text := pageText(lines)
	if strings.TrimSpace(text) == "" {
		return []Finding{{Code: "screenshot_no_text", File: f.ID, Detail: "OCR read no text in this screenshot"}}
	}
	var out []Finding
	switch f.Kind {
	case TransactionScreenshot:
		out = append(out, txidFindings(f.ID, lines, facts.Records, true)...)
		if ok, cues := looksLikeExplorer(text); ok {
			out = append(out, Finding{Code: "screenshot_block_explorer", Flag: true, File: f.ID,
				Detail: "reads like a block explorer's page (" + quoted(cues) + "); the help center does not accept those"})
		}
	case EmailScreenshot:
		out = append(out, emailFindings(f.ID, lines, text, facts)...)
		out = append(out, txidFindings(f.ID, lines, facts.Records, false)...)
	}
	if ok, cues := looksLikeInbox(text); ok {
		out = append(out, Finding{Code: "screenshot_inbox", Flag: true, File: f.ID,
			Detail: "reads like a mailbox's list of messages (" + quoted(cues) + "), not one message or a counterparty's page; the help center does not accept those"})
	}
	return out
}

// txidFindings matches the records' TXIDs against the text and reports
// TXID-like strings that match none. A screenshot of an email that shows
// no TXID is normal, so only a transaction screenshot says so.
func txidFindings(fileID string, lines []string, records []Record, transaction bool) []Finding {
	var out []Finding
	var matched []string
	for _, m := range matchRecords(lines, records) {
		r := records[m.record]
		matched = append(matched, canonical(r.TXID))
		out = append(out, matchFindings(fileID, lines, r, m.edits)...)
	}
	unmatched := 0
	for _, id := range txidsRead(lines) {
		if onRecord(canonical(id), matched, records) {
			continue
		}
		unmatched++
		out = append(out, Finding{Code: "screenshot_txid_not_on_record", Flag: true, File: fileID,
			Detail: fmt.Sprintf("reads the TXID-like %s, which is not among the account's deposits and withdrawals (nor one of their addresses)", short(id))})
	}
	if transaction && len(matched) == 0 && unmatched == 0 {
		out = append(out, Finding{Code: "screenshot_no_txid", File: fileID,
			Detail: "no TXID was read: check by eye (some apps show it shortened)"})
	}
	return out
}

// recordMatch is a record whose TXID is in a screenshot's text, with the
// characters read wrong.
type recordMatch struct{ record, edits int }

// matchRecords returns the records whose TXID the text shows, within
// maxEdits of the id.
func matchRecords(lines []string, records []Record) []recordMatch {
	stream := idStream(lines)
	var out []recordMatch
	for i, r := range records {
		id := canonical(r.TXID)
		if len(id) < MinMatchedID {
			continue
		}
		if edits, ok := editsWithin(stream, id, maxEdits(len(id))); ok {
			out = append(out, recordMatch{i, edits})
		}
	}
	return out
}

// onRecord reports whether id read is one of the matched TXIDs or a
// record's address (on some chains an address has a TXID's shape), a part
// of one (a piece of a wrapped id, with a label stuck to it, can have a
// shorter id's shape) or one with more stuck to it.
func onRecord(id string, matched []string, records []Record) bool {
	known := matched
	for _, r := range records {
		if a := canonical(r.Address); len(a) >= MinMatchedID {
			known = append(known, a)
		}
	}
	for _, m := range known {
		if overlaps(id, m) {
			return true
		}
	}
	return false
}

// overlaps reports whether one of a and b is in the other, within
// maxEdits of the shorter.
func overlaps(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	_, ok := editsWithin(b, a, maxEdits(len(a)))
	return ok
}

// matchFindings says record r's TXID is in the screenshot, and how the
// amounts and coins read compare with it.
func matchFindings(fileID string, lines []string, r Record, edits int) []Finding {
	a := amountsIn(lines)
	amountSeen, coinSeen := false, a.words[canonical(r.Coin)]
	for _, n := range a.numbers {
		amountSeen = amountSeen || closeEnough(n, r.Amount)
	}
	how := "in full"
	if edits > 0 {
		how = fmt.Sprintf("with %d character%s wrong", edits, map[bool]string{true: "", false: "s"}[edits == 1])
	}
	out := []Finding{{Code: "screenshot_txid_matched", File: fileID,
		Detail: fmt.Sprintf("shows the TXID %s (read %s) of a %s of %s %s on record; amount read: %s, coin read: %s",
			short(r.TXID), how, r.Direction, r.Amount, r.Coin, yes(amountSeen), yes(coinSeen))}}
	var sameCoin, otherCoins []string
	for _, p := range a.pairs {
		if canonical(p.coin) == canonical(r.Coin) {
			sameCoin = append(sameCoin, p.amount)
		} else {
			otherCoins = append(otherCoins, p.coin)
		}
	}
	switch {
	case !amountSeen && len(sameCoin) > 0:
		out = append(out, Finding{Code: "screenshot_amount_differs", Flag: true, File: fileID,
			Detail: fmt.Sprintf("reads %s %s, but the %s %s on record is %s %s", strings.Join(sameCoin, ", "), r.Coin, r.Direction, short(r.TXID), r.Amount, r.Coin)})
	case !coinSeen && len(otherCoins) > 0:
		out = append(out, Finding{Code: "screenshot_coin_differs", Flag: true, File: fileID,
			Detail: fmt.Sprintf("reads amounts in %s, but the %s %s on record is in %s", strings.Join(otherCoins, ", "), r.Direction, short(r.TXID), r.Coin)})
	}
	return out
}

// emailFindings says whether the account's address is read and which
// notification the email reads like.
func emailFindings(fileID string, lines []string, text string, facts Facts) []Finding {
	var out []Finding
	if facts.Email != "" {
		if emailRead(lines, facts.Email) {
			out = append(out, Finding{Code: "screenshot_email_found", File: fileID, Detail: "the account's email address is read in this screenshot"})
		} else {
			out = append(out, Finding{Code: "screenshot_email_not_found", Flag: true, File: fileID,
				Detail: "the account's email address was not read: check by eye that the screenshot shows it"})
		}
	}
	brand := ""
	if facts.Brand != "" {
		brand = ", naming " + facts.Brand
		if !has(text, strings.ToLower(facts.Brand)) {
			brand = ", " + facts.Brand + " not read"
		}
	}
	switch kind := mailKind(text); {
	case kind == "":
		out = append(out, Finding{Code: "screenshot_email_kind_unknown", Flag: true, File: fileID,
			Detail: "does not read like a signup, login, deposit or withdrawal notification" + brand})
	case !mailKindAccepted(facts.Class, kind):
		out = append(out, Finding{Code: "screenshot_email_kind_not_accepted", Flag: true, File: fileID,
			Detail: fmt.Sprintf("reads like a %s notification%s; this account's class sends only %s notifications", kind, brand,
				strings.Join(acceptedMailKinds(facts.Class), " and "))})
	default:
		out = append(out, Finding{Code: "screenshot_email_kind", File: fileID, Detail: fmt.Sprintf("reads like a %s notification%s", kind, brand)})
	}
	return out
}

// emailRead reports whether address is in the text: the same in
// canonRune's classes (and "rn" taken for "m", "@" for whatever OCR made
// of it), starting a word, with no other mistake allowed. An address one
// letter from the account's is another person's.
func emailRead(lines []string, address string) bool {
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" {
		return false
	}
	norm := func(s string) string { return strings.ReplaceAll(canonical(s), "rn", "m") }
	// The words joined without spaces (OCR puts some inside an address),
	// and where each word starts.
	var stream strings.Builder
	starts := map[int]bool{}
	for _, w := range strings.Fields(strings.Join(lines, " ")) {
		starts[stream.Len()] = true
		stream.WriteString(norm(w))
	}
	text, l, d := stream.String(), norm(local), norm(domain)
	for i := 0; ; i++ {
		j := strings.Index(text[i:], l)
		if j < 0 {
			return false
		}
		i += j
		rest := text[i+len(l):]
		// The "@" as read: dropped, or one character.
		if starts[i] && (strings.HasPrefix(rest, d) || len(rest) > 0 && strings.HasPrefix(rest[1:], d)) {
			return true
		}
	}
}

// amounts is what a screenshot reads of amounts: every number, the words
// (in canonical classes), and each number followed by a coin symbol.
type amounts struct {
	numbers []string
	words   map[string]bool
	pairs   []struct{ amount, coin string }
}

var (
	numberPattern = regexp.MustCompile(`^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$|^[0-9]+(\.[0-9]+)?$`)
	coinSymbol    = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
	digitFix      = strings.NewReplacer("O", "0", "o", "0", "@", "0", "Q", "0", "l", "1", "I", "1", "|", "1", "S", "5")
)

func amountsIn(lines []string) amounts {
	a := amounts{words: map[string]bool{}}
	for _, l := range lines {
		words := strings.Fields(l)
		for i, w := range words {
			a.words[canonical(w)] = true
			n, ok := number(w)
			if !ok {
				continue
			}
			a.numbers = append(a.numbers, n)
			if i+1 < len(words) && coinSymbol.MatchString(strings.Trim(words[i+1], ".,;:)")) {
				a.pairs = append(a.pairs, struct{ amount, coin string }{n, strings.Trim(words[i+1], ".,;:)")})
			}
		}
	}
	return a
}

// number reads w as an amount: a sign or currency mark dropped, letters
// OCR reads for digits put back, thousands separators removed.
func number(w string) (string, bool) {
	w = strings.TrimLeft(w, "+-−≈~$")
	w = strings.TrimRight(w, ".,;:)")
	if !strings.ContainsAny(w, "0123456789") {
		return "", false
	}
	w = digitFix.Replace(w)
	if !numberPattern.MatchString(w) {
		return "", false
	}
	return strings.ReplaceAll(w, ",", ""), true
}

// short is a long id cut to its ends, as a reviewer compares it.
func short(id string) string {
	if len(id) <= 20 {
		return id
	}
	return id[:10] + "…" + id[len(id)-6:]
}

func quoted(ps []string) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = fmt.Sprintf("%q", p)
	}
	return "reads " + strings.Join(q, ", ")
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
