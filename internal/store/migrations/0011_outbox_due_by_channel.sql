-- Each channel claims its own due messages (internal/outbox, claim.go):
-- during an outage of one provider its backlog must not be scanned by the
-- other channel's claims.
CREATE INDEX outbox_due_by_channel ON outbox (channel, state, next_attempt_at);
