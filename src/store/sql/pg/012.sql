-- pg/012.sql: the credentials' version (store layer), as sqlite/012.sql.
-- A released step: never edited. auth_version counts the changes that can
-- end what a token or a session let in: a token revoked or its life
-- changed, a session ended (logout, purge, its token revoked). A daemon
-- keeps the principals it found in memory, each with the version it was
-- found at, and reads this number (with the catalog's, in one statement)
-- at every request: a principal found at another version is looked up
-- again. The triggers (one per row changed: none fire when a statement
-- changes nothing, as a purge with nothing to purge) are the one place it moves.
CREATE TABLE auth_version (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	version BIGINT NOT NULL
);
INSERT INTO auth_version (one, version) VALUES (1, 1);
CREATE FUNCTION auth_version_bump() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS
$$BEGIN UPDATE auth_version SET version = version + 1 WHERE one = 1; RETURN NULL; END$$;
CREATE TRIGGER auth_version_token AFTER UPDATE OF revoked_at, expires_at, role, tenant_id, hash ON tokens
	FOR EACH ROW EXECUTE FUNCTION auth_version_bump();
CREATE TRIGGER auth_version_token_delete AFTER DELETE ON tokens
	FOR EACH ROW EXECUTE FUNCTION auth_version_bump();
CREATE TRIGGER auth_version_session AFTER UPDATE OF expires_at, token_id, hash ON sessions
	FOR EACH ROW EXECUTE FUNCTION auth_version_bump();
CREATE TRIGGER auth_version_session_delete AFTER DELETE ON sessions
	FOR EACH ROW EXECUTE FUNCTION auth_version_bump();
