package demo

import (
	"image"
	"math/rand/v2"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/evidence"
	"github.com/rebindhq/rebind/internal/reset"
	"github.com/rebindhq/rebind/internal/screenshot"
)

// kit is what an applicant's evidence is drawn from: its account as
// stored (so an account made by an earlier run shows its own records) and
// the statement its reset asks for.
type kit struct {
	k, variant            int
	brand, address        string
	registered, at        time.Time
	deposits, withdrawals []account.Transfer
	logins                []account.Login
	docs                  reset.Documents
	// reused is another applicant's selfie, for the one that sends it.
	reused []byte
}

// evidence returns the pictures and typed transactions of the kit's
// class. Each class has a few recipes, taken in turn by variant: most
// applications are what the help center asks for, and some carry what a
// reviewer should catch (a photo seen in another account, a selfie with no
// camera, a mistyped amount, a block explorer's page, a mailbox list,
// someone else's email).
func (k kit) evidence() ([]reset.Picture, []evidence.Transaction) {
	switch k.docs.Class {
	case evidence.KYC:
		return []reset.Picture{{Kind: evidence.SelfieWithStatement, Data: k.selfie()}}, nil
	case evidence.NonKYCWithRecords:
		return k.withRecords()
	}
	return k.noRecords(), nil
}

// selfie is the kit's selfie: the reused one if any, else one drawn with
// its statement and the variant's camera metadata.
func (k kit) selfie() []byte {
	if k.reused != nil {
		return k.reused
	}
	return drawSelfie(k.k, k.variant, selfieStatement(k.docs.StatementPhrase, k.docs.ApplicationDate, k.docs.ReferenceCode), k.at)
}

func selfieStatement(phrase, date, reference string) screenshot.Statement {
	return screenshot.Statement{Phrase: phrase, Date: date, Reference: reference}
}

// drawSelfie draws applicant k's selfie. Variants: an iPhone's photo (its
// software named), a Pixel's, one with no camera metadata (saved from a
// messaging app), and one taken nine days before the application.
func drawSelfie(k, variant int, st screenshot.Statement, at time.Time) []byte {
	jpg := screenshot.JPEG(screenshot.Selfie(st, screenshot.Style{Seed: applicantSeed + uint64(k)}), 88)
	switch variant % 5 {
	case 0:
		return screenshot.WithCamera(jpg, screenshot.Camera{Make: "Apple", Model: "iPhone 13", Software: "17.4.1", At: at.Add(-25 * time.Minute)})
	case 2:
		return jpg
	case 3:
		return screenshot.WithCamera(jpg, screenshot.Camera{Make: "samsung", Model: "SM-A536B", At: at.Add(-9 * 24 * time.Hour)})
	}
	return screenshot.WithCamera(jpg, screenshot.Camera{Make: "Google", Model: "Pixel 7", At: at.Add(-40 * time.Minute)})
}

// withRecords: notifications and the counterparty's pages of transfers on
// record, with the transfers typed.
func (k kit) withRecords() ([]reset.Picture, []evidence.Transaction) {
	d0, second := k.first(), k.second()
	var pics []reset.Picture
	var txs []evidence.Transaction
	switch k.variant % 3 {
	case 0: // the model application: two notifications, two pages, both typed
		pics = append(pics, k.email(k.transferMail(d0), 0), k.email(k.transferMail(second), 1),
			k.transaction(d0, 2), k.transaction(second, 3))
		txs = append(txs, typed(d0))
		if second.TXID != d0.TXID {
			txs = append(txs, typed(second))
		}
	case 1: // one page, its amount mistyped
		pics = append(pics, k.email(k.loginMail(), 0), k.transaction(d0, 1))
		t := typed(d0)
		t.Amount = mistype(t.Amount)
		txs = append(txs, t)
	default: // a block explorer's page beside the counterparty's
		explorer := k.page(evidence.TransactionScreenshot, 2, func(s screenshot.Style) *image.RGBA { return screenshot.Explorer(d0, s) })
		pics = append(pics, k.email(k.signupMail(), 0), k.transaction(second, 1), explorer)
		txs = append(txs, typed(second))
	}
	return pics, txs
}

// noRecords: signup and login notifications.
func (k kit) noRecords() []reset.Picture {
	switch k.variant % 3 {
	case 0:
		return []reset.Picture{k.email(k.signupMail(), 0), k.email(k.loginMail(), 1)}
	case 1: // a mailbox's list beside the message
		inbox := k.page(evidence.EmailScreenshot, 1, func(s screenshot.Style) *image.RGBA { return screenshot.Inbox([]screenshot.Mail{k.loginMail()}, s) })
		return []reset.Picture{k.email(k.loginMail(), 0), inbox}
	}
	// someone else's notification beside its own
	other := k.loginMail()
	other.To = "j.mensah.trading@" + Domain
	return []reset.Picture{k.email(k.signupMail(), 0), k.email(other, 1)}
}

