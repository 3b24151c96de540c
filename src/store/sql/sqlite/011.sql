-- sqlite/011.sql: the SQLite store's schema step "events" (store layer). A
-- released step: never edited. The event outbox (RULES "Events and
-- webhooks"): every change writes its events in its own transaction, `data`
-- being the changed object as the API shows it (JSON text). SQLite has one
-- writer at a time, so id order is commit order: readers page by id.
-- AUTOINCREMENT: an id is never reused, even after the newest events were
-- pruned. tenant NULL: an event of no one tenant (catalog.loaded,
-- incidents). Pruned by `created` (the store's clock) after the retention.
CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	type TEXT NOT NULL CONSTRAINT type CHECK (length(type) BETWEEN 1 AND 63),
	tenant INTEGER,
	created INTEGER NOT NULL,
	data TEXT NOT NULL
) STRICT;
CREATE INDEX events_tenant ON events (tenant, id);
-- No index by type: each one is pages more in every write's commit (the
-- outbox cost 0.74x of the same writes without it, 0.8x without this index,
-- bench/bench_events); a type filter reads by id and skips the others.
CREATE INDEX events_created ON events (created);
