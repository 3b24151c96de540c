-- pg/010.sql: the PostgreSQL store's schema step "a cancellation at term end
-- is an operation" (store layer). A released step: never edited. An
-- operation's `type` may be `cancel` (API.md second part): a cancellation
-- asked for the term end is a `scheduled` operation, which can be cancelled
-- like any other.
ALTER TABLE operations DROP CONSTRAINT kind,
	ADD CONSTRAINT kind CHECK (kind IN ('upgrade', 'switch', 'cancel'));
-- GET /metrics counts operations by type and state over every tenant: an
-- index-only count each, whatever the fleet's size.
CREATE INDEX operations_kind_state ON operations (kind, state);
