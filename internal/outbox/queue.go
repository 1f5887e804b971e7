package outbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rebindhq/rebind/internal/clock"
	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/store"
	"github.com/rebindhq/rebind/internal/token"
)

// Queue writes messages into the outbox table. Message content is sealed
// with AES-GCM under a key derived from the server secret, so a copy of the
// database does not show the codes in messages still waiting, and it is
// erased once the message is delivered. Messages sealed under a previous
// secret still accepted open, so a rotation loses no queued mail.
type Queue struct {
	clock  clock.Clock
	sealer *keys.Sealer
	// wake tells this instance's worker that a channel has a new message;
	// other instances find it by polling.
	wake map[Channel]chan struct{}
}

// NewQueue returns a queue sealing with the current key of set (keys of
// 32 bytes, keys.OutboxSeal) and opening with any of them.
func NewQueue(c clock.Clock, set keys.Set) (*Queue, error) {
	seal, err := keys.NewSealer(set)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	wake := map[Channel]chan struct{}{Email: make(chan struct{}, 1), SMS: make(chan struct{}, 1)}
	return &Queue{clock: c, sealer: seal, wake: wake}, nil
}

// Enqueue writes m to the outbox through q, which should be the transaction
// of the change that caused the message. template names the message kind for
// operators (the content itself is sealed). A message with a non-zero
// expiresAt is dropped instead of delivered late: a code that arrives after
// it has expired only confuses. It returns the message id.
func (qu *Queue) Enqueue(ctx context.Context, q store.Querier, m Message, template string, expiresAt time.Time) (string, error) {
	id, err := qu.insert(ctx, q, m, template, expiresAt, false)
	if err != nil {
		return "", err
	}
	// Woken after the commit, not now: a worker woken inside the
	// transaction would look before the row is visible and go back to sleep.
	wake := qu.wake[m.Channel]
	store.AfterCommit(q, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	return id, nil
}

// Decoy does what Enqueue does, sealing included, but writes a row that is
// never delivered: state expired, content erased, as the worker leaves a
// message that outlived its code. A request for an address without an
// account does this where one for an address with an account enqueues, so
// both do the same work (SEC-ENUM-1) and nothing is sent.
func (qu *Queue) Decoy(ctx context.Context, q store.Querier, m Message, template string, expiresAt time.Time) error {
	_, err := qu.insert(ctx, q, m, template, expiresAt, true)
	return err
}

func (qu *Queue) insert(ctx context.Context, q store.Querier, m Message, template string, expiresAt time.Time, decoy bool) (string, error) {
	if m.Channel != Email && m.Channel != SMS {
		return "", fmt.Errorf("outbox: unknown channel %q", m.Channel)
	}
	if m.To == "" || m.Body == "" {
		return "", errors.New("outbox: message needs a recipient and a body")
	}
	m.ID = token.NewID()
	sealed, err := qu.seal(m)
	if err != nil {
		return "", err
	}
	state := "pending"
	if decoy {
		sealed, state = "", "expired"
	}
	now := store.Millis(qu.clock.Now())
	var exp any
	if !expiresAt.IsZero() {
		exp = store.Millis(expiresAt)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO outbox (id, channel, recipient, template, sealed, state, next_attempt_at, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)`, m.ID, string(m.Channel), m.To, template, sealed, state, now, exp)
	if err != nil {
		return "", fmt.Errorf("outbox: enqueue: %w", store.Translate(err))
	}
	return m.ID, nil
}

type content struct {
	Subject string `json:"s,omitempty"`
	Body    string `json:"b"`
}

// seal encrypts the content with the row's identity as associated data, so
// a sealed body moved to another row (another recipient) does not open.
func (qu *Queue) seal(m Message) (string, error) {
	plain, err := json.Marshal(content{m.Subject, m.Body})
	if err != nil {
		return "", fmt.Errorf("outbox: seal: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(qu.sealer.Seal(plain, associated(m))), nil
}

func (qu *Queue) open(m *Message, sealed string) error {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return errors.New("outbox: sealed content is damaged")
	}
	plain, err := qu.sealer.Open(raw, associated(*m))
	if errors.Is(err, keys.ErrUnknownKey) {
		return errUnknownKey
	}
	if err != nil {
		return errors.New("outbox: sealed content does not open (damaged, or moved between rows)")
	}
	var c content
	if err := json.Unmarshal(plain, &c); err != nil {
		return fmt.Errorf("outbox: sealed content: %w", err)
	}
	m.Subject, m.Body = c.Subject, c.Body
	return nil
}

func associated(m Message) []byte {
	return []byte(m.ID + "\x00" + string(m.Channel) + "\x00" + m.To)
}

// Previous counts the messages waiting to be sent (pending or being sent)
// whose content is sealed under a previous server secret: that secret must
// stay accepted until they are delivered, expire or fail.
func (qu *Queue) Previous(ctx context.Context, q store.Querier) (int, error) {
	rows, err := q.QueryContext(ctx, "SELECT sealed FROM outbox WHERE state IN ('pending', 'sending') AND sealed <> ''")
	if err != nil {
		return 0, fmt.Errorf("outbox: previous: %w", store.Translate(err))
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sealed string
		if err := rows.Scan(&sealed); err != nil {
			return 0, fmt.Errorf("outbox: previous: %w", store.Translate(err))
		}
		if raw, err := base64.RawStdEncoding.DecodeString(sealed); err != nil || !qu.sealer.Current(raw) {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("outbox: previous: %w", store.Translate(err))
	}
	return n, nil
}
