-- Issue 12: appending an event no longer touches the chain head. An event is
-- inserted unsealed (chain_pos NULL, prev_hash and hash '') with a number
-- from a sequence; a sealer links waiting events into the chain afterwards,
-- one sealer at a time (it locks the head row). The chain order is the
-- sealing order (chain_pos), which may differ from the numbering (seq) when
-- a transaction commits late.
DROP TRIGGER audit_events_no_change ON audit_events;
DROP FUNCTION audit_events_append_only();

ALTER TABLE audit_events ADD COLUMN chain_pos BIGINT;
-- Every existing event was chained in number order at append.
UPDATE audit_events SET chain_pos = seq;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (chain_pos);
-- The sealer's queue: stays as small as the backlog, however long the trail.
CREATE INDEX audit_events_unsealed ON audit_events (seq) WHERE chain_pos IS NULL;

CREATE SEQUENCE audit_events_seq OWNED BY audit_events.seq;
SELECT setval('audit_events_seq', COALESCE((SELECT max(seq) FROM audit_events), 0) + 1, false);
ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT nextval('audit_events_seq');

ALTER TABLE audit_head RENAME COLUMN seq TO chain_pos;

-- Events can be added, and sealed once: the one update allowed sets the
-- chain columns of an unsealed event and leaves every other column as it
-- was (compared as a whole row, so a column added later is covered too).
-- Nothing is ever deleted.
CREATE FUNCTION audit_events_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.chain_pos IS NULL AND OLD.prev_hash = '' AND OLD.hash = ''
       AND NEW.chain_pos IS NOT NULL AND NEW.prev_hash <> '' AND NEW.hash <> ''
       AND to_jsonb(NEW) - 'chain_pos' - 'prev_hash' - 'hash' = to_jsonb(OLD) - 'chain_pos' - 'prev_hash' - 'hash'
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only (an unsealed event may only be sealed)';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_seal_only();
