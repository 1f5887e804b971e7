-- Issue 13, item 11: the retention jobs (internal/app, retention.go) delete
-- rows past their period in small batches; each batch finds its rows
-- through one of these indexes instead of scanning the table.

-- Codes past their expiry (the job also requires their flow to have
-- expired: internal/code, Purge).
CREATE INDEX codes_by_expiry ON codes (expires_at);

-- Flows past their expiry (internal/flow, Purge).
CREATE INDEX flows_by_expiry ON flows (expires_at);

-- Sessions by last use: every ended session has last_seen_at at least the
-- idle timeout ago (internal/session, Purge).
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- Messages that are done with (internal/outbox, Purge): the index holds
-- only them, in the order they were queued.
CREATE INDEX outbox_done ON outbox (created_at) WHERE state IN ('sent', 'failed', 'expired');

-- The backlog /metrics reports (internal/outbox, Backlog): stays as small as
-- the messages waiting, however many were delivered.
CREATE INDEX outbox_waiting ON outbox (state, channel, created_at) WHERE state IN ('pending', 'sending');
