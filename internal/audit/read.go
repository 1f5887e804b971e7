package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rebindhq/rebind/internal/store"
)

const selectRecord = `SELECT seq, at, actor, account_id, action, result, ip, request_id, flow_id, detail, prev_hash, hash
FROM audit_events`

// List returns an account's events, newest first, at most limit of them,
// before sequence number before (0: from the newest).
func (l *Log) List(ctx context.Context, q store.Querier, accountID string, before int64, limit int) ([]Record, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := q.QueryContext(ctx, selectRecord+" WHERE account_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
		accountID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", store.Translate(err))
	}
	return scanRecords(rows)
}

// ByFlow returns a flow's events, oldest first, at most limit of them: the
// history of a procedure (and of a document application, whose events name
// its reset's flow).
func (l *Log) ByFlow(ctx context.Context, q store.Querier, flowID string, limit int) ([]Record, error) {
	rows, err := q.QueryContext(ctx, selectRecord+" WHERE flow_id = $1 ORDER BY seq LIMIT $2", flowID, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: by flow: %w", store.Translate(err))
	}
	return scanRecords(rows)
}

func scanRecords(rows *sql.Rows) ([]Record, error) {
	defer rows.Close()
	var list []Record
	for rows.Next() {
		var r Record
		var at int64
		var account, flow sql.NullString
		var detail string
		if err := rows.Scan(&r.Seq, &at, &r.Actor, &account, &r.Action, &r.Result, &r.IP, &r.RequestID,
			&flow, &detail, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("audit: scan: %w", err)
		}
		r.At, r.AccountID, r.FlowID = store.Time(at), account.String, flow.String
		if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
			return nil, fmt.Errorf("audit: event %d detail: %w", r.Seq, err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// BrokenError says where the chain does not hold.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// Verify walks the whole chain in order and checks that the sequence has no
// gaps, that each event names its predecessor's hash, that each hash matches
// the event's content, and that the chain head is the last event. It returns
// the number of events checked, and a *BrokenError at the first fault.
func (l *Log) Verify(ctx context.Context, q store.Querier) (int64, error) {
	var headSeq int64
	var headHash string
	if err := q.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		return 0, fmt.Errorf("audit: read chain head: %w", store.Translate(err))
	}
	prev := genesis
	var seq int64
	for {
		rows, err := q.QueryContext(ctx, selectRecord+" WHERE seq > $1 ORDER BY seq LIMIT 1000", seq)
		if err != nil {
			return seq, fmt.Errorf("audit: verify: %w", store.Translate(err))
		}
		batch, err := scanRecords(rows)
		if err != nil {
			return seq, err
		}
		for _, r := range batch {
			switch {
			case r.Seq != seq+1:
				return seq, &BrokenError{seq + 1, "event missing"}
			case r.PrevHash != prev:
				return seq, &BrokenError{r.Seq, "does not link to the previous event"}
			case r.digest() != r.Hash:
				return seq, &BrokenError{r.Seq, "content does not match its hash"}
			}
			seq, prev = r.Seq, r.Hash
		}
		if len(batch) < 1000 {
			break
		}
	}
	if seq != headSeq || prev != headHash {
		return seq, &BrokenError{seq, fmt.Sprintf("chain ends at event %d but its head says %d", seq, headSeq)}
	}
	return seq, nil
}

// genesis is the hash the first event links to (set by the first migration).
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"
