-- sqlite/007.sql: the SQLite store's schema version 7, the catalog in time
-- (store layer). A released step: never edited.
-- Prices as sold: each subscription keeps the price per seat per month it
-- was sold (or last renewed) at, and its currency. A store made before
-- takes the price of each subscription's last whole-period invoice line
-- (purchase, renewal or plan change: amount / (seats x months)), else the
-- stored catalog's price of its plan (the price every figure used until
-- now), else 0; the currency is its tenant's.
-- Catalog versions: every load is kept, numbered, with its time and who
-- loaded it; `catalog` keeps the current one and its number.
ALTER TABLE subscriptions ADD COLUMN price_per_seat_month INTEGER NOT NULL DEFAULT 0
	CONSTRAINT price_per_seat_month CHECK (price_per_seat_month >= 0);
ALTER TABLE subscriptions ADD COLUMN currency TEXT NOT NULL DEFAULT '';
UPDATE subscriptions SET
	currency = coalesce((SELECT t.currency FROM tenants AS t WHERE t.id = subscriptions.tenant_id), ''),
	price_per_seat_month = coalesce(
		(SELECT l.amount / (l.quantity * CASE WHEN subscriptions.prepaid = 1 AND subscriptions.term = 'annual'
			THEN 12 ELSE 1 END)
		 FROM invoice_lines AS l
		 WHERE l.tenant_id = subscriptions.tenant_id AND l.subscription_id = subscriptions.id
			AND l.kind IN ('purchase', 'renewal', 'switch') AND l.quantity > 0 AND l.amount >= 0
		 ORDER BY l.id DESC LIMIT 1),
		(SELECT json_extract(p.value, '$.price_per_seat_month')
		 FROM catalog AS c, json_each(c.doc, '$.plans') AS p
		 WHERE json_valid(c.doc) AND json_extract(p.value, '$.id') = subscriptions.plan_id
			AND json_type(p.value, '$.price_per_seat_month') = 'integer'
		 LIMIT 1),
		0);
CREATE TABLE catalog_versions (
	version INTEGER PRIMARY KEY CONSTRAINT version CHECK (version > 0),
	doc TEXT NOT NULL,
	loaded_at INTEGER NOT NULL,
	loaded_by TEXT NOT NULL
) STRICT;
INSERT INTO catalog_versions (version, doc, loaded_at, loaded_by) SELECT 1, doc, loaded_at, 'init' FROM catalog;
ALTER TABLE catalog ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
