package credential

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/account"
	"github.com/rebindhq/rebind/internal/ratelimit"
	"github.com/rebindhq/rebind/internal/token"
)

// A device token lets a browser or app that completed a sign-in to an
// account keep trying that account's password after strangers have spent
// the email's attempt limit, or its address's (OWASP's "device cookies"):
// its attempts count against a limit of its own, which only its holder can
// spend. It relaxes those limits and nothing else; it is no authenticator.
// It names the account, carries the time it was issued, and is signed over
// the account's current password hash, so a new password retires every
// device token of the account. Pages keep it in a cookie; apps send it in
// the Rebind-Device header.

// DeviceHeader is the request header in which apps present a device token.
const DeviceHeader = "Rebind-Device"

// DeviceLifetime is how long a device token is honoured after its sign-in.
const DeviceLifetime = 180 * 24 * time.Hour

// PerDevice limits the password attempts of one device token: the same
// number as for one email, spent only by the device's holder.
var PerDevice = ratelimit.Rule{Name: "signin_device", Limit: 10, Window: 15 * time.Minute,
	Refusal: "too many sign-in attempts from this device"}

// DeviceCookieName is the name of the device cookie of pages; outside dev
// the __Host- prefix pins it to this origin.
func DeviceCookieName(secure bool) string {
	if secure {
		return "__Host-rebind_device"
	}
	return "rebind_device"
}

// DeviceToken issues a device token for a, at the end of a sign-in.
func (c *Checker) DeviceToken(a account.Account) string {
	payload := a.ID + "." + token.NewID() + "." + strconv.FormatInt(c.Clock.Now().Unix(), 10)
	return payload + "." + base64.RawURLEncoding.EncodeToString(c.DeviceKeys.MAC(deviceSigned(payload, a.PasswordHash)))
}

// trustedDevice returns the id of device token tok when it is a live token
// of account a, or "" when it is not (absent, malformed, another account's,
// expired, forged, or issued before the password changed).
func (c *Checker) trustedDevice(tok string, a account.Account) string {
	if tok == "" || a.ID == "" || len(tok) > 200 {
		return ""
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 4 || parts[0] != a.ID || parts[1] == "" {
		return ""
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || c.Clock.Now().After(time.Unix(issued, 0).Add(DeviceLifetime)) {
		return ""
	}
	sum, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !c.DeviceKeys.Verify(sum, deviceSigned(strings.Join(parts[:3], "."), a.PasswordHash)) {
		return ""
	}
	return parts[1]
}

// deviceSigned is what a device token's MAC covers: its payload and the
// password hash, so a new password ends every trusted device.
func deviceSigned(payload, passwordHash string) []byte {
	return []byte(payload + "\x00" + passwordHash)
}
