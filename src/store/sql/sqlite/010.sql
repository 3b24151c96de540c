-- sqlite/010.sql: the SQLite store's schema step "a cancellation at term end
-- is an operation" (store layer). A released step: never edited. An
-- operation's `type` may be `cancel` (API.md second part): a cancellation
-- asked for the term end is a `scheduled` operation, which can be cancelled
-- like any other. SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt as in 008 (lang_altertable.html: a new table, the rows copied, the
-- old one dropped, the new one renamed, every index and trigger made again,
-- meaning the same; the two triggers of credit_checks that check a row's
-- operation dropped first and made again after).
DROP TRIGGER credit_checks_refs_insert;
DROP TRIGGER credit_checks_refs_update;
CREATE TABLE operations_010 (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	kind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN ('upgrade', 'switch', 'cancel')),
	state TEXT NOT NULL CONSTRAINT state CHECK (state IN
		('scheduled', 'pending_credit_check', 'provisioning', 'completed', 'failed', 'cancelled')),
	source_sub INTEGER NOT NULL,
	target_plan TEXT NOT NULL,
	new_sub INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	quantity INTEGER NOT NULL DEFAULT 0 CONSTRAINT quantity CHECK (quantity >= 0),
	credit_check_id INTEGER,
	request_id TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '{}',
	effective_at INTEGER,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, source_sub) REFERENCES subscriptions (tenant_id, id),
	FOREIGN KEY (tenant_id, new_sub) REFERENCES subscriptions (tenant_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO operations_010 (tenant_id, id, kind, state, source_sub, target_plan, new_sub, created_at, updated_at,
	quantity, credit_check_id, request_id, detail, effective_at)
	SELECT tenant_id, id, kind, state, source_sub, target_plan, new_sub, created_at, updated_at,
		quantity, credit_check_id, request_id, detail, effective_at FROM operations;
DROP TABLE operations;
ALTER TABLE operations_010 RENAME TO operations;
CREATE INDEX operations_unfinished ON operations (tenant_id, id)
	WHERE state IN ('pending_credit_check', 'provisioning');
CREATE INDEX operations_kind_created ON operations (kind, created_at);
CREATE UNIQUE INDEX operations_one_upgrade ON operations (tenant_id)
	WHERE kind = 'upgrade' AND state IN ('pending_credit_check', 'provisioning');
CREATE INDEX operations_new_sub ON operations (tenant_id, new_sub) WHERE new_sub IS NOT NULL;
CREATE UNIQUE INDEX operations_one_scheduled ON operations (tenant_id, source_sub) WHERE state = 'scheduled';
CREATE TRIGGER operations_next_id AFTER INSERT ON operations BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'operations' AND next <= NEW.id;
END;
CREATE TRIGGER operations_refs_insert BEFORE INSERT ON operations BEGIN
	SELECT RAISE(ABORT, 'missing credit_check') WHERE NEW.credit_check_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM credit_checks WHERE tenant_id = NEW.tenant_id AND id = NEW.credit_check_id);
END;
CREATE TRIGGER operations_refs_update BEFORE UPDATE OF tenant_id, credit_check_id ON operations BEGIN
	SELECT RAISE(ABORT, 'missing credit_check') WHERE NEW.credit_check_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM credit_checks WHERE tenant_id = NEW.tenant_id AND id = NEW.credit_check_id);
END;
CREATE TRIGGER credit_checks_refs_insert BEFORE INSERT ON credit_checks BEGIN
	SELECT RAISE(ABORT, 'missing subscription') WHERE NEW.subscription_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM subscriptions WHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id);
	SELECT RAISE(ABORT, 'missing operation') WHERE NEW.operation_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM operations WHERE tenant_id = NEW.tenant_id AND id = NEW.operation_id);
END;
CREATE TRIGGER credit_checks_refs_update BEFORE UPDATE OF tenant_id, subscription_id, operation_id
	ON credit_checks BEGIN
	SELECT RAISE(ABORT, 'missing subscription') WHERE NEW.subscription_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM subscriptions WHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id);
	SELECT RAISE(ABORT, 'missing operation') WHERE NEW.operation_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM operations WHERE tenant_id = NEW.tenant_id AND id = NEW.operation_id);
END;
CREATE INDEX operations_open ON operations (tenant_id, id)
	WHERE state IN ('scheduled', 'pending_credit_check', 'provisioning');
-- GET /metrics counts operations by type and state over every tenant: an
-- index-only count each, whatever the fleet's size.
CREATE INDEX operations_kind_state ON operations (kind, state);
