-- sqlite/006.sql: the SQLite store's schema version 6 (store layer). A
-- released step: never edited. Waits say until when (RULES second part):
-- an incident's `eta`, and its updates, in the order they were made.
-- Manual changes by seat: the users an operation moves (a set, so that
-- moving 10,000 of 100,000 seats is one statement per table).
ALTER TABLE incidents ADD COLUMN eta INTEGER;
CREATE TABLE incident_updates (
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	n INTEGER NOT NULL,
	at INTEGER NOT NULL,
	status TEXT NOT NULL CONSTRAINT status CHECK (status IN
		('investigating', 'degraded', 'interrupted', 'restoring', 'resolved')),
	message TEXT NOT NULL,
	PRIMARY KEY (incident_id, n)
) STRICT, WITHOUT ROWID;
CREATE TABLE operation_users (
	tenant_id INTEGER NOT NULL,
	operation_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, operation_id, user_id)
) STRICT, WITHOUT ROWID;
