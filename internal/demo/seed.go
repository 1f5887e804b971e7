package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/password"
	"github.com/rebindhq/rebind/internal/store"
)

// Options say what Seed writes. Only Accounts is required.
type Options struct {
	Accounts   int
	First      int       // index of the first account, so a later run can add user{N}… after an earlier one
	Seed       uint64    // the same seed regenerates the same accounts (not the same ids)
	Now        time.Time // zero: the current time
	Password   string    // zero: BulkPassword
	Population *Population
	Hasher     *password.Hasher // zero: one with password.Default
	Batch      int              // accounts per transaction; zero: 1000
	Progress   func(done int)   // called after each committed batch
	// History is the share of the population's activity each account gets
	// (Population.Thinned), in (0, 1]; zero: 1, all of it. 0.2 writes about
	// 22 activity rows per account of the default population instead of 84.
	History float64
}

// Summary counts the rows Seed wrote.
type Summary struct {
	Accounts, Deposits, Withdrawals, Logins, Trades, Balances, Products int
}

// Rows is the total number of rows written.
func (s Summary) Rows() int {
	return s.Accounts + s.Deposits + s.Withdrawals + s.Logins + s.Trades + s.Balances + s.Products
}

func (s *Summary) add(g Generated) {
	a := g.Activity
	s.Accounts++
	s.Deposits += len(a.Deposits)
	s.Withdrawals += len(a.Withdrawals)
	s.Logins += len(a.Logins)
	s.Trades += len(a.Trades)
	s.Products += len(a.Products)
	if a.Balances != nil {
		s.Balances += len(*a.Balances)
	}
}

func (o Options) withDefaults() (Options, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Password == "" {
		o.Password = BulkPassword
	}
	if o.Population == nil {
		o.Population = DefaultPopulation()
	}
	if !(o.History >= 0 && o.History <= 1) { // NaN too
		return o, fmt.Errorf("demo: history %v: the share of activity must lie in (0, 1]", o.History)
	}
	if o.History > 0 && o.History < 1 {
		o.Population = o.Population.Thinned(o.History)
	}
	if o.Hasher == nil {
		o.Hasher = password.NewHasher(password.Default, 1)
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Accounts < 0 || o.First < 0 || o.First+o.Accounts > o.Population.MaxAccounts() {
		return o, fmt.Errorf("demo: accounts %d to %d: indexes must lie in [0, %d) to keep mobiles unique",
			o.First, o.First+o.Accounts, o.Population.MaxAccounts())
	}
	return o, nil
}

// Seed writes generated accounts user{First}… to db in transactions of
// Batch accounts. Generation runs on its own goroutine, one batch ahead of
// the writer, so a two-core machine draws the next batch while the database
// stores the last. It hashes the password once for all accounts (see
// Insert). A failed batch stops the run; the batches before it stay.
func Seed(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	hash, err := o.Hasher.Hash(ctx, o.Password)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: hash the bulk password: %w", err)
	}
	genCtx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan []Generated, 1)
	go func() {
		defer close(batches)
		for start := o.First; start < o.First+o.Accounts; start += o.Batch {
			b := make([]Generated, 0, min(o.Batch, o.First+o.Accounts-start))
			for i := start; i < start+cap(b); i++ {
				g := o.Population.At(o.Seed, i, o.Now)
				g.Password = o.Password
				b = append(b, g)
			}
			select {
			case batches <- b:
			case <-genCtx.Done():
				return
			}
		}
	}()
	var sum Summary
	for b := range batches {
		if _, err := Insert(ctx, db, b, hash); err != nil {
			return sum, err
		}
		for _, g := range b {
			sum.add(g)
		}
		if o.Progress != nil {
			o.Progress(sum.Accounts)
		}
	}
	return sum, ctx.Err()
}
