package audit_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/rebindhq/rebind/internal/audit"
	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/store/storetest"
)

// A trail written before migration 0010 (each event chained at append
// under the head's lock) still verifies after it, with new events sealed
// onto its end: the migration puts each old event at the chain position of
// its number, and the hash leaves the position out where the two agree.
func TestChainFromBeforeSealingVerifies(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			url := storetest.SQLiteURL(t)
			if dialect == "postgres" {
				url = storetest.PostgresURL(t)
			}
			db, err := store.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			migrateTo(t, db, 9)
			prev := "0000000000000000000000000000000000000000000000000000000000000000"
			for seq := int64(1); seq <= 3; seq++ {
				prev = appendBefore0010(t, db, seq, prev)
			}
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			log := audit.New(clock.Real{})
			log.Failed = failOn(t)
			for range 2 {
				log.Write(context.Background(), db, created)
			}
			sealAll(t, log, db, 2)
			if n, err := log.Verify(context.Background(), db); err != nil || n != 5 {
				t.Fatalf("Verify = %d, %v", n, err)
			}
		})
	}
}

// migrateTo applies the migrations up to version last, as Migrate did then.
func migrateTo(t *testing.T, db *store.DB, last int) {
	t.Helper()
	list, err := store.Migrations(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range list[:last] {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)", m.Version, m.Name)
			return err
		})
		if err != nil {
			t.Fatalf("migration %d: %v", m.Version, err)
		}
	}
}

// appendBefore0010 writes an event as Append did before migration 0010,
// hash included (a copy of that code, so the test does not lean on the
// current one), and returns its hash.
func appendBefore0010(t *testing.T, db *store.DB, seq int64, prev string) string {
	t.Helper()
	detail := map[string]string{"n": "x"}
	body, _ := json.Marshal(struct {
		Seq       int64             `json:"seq"`
		At        int64             `json:"at"`
		Actor     string            `json:"actor"`
		AccountID string            `json:"account_id"`
		Action    string            `json:"action"`
		Result    string            `json:"result"`
		IP        string            `json:"ip"`
		RequestID string            `json:"request_id"`
		FlowID    string            `json:"flow_id"`
		Detail    map[string]string `json:"detail"`
	}{seq, 1700000000000 + seq, "system", "", "account_created", "ok", "192.0.2.1", "req", "", detail})
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(body)
	hash := hex.EncodeToString(h.Sum(nil))
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", seq, hash); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_events
			(seq, at, actor, account_id, action, result, ip, request_id, flow_id, detail, prev_hash, hash)
			VALUES ($1, $2, 'system', NULL, 'account_created', 'ok', '192.0.2.1', 'req', NULL, '{"n":"x"}', $3, $4)`,
			seq, 1700000000000+seq, prev, hash)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hash
}
