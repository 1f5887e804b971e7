package quiz

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rebindhq/rebind/internal/apperr"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Result is the outcome of an answered quiz.
type Result struct {
	Passed bool
	Chance int
}

// Submit checks the answers to quiz quizID of flow, once. Every question
// must be answered (an empty list is an answer); unknown questions or
// options are invalid_request and do not use the quiz up. A quiz answered
// before, or past its lifetime, is wrong_state; an unknown one, or one of
// another flow, is not_found.
//
// The quiz is claimed by one conditional statement, so one submission only
// is ever compared; its key is erased with the result. The comparison does the
// same work whatever the answers: every question is compared in full and
// the mismatches are folded into one value.
func (s *Service) Submit(ctx context.Context, q store.Querier, flowID, quizID string, answers map[string][]string) (Result, error) {
	row, err := s.load(ctx, q, flowID, quizID)
	if err != nil {
		return Result{}, err
	}
	submitted, expires, pub, chance := row.submitted, row.expires, row.stored, row.chance
	if err := validate(pub.Questions, answers); err != nil {
		return Result{}, err
	}
	now := store.Millis(s.clock.Now())
	var sealed string
	err = q.QueryRowContext(ctx, `UPDATE quizzes SET submitted_at = $1 WHERE id = $2 AND submitted_at IS NULL AND expires_at > $1
		RETURNING sealed_key`, now, quizID).Scan(&sealed)
	if store.IsNoRows(err) {
		if submitted != nil || now < expires {
			return Result{}, apperr.New(apperr.WrongState, "these questions were already answered")
		}
		return Result{}, apperr.New(apperr.WrongState, "these questions have expired; start again")
	}
	if err != nil {
		return Result{}, fmt.Errorf("quiz: claim: %w", store.Translate(err))
	}
	key, err := s.openKey(quizID, sealed)
	if err != nil {
		return Result{}, err
	}
	passed := compare(pub.Questions, key, answers)
	result := "failed"
	if passed {
		result = "passed"
	}
	if _, err := q.ExecContext(ctx, "UPDATE quizzes SET result = $1, sealed_key = '' WHERE id = $2", result, quizID); err != nil {
		return Result{}, fmt.Errorf("quiz: record result: %w", store.Translate(err))
	}
	return Result{Passed: passed, Chance: chance}, nil
}

// validate checks the shape of the answers against the questions.
func validate(qs []Question, answers map[string][]string) error {
	if len(answers) != len(qs) {
		return apperr.New(apperr.InvalidRequest, fmt.Sprintf("answer every question: %d questions, %d answered", len(qs), len(answers)))
	}
	for _, q := range qs {
		chosen, ok := answers[q.ID]
		if !ok {
			return apperr.New(apperr.InvalidRequest, "question "+q.ID+" is not answered")
		}
		seen := map[string]bool{}
		for _, id := range chosen {
			if seen[id] || !hasOption(q, id) {
				return apperr.New(apperr.InvalidRequest, "question "+q.ID+": unknown or repeated option "+truncate(id))
			}
			seen[id] = true
		}
	}
	return nil
}

