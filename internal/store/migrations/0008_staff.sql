-- Staff of the review console (internal/staff). A member is added with a
-- role and enrols through a one-time link: a password (argon2id) and a TOTP
-- secret, sealed with AES-GCM under a key derived from the server secret and
-- bound to the member's id. totp_step is the last time step whose code was
-- accepted: a sign-in moves it forward in one conditional statement, so a
-- code is accepted once. A disabled member keeps their row, so the audit
-- trail's names stay meaningful.
CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_norm    TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('reviewer', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL DEFAULT '',
    totp_sealed   TEXT,
    totp_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    enrolled_at   BIGINT,
    disabled_at   BIGINT
);

-- One-time enrolment links, stored as digests of their 256-bit tokens.
CREATE TABLE staff_enrolments (
    token_hash TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX staff_enrolments_by_staff ON staff_enrolments (staff_id);

-- Staff sessions, apart from users' sessions: a token of one is never
-- looked up in the other's table.
CREATE TABLE staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    staff_id     TEXT NOT NULL REFERENCES staff (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);
