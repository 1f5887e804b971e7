package quiz_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/rebindhq/rebind/internal/quiz"
)

// SEC-KBA-7: no question uses a fact that a message reaching the owner's
// mailbox shows, and rebind's own templates show no account history.
func TestNoQuestionUsesANotifiedFact(t *testing.T) {
	notified := map[string]string{}
	for msg, facts := range quiz.NotificationFacts {
		for _, f := range facts {
			notified[f] = msg
		}
	}
	for _, s := range quiz.Specs {
		if len(s.Facts) == 0 {
			t.Errorf("%s declares no facts", s.Kind)
		}
		for _, f := range s.Facts {
			if msg, ok := notified[f]; ok {
				t.Errorf("%s uses %s, which %s shows", s.Kind, f, msg)
			}
		}
	}
	// Everything rebind's templates can show: none of it is history.
	allowed := map[string]bool{"Brand": true, "Site": true, "Code": true, "Action": true, "Minutes": true,
		"Link": true, "At": true, "IP": true, "HoldUntil": true, "ChancesLeft": true, "Mobile": true,
		// A document application: its link, reference code, review time,
		// deadline, and a rejection's reason from the fixed list. The
		// reviewer's note is free text: the console tells reviewers never
		// to write account details in it (docs/security.md).
		"Application": true, "StatusLink": true, "Reference": true, "ReviewTime": true, "Deadline": true, "Reason": true, "Note": true}
	files, err := filepath.Glob("../notify/templates/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	field := regexp.MustCompile(`\.([A-Z][A-Za-z]*)`)
	for _, f := range files {
		body, _ := os.ReadFile(f)
		for _, m := range field.FindAllStringSubmatch(string(body), -1) {
			if !allowed[m[1]] {
				t.Errorf("%s shows .%s; if it is account history, no question may use it", filepath.Base(f), m[1])
			}
		}
	}
}
