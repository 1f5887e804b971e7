package code_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/client"
	"github.com/rebindhq/rebind/internal/code"
	"github.com/rebindhq/rebind/internal/config"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// Issue 13, item 11: no limit on codes counts over a window longer than
// code.LongestWindow, and the shortest REBIND_RETAIN_CODES is longer, so
// the retention job never deletes a code any limit still counts. Every
// requester's send is made, by email and SMS, and the windows of the
// counters it took are read back.
func TestCodeRetentionOutlastsEveryLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.t = t
		ctx := client.With(context.Background(), client.Info{IP: "198.51.100.7"})
		for _, s := range []struct {
			p       code.Purpose
			account string
			to      string
		}{
			{code.Login, h.account, "owner@example.com"},
			{code.ChangeOldSMS, h.account, "+6581234567"},
			{code.PasswordReset, "", "anyone@example.com"},
			{code.ChangeNewSMS, h.account, "+6581239999"},
		} {
			if err := h.send1(ctx, h.flow(t), s.p, s.account, s.to); err != nil {
				t.Fatalf("send %s: %v", s.p, err)
			}
		}
		longest := time.Duration(storetest.Count(t, db, "SELECT max(expires_at - window_start) FROM rate_counters")) * time.Millisecond
		if longest != code.LongestWindow || storetest.Count(t, db, "SELECT count(*) FROM rate_counters") < 10 {
			t.Fatalf("the longest window counting sends is %v, want code.LongestWindow (%v)", longest, code.LongestWindow)
		}
		if config.MinRetainCodes <= longest {
			t.Fatalf("REBIND_RETAIN_CODES may be %v, not longer than the %v window of a limit on codes", config.MinRetainCodes, longest)
		}
	})
}
