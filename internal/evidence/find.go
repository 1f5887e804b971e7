package evidence

import (
	"context"
	"fmt"
	"strings"

	"github.com/rebindhq/rebind/internal/store"
)

// Filter narrows a list of applications, for the staff console's queue.
type Filter struct {
	State State
	// Class, when set, keeps that class only.
	Class Class
	// Finding, when set, keeps applications with a finding of that code;
	// Flagged keeps those with at least one flagged finding.
	Finding string
	Flagged bool
}

// Find is List narrowed by f: applications in f.State, oldest submission
// first, after the page's cursor, without their pictures. Findings are
// stored as JSON text, matched with LIKE on their encoded form, which
// reads the same on SQLite and PostgreSQL.
func (s *Store) Find(ctx context.Context, q store.Querier, f Filter, p Page) ([]Application, error) {
	args := []any{string(f.State), store.Millis(p.After), p.ID, p.Limit}
	cond := ""
	if f.Class != "" {
		args = append(args, string(f.Class))
		cond += fmt.Sprintf(" AND class = $%d", len(args))
	}
	if f.Finding != "" {
		args = append(args, `%"code":"`+likeEscape(f.Finding)+`"%`)
		cond += fmt.Sprintf(` AND findings LIKE $%d ESCAPE '\'`, len(args))
	}
	if f.Flagged {
		cond += ` AND findings LIKE '%"flag":true%'`
	}
	rows, err := q.QueryContext(ctx, "SELECT "+appColumns+` FROM applications
		WHERE state = $1 AND (submitted_at > $2 OR (submitted_at = $2 AND id > $3))`+cond+`
		ORDER BY submitted_at, id LIMIT $4`, args...)
	if err != nil {
		return nil, fmt.Errorf("evidence: find: %w", store.Translate(err))
	}
	return scanApplications(rows, "find")
}

// likeEscape makes s match itself only in a LIKE pattern with ESCAPE '\':
// finding codes hold underscores, which LIKE reads as any character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
