package demo_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/app/apptest"
	"github.com/rebindhq/rebind/internal/demo"
	"github.com/rebindhq/rebind/internal/evidence"
)

// TestDemoFindingsShare measures the goal on the demo data: the
// share of demo applications that carry at least one automatic finding
// for the reviewer, after their screenshots are read. It seeds
// REBIND_DEMO_FINDINGS applications (the six of a dev start, then the
// ones "rebind demo --applications" adds), reads them with tesseract, and
// prints the share overall and by class, the findings by code, and the
// photos flagged as another account's that are not the one really reused.
// It takes about two seconds an application, so it runs only when asked:
//
//	REBIND_DEMO_FINDINGS=60 go test -run TestDemoFindingsShare -v ./internal/demo
func TestDemoFindingsShare(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("REBIND_DEMO_FINDINGS"))
	if n <= 0 {
		t.Skip("set REBIND_DEMO_FINDINGS=N to measure the findings on N demo applications")
	}
	requireOCR(t)
	s := apptest.Start(t, apptest.Options{OnlySQLite: "a measurement: the findings do not depend on the database"})
	ctx := context.Background()
	now := time.Now()
	q := demo.Queue{Reset: s.Reset, Hasher: s.Hasher, Dev: true}
	start := time.Now()
	if _, err := q.Seed(ctx, 0, n, now); err != nil {
		t.Fatal(err)
	}
	seeded := time.Since(start)
	start = time.Now()
	if read, err := s.Reset.ReadPending(ctx); err != nil || read != n {
		t.Fatalf("read %d of %d: %v", read, n, err)
	}
	t.Logf("seeded %d applications in %s (%s each); read them in %s (%s each)", n, seeded.Round(time.Millisecond),
		(seeded / time.Duration(n)).Round(time.Millisecond), time.Since(start).Round(time.Millisecond), (time.Since(start) / time.Duration(n)).Round(time.Millisecond))
	t.Log("\n" + tallyFindings(openByEmail(t, s, now)))
}

// tallyFindings reports the shares and counts TestDemoFindingsShare
// prints.
func tallyFindings(apps map[string]evidence.Application) string {
	type share struct{ any, flagged, all int }
	byClass := map[evidence.Class]*share{}
	total, withoutFalse := &share{}, &share{}
	codes := map[string]int{}
	falseReuse := 0
	for email, a := range apps {
		c := byClass[a.Class]
		if c == nil {
			c = &share{}
			byClass[a.Class] = c
		}
		fs := reviewerFindings(a)
		flagged := slices.ContainsFunc(fs, func(f evidence.Finding) bool { return f.Flag })
		for _, sh := range []*share{c, total} {
			sh.all++
			sh.any += min(len(fs), 1)
			if flagged {
				sh.flagged++
			}
		}
		seen := map[string]bool{}
		for _, f := range fs {
			if !seen[f.Code] {
				codes[f.Code]++
				seen[f.Code] = true
			}
		}
		if seen["picture_in_other_account"] && email != demo.ApplicantEmail(3) {
			falseReuse++
			fs = slices.DeleteFunc(fs, func(f evidence.Finding) bool { return f.Code == "picture_in_other_account" })
		}
		withoutFalse.any += min(len(fs), 1)
		if slices.ContainsFunc(fs, func(f evidence.Finding) bool { return f.Flag }) {
			withoutFalse.flagged++
		}
	}
	var b strings.Builder
	line := func(name string, s *share) {
		fmt.Fprintf(&b, "%-20s %3d of %3d with a finding (%3.0f %%), %3d with a flag (%3.0f %%)\n", name, s.any, s.all,
			100*float64(s.any)/float64(s.all), s.flagged, 100*float64(s.flagged)/float64(s.all))
	}
	line("all", total)
	for _, c := range []evidence.Class{evidence.KYC, evidence.NonKYCWithRecords, evidence.NonKYCNoRecords} {
		if byClass[c] != nil {
			line(string(c), byClass[c])
		}
	}
	fmt.Fprintf(&b, "applications flagged as showing another account's picture, besides the one really reused: %d\n", falseReuse)
	fmt.Fprintf(&b, "without those false flags: %d of %d with a finding, %d with a flag\n", withoutFalse.any, total.all, withoutFalse.flagged)
	names := make([]string, 0, len(codes))
	for c := range codes {
		names = append(names, c)
	}
	slices.Sort(names)
	for _, c := range names {
		fmt.Fprintf(&b, "  %-36s in %3d applications\n", c, codes[c])
	}
	return b.String()
}
