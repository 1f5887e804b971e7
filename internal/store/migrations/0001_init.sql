-- rebind schema, portable between SQLite and PostgreSQL.
-- Times are Unix milliseconds (BIGINT); identifiers are opaque random text;
-- amounts are exact decimal strings.

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL,
    email_norm          TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    mobile              TEXT UNIQUE,
    mobile_verification BOOLEAN NOT NULL DEFAULT FALSE,
    kyc                 BOOLEAN NOT NULL DEFAULT FALSE,
    registered_at       BIGINT NOT NULL,
    frozen              BOOLEAN NOT NULL DEFAULT FALSE,
    frozen_at           BIGINT,
    rebind_required     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- Deposits and withdrawals pushed in by the exchange.
CREATE TABLE transfers (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    direction   TEXT NOT NULL CHECK (direction IN ('deposit', 'withdrawal')),
    external_id TEXT NOT NULL,
    coin        TEXT NOT NULL,
    network     TEXT NOT NULL,
    amount      TEXT NOT NULL,
    address     TEXT NOT NULL,
    txid        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (account_id, direction, external_id)
);
CREATE INDEX transfers_by_time ON transfers (account_id, direction, at);

CREATE TABLE logins (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    external_id TEXT NOT NULL,
    at          BIGINT NOT NULL,
    ip          TEXT NOT NULL,
    country     TEXT NOT NULL,
    city        TEXT NOT NULL,
    device      TEXT NOT NULL,
    PRIMARY KEY (account_id, external_id)
);
CREATE INDEX logins_by_time ON logins (account_id, at);

CREATE TABLE trades (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    external_id TEXT NOT NULL,
    market      TEXT NOT NULL,
    side        TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    at          BIGINT NOT NULL,
    PRIMARY KEY (account_id, external_id)
);
CREATE INDEX trades_by_market ON trades (account_id, market, at);

-- The latest balance snapshot: each push replaces the account's rows.
CREATE TABLE balances (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    asset      TEXT NOT NULL,
    amount     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, asset)
);

-- Signed-in sessions; the bearer token is stored only as its digest.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- One run of a multi-step procedure. open_key is set while a flow that must
-- be the only open one of its kind is open, so the unique index enforces
-- "one open flow per account and kind" in the database.
CREATE TABLE flows (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id),
    state      TEXT NOT NULL,
    open_key   TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip         TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX flows_by_account ON flows (account_id, kind, state);

-- Verification codes: one slot per flow and purpose. A resend replaces the
-- hash and destination but keeps the attempt count.
CREATE TABLE codes (
    flow_id     TEXT NOT NULL REFERENCES flows (id),
    purpose     TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    destination TEXT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    sends       INTEGER NOT NULL DEFAULT 1,
    consumed_at BIGINT,
    PRIMARY KEY (flow_id, purpose)
);

-- Fixed-window counters for rate limits.
CREATE TABLE rate_counters (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counters_by_expiry ON rate_counters (expires_at);

-- Messages waiting for delivery; the content is sealed (AES-GCM) and erased
-- once delivered.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    template        TEXT NOT NULL,
    sealed          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'expired')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    expires_at      BIGINT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    last_error      TEXT,
    provider_id     TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Dev mode only: what the dev outbox "delivered".
CREATE TABLE dev_messages (
    id         TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dev_messages_by_time ON dev_messages (created_at);

-- Time-boxed restrictions. A hold is only ever extended.
CREATE TABLE holds (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, reason)
);

-- Append-only, hash-chained audit trail. audit_head holds the end of the
-- chain; updating it serialises writers so the chain has no forks.
CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    account_id TEXT,
    action     TEXT NOT NULL,
    result     TEXT NOT NULL,
    ip         TEXT NOT NULL,
    request_id TEXT NOT NULL,
    flow_id    TEXT,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_by_account ON audit_events (account_id, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
