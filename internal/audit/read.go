package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rebindhq/rebind/internal/store"
)

const selectRecord = `SELECT seq, chain_pos, at, actor, account_id, action, result, ip, request_id, flow_id, detail, prev_hash, hash
FROM audit_events`

// List returns an account's events, newest first, at most limit of them,
// before event number before (0: from the newest). Events still waiting to
// be sealed are among them, with no chain position and empty hashes.
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
		var pos sql.NullInt64
		var detail string
		if err := rows.Scan(&r.Seq, &pos, &at, &r.Actor, &account, &r.Action, &r.Result, &r.IP, &r.RequestID,
			&flow, &detail, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("audit: scan: %w", err)
		}
		r.At, r.AccountID, r.FlowID, r.ChainPos = store.Time(at), account.String, flow.String, pos.Int64
		if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
			return nil, fmt.Errorf("audit: event %d detail: %w", r.Seq, err)
		}
		list = append(list, r)
	}
	return list, store.Translate(rows.Err())
}

// BrokenError says where the chain does not hold. Seq is the chain
// position of the fault.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at position %d: %s", e.Seq, e.Reason)
}

// Verify walks the sealed chain in chain order up to the head and checks
// that positions have no gaps, that each event names its predecessor's
// hash, that each hash matches the event's content, and that the chain
// ends where the head says. It only reads: events awaiting sealing are not
// part of the chain yet (Pending counts them), and events sealed while it
// runs, past the head it read first, are left for the next run. It returns
// the number of events checked, and a *BrokenError at the first fault.
func (l *Log) Verify(ctx context.Context, q store.Querier) (int64, error) {
	var headPos int64
	var headHash string
	if err := q.QueryRowContext(ctx, "SELECT chain_pos, hash FROM audit_head WHERE id = 1").Scan(&headPos, &headHash); err != nil {
		return 0, fmt.Errorf("audit: read chain head: %w", store.Translate(err))
	}
	prev := genesis
	var pos int64
	for pos < headPos {
		rows, err := q.QueryContext(ctx, selectRecord+" WHERE chain_pos > $1 AND chain_pos <= $2 ORDER BY chain_pos LIMIT 1000",
			pos, headPos)
		if err != nil {
			return pos, fmt.Errorf("audit: verify: %w", store.Translate(err))
		}
		batch, err := scanRecords(rows)
		if err != nil {
			return pos, err
		}
		for _, r := range batch {
			switch {
			case r.ChainPos != pos+1:
				return pos, &BrokenError{pos + 1, "event missing"}
			case r.PrevHash != prev:
				return pos, &BrokenError{r.ChainPos, fmt.Sprintf("event %d does not link to the previous event", r.Seq)}
			case r.digest() != r.Hash:
				return pos, &BrokenError{r.ChainPos, fmt.Sprintf("event %d's content does not match its hash", r.Seq)}
			}
			pos, prev = r.ChainPos, r.Hash
		}
		if len(batch) < 1000 {
			break
		}
	}
	if pos != headPos {
		return pos, &BrokenError{pos + 1, fmt.Sprintf("chain ends at position %d but its head says %d", pos, headPos)}
	}
	if prev != headHash {
		return pos, &BrokenError{pos, "the head's hash is not the last event's"}
	}
	return pos, nil
}

// genesis is the hash the first event links to (set by the first migration).
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"
