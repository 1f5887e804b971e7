package signin

import "github.com/rebindhq/rebind/internal/credential"

// Device tokens are credential's; these names keep the surfaces that set
// and read them unchanged.
const (
	DeviceHeader   = credential.DeviceHeader
	DeviceLifetime = credential.DeviceLifetime
)

// PerDevice is credential.PerDevice.
var PerDevice = credential.PerDevice

// DeviceCookieName is credential.DeviceCookieName.
func DeviceCookieName(secure bool) string { return credential.DeviceCookieName(secure) }
