-- pg/008.sql: the PostgreSQL store's schema step "changes at the end of the
-- term" (store layer). A released step: never edited. An operation may be
-- `scheduled` (it runs by itself at effective_at, RULES second part
-- "Changes at the end of the term") or `cancelled` (a scheduled one called
-- off). A scheduled operation is not unfinished work: operations_unfinished
-- and operations_one_upgrade leave it out (it blocks no immediate change);
-- operations_one_scheduled: at most one per subscription. operations_open:
-- what a tenant's snapshot reads (the unfinished and the scheduled ones).
ALTER TABLE operations DROP CONSTRAINT state,
	ADD CONSTRAINT state CHECK (state IN
		('scheduled', 'pending_credit_check', 'provisioning', 'completed', 'failed', 'cancelled')),
	ADD COLUMN effective_at bigint;
CREATE UNIQUE INDEX operations_one_scheduled ON operations (tenant_id, source_sub) WHERE state = 'scheduled';
CREATE INDEX operations_open ON operations (tenant_id, id)
	WHERE state IN ('scheduled', 'pending_credit_check', 'provisioning');
