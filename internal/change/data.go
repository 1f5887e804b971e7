package change

import "github.com/rebindhq/rebind/internal/flow"

// data is what a change or bind keeps with its flow.
type data struct {
	// Session is the session that started it: the one that stays when
	// the number is bound.
	Session string
	// NewNumber is the E.164 number the new number's code went to.
	NewNumber string
}

func dataOf(f flow.Flow) data {
	return data{Session: f.Data["session"], NewNumber: f.Data["new_number"]}
}

func (d data) fields() map[string]string {
	return map[string]string{"session": d.Session, "new_number": d.NewNumber}
}
