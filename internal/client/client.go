// Package client carries facts about the caller of the current request (its
// address as the trusted-proxy rules see it, the request id and the user
// agent) in the request context, from the middleware that learns them to the
// audit trail and the rate limits that use them.
package client

import "context"

// Info describes who is calling.
type Info struct {
	IP        string
	RequestID string
	UserAgent string
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the Info in ctx, or the zero Info.
func From(ctx context.Context) Info {
	info, _ := ctx.Value(key{}).(Info)
	return info
}
