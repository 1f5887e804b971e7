package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/upload"
)

// A typed transaction matches a record with its TXID when the coin is the
// same and the recorded amount rounds to what was typed.
func TestMatch(t *testing.T) {
	deposit := []account.Recorded{{Direction: "deposit", Coin: "USDT", Amount: "120.0500012"}}
	for _, tc := range []struct {
		name       string
		coin, amt  string
		records    []account.Recorded
		want, recd string
	}{
		{"exact to the typed decimals", "USDT", "120.05", deposit, MatchExact, ""},
		{"more decimals typed than differ", "USDT", "120.0500012", deposit, MatchExact, ""},
		{"whole units round", "USDT", "120", deposit, MatchExact, ""},
		{"off by a typed unit", "USDT", "120.06", deposit, MatchAmountDiffers, "120.0500012"},
		{"another coin", "BTC", "120.05", deposit, MatchCoinDiffers, ""},
		{"no record", "USDT", "120.05", nil, MatchNone, ""},
		{"one of two records", "USDT", "7", []account.Recorded{{Direction: "withdrawal", Coin: "USDT", Amount: "9"}, {Direction: "deposit", Coin: "USDT", Amount: "7.2"}}, MatchExact, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Match(Transaction{TXID: "0xabc12345", Coin: tc.coin, Amount: tc.amt}, tc.records)
			if got.Match != tc.want || got.Recorded != tc.recd {
				t.Fatalf("Match = %q (recorded %q), want %q (%q)", got.Match, got.Recorded, tc.want, tc.recd)
			}
			if tc.want == MatchNone && got.Direction != "" {
				t.Fatalf("an unmatched transaction names a direction: %q", got.Direction)
			}
		})
	}
}

// Typed transactions are tidied, and a bad one is refused naming its field
// (SPEC §5: bad input is a clear 400).
func TestCheckTransactions(t *testing.T) {
	got, err := CheckTransactions([]Transaction{{TXID: " 0xabc12345 ", Coin: "usdt", Amount: "1.5"}})
	if err != nil || got[0].TXID != "0xabc12345" || got[0].Coin != "USDT" {
		t.Fatalf("CheckTransactions = %+v, %v", got, err)
	}
	for field, tx := range map[string]Transaction{
		"transactions[0].txid":   {TXID: "<script>", Coin: "USDT", Amount: "1"},
		"transactions[0].coin":   {TXID: "0xabc12345", Coin: "U$DT", Amount: "1"},
		"transactions[0].amount": {TXID: "0xabc12345", Coin: "USDT", Amount: "0"},
	} {
		_, err := CheckTransactions([]Transaction{tx})
		if e := apperr.As(err); e.Code != apperr.InvalidRequest || e.Fields["field"] != field {
			t.Errorf("%+v: %v, want invalid_request on %s", tx, err, field)
		}
	}
	many := make([]Transaction, MaxTransactions+1)
	if _, err := CheckTransactions(many); !apperr.Is(err, apperr.InvalidRequest) {
		t.Fatalf("%d transactions: %v, want invalid_request", len(many), err)
	}
}

// A picture's metadata becomes findings: editing software flagged, a phone
// system's version only noted, a capture far from the application flagged,
// a selfie without camera metadata flagged (a screenshot never has any).
func TestMetaFindings(t *testing.T) {
	sent := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	old, recent := sent.Add(-10*24*time.Hour), sent.Add(-2*time.Hour)
	codes := func(f File) string {
		var out []string
		for _, x := range metaFindings(f, sent) {
			s := x.Code
			if x.Flag {
				s += "!"
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name string
		file File
		want string
	}{
		{"camera photo taken today", File{Kind: SelfieWithStatement, Meta: upload.Findings{HasCameraMetadata: true, CapturedAt: &recent}}, ""},
		{"edited", File{Kind: SelfieWithStatement, Meta: upload.Findings{HasCameraMetadata: true, Software: "Adobe Photoshop 25.0"}}, "software_named!"},
		{"phone system version", File{Kind: SelfieWithStatement, Meta: upload.Findings{HasCameraMetadata: true, Software: "17.4.1"}}, "software_named"},
		{"old photo", File{Kind: SelfieWithStatement, Meta: upload.Findings{HasCameraMetadata: true, CapturedAt: &old}}, "captured_far_from_application!"},
		{"selfie without camera", File{Kind: SelfieWithStatement}, "no_camera_metadata!"},
		{"screenshot", File{Kind: EmailScreenshot}, ""},
		{"location removed", File{Kind: EmailScreenshot, Meta: upload.Findings{GPSRemoved: true}}, "location_removed"},
	} {
		if got := codes(tc.file); got != tc.want {
			t.Errorf("%s: findings %q, want %q", tc.name, got, tc.want)
		}
	}
}
