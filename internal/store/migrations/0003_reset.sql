-- Mobile reset: quiz chances, quizzes, stable option sets, the history of
-- bound numbers, and "This wasn't me" links.

-- Quiz chances per account: used in the window that began at
-- quiz_window_start; a window lasts 30 days, a successful reset ends it.
ALTER TABLE accounts ADD COLUMN quiz_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN quiz_window_start BIGINT NOT NULL DEFAULT 0;

-- The option set of each question kind for an account within a chance
-- window, kept so every chance shows the same options (never the key).
CREATE TABLE quiz_options (
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    window_start BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    options      TEXT NOT NULL,
    PRIMARY KEY (account_id, window_start, kind)
);

-- One issued quiz. The answer key is sealed and erased once answered or
-- expired; questions hold only what was shown.
CREATE TABLE quizzes (
    id           TEXT PRIMARY KEY,
    flow_id      TEXT NOT NULL REFERENCES flows (id),
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    chance       INTEGER NOT NULL,
    questions    TEXT NOT NULL,
    sealed_key   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    submitted_at BIGINT,
    result       TEXT
);
CREATE INDEX quizzes_by_flow ON quizzes (flow_id);

-- Every number that was ever bound, and when and why it stopped being.
CREATE TABLE mobile_history (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    mobile     TEXT NOT NULL,
    ended_at   BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    ip         TEXT NOT NULL,
    flow_id    TEXT
);
CREATE INDEX mobile_history_by_account ON mobile_history (account_id, ended_at);

-- "This wasn't me" links from security notices; stored as digests.
CREATE TABLE stop_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    event      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Quiz generation walks an account's distinct markets (and, per market,
-- its first buy and first sell) and its distinct withdrawal addresses with
-- index probes, never scanning the history.
DROP INDEX trades_by_market;
CREATE INDEX trades_by_market ON trades (account_id, market, side, at);
CREATE INDEX transfers_by_address ON transfers (account_id, direction, address);
