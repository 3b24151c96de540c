-- sqlite/004.sql: the SQLite store's schema version 4 (store layer). A
-- released step: never edited. Waits say until when (RULES second part):
-- an incident's `eta`, and its updates, in the order they were made.
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
