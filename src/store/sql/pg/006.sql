-- pg/006.sql: the PostgreSQL store's schema version 6 (store layer). A
-- released step: never edited. Waits say until when (RULES second part):
-- an incident's `eta`, and its updates, in the order they were made.
-- Manual changes by seat: the users an operation moves (a set, so that
-- moving 10,000 of 100,000 seats is one statement per table).
ALTER TABLE incidents ADD COLUMN eta bigint;
CREATE TABLE incident_updates (
	incident_id bigint NOT NULL CONSTRAINT ref_incident REFERENCES incidents (id),
	n bigint NOT NULL,
	at bigint NOT NULL,
	status text NOT NULL CONSTRAINT status CHECK (status IN
		('investigating', 'degraded', 'interrupted', 'restoring', 'resolved')),
	message text NOT NULL,
	PRIMARY KEY (incident_id, n)
);
CREATE TABLE operation_users (
	tenant_id bigint NOT NULL,
	operation_id bigint NOT NULL,
	user_id bigint NOT NULL,
	PRIMARY KEY (tenant_id, operation_id, user_id)
);
