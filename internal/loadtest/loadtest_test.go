package loadtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/loadtest"
)

// codesPerFlow is how many codes each scenario's flow reads from the sinks.
var codesPerFlow = map[string]int{"signin": 1, "email-code": 1, "reset-quiz": 1, "change": 3, "eligibility": 0, "bare": 0}

// Every scenario runs a fixed number of flows at concurrency 4 against a
// whole server on each database, its mail and SMS going to the tool's own
// sinks: every flow reaches its outcome (the tool checks it), none fails,
// and the report counts exactly the flows run, each step once a flow and
// each code delivered once.
func TestScenarios(t *testing.T) {
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		in := loadtest.NewInbox()
		smtpSink, err := loadtest.StartSMTP("127.0.0.1:0", in)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { smtpSink.Close() })
		smsSink, err := loadtest.StartSMS("127.0.0.1:0", in)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { smsSink.Close() })
		opts.Env = map[string]string{"REBIND_SMTP_URL": smtpSink.URL(), "REBIND_SMS_URL": smsSink.URL(),
			"REBIND_TRUSTED_PROXIES": "127.0.0.1/32", "REBIND_CAPTCHA": "off"}
		s := apptest.Start(t, opts)
		const flows = 8
		tool := loadtest.New(loadtest.Config{BaseURL: s.URL, AdminURL: s.InternalURL, AdminToken: apptest.AdminToken,
			Scenarios: loadtest.Scenarios, Levels: []int{4}, Flows: flows}, in)
		rep, err := tool.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var table strings.Builder
		rep.WriteTable(&table)
		if len(rep.Results) != len(loadtest.Scenarios) {
			t.Fatalf("results: %d\n%s", len(rep.Results), table.String())
		}
		for _, r := range rep.Results {
			if r.Flows != flows || r.Errors != 0 || r.Flow.N != flows || r.Concurrency != 4 {
				t.Errorf("%s: %d flows (%d timed), %d errors %v, want %d flows and none", r.Scenario, r.Flows, r.Flow.N, r.Errors, r.ErrorsBy, flows)
			}
			if r.Scenario == "mixed" {
				continue
			}
			for _, st := range r.Steps {
				if st.N != flows {
					t.Errorf("%s: step %s ran %d times, want %d", r.Scenario, st.Name, st.N, flows)
				}
			}
			if want := codesPerFlow[r.Scenario] * flows; r.Delivery.N != want {
				t.Errorf("%s: %d deliveries timed, want %d", r.Scenario, r.Delivery.N, want)
			}
		}
		if t.Failed() {
			t.Log("\n" + table.String())
		}
		if n := in.Dropped.Load(); n != 0 {
			t.Errorf("%d codes arrived for nobody", n)
		}
	})
}
