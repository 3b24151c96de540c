-- sqlite/004.sql: tokens with a life cycle, and the admin center's
-- sessions (store layer). A released step: never edited. A token has a
-- name, an optional expiry, a last use (written at most once a minute)
-- and, once revoked, when. A session is held by the SHA-256 of its
-- secret (the cookie's value), made from one token; it ends when the
-- token is revoked or expires, when idle too long, at its absolute end,
-- or when signed out (deleted).
ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE tokens ADD COLUMN revoked_at INTEGER;
CREATE INDEX tokens_tenant ON tokens (tenant_id, id);
CREATE TABLE sessions (
	hash TEXT PRIMARY KEY,
	token_id INTEGER NOT NULL REFERENCES tokens (id),
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_token ON sessions (token_id);
