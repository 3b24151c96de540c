-- sqlite/005.sql: the SQLite store's schema step "jobs" (store layer). A
-- released step: never edited. The due work of the background runner
-- (src/app/jobs.c): one row per piece of work, due at a time of the store's
-- clock; `rank` orders work due at the same time (a change at term end runs
-- before the renewal it may replace). One row per (kind, tenant, subject): a kind's
-- subject is the subscription renewed or cancelled at term end, ...
-- A subscription cancelled at the end of its term keeps that time in
-- cancel_at (NULL: none) and is not renewed past it.
-- Renewals are found by billed_through (the index below).
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CONSTRAINT kind CHECK (length(kind) BETWEEN 1 AND 31),
	rank INTEGER NOT NULL,
	tenant_id INTEGER NOT NULL,
	subject INTEGER NOT NULL,
	due_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	UNIQUE (kind, tenant_id, subject)
) STRICT;
CREATE INDEX jobs_due ON jobs (due_at, rank, id);
CREATE INDEX subscriptions_billed_through ON subscriptions (billed_through);
ALTER TABLE subscriptions ADD COLUMN cancel_at INTEGER;
