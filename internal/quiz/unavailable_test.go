package quiz_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/quiz"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A connection that PostgreSQL ends under the estimate of the base rates
// (as it does to every session when it shuts down) makes the estimate
// unavailable (503), not an internal error: the restart fault test met it
// as a 500 on a reset's email code, whose answer lists the methods and so
// estimates the rates while none are cached.
func TestEstimateUnavailableWhenTheConnectionEnds(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	for storetest.Count(t, db, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	_, err = quiz.EstimateRates(ctx, conn, rand.New(rand.NewPCG(1, 2)), time.Now(), 10)
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("estimate on an ended connection: %v (%T), want unavailable", err, err)
	}
}
