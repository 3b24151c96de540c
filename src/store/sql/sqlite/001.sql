-- sqlite/001.sql: the SQLite store's first schema (store layer), run by
-- sqlite.c's migrate in one transaction. A released step: never edited;
-- a change goes in a new step. Ids come from the sequences table, kept
-- ahead of every id by triggers; CHECK constraints are named after the
-- field an error names; seat counts are kept by triggers.
PRAGMA application_id = 1347179336;
CREATE TABLE sequences (
	name TEXT PRIMARY KEY,
	next INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO sequences (name, next) VALUES ('tenants', 1), ('users', 1), ('subscriptions', 1),
	('incidents', 1), ('invoices', 1), ('credit_checks', 1), ('operations', 1), ('audit', 1), ('tokens', 1);
CREATE TABLE catalog (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	doc TEXT NOT NULL,
	loaded_at INTEGER NOT NULL
) STRICT;
CREATE TABLE tenants (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	segment TEXT NOT NULL CONSTRAINT segment
		CHECK (segment IN ('commercial', 'education', 'government', 'nonprofit')),
	payment TEXT NOT NULL CONSTRAINT payment CHECK (payment IN ('invoice', 'card')),
	credit_limit INTEGER NOT NULL CONSTRAINT credit_limit CHECK (credit_limit >= 0),
	currency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),
	created_at INTEGER NOT NULL
) STRICT;
CREATE TRIGGER tenants_next_id AFTER INSERT ON tenants BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'tenants' AND next <= NEW.id;
END;
CREATE TABLE tokens (
	hash TEXT PRIMARY KEY,
	id INTEGER NOT NULL UNIQUE,
	role TEXT NOT NULL CONSTRAINT role CHECK (role IN ('operator', 'support', 'global_admin', 'billing_admin', 'license_admin', 'reader')),
	tenant_id INTEGER REFERENCES tenants (id),
	created_at INTEGER NOT NULL,
	CONSTRAINT tenant CHECK ((tenant_id IS NULL) = (role IN ('operator', 'support')))
) STRICT, WITHOUT ROWID;
CREATE TRIGGER tokens_next_id AFTER INSERT ON tokens BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'tokens' AND next <= NEW.id;
END;
CREATE TABLE users (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	upn TEXT NOT NULL COLLATE NOCASE,
	display_name TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, upn)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER users_next_id AFTER INSERT ON users BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'users' AND next <= NEW.id;
