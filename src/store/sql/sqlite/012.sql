-- sqlite/012.sql: the credentials' version (store layer). A released step:
-- never edited. auth_version counts the changes that can end what a token
-- or a session let in: a token revoked or its life changed, a session
-- ended (logout, purge, its token revoked). A daemon keeps the principals
-- it found in memory, each with the version it was found at, and reads
-- this number (with the catalog's, in one statement) at every request: a
-- principal found at another version is looked up again, so a revocation
-- on any daemon is seen by every daemon at its next request. The triggers
-- are the one place it moves: no store method has to remember it. A new
-- token or session needs no bump (only found ones are kept), nor a last
-- use written (touch).
CREATE TABLE auth_version (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	version INTEGER NOT NULL
);
INSERT INTO auth_version (one, version) VALUES (1, 1);
CREATE TRIGGER auth_version_token AFTER UPDATE OF revoked_at, expires_at, role, tenant_id, hash ON tokens BEGIN
	UPDATE auth_version SET version = version + 1 WHERE one = 1;
END;
CREATE TRIGGER auth_version_token_delete AFTER DELETE ON tokens BEGIN
	UPDATE auth_version SET version = version + 1 WHERE one = 1;
END;
CREATE TRIGGER auth_version_session AFTER UPDATE OF expires_at, token_id, hash ON sessions BEGIN
	UPDATE auth_version SET version = version + 1 WHERE one = 1;
END;
CREATE TRIGGER auth_version_session_delete AFTER DELETE ON sessions BEGIN
	UPDATE auth_version SET version = version + 1 WHERE one = 1;
END;
