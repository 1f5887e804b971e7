package hold_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/hold"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
	"github.com/rebindhq/rebind/internal/token"
)

// eligibilityCases makes an allowed account, one held for two reasons, a
// frozen and held one, and names an account that does not exist and an
// invalid ID; want is what a query of their own answers for each.
func eligibilityCases(t *testing.T, db *store.DB, hs *hold.Store) (cases []string, want map[string]answer) {
	t.Helper()
	ctx := context.Background()
	allowed := storetest.Account(t, db)
	held := storetest.Account(t, db)
	frozen := storetest.Account(t, db)
	for _, h := range []struct {
		acc, reason string
		d           time.Duration
	}{{held, hold.PasswordReset, 2 * time.Hour}, {held, hold.MobileChange, 24 * time.Hour}, {frozen, hold.MobileReset, 24 * time.Hour}} {
		if _, err := hs.Extend(ctx, db, h.acc, h.reason, h.d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "UPDATE accounts SET frozen = TRUE WHERE id = $1", frozen); err != nil {
		t.Fatal(err)
	}
	cases = []string{allowed, held, frozen, token.NewID(), "not-an-id"}
	want = map[string]answer{}
	for _, id := range cases {
		want[id] = answerOf(hs.WithdrawalEligibility(ctx, db, id))
	}
	return cases, want
}

type answer struct {
	e   hold.Eligibility
	err string
}

func answerOf(e hold.Eligibility, err error) answer {
	if err != nil {
		if ae := apperr.As(err); ae != nil {
			return answer{err: string(ae.Code)}
		}
		return answer{err: err.Error()}
	}
	return answer{e: e}
}

// Questions answered together get, each, exactly what a query of its own
// gives, whatever else shares the batch (held, frozen, unknown, invalid,
// the same account twice).
func TestAnswersMatchAQueryPerQuestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hs := hold.NewStore(clock.NewFake(t0))
		cases, want := eligibilityCases(t, db, hs)
		if want[cases[1]].e.Allowed || len(want[cases[1]].e.Reasons) != 2 || want[cases[2]].e.Reasons[0] != hold.AccountFrozen || want[cases[3]].err != string(apperr.NotFound) {
			t.Fatalf("the cases are not what this test needs: %+v", want)
		}
		answers := hold.NewAnswers(hs, db, 2)
		const n = 40
		got := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i] = answerOf(answers.WithdrawalEligibility(ctx, cases[i%len(cases)])) })
		}
		wg.Wait()
		for i, g := range got {
			if id := cases[i%len(cases)]; !reflect.DeepEqual(g, want[id]) {
				t.Errorf("question %d (%s): %+v, want %+v", i, id, g, want[id])
			}
		}
		// Callers own their answers: changing one changes no other.
		a, err := answers.WithdrawalEligibility(ctx, cases[1])
		if err != nil {
			t.Fatal(err)
		}
		a.Reasons[0] = "changed"
		if b, err := answers.WithdrawalEligibility(ctx, cases[1]); err != nil || b.Reasons[0] == "changed" {
			t.Fatalf("answers share their reasons: %+v, %v", b, err)
		}
	})
}

// A hold committed before a question arrives is in its answer, even while
// an earlier query is still running: the question waits for the next
// query instead of taking the running one's answer.
func TestAnswersSeeWhatWasCommittedBeforeTheQuestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hs := hold.NewStore(clock.NewFake(t0))
		acc := storetest.Account(t, db)
		answers := hold.NewAnswers(hs, db, 1)
		inQuery, release := holdFirstQuery(answers, nil)
		first := make(chan answer, 1)
		go func() { first <- answerOf(answers.WithdrawalEligibility(ctx, acc)) }()
		<-inQuery
		if _, err := hs.Extend(ctx, db, acc, hold.MobileReset, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		second := make(chan answer, 1)
		go func() { second <- answerOf(answers.WithdrawalEligibility(ctx, acc)) }()
		waitFor(t, func() bool { return answers.Queued() == 1 })
		close(release)
		if a := <-first; a.err != "" || !a.e.Allowed {
			t.Fatalf("question asked before the hold: %+v", a)
		}
		if a := <-second; a.err != "" || a.e.Allowed || len(a.e.Reasons) != 1 || a.e.Reasons[0] != hold.MobileReset {
			t.Fatalf("question asked after the hold committed: %+v", a)
		}
		if q := answers.Queries(); q != 2 {
			t.Fatalf("%d queries, want 2", q)
		}
	})
}

