-- pg/009.sql: the PostgreSQL store's schema version 9 (store layer). A
-- released step: never edited. An idempotency key being run records the
-- daemon running it (`owner`: its instance id, the machine's boot, its
-- process), so that a retry can tell a request whose daemon died from one
-- still running. '' for keys reserved before this step.
ALTER TABLE idempotency ADD COLUMN owner TEXT NOT NULL DEFAULT '';
