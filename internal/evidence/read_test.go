package evidence

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

func randomHex(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return hex.EncodeToString(b)
}

var (
	evmTX  = "0x3f2a9c1b7e5d4a6f8b0c2d1e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
	evmRec = Record{Direction: "deposit", Coin: "ETH", Network: "ERC20", Amount: "0.5", Address: "0x52908400098527886E0F7030069857D2E4169EE7", TXID: evmTX}
	txFile = File{ID: "file1", Kind: TransactionScreenshot}
	emFile = File{ID: "file2", Kind: EmailScreenshot}
)

func codes(fs []Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Code]++
	}
	return m
}

func flagged(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Flag {
			out = append(out, f.Code)
		}
	}
	return out
}

// What a transaction screenshot's text gives, read as OCR reads it: the
// confusions, a TXID wrapped or split, amounts and coins beside it.
func TestTransactionText(t *testing.T) {
	other := "0x" + randomHex(rand.New(rand.NewPCG(1, 2)), 32)
	sol := randomFrom(rand.New(rand.NewPCG(3, 4)), "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 88)
	solRec := Record{Direction: "withdrawal", Coin: "SOL", Amount: "3.2", TXID: sol}
	cases := []struct {
		name       string
		lines      []string
		want       map[string]int
		wantFlags  int
		detailHas  string
		recordsToo []Record
	}{
		{"exact", []string{"-0.5 ETH", "Completed", "TXID " + evmTX, "Amount 0.5 ETH"},
			map[string]int{"screenshot_txid_matched": 1}, 0, "read in full", nil},
		{"confused and wrapped", []string{"-0.5 ETH", "Transaction Hash", "Qx3£2a9c1b7e5d4a6f8b0c2d1e3f4a5b6c7d8e9fOalb2c3d4e5f6", "a7b8c9d0elf2a", "Amount @.5 ETH"},
			map[string]int{"screenshot_txid_matched": 1}, 0, "read in full", nil},
		{"split by spaces, two characters lost", []string{"Hash 0x3f2a9c1b7e5d4a6f8b0c2d1e 3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f", "0.5 ETH"},
			map[string]int{"screenshot_txid_matched": 1}, 0, "2 characters wrong", nil},
		{"not on record", []string{"-0.5 ETH", "TXID", other},
			map[string]int{"screenshot_txid_not_on_record": 1}, 1, other[:10], nil},
		{"the record's address is not a TXID", []string{"Address", "0:" + strings.Repeat("ab", 32), "TXID " + evmTX, "0.5 ETH"},
			map[string]int{"screenshot_txid_matched": 1}, 0, "", []Record{{Direction: "withdrawal", Coin: "TON", Amount: "3", Address: strings.Repeat("ab", 32), TXID: "short1"}}},
		{"a piece of a wrapped id with its label stuck on is no other TXID", []string{"-3.2 SOL", "Txid" + sol[:40], sol[40:] + "Date 2024-04-09"},
			map[string]int{"screenshot_txid_matched": 1}, 0, "", []Record{solRec}},
		{"amount differs", []string{"-0.7 ETH", "Fee 0.0005 ETH", "TXID " + evmTX},
			map[string]int{"screenshot_txid_matched": 1, "screenshot_amount_differs": 1}, 1, "0.7", nil},
		{"coin differs", []string{"-0.5 BNB", "TXID " + evmTX},
			map[string]int{"screenshot_txid_matched": 1, "screenshot_coin_differs": 1}, 1, "BNB", nil},
		{"no TXID", []string{"Sent", "0.5 ETH", "TXID 0x3f2a...0e1f2a"},
			map[string]int{"screenshot_no_txid": 1}, 0, "", nil},
		{"explorer", []string{"Chainlens", "Search by Address / Txn Hash / Block / Token", "Transaction Hash: " + evmTX, "Block: 19234567 1853 Block Confirmations", "Gas Price: 42.5 Gwei", "Value: 0.5 ETH"},
			map[string]int{"screenshot_txid_matched": 1, "screenshot_block_explorer": 1}, 1, "", nil},
		{"a wallet's page with a few explorer words", []string{"Transaction Hash", evmTX, "Confirmations 12/12", "Block 19234567", "View in explorer >", "0.5 ETH"},
			map[string]int{"screenshot_txid_matched": 1}, 0, "", nil},
		{"inbox", []string{"Inbox", "Search in mail", "Primary Promotions Social", "Rebind [Rebind] Deposit Successful", "Compose"},
			map[string]int{"screenshot_no_txid": 1, "screenshot_inbox": 1}, 1, "", nil},
		{"no text", []string{"", "  "}, map[string]int{"screenshot_no_text": 1}, 0, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := ReadFindings(txFile, c.lines, Facts{Class: NonKYCWithRecords, Records: append([]Record{evmRec}, c.recordsToo...)})
			got := codes(fs)
			if len(got) != len(c.want) {
				t.Errorf("findings %v, want %v", fs, c.want)
			}
			for code, n := range c.want {
				if got[code] != n {
					t.Errorf("%s: %d, want %d (%v)", code, got[code], n, fs)
				}
			}
			if n := len(flagged(fs)); n != c.wantFlags {
				t.Errorf("%d flagged, want %d: %v", n, c.wantFlags, fs)
			}
			all := ""
			for _, f := range fs {
				all += f.Detail + "\n"
				if f.File != txFile.ID {
					t.Errorf("finding %s is about file %q", f.Code, f.File)
				}
			}
			if !strings.Contains(all, c.detailHas) {
				t.Errorf("details %q do not say %q", all, c.detailHas)
			}
		})
	}
}

