-- sqlite/002.sql: the SQLite store's schema version 2, money, time and
-- upgrades (store layer). A released step: never edited. Columns are added
-- in place (a version-1 store keeps its rows); references added by ALTER
-- TABLE cannot be foreign keys, so triggers check them within the row's
-- tenant ("missing FIELD", which the store reports as NOT_FOUND).
ALTER TABLE subscriptions ADD COLUMN billed_through INTEGER NOT NULL DEFAULT 0;
UPDATE subscriptions SET billed_through = CASE WHEN prepaid = 1 THEN term_end ELSE coalesce(
	CAST(strftime('%s', term_start, 'unixepoch', 'start of month', '+1 month') AS INTEGER)
	+ 86400 * (min(CAST(strftime('%d', term_start, 'unixepoch') AS INTEGER),
		(CAST(strftime('%s', term_start, 'unixepoch', 'start of month', '+2 month') AS INTEGER) - CAST(strftime('%s', term_start, 'unixepoch', 'start of month', '+1 month') AS INTEGER)) / 86400) - 1)
	+ term_start - CAST(strftime('%s', term_start, 'unixepoch', 'start of day') AS INTEGER), 0) END;
ALTER TABLE credit_checks ADD COLUMN subscription_id INTEGER;
ALTER TABLE credit_checks ADD COLUMN operation_id INTEGER;
CREATE UNIQUE INDEX credit_checks_id ON credit_checks (id);
ALTER TABLE operations ADD COLUMN quantity INTEGER NOT NULL DEFAULT 0
	CONSTRAINT quantity CHECK (quantity >= 0);
ALTER TABLE operations ADD COLUMN credit_check_id INTEGER;
ALTER TABLE operations ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE operations ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
UPDATE operations SET quantity = coalesce((SELECT s.quantity FROM subscriptions AS s
	WHERE s.tenant_id = operations.tenant_id AND s.id = operations.source_sub), 0);
CREATE UNIQUE INDEX operations_one_upgrade ON operations (tenant_id)
	WHERE kind = 'upgrade' AND state IN ('pending_credit_check', 'provisioning');
CREATE INDEX operations_new_sub ON operations (tenant_id, new_sub) WHERE new_sub IS NOT NULL;
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
CREATE TRIGGER operations_refs_insert BEFORE INSERT ON operations BEGIN
	SELECT RAISE(ABORT, 'missing credit_check') WHERE NEW.credit_check_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM credit_checks WHERE tenant_id = NEW.tenant_id AND id = NEW.credit_check_id);
END;
CREATE TRIGGER operations_refs_update BEFORE UPDATE OF tenant_id, credit_check_id ON operations BEGIN
	SELECT RAISE(ABORT, 'missing credit_check') WHERE NEW.credit_check_id IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM credit_checks WHERE tenant_id = NEW.tenant_id AND id = NEW.credit_check_id);
END;
DROP TRIGGER assignments_count_move;
INSERT INTO sequences (name, next) VALUES ('invoice_lines', 1), ('payments', 1), ('support_requests', 1);
CREATE TABLE invoice_lines (
	tenant_id INTEGER NOT NULL,
	invoice_id INTEGER NOT NULL,
	id INTEGER NOT NULL,
	subscription_id INTEGER,
	kind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN
		('purchase', 'renewal', 'quantity', 'cancel', 'upgrade_credit', 'upgrade_charge', 'switch')),
	plan_id TEXT NOT NULL,
	quantity INTEGER NOT NULL CONSTRAINT quantity CHECK (quantity >= 0),
	period_start INTEGER NOT NULL,
	period_end INTEGER NOT NULL CONSTRAINT period_end CHECK (period_end >= period_start),
	amount INTEGER NOT NULL,
	description TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
	FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX invoice_lines_invoice ON invoice_lines (tenant_id, invoice_id, id);
CREATE UNIQUE INDEX invoice_lines_period ON invoice_lines (tenant_id, subscription_id, kind, period_start)
	WHERE kind IN ('purchase', 'renewal');
CREATE TRIGGER invoice_lines_next_id AFTER INSERT ON invoice_lines BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'invoice_lines' AND next <= NEW.id;
END;
CREATE TABLE payments (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	amount INTEGER NOT NULL CONSTRAINT amount CHECK (amount > 0),
	currency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),
	received_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER payments_next_id AFTER INSERT ON payments BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'payments' AND next <= NEW.id;
END;
CREATE TABLE clock (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	now INTEGER NOT NULL
) STRICT;
CREATE TABLE idempotency (
	tenant_id INTEGER NOT NULL,
	key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status INTEGER NOT NULL CONSTRAINT status CHECK (status = 0 OR status BETWEEN 100 AND 599),
	response TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency (created_at);
CREATE TABLE support_requests (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	subscription_id INTEGER,
	reason_codes TEXT NOT NULL,
	description TEXT NOT NULL,
	status TEXT NOT NULL CONSTRAINT status CHECK (status IN ('open', 'closed')),
	created_at INTEGER NOT NULL,
	token_id INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX support_requests_id ON support_requests (id);
CREATE TRIGGER support_requests_next_id AFTER INSERT ON support_requests BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'support_requests' AND next <= NEW.id;
END;
