package quiz

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rebindhq/rebind/internal/store"
)

// Rates are base rates: for each kind, the share of accounts (among those
// with facts of that kind) that have each value.
type Rates map[Kind]map[string]float64

// sampleSize is how many random accounts the base rates are estimated
// from: enough for a margin of about ±3 points on any one value.
const sampleSize = 400

// priorWeight is how many sampled accounts the fallback list counts for,
// so a new installation with few accounts leans on it and a large one
// hardly at all.
const priorWeight = 50

// ratesTTL is how long estimated base rates are used before they are
// estimated again.
const ratesTTL = time.Hour

type rateCache struct {
	mu    sync.Mutex
	rates Rates
	at    time.Time
}

// Rates returns the base rates, estimating them when they are missing or
// older than an hour.
func (s *Service) Rates(ctx context.Context, q store.Querier) (Rates, error) {
	now := s.clock.Now()
	s.cache.mu.Lock()
	r, at := s.cache.rates, s.cache.at
	s.cache.mu.Unlock()
	if r != nil && now.Sub(at) < ratesTTL {
		return r, nil
	}
	// Estimated outside the lock: a request never waits on another's
	// estimate, at worst it makes its own.
	r, err := EstimateRates(ctx, q, rand.New(rand.NewPCG(uint64(now.UnixNano()), 7)), now, sampleSize)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	s.cache.rates, s.cache.at = r, now
	s.cache.mu.Unlock()
	return r, nil
}

// EstimateRates loads the facts of up to n random accounts (random points
// in the id space, each found by one index probe) and blends their value
// shares with the fallback list's.
func EstimateRates(ctx context.Context, q store.Querier, rng *rand.Rand, now time.Time, n int) (Rates, error) {
	counts := Rates{}
	totals := map[Kind]float64{}
	seen := map[string]bool{}
	for probe := 0; probe < 2*n && len(seen) < n; probe++ {
		var id *string
		if err := q.QueryRowContext(ctx, "SELECT min(id) FROM accounts WHERE id >= $1", randomID(rng)).Scan(&id); err != nil {
			return nil, err
		}
		if id == nil || seen[*id] {
			continue
		}
		seen[*id] = true
		f, err := Load(ctx, q, *id, now)
		if err != nil {
			return nil, err
		}
		for _, s := range Specs {
			vals := f.Values(s.Kind)
			if len(vals) == 0 {
				continue
			}
			if counts[s.Kind] == nil {
				counts[s.Kind] = map[string]float64{}
			}
			totals[s.Kind]++
			for _, v := range vals {
				counts[s.Kind][v]++
			}
		}
	}
	out := Rates{}
	for _, s := range Specs {
		if s.Kind == WithdrawalAddresses {
			continue // addresses are unique: their distractors are made, not drawn
		}
		m := map[string]float64{}
		prior := fallbackFor(s.Kind)
		for _, v := range prior {
			m[v.Value] = priorWeight * v.Weight / 2
		}
		for v, c := range counts[s.Kind] {
			m[v] += c
		}
		for v := range m {
			m[v] /= totals[s.Kind] + priorWeight
		}
		for _, v := range Universal[s.Kind] {
			m[v] = 1 // never asked, even while few accounts are sampled
		}
		out[s.Kind] = m
	}
	return out, nil
}

// randomID draws a point in the space of token.NewID identifiers.
func randomID(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 26)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
