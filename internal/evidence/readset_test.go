package evidence

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	_ "image/jpeg" // the pipeline's copies
	_ "image/png"

	"github.com/rebindhq/rebind/internal/chain"
	"github.com/rebindhq/rebind/internal/ocr"
	"github.com/rebindhq/rebind/internal/screenshot"
	"github.com/rebindhq/rebind/internal/upload"
)

// requireTesseract skips when tesseract is missing, unless the run says it
// must be there (CI sets REBIND_TEST_REQUIRE_TESSERACT=1).
func requireTesseract(t testing.TB) *ocr.Reader {
	t.Helper()
	r := ocr.New(ocr.Config{})
	if !r.Available() {
		if os.Getenv("REBIND_TEST_REQUIRE_TESSERACT") != "" {
			t.Fatal("tesseract is not installed and REBIND_TEST_REQUIRE_TESSERACT is set")
		}
		t.Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng); set REBIND_TEST_REQUIRE_TESSERACT=1 to fail instead")
	}
	return r
}

// A page of the generated set: a picture as the upload pipeline stores it,
// the file and facts it is read against, and what it truly shows.
type page struct {
	kind    string // transaction, explorer, email, inbox
	file    File
	img     image.Image
	facts   Facts
	truth   int    // index of the record it shows in facts.Records, -1 for none
	mail    string // the notification of an email page
	style   screenshot.Style
	quality int
}

// network is how one chain writes its TXIDs (as internal/demo draws them).
type network struct {
	name, coin string
	txid       func(*rand.Rand) string
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var networks = []network{
	{"ERC20", "ETH", func(r *rand.Rand) string { return "0x" + randomHex(r, 32) }},
	{"ERC20", "USDT", func(r *rand.Rand) string { return "0x" + randomHex(r, 32) }},
	{"BSC", "BNB", func(r *rand.Rand) string { return "0x" + randomHex(r, 32) }},
	{"TRC20", "USDT", func(r *rand.Rand) string { return randomHex(r, 32) }},
	{"BTC", "BTC", func(r *rand.Rand) string { return randomHex(r, 32) }},
	{"LTC", "LTC", func(r *rand.Rand) string { return randomHex(r, 32) }},
	{"SOL", "SOL", func(r *rand.Rand) string { return randomFrom(r, base58, 88) }},
	{"XRP", "XRP", func(r *rand.Rand) string { return strings.ToUpper(randomHex(r, 32)) }},
	{"NEAR", "NEAR", func(r *rand.Rand) string { return randomFrom(r, base58, 44) }},
	{"FIL", "FIL", func(r *rand.Rand) string { return "bafy2bzace" + randomFrom(r, "abcdefghijklmnopqrstuvwxyz234567", 52) }},
}

func record(rng *rand.Rand) Record {
	n := networks[rng.IntN(len(networks))]
	net, _ := chain.Lookup(n.name)
	amount := []string{"0.5", "1250.75", "0.00123", "87", "3.2", "15000", "0.048"}[rng.IntN(7)]
	dir := []string{"deposit", "withdrawal"}[rng.IntN(2)]
	return Record{Direction: dir, Coin: n.coin, Network: n.name, Amount: amount, Address: net.New(rng), TXID: n.txid(rng)}
}

func transfer(r Record, at time.Time) screenshot.Transfer {
	return screenshot.Transfer{Direction: r.Direction, Coin: r.Coin, Network: r.Network, Amount: r.Amount, Address: r.Address, TXID: r.TXID, At: at}
}

// pageSet draws n pages from seed: three in seven transaction pages, two
// in seven emails (the four notifications in turn), one in seven each
// explorer and inbox pages; each in a style of screenshot.Vary, saved as
// JPEG at screenshot.JPEGQuality and stored through the upload pipeline.
func pageSet(t testing.TB, n int, seed uint64) []page {
	t.Helper()
	proc := upload.New(upload.Default, 0)
	kinds := []string{"transaction", "email", "transaction", "explorer", "email", "transaction", "inbox"}
	mails := []screenshot.MailKind{screenshot.Signup, screenshot.Login, screenshot.Deposit, screenshot.Withdrawal}
	at := time.Date(2024, 4, 9, 13, 5, 0, 0, time.UTC)
	out := make([]page, n)
	for i := range out {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		p := page{kind: kinds[i%len(kinds)], style: screenshot.Vary(seed*1000 + uint64(i)), truth: 0}
		p.quality = screenshot.JPEGQuality(seed*1000 + uint64(i))
		email := fmt.Sprintf("user%d@demo.rebind.invalid", rng.IntN(100000))
		p.facts = Facts{Class: NonKYCWithRecords, Email: email, Brand: "Rebind"}
		for range 6 {
			p.facts.Records = append(p.facts.Records, record(rng))
		}
		r := transfer(p.facts.Records[0], at)
		var img image.Image
		switch p.kind {
		case "transaction":
			p.file.Kind, img = TransactionScreenshot, screenshot.Transaction(r, p.style)
		case "explorer":
			p.file.Kind, img = TransactionScreenshot, screenshot.Explorer(r, p.style)
		case "email":
			m := screenshot.Mail{Kind: mails[(i/7)%4], Brand: "Rebind", To: email, At: at, Transfer: r}
			m.IP, m.Device = screenshot.LoginPlace(rng)
			p.file.Kind, p.mail, img = EmailScreenshot, string(m.Kind), screenshot.Email(m, p.style)
			if m.Kind == screenshot.Signup || m.Kind == screenshot.Login {
				p.truth = -1
			}
		case "inbox":
			m := screenshot.Mail{Kind: screenshot.Deposit, Brand: "Rebind", To: email, At: at, Transfer: r}
			p.file.Kind, p.truth, img = TransactionScreenshot, -1, screenshot.Inbox([]screenshot.Mail{m}, p.style)
		}
		p.file.ID = fmt.Sprintf("page%d", i)
		processed, err := proc.Process(context.Background(), screenshot.JPEG(img, p.quality))
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if p.img, _, err = image.Decode(bytes.NewReader(processed.Bytes)); err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// without is facts with the record the page shows removed: the same
// screenshot read against an account that does not have its TXID.
func (p page) without() Facts {
	f := p.facts
	f.Records = append([]Record(nil), f.Records[1:]...)
	return f
}
