package evidence

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/screenshot"
)

// A handful of generated screenshots read by tesseract: each transaction
// page's TXID is found and matched to its record, and read against an
// account without that TXID (a random one instead) it matches nothing; the
// email's address is found; the explorer page is flagged. The measurement
// on a larger set is TestOCRBenchmark.
func TestReadScreenshot(t *testing.T) {
	r := requireTesseract(t)
	rng := rand.New(rand.NewPCG(3, 4))
	at := time.Date(2024, 4, 9, 13, 5, 0, 0, time.UTC)
	solana := Record{Direction: "withdrawal", Coin: "SOL", Network: "SOL", Amount: "3.2", Address: "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
		TXID: randomFrom(rng, base58, 88)}
	cases := []struct {
		name  string
		file  File
		rec   Record
		style screenshot.Style
		want  string
	}{
		{name: "phone, light", file: txFile, rec: evmRec, style: screenshot.Style{Seed: 1, Width: 1080, Height: 2340, Text: 40}, want: "screenshot_txid_matched"},
		{name: "desktop, dark, small text", file: txFile, rec: solana, style: screenshot.Style{Seed: 2, Width: 1440, Height: 900, Text: 15, Theme: 1, MonoIDs: true}, want: "screenshot_txid_matched"},
		{name: "explorer", file: txFile, rec: evmRec, style: screenshot.Style{Seed: 3, Width: 828, Height: 1792, Text: 30, Theme: 2}, want: "screenshot_block_explorer"},
		{name: "login email", file: emFile, rec: evmRec, style: screenshot.Style{Seed: 4, Width: 720, Height: 1560, Text: 26, Theme: 3, Noise: 0.4}, want: "screenshot_email_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := screenshot.Transfer{Direction: c.rec.Direction, Coin: c.rec.Coin, Network: c.rec.Network, Amount: c.rec.Amount, Address: c.rec.Address, TXID: c.rec.TXID, At: at}
			picture := screenshot.Transaction(tr, c.style)
			switch c.name {
			case "explorer":
				picture = screenshot.Explorer(tr, c.style)
			case "login email":
				picture = screenshot.Email(screenshot.Mail{Kind: screenshot.Login, Brand: "Rebind", To: "user12@demo.rebind.invalid", At: at, IP: "1.2.3.4", Device: "Pixel 8"}, c.style)
			}
			facts := Facts{Class: NonKYCWithRecords, Email: "user12@demo.rebind.invalid", Brand: "Rebind", Records: []Record{c.rec}}
			// Each reading is done once, and read against two accounts.
			readings := map[float64][]string{}
			read := func(scale float64) ([]string, error) {
				if l, ok := readings[scale]; ok {
					return l, nil
				}
				l, err := readLines(context.Background(), r, picture, scale)
				readings[scale] = l
				return l, err
			}
			fs, _, err := readWith(read, c.file, facts)
			if err != nil {
				t.Fatal(err)
			}
			if codes(fs)[c.want] != 1 {
				t.Errorf("no %s in %v", c.want, fs)
			}
			if c.file.Kind == TransactionScreenshot && codes(fs)["screenshot_txid_matched"] != 1 {
				t.Errorf("the TXID is not matched: %v", fs)
			}
			// The same readings, against an account without the TXID.
			facts.Records = []Record{{Direction: "deposit", Coin: c.rec.Coin, Amount: c.rec.Amount, TXID: "0x" + randomHex(rng, 32)}}
			fs, _, err = readWith(read, c.file, facts)
			if err != nil {
				t.Fatal(err)
			}
			if n := codes(fs)["screenshot_txid_matched"]; n != 0 {
				t.Errorf("a random TXID matched: %v", fs)
			}
		})
	}
}