// Questions that arrive while a query runs share the next one: 40
// simultaneous questions cost 2 queries, not 40.
func TestAnswersShareAQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hs := hold.NewStore(clock.NewFake(t0))
		cases, want := eligibilityCases(t, db, hs)
		answers := hold.NewAnswers(hs, db, 1)
		var mu sync.Mutex
		var batches []int
		inQuery, release := holdFirstQuery(answers, func(n int) {
			mu.Lock()
			batches = append(batches, n)
			mu.Unlock()
		})
		const n = 40
		got := make([]answer, n)
		var wg sync.WaitGroup
		wg.Go(func() { got[0] = answerOf(answers.WithdrawalEligibility(ctx, cases[0])) })
		<-inQuery
		for i := 1; i < n; i++ {
			wg.Go(func() { got[i] = answerOf(answers.WithdrawalEligibility(ctx, cases[i%len(cases)])) })
		}
		// The 8 invalid IDs never queue; the other 31 wait.
		waitFor(t, func() bool { return answers.Queued() == n-1-n/len(cases) })
		close(release)
		wg.Wait()
		for i, g := range got {
			if id := cases[i%len(cases)]; !reflect.DeepEqual(g, want[id]) {
				t.Errorf("question %d (%s): %+v, want %+v", i, id, g, want[id])
			}
		}
		if q := answers.Queries(); q != 2 || fmt.Sprint(batches) != fmt.Sprint([]int{1, n - 1 - n/len(cases)}) {
			t.Fatalf("%d queries of %v questions, want 2 of [1 %d]", q, batches, n-1-n/len(cases))
		}
	})
}

// SEC: fail closed. When the database cannot answer, every question gets
// the error, none an "allowed".
func TestAnswersFailClosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hs := hold.NewStore(clock.NewFake(t0))
		acc := storetest.Account(t, db)
		answers := hold.NewAnswers(hs, db, 2)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		const n = 30
		errs := make([]error, n)
		allowed := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				e, err := answers.WithdrawalEligibility(ctx, acc)
				errs[i], allowed[i] = err, e.Allowed
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] == nil || allowed[i] || apperr.Is(errs[i], apperr.NotFound) {
				t.Fatalf("question %d on a closed database: allowed %v, %v", i, allowed[i], errs[i])
			}
		}
	})
}

// A caller that gives up gets its context's error at once; the others
// sharing its batch are still answered.
func TestAnswersCallerGivesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hs := hold.NewStore(clock.NewFake(t0))
		acc := storetest.Account(t, db)
		answers := hold.NewAnswers(hs, db, 1)
		inQuery, release := holdFirstQuery(answers, nil)
		first := make(chan answer, 1)
		go func() { first <- answerOf(answers.WithdrawalEligibility(context.Background(), acc)) }()
		<-inQuery
		ctx, cancel := context.WithCancel(context.Background())
		gaveUp := make(chan error, 1)
		go func() {
			_, err := answers.WithdrawalEligibility(ctx, acc)
			gaveUp <- err
		}()
		stays := make(chan answer, 1)
		go func() { stays <- answerOf(answers.WithdrawalEligibility(context.Background(), acc)) }()
		waitFor(t, func() bool { return answers.Queued() == 2 })
		cancel()
		if err := <-gaveUp; !errors.Is(err, context.Canceled) {
			t.Fatalf("a caller that gave up got %v", err)
		}
		close(release)
		for _, c := range []chan answer{first, stays} {
			if a := <-c; a.err != "" || !a.e.Allowed {
				t.Fatalf("answer: %+v", a)
			}
		}
	})
}

// holdFirstQuery keeps the first query's answers until release is closed;
// inQuery is closed once that query has run. each, when set, is told the
// size of every batch.
func holdFirstQuery(answers *hold.Answers, each func(batch int)) (inQuery, release chan struct{}) {
	inQuery, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	answers.SetAfterQuery(func(n int) {
		if each != nil {
			each(n)
		}
		once.Do(func() {
			close(inQuery)
			<-release
		})
	})
	return inQuery, release
}

// waitFor polls cond until it holds; the condition is about goroutines
// reaching a point, not about time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}
