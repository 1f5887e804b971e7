package web_test

import (
	"testing"

	"github.com/rebindhq/rebind/internal/browsertest"
)

// TestMain closes the browser the page tests share.
func TestMain(m *testing.M) { browsertest.Main(m) }