// first is the transfer the screenshots show first: the latest deposit,
// else the latest withdrawal (the class has one or the other).
func (k kit) first() screenshot.Transfer {
	if len(k.deposits) > 0 {
		return shown(k.deposits[0], "deposit")
	}
	return shown(k.withdrawals[0], "withdrawal")
}

// second is another one: the latest withdrawal, else the deposit before
// the latest; first again when the account has one transfer.
func (k kit) second() screenshot.Transfer {
	switch {
	case len(k.withdrawals) > 0 && len(k.deposits) > 0:
		return shown(k.withdrawals[0], "withdrawal")
	case len(k.deposits) > 1:
		return shown(k.deposits[1], "deposit")
	case len(k.withdrawals) > 1:
		return shown(k.withdrawals[1], "withdrawal")
	}
	return k.first()
}

func shown(t account.Transfer, direction string) screenshot.Transfer {
	return screenshot.Transfer{Direction: direction, Coin: t.Coin, Network: t.Network, Amount: t.Amount, Address: t.Address, TXID: t.TxID, At: t.At}
}

func typed(t screenshot.Transfer) evidence.Transaction {
	return evidence.Transaction{TXID: t.TXID, Coin: t.Coin, Amount: t.Amount}
}

// mistype changes the last digit of an amount, never to a zero (which a
// decimal comparison would take for the same amount).
func mistype(amount string) string {
	b := []byte(amount)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '1' + (b[i]-'0'+2)%9
			return string(b)
		}
	}
	return amount + "1"
}

func (k kit) mail(kind screenshot.MailKind, at time.Time) screenshot.Mail {
	return screenshot.Mail{Kind: kind, Brand: k.brand, To: k.address, At: at}
}

func (k kit) signupMail() screenshot.Mail { return k.mail(screenshot.Signup, k.registered) }

func (k kit) loginMail() screenshot.Mail {
	if len(k.logins) == 0 {
		m := k.mail(screenshot.Login, k.registered.Add(time.Hour))
		m.IP, m.Device = screenshot.LoginPlace(rand.New(rand.NewPCG(applicantSeed, uint64(k.k))))
		return m
	}
	l := k.logins[0]
	m := k.mail(screenshot.Login, l.At)
	m.IP, m.Device = l.IP, l.Device
	return m
}

func (k kit) transferMail(t screenshot.Transfer) screenshot.Mail {
	kind := screenshot.Deposit
	if t.Direction == "withdrawal" {
		kind = screenshot.Withdrawal
	}
	m := k.mail(kind, t.At)
	m.Transfer = t
	return m
}

func (k kit) email(m screenshot.Mail, n int) reset.Picture {
	return k.page(evidence.EmailScreenshot, n, func(s screenshot.Style) *image.RGBA { return screenshot.Email(m, s) })
}

func (k kit) transaction(t screenshot.Transfer, n int) reset.Picture {
	return k.page(evidence.TransactionScreenshot, n, func(s screenshot.Style) *image.RGBA { return screenshot.Transaction(t, s) })
}

// shapes are the screens the demo's screenshots come from: phones and a
// desktop window's crop, small enough that OCR reads each in about a
// second.
var shapes = []struct{ w, h, text int }{{720, 1560, 26}, {900, 1200, 20}, {828, 1792, 30}}

// themes is how many themes screenshot has: light and dark in turn.
const themes = 5

// tallerStep is how much taller, in pixels, one applicant's screens are
// than the last one's.
const tallerStep = 200

// page is the kit's n-th screenshot (n < 4), of kind, drawn by draw.
//
// Different applicants' screenshots come from different phones: each
// applicant with screenshots (its slot) draws them on a screen of a height
// and a text size of its own (four of each, in turn) and in looks of its
// own (shape and theme, four of fifteen in turn). It also keeps their
// perceptual hashes apart (the six of a dev start: no two of different
// accounts within 8 bits), which mattered while screenshots counted as
// reused on the hash; they now count only as the same file
// (evidence.reuseFindings).
func (k kit) page(kind evidence.Kind, n int, draw func(screenshot.Style) *image.RGBA) reset.Picture {
	slot := (k.k/3)*2 + max(k.k%3-1, 0) // the how-manieth applicant with screenshots
	look := (slot*4 + n) % (len(shapes) * themes)
	shape := shapes[look%len(shapes)]
	seed := applicantSeed + uint64(k.k)*16 + uint64(n)
	text := shape.text * (85 + 15*(slot%4)) / 100
	s := screenshot.Style{Seed: seed, Width: shape.w, Height: shape.h + (slot%4)*tallerStep, Text: text, Theme: look / len(shapes), MonoIDs: seed%2 == 0}
	return reset.Picture{Kind: kind, Data: encode(draw(s), k.k+n)}
}

// encode saves a screenshot as phones do: PNG, or JPEG when shared
// through an app.
func encode(img image.Image, n int) []byte {
	if n%3 == 2 {
		return screenshot.JPEG(img, 85)
	}
	return screenshot.PNG(img)
}
