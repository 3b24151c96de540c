-- pg/007.sql: the PostgreSQL store's schema version 7, the catalog in time
-- (store layer). A released step: never edited.
-- Prices as sold: each subscription keeps the price per seat per month it
-- was sold (or last renewed) at, and its currency. A store made before
-- takes the price of each subscription's last whole-period invoice line
-- (purchase, renewal or plan change: amount / (seats x months)), else the
-- stored catalog's price of its plan (the price every figure used until
-- now), else 0; the currency is its tenant's.
-- Catalog versions: every load is kept, numbered, with its time and who
-- loaded it; `catalog` keeps the current one and its number.
ALTER TABLE subscriptions ADD COLUMN price_per_seat_month bigint NOT NULL DEFAULT 0
	CONSTRAINT price_per_seat_month CHECK (price_per_seat_month >= 0);
ALTER TABLE subscriptions ADD COLUMN currency text NOT NULL DEFAULT '';
UPDATE subscriptions SET
	currency = coalesce((SELECT t.currency FROM tenants AS t WHERE t.id = subscriptions.tenant_id), ''),
	price_per_seat_month = coalesce(
		(SELECT l.amount / (l.quantity * CASE WHEN subscriptions.prepaid AND subscriptions.term = 'annual'
			THEN 12 ELSE 1 END)
		 FROM invoice_lines AS l
		 WHERE l.tenant_id = subscriptions.tenant_id AND l.subscription_id = subscriptions.id
			AND l.kind IN ('purchase', 'renewal', 'switch') AND l.quantity > 0 AND l.amount >= 0
		 ORDER BY l.id DESC LIMIT 1),
		(SELECT (p ->> 'price_per_seat_month')::bigint
		 FROM catalog AS c, jsonb_array_elements(c.doc::jsonb -> 'plans') AS p
		 WHERE p ->> 'id' = subscriptions.plan_id AND jsonb_typeof(p -> 'price_per_seat_month') = 'number'
		 LIMIT 1),
		0);
CREATE TABLE catalog_versions (
	version bigint PRIMARY KEY CONSTRAINT version CHECK (version > 0),
	doc text NOT NULL,
	loaded_at bigint NOT NULL,
	loaded_by text NOT NULL
);
INSERT INTO catalog_versions (version, doc, loaded_at, loaded_by) SELECT 1, doc, loaded_at, 'init' FROM catalog;
ALTER TABLE catalog ADD COLUMN version bigint NOT NULL DEFAULT 1;
