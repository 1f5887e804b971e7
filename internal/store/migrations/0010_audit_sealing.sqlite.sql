-- Issue 12: appending an event no longer touches the chain head. An event is
-- inserted unsealed (chain_pos NULL, prev_hash and hash '') and numbered by
-- SQLite's rowid (one writer at a time; nothing is deleted, so numbers only
-- grow); a sealer links waiting events into the chain afterwards. The table
-- is rebuilt so that seq becomes the rowid (INTEGER PRIMARY KEY).
DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;

CREATE TABLE audit_events_sealed (
    seq        INTEGER PRIMARY KEY,
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
    hash       TEXT NOT NULL,
    chain_pos  BIGINT
);
-- Every existing event was chained in number order at append.
INSERT INTO audit_events_sealed (seq, at, actor, account_id, action, result, ip, request_id, flow_id, detail, prev_hash, hash, chain_pos)
    SELECT seq, at, actor, account_id, action, result, ip, request_id, flow_id, detail, prev_hash, hash, seq FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_sealed RENAME TO audit_events;
CREATE INDEX audit_by_account ON audit_events (account_id, seq);
CREATE INDEX audit_events_by_flow ON audit_events (flow_id, seq);
CREATE UNIQUE INDEX audit_events_chain ON audit_events (chain_pos);
CREATE INDEX audit_events_unsealed ON audit_events (seq) WHERE chain_pos IS NULL;

ALTER TABLE audit_head RENAME COLUMN seq TO chain_pos;

-- Events can be added, and sealed once: the one update allowed sets the
-- chain columns of an unsealed event and leaves every other column as it
-- was. Nothing is ever deleted.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.chain_pos IS NULL AND OLD.prev_hash = '' AND OLD.hash = ''
    AND NEW.chain_pos IS NOT NULL AND NEW.prev_hash <> '' AND NEW.hash <> ''
    AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
    AND NEW.account_id IS OLD.account_id AND NEW.action IS OLD.action AND NEW.result IS OLD.result
    AND NEW.ip IS OLD.ip AND NEW.request_id IS OLD.request_id AND NEW.flow_id IS OLD.flow_id
    AND NEW.detail IS OLD.detail)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only (an unsealed event may only be sealed)');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
