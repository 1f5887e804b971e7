-- Products an account used and the order types of its trades (pushed by the
-- exchange, SEC-KBA-7): two more kinds of security question, from what only
-- the owner did inside the exchange.

-- The order type of a fill, from the closed list in internal/account; NULL
-- when the exchange did not say (unknown, never guessed).
ALTER TABLE trades ADD COLUMN order_type TEXT;

-- The first use of an exchange product (product from the closed list in
-- internal/account), idempotent on the exchange's external id.
CREATE TABLE product_uses (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    external_id TEXT NOT NULL,
    product     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (account_id, external_id)
);

-- Quiz generation walks an account's distinct order types and products
-- with index probes (a loose index scan), and asks whether any trade lacks
-- an order type (NULL entries of the same index), never scanning the
-- history.
CREATE INDEX trades_by_order_type ON trades (account_id, order_type);
CREATE INDEX product_uses_by_product ON product_uses (account_id, product);
