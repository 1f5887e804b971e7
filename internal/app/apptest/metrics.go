package apptest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Metric returns the sum of the series of the named metric, scraped from
// /metrics, whose labels include every one given (0 when none exists).
func (s *Server) Metric(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	sum := 0.0
	for _, line := range s.MetricLines(t, name) {
		ok := true
		for k, v := range labels {
			ok = ok && strings.Contains(line, k+"="+strconv.Quote(v))
		}
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += f
	}
	return sum
}

// MetricLines returns the sample lines of the named metric.
func (s *Server) MetricLines(t testing.TB, name string) []string {
	t.Helper()
	resp, err := http.Get(s.InternalURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			out = append(out, line)
		}
	}
	return out
}
