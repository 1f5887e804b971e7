//go:build !linux

package password

import "errors"

// lowerThread is Linux only: elsewhere a priority applies to the whole
// process.
func lowerThread(int) error { return errors.ErrUnsupported }
