-- Uploaded documents are sealed objects in a bucket (internal/blob); each
-- one's data key lives here, wrapped under a key derived from the server
-- secret, so erasing the row's key makes any surviving copy of the object
-- unreadable. The hash and the dates stay after the key is destroyed.
CREATE TABLE blob_keys (
    id            TEXT PRIMARY KEY,
    wrapped_key   TEXT,
    sha256        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    destroy_after BIGINT,
    destroyed_at  BIGINT,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);

-- The janitor looks for keys that are due; destroyed ones leave the index.
CREATE INDEX blob_keys_due ON blob_keys (destroy_after) WHERE destroyed_at IS NULL;
