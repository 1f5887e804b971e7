package evidence

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/token"
)

// Cursor is the opaque position after app in a list: its submission time
// and id, the lists' order. The admin API and the console page with it.
func Cursor(app Application) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", app.SubmittedAt.UnixMilli(), app.ID))
}

// ParseCursor reads a Cursor back into a page position (Limit unset);
// ok is false for anything Cursor did not make.
func ParseCursor(c string) (p Page, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Page{}, false
	}
	ms, id, found := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || !token.ValidID(id) {
		return Page{}, false
	}
	return Page{After: time.UnixMilli(n), ID: id}, true
}
