package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/store"
)

// DevSender "delivers" by writing the message into the dev_messages table,
// where the dev outbox pages show it. It is the sender of both channels in
// dev mode when no SMTP server or SMS provider is configured; production
// refuses to start with it.
type DevSender struct {
	DB    *store.DB
	Clock clock.Clock
}

// Send stores m as delivered.
func (d DevSender) Send(ctx context.Context, m Message) (string, error) {
	_, err := d.DB.ExecContext(ctx, `INSERT INTO dev_messages (id, channel, recipient, subject, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		m.ID, string(m.Channel), m.To, m.Subject, m.Body, store.Millis(d.Clock.Now()))
	if err != nil {
		return "", fmt.Errorf("outbox: dev delivery: %w", store.Translate(err))
	}
	return "dev-" + m.ID, nil
}

// DevMessage is a message the dev outbox delivered.
type DevMessage struct {
	ID        string    `json:"id"`
	Channel   Channel   `json:"channel"`
	To        string    `json:"to"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// DevMessages returns the newest dev messages, at most limit, optionally only
// those sent to one recipient.
func DevMessages(ctx context.Context, q store.Querier, to string, limit int) ([]DevMessage, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, channel, recipient, subject, body, created_at FROM dev_messages
		WHERE ($1 = '' OR recipient = $1) ORDER BY created_at DESC, id LIMIT $2`, to, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: dev messages: %w", store.Translate(err))
	}
	defer rows.Close()
	var list []DevMessage
	for rows.Next() {
		var m DevMessage
		var ch string
		var at int64
		if err := rows.Scan(&m.ID, &ch, &m.To, &m.Subject, &m.Body, &at); err != nil {
			return nil, fmt.Errorf("outbox: dev messages: %w", err)
		}
		m.Channel, m.CreatedAt = Channel(ch), store.Time(at)
		list = append(list, m)
	}
	return list, store.Translate(rows.Err())
}

// Counts returns how many messages are in each state, for tests: it reads
// the whole table (/metrics reads ReadBacklog).
func Counts(ctx context.Context, q store.Querier) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, "SELECT state, count(*) FROM outbox GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("outbox: counts: %w", store.Translate(err))
	}
	defer rows.Close()
	counts := make(map[string]int)
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("outbox: counts: %w", err)
		}
		counts[state] = n
	}
	return counts, store.Translate(rows.Err())
}