// No id on record matches a screenshot of another id, whatever the
// records: 2,000 random TXIDs of each shape against texts of other random
// ones (and their OCR-damaged copies), 0 matches. A record's id shorter
// than MinMatchedID is never searched.
func TestRandomIDsNeverMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []func() string{
		func() string { return "0x" + randomHex(rng, 32) },
		func() string { return randomHex(rng, 32) },
		func() string { return strings.ToUpper(randomHex(rng, 32)) },
		func() string {
			return randomFrom(rng, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 88)
		},
		func() string {
			return randomFrom(rng, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 44)
		},
	}
	var records []Record
	for i := range 2000 {
		records = append(records, Record{Direction: "deposit", Coin: "ETH", Amount: "1", TXID: shapes[i%len(shapes)]()})
	}
	records = append(records, Record{Direction: "deposit", Coin: "ETH", Amount: "1", TXID: "tx1"})
	for i := range 50 {
		shown := shapes[i%len(shapes)]()
		damaged := strings.NewReplacer("0", "O", "1", "l").Replace(shown)
		lines := []string{"Sent 1 ETH", "TXID " + shown, damaged[:30], damaged[30:], "tx1 wx1"}
		if n := codes(ReadFindings(txFile, lines, Facts{Records: records}))["screenshot_txid_matched"]; n != 0 {
			t.Fatalf("text %d matched %d random records", i, n)
		}
	}
}

func randomFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// Email screenshots: the address read or not (another address one letter
// away is not the account's), which notification, and whether the class
// accepts it.
func TestEmailText(t *testing.T) {
	login := []string{"[Rebind] Login Notification", "Rebind <notice@rebind.example>", "to user12@demo.rebind.invalid", "Your account logged in successfully."}
	cases := []struct {
		name  string
		class Class
		lines []string
		want  []string
		flags int
	}{
		{"login", NonKYCNoRecords, login, []string{"screenshot_email_found", "screenshot_email_kind"}, 0},
		{"confused address", NonKYCNoRecords, []string{"Welcome to Rebind - Registration Successful", "Dear user12@dern0.reb1nd.lnvalid,", "Your account has been registered."},
			[]string{"screenshot_email_found", "screenshot_email_kind"}, 0},
		{"address read with spaces and the @ as ©", NonKYCNoRecords, []string{"[Rebind] Login Notification", "To: <user12©demo.rebind. invalid>", "Your account logged in."},
			[]string{"screenshot_email_found", "screenshot_email_kind"}, 0},
		{"the account's address inside a longer one", NonKYCNoRecords, []string{"[Rebind] Login Notification", "To: xuser12@demo.rebind.invalid", "Your account logged in."},
			[]string{"screenshot_email_not_found", "screenshot_email_kind"}, 1},
		{"another account's address", NonKYCNoRecords, []string{"[Rebind] Login Notification", "to user13@demo.rebind.invalid", "Your account logged in."},
			[]string{"screenshot_email_not_found", "screenshot_email_kind"}, 1},
		{"deposit email for an account without transfers", NonKYCNoRecords, []string{"[Rebind] Deposit Successful", "user12@demo.rebind.invalid", "Your deposit of 1 ETH has been credited."},
			[]string{"screenshot_email_found", "screenshot_email_kind_not_accepted"}, 1},
		{"deposit email with its TXID", NonKYCWithRecords, []string{"[Rebind] Deposit Successful", "user12@demo.rebind.invalid", "Your deposit of 0.5 ETH has been credited.", "TXID: " + evmTX},
			[]string{"screenshot_email_found", "screenshot_email_kind", "screenshot_txid_matched"}, 0},
		{"not a notification", NonKYCWithRecords, []string{"Hello from Rebind", "user12@demo.rebind.invalid", "Our new app is here."},
			[]string{"screenshot_email_found", "screenshot_email_kind_unknown"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := ReadFindings(emFile, c.lines, Facts{Class: c.class, Email: "user12@demo.rebind.invalid", Brand: "Rebind", Records: []Record{evmRec}})
			got := codes(fs)
			for _, w := range c.want {
				if got[w] != 1 {
					t.Errorf("%s: %d (%v)", w, got[w], fs)
				}
			}
			if len(got) != len(c.want) || len(flagged(fs)) != c.flags {
				t.Errorf("findings %v, want %v with %d flagged", fs, c.want, c.flags)
			}
		})
	}
}

func TestMailKind(t *testing.T) {
	for text, want := range map[string]string{
		"Welcome to Rebind - Registration Successful. You can now sign in.": "signup",
		"[Rebind] Login Notification. Your account logged in at 10:00.":     "login",
		"[Rebind] Withdrawal Successful. You have withdrawn 1 BTC.":         "withdrawal",
		"[Rebind] Deposit Successful. Your deposit has been credited.":      "deposit",
		"Your monthly statement is ready":                                   "",
	} {
		if got := mailKind(pageText([]string{text})); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}
