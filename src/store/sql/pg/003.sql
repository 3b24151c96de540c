-- pg/003.sql: the PostgreSQL store's schema version 3 (store layer). A
-- released step: never edited. A credit check may hold back a seat
-- increase: `quantity` is the count it sets on approval (0: none).
ALTER TABLE credit_checks ADD COLUMN quantity bigint NOT NULL DEFAULT 0
	CONSTRAINT quantity CHECK (quantity >= 0);
