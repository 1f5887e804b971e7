package screenshot

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"

	"github.com/rebindhq/rebind/internal/chain"
)

// wallets are made-up names of the apps on the other side of a transfer.
var wallets = []string{"Harbor Wallet", "Coinpath", "Ledgerly", "Orbit Exchange", "Mintbridge", "Quartz Pay", "Nimbus Wallet"}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// statusBar draws a phone's status line, or a desktop window's title, at
// the top of the page.
func (c *canvas) statusBar(title string) {
	small := c.unit * 3 / 4
	if c.img.Bounds().Dx() < c.img.Bounds().Dy() {
		c.y += lineHeight(small)
		c.text(medium, small, c.th.fg, c.x0, c.y, pick(c.rng, "9:41", "10:07", "14:32", "21:15"))
		s := pick(c.rng, "5G 87%", "LTE 54%", "Wi-Fi 100%")
		c.text(medium, small, c.th.fg, c.x1-c.width(medium, small, s), c.y, s)
		return
	}
	r := c.bar(lineHeight(small)+small, c.th.card)
	c.text(regular, small, c.th.muted, c.x0, r.Max.Y-small/2, title)
	c.y = r.Max.Y
}

// Transaction draws the page of transfer t in the app on the other side:
// for a deposit, the app the funds were sent from; for a withdrawal, the
// one that received them. It shows the coin, amount, address and TXID, as
// the help center asks.
func Transaction(t Transfer, s Style) *image.RGBA {
	c := s.canvas()
	wallet := pick(c.rng, wallets...)
	c.statusBar(wallet)
	sent := t.Direction != "withdrawal"
	title := pick(c.rng, "Transaction Details", "Details")
	if sent {
		title = pick(c.rng, title, "Withdrawal Details", "Send Details")
	} else {
		title = pick(c.rng, title, "Deposit Details", "Receive Details")
	}
	c.gap(0.6)
	c.line(bold, c.unit*5/4, c.th.fg, "< "+title)
	c.gap(1.2)
	sign, kind := "+", pick(c.rng, "Received", "Deposit")
	if sent {
		sign, kind = "-", pick(c.rng, "Sent", "Withdrawal", "Send")
	}
	big := c.unit * 2
	c.y += lineHeight(big)
	amount := sign + t.Amount + " " + t.Coin
	c.text(bold, big, c.th.fg, (c.img.Bounds().Dx()-c.width(bold, big, amount))/2, c.y, amount)
	status := pick(c.rng, "Completed", "Succeeded", "Success")
	c.y += lineHeight(c.unit)
	c.text(medium, c.unit, c.th.accent, (c.img.Bounds().Dx()-c.width(medium, c.unit, status))/2, c.y, status)
	c.gap(1)
	c.rule()
	ids := regular
	if s.MonoIDs {
		ids = mono
	}
	c.row("Type", kind, medium)
	c.row(pick(c.rng, "Coin", "Asset", "Currency"), t.Coin, medium)
	if t.Network != "" {
		c.row("Network", t.Network, medium)
	}
	c.row("Amount", t.Amount+" "+t.Coin, medium)
	if sent {
		c.row(pick(c.rng, "Network Fee", "Fee"), fee(c.rng)+" "+t.Coin, medium)
	}
	c.row(pick(c.rng, "Address", "To", "Receiving Address", "Deposit Address"), t.Address, ids)
	c.row(pick(c.rng, "TXID", "Txid", "Transaction ID", "Transaction Hash", "Hash"), t.TXID, ids)
	c.row(pick(c.rng, "Date", "Time", "Completed"), t.At.UTC().Format("2006-01-02 15:04:05"), regular)
	c.rule()
	if c.rng.IntN(4) == 0 {
		c.gap(0.5)
		c.line(medium, c.unit, c.th.accent, pick(c.rng, "View in explorer >", "Copy TXID", "Share"))
	}
	return s.finish(c)
}

func fee(rng *rand.Rand) string {
	return pick(rng, "0.0001", "0.00021", "0.0005", "1", "0.8", "0.000042")
}

// explorers are made-up block explorers.
var explorers = []string{"Chainlens", "BlockView", "TxScope", "Ledgerscan"}

// Explorer draws transfer t as a block explorer shows it: the kind of
// screenshot the help center does not accept.
func Explorer(t Transfer, s Style) *image.RGBA {
	c := s.canvas()
	site := pick(c.rng, explorers...)
	c.statusBar(strings.ToLower(site) + ".example/tx/" + short(t.TXID))
	band := c.bar(c.unit*3, c.th.card)
	c.text(bold, c.unit*5/4, c.th.accent, c.x0, band.Min.Y+c.unit*2, site)
	c.y = band.Max.Y
	c.gap(0.5)
	c.line(regular, c.unit*4/5, c.th.muted, "Search by Address / Txn Hash / Block / Token")
	c.gap(0.8)
	c.line(bold, c.unit*5/4, c.th.fg, "Transaction Details")
	c.line(medium, c.unit, c.th.accent, "Overview")
	c.rule()
	ids := regular
	if s.MonoIDs {
		ids = mono
	}
	block := 15_000_000 + c.rng.IntN(5_000_000)
	evm := strings.HasPrefix(t.TXID, "0x")
	c.row("Transaction Hash:", t.TXID, ids)
	c.row("Status:", "Success", medium)
	c.row("Block:", fmt.Sprintf("%d", block), regular)
	c.row("", fmt.Sprintf("%d Block Confirmations", 20+c.rng.IntN(4000)), regular)
	c.row("Timestamp:", t.At.UTC().Format("Jan-02-2006 03:04:05 PM +UTC"), regular)
	c.row("From:", otherAddress(t, c.rng), ids)
	c.row("To:", t.Address, ids)
	c.row("Value:", t.Amount+" "+t.Coin, medium)
	c.row("Transaction Fee:", fee(c.rng)+" "+t.Coin, regular)
	if evm {
		c.row("Gas Price:", fmt.Sprintf("%d.%d Gwei", 5+c.rng.IntN(40), c.rng.IntN(10)), regular)
		c.row("Gas Limit & Usage by Txn:", fmt.Sprintf("%d | %d", 21000+c.rng.IntN(80000), 21000), regular)
	} else {
		c.row("Size:", fmt.Sprintf("%d bytes", 180+c.rng.IntN(400)), regular)
	}
	return s.finish(c)
}

// otherAddress is a sender for an explorer page: an address of t's network
// from internal/chain, or one like t's address.
func otherAddress(t Transfer, rng *rand.Rand) string {
	if n, ok := chain.Lookup(t.Network); ok {
		return n.New(rng)
	}
	if n, _, ok := chain.Detect(t.Address); ok {
		return n.New(rng)
	}
	return t.Address
}

func short(id string) string {
	if len(id) > 12 {
		return id[:8] + "..."
	}
	return id
}

// card draws a filled box from the cursor, h pixels high, inset by the
// margins.
func (c *canvas) card(h int, col color.Color) image.Rectangle {
	r := image.Rect(c.x0-c.unit/2, c.y, c.x1+c.unit/2, c.y+h)
	c.fill(r, col)
	return r
}