END;
CREATE TABLE subscriptions (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	plan_id TEXT NOT NULL,
	product_id TEXT NOT NULL,
	quantity INTEGER NOT NULL CONSTRAINT quantity CHECK (quantity >= 0),
	assigned INTEGER NOT NULL DEFAULT 0 CONSTRAINT assigned CHECK (assigned >= 0),
	status TEXT NOT NULL CONSTRAINT status CHECK (status IN
		('provisioning', 'active', 'expired', 'disabled', 'cancelled', 'replaced')),
	term TEXT NOT NULL CONSTRAINT term CHECK (term IN ('monthly', 'annual')),
	prepaid INTEGER NOT NULL CONSTRAINT prepaid CHECK (prepaid IN (0, 1)),
	term_start INTEGER NOT NULL,
	term_end INTEGER NOT NULL,
	addon_of INTEGER,
	replaced_by INTEGER,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, addon_of) REFERENCES subscriptions (tenant_id, id),
	FOREIGN KEY (tenant_id, replaced_by) REFERENCES subscriptions (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER subscriptions_next_id AFTER INSERT ON subscriptions BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'subscriptions' AND next <= NEW.id;
END;
CREATE TABLE assignments (
	tenant_id INTEGER NOT NULL,
	subscription_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	product_id TEXT NOT NULL,
	assigned_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, subscription_id, user_id),
	UNIQUE (tenant_id, user_id, product_id),
	FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER assignments_count_insert AFTER INSERT ON assignments BEGIN
	UPDATE subscriptions SET assigned = assigned + 1
		WHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id;
END;
CREATE TRIGGER assignments_count_delete AFTER DELETE ON assignments BEGIN
	UPDATE subscriptions SET assigned = assigned - 1
		WHERE tenant_id = OLD.tenant_id AND id = OLD.subscription_id;
END;
CREATE TRIGGER assignments_count_move AFTER UPDATE OF tenant_id, subscription_id ON assignments
	WHEN OLD.tenant_id <> NEW.tenant_id OR OLD.subscription_id <> NEW.subscription_id BEGIN
	UPDATE subscriptions SET assigned = assigned - 1
		WHERE tenant_id = OLD.tenant_id AND id = OLD.subscription_id;
	UPDATE subscriptions SET assigned = assigned + 1
		WHERE tenant_id = NEW.tenant_id AND id = NEW.subscription_id;
END;
CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	service_id TEXT NOT NULL,
	status TEXT NOT NULL CONSTRAINT status CHECK (status IN
		('investigating', 'degraded', 'interrupted', 'restoring', 'resolved')),
	title TEXT NOT NULL,
	opened_at INTEGER NOT NULL,
	resolved_at INTEGER
) STRICT;
CREATE INDEX incidents_open ON incidents (id) WHERE status <> 'resolved';
CREATE TRIGGER incidents_next_id AFTER INSERT ON incidents BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'incidents' AND next <= NEW.id;
END;
CREATE TABLE invoices (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	subscription_id INTEGER,
	amount INTEGER NOT NULL,
	paid INTEGER NOT NULL,
	currency TEXT NOT NULL CONSTRAINT currency CHECK (length(currency) = 3),
	issued_at INTEGER NOT NULL,
	due_at INTEGER NOT NULL,
	status TEXT NOT NULL CONSTRAINT status CHECK (status IN ('open', 'paid', 'void')),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX invoices_open_due ON invoices (tenant_id, due_at) WHERE status = 'open';
CREATE TRIGGER invoices_next_id AFTER INSERT ON invoices BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'invoices' AND next <= NEW.id;
END;
CREATE TABLE credit_checks (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	status TEXT NOT NULL CONSTRAINT status CHECK (status IN ('pending', 'approved', 'denied')),
	amount INTEGER NOT NULL,
	requested_at INTEGER NOT NULL,
	expected_by INTEGER NOT NULL,
	decided_at INTEGER,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX credit_checks_pending ON credit_checks (tenant_id, requested_at) WHERE status = 'pending';
CREATE TRIGGER credit_checks_next_id AFTER INSERT ON credit_checks BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'credit_checks' AND next <= NEW.id;
END;
CREATE TABLE operations (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id),
	id INTEGER NOT NULL,
	kind TEXT NOT NULL CONSTRAINT kind CHECK (kind IN ('upgrade', 'switch')),
	state TEXT NOT NULL CONSTRAINT state CHECK (state IN
		('pending_credit_check', 'provisioning', 'completed', 'failed')),
	source_sub INTEGER NOT NULL,
	target_plan TEXT NOT NULL,
	new_sub INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, source_sub) REFERENCES subscriptions (tenant_id, id),
	FOREIGN KEY (tenant_id, new_sub) REFERENCES subscriptions (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX operations_unfinished ON operations (tenant_id, id)
	WHERE state IN ('pending_credit_check', 'provisioning');
CREATE INDEX operations_kind_created ON operations (kind, created_at);
CREATE TRIGGER operations_next_id AFTER INSERT ON operations BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'operations' AND next <= NEW.id;
END;
CREATE TABLE audit (
	tenant_id INTEGER NOT NULL,
	id INTEGER NOT NULL,
	at INTEGER NOT NULL,
	token_id INTEGER NOT NULL,
	role TEXT NOT NULL CONSTRAINT role CHECK (role IN ('operator', 'support', 'global_admin', 'billing_admin', 'license_admin', 'reader')),
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	request_id TEXT NOT NULL,
	detail TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER audit_next_id AFTER INSERT ON audit BEGIN
	UPDATE sequences SET next = NEW.id + 1 WHERE name = 'audit' AND next <= NEW.id;
END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
