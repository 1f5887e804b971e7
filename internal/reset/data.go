package reset

import "github.com/rebindhq/rebind/internal/flow"

// data is what a reset keeps with its flow.
type data struct {
	// QuizID is the quiz in progress, if any.
	QuizID string
	// ReferenceCode and ApplicationDate are what a statement written for
	// this reset's documents must show; set when the email code is right.
	ReferenceCode, ApplicationDate string
}

func dataOf(f flow.Flow) data {
	return data{QuizID: f.Data["quiz_id"], ReferenceCode: f.Data["reference_code"], ApplicationDate: f.Data["application_date"]}
}

func (d data) fields() map[string]string {
	return map[string]string{"quiz_id": d.QuizID, "reference_code": d.ReferenceCode, "application_date": d.ApplicationDate}
}
