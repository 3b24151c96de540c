-- sqlite/013.sql: the SQLite store's schema version 13 (store layer): webhook
-- endpoints and their deliveries (src/app/webhooks.c, src/app/deliver.c).
-- Only adds tables of its own.
--
-- webhooks: an endpoint. types: the event types it wants, comma-separated
-- ('' = every type); filter_tenant: only that tenant's events (NULL: all);
-- secret: kept in clear, since each delivery is signed with it; cursor:
-- the id of the last event (in the events' commit order, event_list's
-- `after`) the runner has turned into deliveries for it (the head when it
-- is made: events committed before the endpoint existed are not sent).
CREATE TABLE webhooks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	url TEXT NOT NULL CONSTRAINT url CHECK (length(url) BETWEEN 8 AND 2048),
	types TEXT NOT NULL DEFAULT '',
	filter_tenant INTEGER CONSTRAINT tenant REFERENCES tenants (id),
	enabled INTEGER NOT NULL DEFAULT 1 CONSTRAINT enabled CHECK (enabled IN (0, 1)),
	secret TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	cursor INTEGER NOT NULL DEFAULT 0
) STRICT;
-- webhook_deliveries: one row per attempt of one event to one endpoint.
-- state: 'pending' (the next attempt, due at due_at), 'delivered' (2xx),
-- 'retried' (failed, the next attempt is another row, at next_attempt_at),
-- 'failed' (failed, and the 3 days are over). seq: the event's rank among
-- the endpoint's, in commit order (given when its first attempt is
-- written, kept by its retries); event_tenant: the event's (0: none): an endpoint's pending
-- deliveries of one tenant go one at a time in seq order. first_due_at:
-- when the first attempt was due (the 3 days count from it). A claim
-- leases the row (leased_until, in the system's seconds, and leased_by,
-- the daemon's instance id) while its POST runs outside any transaction.
CREATE TABLE webhook_deliveries (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id INTEGER NOT NULL,
	event_tenant INTEGER NOT NULL DEFAULT 0,
	seq INTEGER NOT NULL,
	attempt INTEGER NOT NULL,
	state TEXT NOT NULL CONSTRAINT state CHECK (state IN ('pending', 'delivered', 'retried', 'failed')),
	due_at INTEGER NOT NULL,
	first_due_at INTEGER NOT NULL,
	time INTEGER,
	status_code INTEGER,
	error TEXT NOT NULL DEFAULT '',
	next_attempt_at INTEGER,
	leased_until INTEGER NOT NULL DEFAULT 0,
	leased_by TEXT NOT NULL DEFAULT '',
	UNIQUE (webhook_id, event_id, attempt)
) STRICT;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (state, due_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (webhook_id, event_tenant, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_seq ON webhook_deliveries (webhook_id, seq);
