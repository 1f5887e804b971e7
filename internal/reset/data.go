package reset

import "github.com/rebindhq/rebind/internal/flow"

// data is what a reset keeps with its flow.
type data struct {
	// QuizID is the quiz in progress, if any.
	QuizID string
}

func dataOf(f flow.Flow) data { return data{QuizID: f.Data["quiz_id"]} }

func (d data) fields() map[string]string { return map[string]string{"quiz_id": d.QuizID} }