func hasOption(q Question, id string) bool {
	for _, o := range q.Options {
		if o.ID == id {
			return true
		}
	}
	return false
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// compare reports whether every question is answered exactly right, with
// work independent of which or how many are: each question becomes a bit
// mask of chosen options and of correct ones, and all differences are
// ORed together before one comparison at the end.
func compare(qs []Question, key answerKey, answers map[string][]string) bool {
	var diff uint64
	for _, q := range qs {
		var chosen, correct uint64
		for i, o := range q.Options {
			bit := uint64(1) << uint(i)
			chosen |= bit * uint64(b2i(contains(answers[q.ID], o.ID)))
			correct |= bit * uint64(b2i(contains(key[q.ID], o.ID)))
		}
		diff |= chosen ^ correct
	}
	return subtle.ConstantTimeEq(int32(diff>>32)|int32(diff), 0) == 1
}

func contains(list []string, id string) bool {
	found := 0
	for _, v := range list {
		found |= subtle.ConstantTimeCompare([]byte(v), []byte(id))
	}
	return found == 1
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Service) sealKey(quizID string, key answerKey) (string, error) {
	plain, err := json.Marshal(key)
	if err != nil {
		return "", fmt.Errorf("quiz: seal key: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(s.seal.Seal(plain, []byte(quizID))), nil
}

func (s *Service) openKey(quizID, sealed string) (answerKey, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, errors.New("quiz: sealed key is damaged")
	}
	plain, err := s.seal.Open(raw, []byte(quizID))
	if err != nil {
		return nil, errors.New("quiz: sealed key does not open")
	}
	var key answerKey
	if err := json.Unmarshal(plain, &key); err != nil {
		return nil, fmt.Errorf("quiz: key: %w", err)
	}
	return key, nil
}

// PurgeKeys erases the keys of quizzes past their lifetime (and of any
// claimed one whose result was not recorded), so no answer key outlives its
// quiz.
func (s *Service) PurgeKeys(ctx context.Context, q store.Querier) (int64, error) {
	res, err := q.ExecContext(ctx, "UPDATE quizzes SET sealed_key = '' WHERE (expires_at <= $1 OR submitted_at IS NOT NULL) AND sealed_key <> ''",
		store.Millis(s.clock.Now()))
	if err != nil {
		return 0, fmt.Errorf("quiz: purge keys: %w", store.Translate(err))
	}
	return res.RowsAffected()
}

// Live returns quiz quizID of flow while it can still be answered, for
// showing it again (a reloaded page). A quiz answered or past its lifetime
// is wrong_state; its questions are never shown again.
func (s *Service) Live(ctx context.Context, q store.Querier, flowID, quizID string) (Issued, error) {
	row, err := s.load(ctx, q, flowID, quizID)
	if err != nil {
		return Issued{}, err
	}
	if row.submitted != nil || store.Millis(s.clock.Now()) >= row.expires {
		return Issued{}, apperr.New(apperr.WrongState, "these questions can no longer be answered")
	}
	return Issued{ID: quizID, ExpiresAt: store.Time(row.expires), Questions: row.Questions, Chance: row.chance}, nil
}

// quizRow is a stored quiz's public part and its times.
type quizRow struct {
	stored
	chance    int
	submitted *int64
	expires   int64
}

// load reads quiz quizID of flow; an unknown one, or one of another flow,
// is not_found.
func (s *Service) load(ctx context.Context, q store.Querier, flowID, quizID string) (quizRow, error) {
	if !token.ValidID(quizID) {
		return quizRow{}, apperr.New(apperr.NotFound, "no such quiz")
	}
	var row quizRow
	var raw string
	err := q.QueryRowContext(ctx, "SELECT questions, chance, submitted_at, expires_at FROM quizzes WHERE id = $1 AND flow_id = $2",
		quizID, flowID).Scan(&raw, &row.chance, &row.submitted, &row.expires)
	if store.IsNoRows(err) {
		return quizRow{}, apperr.New(apperr.NotFound, "no such quiz")
	}
	if err != nil {
		return quizRow{}, fmt.Errorf("quiz: read: %w", store.Translate(err))
	}
	if err := json.Unmarshal([]byte(raw), &row.stored); err != nil {
		return quizRow{}, fmt.Errorf("quiz: read: %w", err)
	}
	return row, nil
}

// Abandoned reports whether quiz quizID of flow ran out of time without
// being answered.
func (s *Service) Abandoned(ctx context.Context, q store.Querier, flowID, quizID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM quizzes WHERE id = $1 AND flow_id = $2 AND submitted_at IS NULL AND expires_at <= $3",
		quizID, flowID, store.Millis(s.clock.Now())).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("quiz: abandoned: %w", store.Translate(err))
	}
	return n == 1, nil
}
