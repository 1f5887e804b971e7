package signin

import "github.com/rebindhq/rebind/internal/flow"

// data is what a sign-in keeps with its flow.
type data struct {
	// Method is the second factor: "sms" or "email".
	Method string
}

func dataOf(f flow.Flow) data { return data{Method: f.Data["method"]} }

func (d data) fields() map[string]string { return map[string]string{"method": d.Method} }
