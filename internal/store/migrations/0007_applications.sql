-- Document applications (internal/evidence): a reset's evidence awaiting
-- staff review. One belongs to one reset flow; an account has at most one
-- under review (open_key holds the account id until it is decided, cancelled
-- or expired).
CREATE TABLE applications (
    id               TEXT PRIMARY KEY,
    flow_id          TEXT NOT NULL UNIQUE REFERENCES flows (id),
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    class            TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('under_review', 'approved', 'rejected', 'cancelled', 'expired')),
    open_key         TEXT UNIQUE,
    statement_phrase TEXT NOT NULL,
    reference_code   TEXT NOT NULL,
    application_date TEXT NOT NULL,
    status_digest    TEXT NOT NULL UNIQUE,
    submitted_at     BIGINT NOT NULL,
    deadline         BIGINT NOT NULL,
    ended_at         BIGINT,
    reason           TEXT NOT NULL DEFAULT '',
    note             TEXT NOT NULL DEFAULT '',
    decided_by       TEXT NOT NULL DEFAULT '',
    -- The staff member working on it, and since when (a claim lapses when
    -- idle); the first approval of an account that needs two.
    claimed_by       TEXT NOT NULL DEFAULT '',
    claimed_at       BIGINT,
    first_approval_by TEXT NOT NULL DEFAULT '',
    first_approval_at BIGINT,
    transactions     TEXT NOT NULL,
    findings         TEXT NOT NULL,
    CHECK ((state = 'under_review') = (open_key IS NOT NULL))
);
CREATE INDEX applications_queue ON applications (state, submitted_at);
CREATE INDEX applications_by_account ON applications (account_id, submitted_at);

-- The pictures of an application. A picture is uploaded to its reset flow
-- first and joins the application when it is submitted; removed ones keep
-- their row (and hashes) with removed_at set.
CREATE TABLE application_files (
    id             TEXT PRIMARY KEY,
    flow_id        TEXT NOT NULL REFERENCES flows (id),
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    application_id TEXT REFERENCES applications (id),
    kind           TEXT NOT NULL,
    blob_id        TEXT NOT NULL REFERENCES blob_keys (id),
    mime           TEXT NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    phash          BIGINT NOT NULL,
    findings       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    removed_at     BIGINT
);
CREATE INDEX application_files_by_flow ON application_files (flow_id, created_at);
CREATE INDEX application_files_by_application ON application_files (application_id);

-- Eight 8-bit bands of each submitted picture's perceptual hash. Two hashes
-- at most 7 bits apart share at least one band, so near-identical pictures
-- are found through this index instead of by comparing with every picture.
CREATE TABLE image_hash_bands (
    band    SMALLINT NOT NULL,
    value   SMALLINT NOT NULL,
    file_id TEXT NOT NULL REFERENCES application_files (id),
    PRIMARY KEY (band, value, file_id)
);

-- An application's history is its reset flow's audit events.
CREATE INDEX audit_events_by_flow ON audit_events (flow_id, seq);

-- The exchange may push each balance's value in US dollars; an account whose
-- balances are worth more than REBIND_REVIEW_SECOND_APPROVAL_USD needs two
-- approvals of its document reset. NULL means the value was not given.
ALTER TABLE balances ADD COLUMN usd_value TEXT;
