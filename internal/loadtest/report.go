package loadtest

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Dist is a latency distribution in milliseconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1
		return ms(s[min(max(i, 0), len(s)-1)])
	}
	return Dist{N: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Step is one step's distribution.
type Step struct {
	Name string `json:"name"`
	Dist
}

// Result is one scenario at one concurrency.
type Result struct {
	Scenario    string  `json:"scenario"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	// Flows counts the flows that reached their outcome; Errors those that
	// did not, by "step: status code" (SPEC §5), "step: code_timeout" or
	// "step: wrong_outcome: …".
	Flows       int            `json:"flows"`
	Errors      int            `json:"errors"`
	FlowsPerSec float64        `json:"flows_per_second"`
	Flow        Dist           `json:"flow"`
	Steps       []Step         `json:"steps"`
	Delivery    Dist           `json:"delivery"`
	ErrorsBy    map[string]int `json:"errors_by,omitempty"`
	// SeededInline counts accounts a worker had to create during the
	// measured run because the seeded pool ran out (their time is not in
	// any flow, but it is in the run's seconds).
	SeededInline int `json:"seeded_inline,omitempty"`
}

// Report is a whole run.
type Report struct {
	Target  string   `json:"target"`
	Results []Result `json:"results"`
}

// recorder gathers one level's measurements from its workers.
type recorder struct {
	mu       sync.Mutex
	flows    []time.Duration
	steps    map[string][]time.Duration
	order    []string
	delivery []time.Duration
	errors   map[string]int
	inline   int
}

func newRecorder() *recorder {
	return &recorder{steps: map[string][]time.Duration{}, errors: map[string]int{}}
}

func (rec *recorder) add(r *run, took time.Duration, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		key := err.Error()
		if _, ok := err.(*stepError); !ok {
			key = "error: " + key
		}
		rec.errors[key]++
		// A refusal (503 or 429) is timed as a step of its own: the
		// server should refuse excess load at once, and how fast it does
		// is a figure, not only a count.
		var se *stepError
		if r != nil && len(r.steps) > 0 && errors.As(err, &se) &&
			(se.Status == http.StatusServiceUnavailable || se.Status == http.StatusTooManyRequests) {
			last := r.steps[len(r.steps)-1]
			rec.step(last.step+" refused", last.d)
		}
		return
	}
	rec.flows = append(rec.flows, took)
	for _, t := range r.steps {
		rec.step(t.step, t.d)
	}
	rec.delivery = append(rec.delivery, r.delivery...)
}

func (rec *recorder) step(name string, d time.Duration) {
	if _, ok := rec.steps[name]; !ok {
		rec.order = append(rec.order, name)
	}
	rec.steps[name] = append(rec.steps[name], d)
}

func (rec *recorder) result(scenario string, conc int, took time.Duration) Result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res := Result{Scenario: scenario, Concurrency: conc, Seconds: took.Seconds(), Flows: len(rec.flows),
		Flow: distOf(rec.flows), Delivery: distOf(rec.delivery), SeededInline: rec.inline}
	if took > 0 {
		res.FlowsPerSec = float64(len(rec.flows)) / took.Seconds()
	}
	for _, name := range rec.order {
		res.Steps = append(res.Steps, Step{Name: name, Dist: distOf(rec.steps[name])})
	}
	for k, n := range rec.errors {
		res.Errors += n
		if res.ErrorsBy == nil {
			res.ErrorsBy = map[string]int{}
		}
		res.ErrorsBy[k] = n
	}
	return res
}

// WriteTable prints the report as a table: a line per scenario and
// concurrency with the whole flow and delivery, then a line per step.
func (rep Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tc\tflows\tflows/s\terrors\tstep\tn\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	row := func(r Result, name string, d Dist, first bool) {
		lead := "\t\t\t\t\t"
		if first {
			lead = fmt.Sprintf("%s\t%d\t%d\t%.1f\t%d\t", r.Scenario, r.Concurrency, r.Flows, r.FlowsPerSec, r.Errors)
		}
		fmt.Fprintf(tw, "%s%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", lead, name, d.N, d.P50, d.P95, d.P99, d.Max)
	}
	for _, r := range rep.Results {
		row(r, "flow", r.Flow, true)
		for _, s := range r.Steps {
			row(r, s.Name, s.Dist, false)
		}
		if r.Delivery.N > 0 {
			row(r, "delivery", r.Delivery, false)
		}
	}
	tw.Flush()
	for _, r := range rep.Results {
		if len(r.ErrorsBy) == 0 && r.SeededInline == 0 {
			continue
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.ErrorsBy)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, r.ErrorsBy[k]))
		}
		if r.SeededInline > 0 {
			parts = append(parts, fmt.Sprintf("accounts seeded during the run: %d", r.SeededInline))
		}
		fmt.Fprintf(w, "%s c=%d: %s\n", r.Scenario, r.Concurrency, strings.Join(parts, "; "))
	}
	rep.writeVersus(w)
}

// writeVersus prints eligibility against the bare server at each
// concurrency both ran at.
func (rep Report) writeVersus(w io.Writer) {
	bare := map[int]Result{}
	for _, r := range rep.Results {
		if r.Scenario == "bare" {
			bare[r.Concurrency] = r
		}
	}
	var lines []string
	for _, r := range rep.Results {
		b, ok := bare[r.Concurrency]
		if r.Scenario != "eligibility" || !ok || b.FlowsPerSec == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("c=%d: eligibility %.0f/s p50 %.2f ms vs bare %.0f/s p50 %.2f ms (%.0f%% of bare's rate)",
			r.Concurrency, r.FlowsPerSec, r.Flow.P50, b.FlowsPerSec, b.Flow.P50, 100*r.FlowsPerSec/b.FlowsPerSec))
	}
	sort.Strings(lines)
	if len(lines) > 0 {
		fmt.Fprintln(w, "eligibility vs bare:")
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
	}
}
