-- The slider captcha (SPEC §3.3 step 4): challenges with their answers, and
-- the single-use tokens that solved challenges yield.

-- One puzzle. The answer never leaves the server. The binding says what a
-- solution may be used for; an empty field is bound at redemption.
CREATE TABLE captcha_challenges (
    id          TEXT PRIMARY KEY,
    answer_x    INTEGER NOT NULL,
    piece_y     INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    flow_id     TEXT NOT NULL DEFAULT '',
    number      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX captcha_challenges_by_expiry ON captcha_challenges (expires_at);

-- A solved puzzle's token, stored only as its digest. It carries its own
-- copy of the binding (no foreign key, so purging either table never waits
-- for the other).
CREATE TABLE captcha_tokens (
    token_hash   TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL,
    flow_id      TEXT NOT NULL DEFAULT '',
    number       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX captcha_tokens_by_expiry ON captcha_tokens (expires_at);
