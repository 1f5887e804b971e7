package screenshot

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
	"time"
)

// MailKind is which notification an exchange's email is.
type MailKind string

// The notifications the help center accepts as email screenshots.
const (
	Signup     MailKind = "signup"
	Login      MailKind = "login"
	Deposit    MailKind = "deposit"
	Withdrawal MailKind = "withdrawal"
)

// Mail is one notification email from the exchange.
type Mail struct {
	Kind  MailKind
	Brand string // the exchange's name
	To    string // the account's email address
	At    time.Time
	// IP and Device are a login's.
	IP, Device string
	// Transfer is a deposit's or withdrawal's.
	Transfer Transfer
}

// From is the sender's address: a name under the reserved .example
// domain, so no real mailbox is named.
func (m Mail) From() string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, strings.ToLower(m.Brand))
	if name == "" {
		name = "exchange"
	}
	return "notice@" + name + ".example"
}

// Subject is the email's subject line.
func (m Mail) Subject() string {
	switch m.Kind {
	case Signup:
		return "Welcome to " + m.Brand + " - Registration Successful"
	case Login:
		return "[" + m.Brand + "] Login Notification"
	case Deposit:
		return "[" + m.Brand + "] Deposit Successful"
	case Withdrawal:
		return "[" + m.Brand + "] Withdrawal Successful"
	}
	return m.Brand
}

// body is the email's text, paragraph by paragraph.
func (m Mail) body() []string {
	when := m.At.UTC().Format("2006-01-02 15:04:05") + " (UTC)"
	t := m.Transfer
	var p []string
	switch m.Kind {
	case Signup:
		p = []string{"Dear " + m.To + ",",
			"Congratulations! Your " + m.Brand + " account has been registered successfully on " + when + ".",
			"You can now sign in, set up two-factor authentication and start trading."}
	case Login:
		p = []string{"Dear " + m.To + ",",
			"Your account logged in successfully at " + when + ".",
			"IP: " + m.IP, "Device: " + m.Device,
			"If this was not you, change your password and contact support at once."}
	case Deposit:
		p = []string{"Dear " + m.To + ",",
			fmt.Sprintf("Your deposit of %s %s has been credited to your account.", t.Amount, t.Coin),
			"Network: " + t.Network, "TXID: " + t.TXID, "Time: " + when}
	case Withdrawal:
		p = []string{"Dear " + m.To + ",",
			fmt.Sprintf("You have successfully withdrawn %s %s.", t.Amount, t.Coin),
			"Address: " + t.Address, "TXID: " + t.TXID, "Time: " + when}
	}
	return append(p, "This is an automated message, please do not reply.", "The "+m.Brand+" Team")
}

// Email draws notification m opened in a mail app: the subject, the
// sender, the recipient (the account's address) and the body.
func Email(m Mail, s Style) *image.RGBA {
	c := s.canvas()
	c.statusBar(pick(c.rng, "Mail", "Inbox - Mail"))
	c.gap(0.5)
	c.line(medium, c.unit, c.th.accent, pick(c.rng, "<", "< Back", "<  Archive  Delete"))
	c.gap(0.8)
	c.y += lineHeight(c.unit * 5 / 4)
	c.wrap(bold, c.unit*5/4, c.th.fg, c.x0, m.Subject())
	c.gap(0.8)
	c.line(bold, c.unit, c.th.fg, m.Brand+" <"+m.From()+">")
	to := pick(c.rng, "to ", "To: ")
	c.y += lineHeight(c.unit * 9 / 10)
	c.wrap(regular, c.unit*9/10, c.th.muted, c.x0, to+m.To)
	c.line(regular, c.unit*9/10, c.th.muted, m.At.UTC().Format("Jan 2, 2006, 3:04 PM"))
	c.gap(0.8)
	head := c.card(c.unit*3, c.th.accent)
	c.text(bold, c.unit*5/4, c.th.bg, head.Min.X+c.unit, head.Min.Y+c.unit*2, m.Brand)
	c.y = head.Max.Y
	for _, para := range m.body() {
		c.y += lineHeight(c.unit)
		c.wrap(regular, c.unit, c.th.fg, c.x0, para)
		c.gap(0.3)
	}
	return s.finish(c)
}

// fillers are messages of other senders in a mailbox.
var fillers = [][2]string{
	{"Northwind Bank", "Your monthly statement is ready"},
	{"Parcel Service", "Your parcel is on its way"},
	{"Calendar", "Reminder: dentist tomorrow at 10:00"},
	{"Newsletter", "This week in tech: five stories"},
	{"Streamly", "New episodes you might like"},
	{"Team Chat", "You have 3 unread messages"},
	{"Airline", "Check-in is now open for your flight"},
}

// Inbox draws a mailbox's list of messages with mails among others: the
// kind of screenshot the help center does not accept, because it shows no
// message's body.
func Inbox(mails []Mail, s Style) *image.RGBA {
	c := s.canvas()
	c.statusBar("Inbox - Mail")
	c.gap(0.5)
	c.line(bold, c.unit*3/2, c.th.fg, "Inbox")
	c.line(regular, c.unit, c.th.muted, pick(c.rng, "Search in mail", "Search mail"))
	c.gap(0.5)
	c.y += lineHeight(c.unit)
	x := c.x0
	for i, tab := range []string{"Primary", "Promotions", "Social", "Updates"} {
		col := c.th.muted
		if i == 0 {
			col = c.th.accent
		}
		x = c.text(medium, c.unit, col, x, c.y, tab) + c.unit*3/2
	}
	c.rule()
	rows := make([][3]string, 0, len(mails)+4)
	for _, m := range mails {
		rows = append(rows, [3]string{m.Brand, m.Subject(), firstWords(m.body()[1], 8)})
	}
	for i := 0; i < 4; i++ {
		f := pick(c.rng, fillers...)
		rows = append(rows, [3]string{f[0], f[1], "Open to read more"})
	}
	c.rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for i, r := range rows {
		c.inboxRow(r, i)
	}
	c.gap(1)
	c.line(bold, c.unit, c.th.accent, "Compose")
	return s.finish(c)
}

func (c *canvas) inboxRow(r [3]string, i int) {
	if c.y+lineHeight(c.unit)*4 > c.img.Bounds().Dy() {
		return
	}
	c.line(bold, c.unit, c.th.fg, r[0])
	when := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC).Add(-time.Duration(i*7) * time.Hour).Format("Jan 2")
	c.text(regular, c.unit*9/10, c.th.muted, c.x1-c.width(regular, c.unit*9/10, when), c.y, when)
	c.line(medium, c.unit*9/10, c.th.fg, clip(c, r[1]))
	c.line(regular, c.unit*9/10, c.th.muted, clip(c, r[2]))
	c.rule()
}

// clip cuts s to the page's width with an ellipsis, as a list does.
func clip(c *canvas, s string) string {
	px := c.unit * 9 / 10
	for len(s) > 4 && c.width(regular, px, s) > c.x1-c.x0 {
		s = strings.TrimSuffix(s, "...")
		s = s[:len(s)-1] + "..."
	}
	return s
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		return strings.Join(w[:n], " ") + "..."
	}
	return s
}

// LoginPlace draws an IP address and a device for a login email.
func LoginPlace(rng *rand.Rand) (ip, device string) {
	ip = fmt.Sprintf("%d.%d.%d.%d", 20+rng.IntN(180), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
	return ip, pick(rng, "iPhone 15 (iOS 17.4)", "Pixel 8 (Android 14)", "Chrome 123 on Windows", "Safari 17 on macOS")
}
