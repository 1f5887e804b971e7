package evidence

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tally counts one policy's results over the set.
type tally struct {
	pages, txPages, txFound, txExact, txMatched, falseMatches        int
	falseWithout                                                     int
	emailPages, emailFound, kindRight, explorers, explorerFlagged    int
	explorerFalse, inboxes, inboxFlagged, inboxFalse, notExplorer    int
	notInbox, notOnRecordFlags, mailTX, mailTXMatched, secondReading int
	explorerNotOnRecord, otherAccount, otherAccountFlagged           int
	elapsed                                                          time.Duration
}

// TestOCRBenchmark measures the screenshot findings on a generated set
// (docs/benchmarks.md). It reads every page at its size and enlarged, and
// scores three ways of choosing: the first reading only, the enlarged one
// only, and ReadScreenshot's (the enlarged one only when the first misses).
//
//	REBIND_OCR_BENCH=1 go test ./internal/evidence -run TestOCRBenchmark -v -timeout 30m
//
// REBIND_OCR_BENCH_N sets the number of pages (default 140).
func TestOCRBenchmark(t *testing.T) {
	if os.Getenv("REBIND_OCR_BENCH") == "" {
		t.Skip("a long measurement: set REBIND_OCR_BENCH=1")
	}
	r := requireTesseract(t)
	n := 140
	if v, err := strconv.Atoi(os.Getenv("REBIND_OCR_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	pages := pageSet(t, n, 2024)
	policies := []string{"first reading (1x)", "enlarged reading (2x)", "ReadScreenshot (1x, then 2x on a miss)"}
	tallies := make([]tally, len(policies))
	for _, p := range pages {
		lines := map[float64][]string{}
		took := map[float64]time.Duration{}
		for _, scale := range []float64{1, enlarge} {
			start := time.Now()
			l, err := readLines(context.Background(), r, p.img, scale)
			if err != nil {
				t.Fatalf("%s: %v", p.file.ID, err)
			}
			lines[scale], took[scale] = l, time.Since(start)
		}
		tallies[0].add(p, lines[1], took[1], false)
		tallies[1].add(p, lines[enlarge], took[enlarge], false)
		second := false
		_, chosen, _ := readWith(func(scale float64) ([]string, error) {
			second = second || scale != 1
			return lines[scale], nil
		}, p.file, p.facts)
		d := took[1]
		if second {
			d += took[enlarge]
		}
		tallies[2].add(p, chosen, d, second)
	}
	for i, name := range policies {
		t.Logf("%s\n%s", name, tallies[i].report())
	}
}

func (c *tally) add(p page, lines []string, d time.Duration, second bool) {
	c.pages++
	c.elapsed += d
	if second {
		c.secondReading++
	}
	fs := ReadFindings(p.file, lines, p.facts)
	n := count(fs)
	matches := matchRecords(lines, p.facts.Records)
	for _, m := range matches {
		if m.record != p.truth {
			c.falseMatches++
		}
	}
	c.falseWithout += len(matchRecords(lines, p.without().Records))
	showsTX := p.kind == "transaction" || p.kind == "explorer"
	if showsTX {
		c.txPages++
		found, exact := readsID(lines, p.facts.Records[0].TXID)
		c.txFound += boolInt(found)
		c.txExact += boolInt(exact)
		c.txMatched += boolInt(len(matches) == 1 && matches[0].record == 0)
		if p.kind == "transaction" {
			c.notOnRecordFlags += n["screenshot_txid_not_on_record"]
		} else {
			c.explorerNotOnRecord += n["screenshot_txid_not_on_record"]
		}
		// The same page sent for an account that does not have its TXID.
		c.otherAccount++
		c.otherAccountFlagged += boolInt(count(ReadFindings(p.file, lines, p.without()))["screenshot_txid_not_on_record"] > 0)
	}
	if p.kind == "email" {
		c.emailPages++
		c.emailFound += boolInt(n["screenshot_email_found"] > 0)
		c.kindRight += boolInt(mailKind(pageText(lines)) == p.mail)
		if p.truth == 0 {
			c.mailTX++
			c.mailTXMatched += boolInt(len(matches) == 1 && matches[0].record == 0)
		}
	}
	if p.kind == "explorer" {
		c.explorers++
		c.explorerFlagged += boolInt(n["screenshot_block_explorer"] > 0)
	} else if p.file.Kind == TransactionScreenshot {
		c.notExplorer++
		c.explorerFalse += boolInt(n["screenshot_block_explorer"] > 0)
	}
	if p.kind == "inbox" {
		c.inboxes++
		c.inboxFlagged += boolInt(n["screenshot_inbox"] > 0)
	} else {
		c.notInbox++
		c.inboxFalse += boolInt(n["screenshot_inbox"] > 0)
	}
}

// readsID reports whether id is among the TXID-like strings read (with
// its shape whole, within maxEdits), and whether it is read without a
// mistake (the same in canonical classes).
func readsID(lines []string, id string) (found, exact bool) {
	want := canonical(id)
	for _, got := range txidsRead(lines) {
		g := canonical(got)
		exact = exact || g == want
		_, ok := editsWithin(g, want, maxEdits(len(want)))
		found = found || ok
	}
	return found, exact
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func share(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%.0f %%)", a, b, 100*float64(a)/float64(b))
}

func (c tally) report() string {
	rows := [][2]string{
		{"pages", fmt.Sprint(c.pages)},
		{"TXID-like string read, its shape whole (transaction and explorer pages)", share(c.txFound, c.txPages)},
		{"... and without a mistake", share(c.txExact, c.txPages)},
		{"TXID matched to the right record", share(c.txMatched, c.txPages)},
		{"deposit and withdrawal emails: TXID matched", share(c.mailTXMatched, c.mailTX)},
		{"false matches (a record the page does not show)", fmt.Sprint(c.falseMatches)},
		{"matches against records without the page's TXID", fmt.Sprint(c.falseWithout)},
		{"'TXID not on record' flags on counterparty pages of a record", fmt.Sprint(c.notOnRecordFlags)},
		{"'TXID not on record' flags on explorer pages (another party's address in a TXID's shape)", fmt.Sprint(c.explorerNotOnRecord)},
		{"the same transaction pages read for an account without their TXID: flagged 'not on record'", share(c.otherAccountFlagged, c.otherAccount)},
		{"email address found", share(c.emailFound, c.emailPages)},
		{"notification kind right", share(c.kindRight, c.emailPages)},
		{"explorer pages flagged", share(c.explorerFlagged, c.explorers)},
		{"other transaction screenshots flagged as explorer", share(c.explorerFalse, c.notExplorer)},
		{"inbox pages flagged", share(c.inboxFlagged, c.inboxes)},
		{"other pages flagged as inbox", share(c.inboxFalse, c.notInbox)},
		{"pages read a second time, enlarged", share(c.secondReading, c.pages)},
		{"time per page (OCR, one run at a time)", (c.elapsed / time.Duration(max(c.pages, 1))).Round(time.Millisecond).String()},
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	return b.String()
}
