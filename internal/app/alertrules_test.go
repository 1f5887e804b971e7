package app_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rebindhq/rebind/internal/app/apptest"
)

const alertRules = "../../deploy/prometheus/rebind-alerts.yml"

// Issue 13, item 12: every rebind_* metric an alert rule names is on the
// /metrics of a server that has answered one request (the watched series
// start at zero, before their first event), and docs/operations.md explains every alert.
func TestAlertRulesNameExposedMetrics(t *testing.T) {
	rules, err := os.ReadFile(alertRules)
	if err != nil {
		t.Fatal(err)
	}
	exprName := regexp.MustCompile(`\brebind_[a-z0-9_]+`)
	named := map[string]bool{}
	var alerts []string
	sc := bufio.NewScanner(strings.NewReader(string(rules)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if expr, ok := strings.CutPrefix(line, "expr:"); ok {
			for _, name := range exprName.FindAllString(expr, -1) {
				named[name] = true
			}
		}
		if alert, ok := strings.CutPrefix(line, "- alert:"); ok {
			alerts = append(alerts, strings.TrimSpace(alert))
		}
	}
	if len(named) < 10 || len(alerts) < 10 {
		t.Fatalf("read %d metric names and %d alerts from %s; the reading is broken", len(named), len(alerts), alertRules)
	}
	apptest.EachDatabase(t, func(t *testing.T, opts apptest.Options) {
		s := apptest.Start(t, opts)
		// One request, so the request series exist.
		if r := s.Do(t, "GET", "/healthz", "", nil); r.Status != 200 {
			t.Fatalf("/healthz: %d", r.Status)
		}
		resp, err := http.Get(s.InternalURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
		}
		exposed := map[string]bool{}
		for line := range strings.Lines(string(body)) {
			if name, _, ok := strings.Cut(line, "{"); ok && !strings.HasPrefix(line, "#") {
				exposed[name] = true
			} else if name, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
				exposed[name] = true
			}
		}
		for name := range named {
			if !exposed[name] {
				t.Errorf("%s names %s, which a fresh server does not expose", alertRules, name)
			}
		}
	})
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, alert := range alerts {
		if !strings.Contains(string(ops), "`"+alert+"`") {
			t.Errorf("docs/operations.md does not explain the alert %s", alert)
		}
	}
}
