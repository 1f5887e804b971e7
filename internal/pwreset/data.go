package pwreset

import "github.com/rebindhq/rebind/internal/flow"

// data is what a password reset keeps with its flow.
type data struct {
	// Email is the normalised email the reset was asked for: its code
	// goes there, and a new password may not contain it.
	Email string
}

func dataOf(f flow.Flow) data { return data{Email: f.Data["email"]} }

func (d data) fields() map[string]string { return map[string]string{"email": d.Email} }
