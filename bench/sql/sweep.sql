-- The sweep as one hand-written SQL aggregate scan (the baseline of the
-- sweep benchmark): how many subscriptions each reason of the Upgrade tab
-- blocks, computed from the store's tables and the catalog document alone.
-- One pass over subscriptions in key order, GROUP BY tenant: per-subscription
-- facts are summed, the tenant-wide ones (conflicts, unfinished operations,
-- pending credit checks, past due) looked up once per tenant.
-- ?1: now; ?2: the upgrade capacity per hour (0: not considered).
-- Columns: subscriptions, live, eligible, then one per reason in the
-- engine's order (target_not_supported is per offer, never a reason: 0),
-- each counting live subscriptions only, as the fleet view does (an ended
-- subscription is neither eligible nor blocked: live = eligible + blocked).
WITH plan(id, segment, addon, n_up, currency, incident) AS MATERIALIZED (
  SELECT json_extract(p.value, '$.id'), json_extract(p.value, '$.segment'), json_extract(p.value, '$.addon'),
         json_array_length(p.value, '$.upgrades_to'), json_extract(p.value, '$.currency'),
         EXISTS (SELECT 1 FROM json_each(p.value, '$.services') AS sv, incidents AS i
                 WHERE i.service_id = sv.value AND i.status <> 'resolved')
  FROM catalog, json_each(catalog.doc, '$.plans') AS p),
busy(busy) AS MATERIALIZED (
  SELECT ?2 > 0 AND count(*) >= ?2 FROM operations
  WHERE kind = 'upgrade' AND created_at > ?1 - 3600 AND created_at <= ?1),
-- one row per subscription: its own facts. LIMIT -1 keeps it a co-routine
-- (each row computed once) instead of being flattened into g, where every
-- correlated subquery would be evaluated once per reference.
s AS (
  SELECT s.tenant_id, s.status IN ('provisioning', 'active', 'disabled') AS live,
    s.status IN ('provisioning', 'active', 'disabled') AND s.assigned > s.quantity AS conflicting,
    s.status = 'provisioning' AS not_ready,
    coalesce(p.incident, 0) AS incident,
    (s.status NOT IN ('active', 'provisioning') OR coalesce(p.n_up, 1) = 0) AS not_eligible,
    (s.addon_of IS NULL AND coalesce(p.addon, 0) = 0 AND s.product_id <> '' AND
     (SELECT count(*) FROM subscriptions AS m LEFT JOIN plan AS mp ON mp.id = m.plan_id
      WHERE m.tenant_id = s.tenant_id AND m.status IN ('provisioning', 'active', 'disabled')
      AND m.addon_of IS NULL AND coalesce(mp.addon, 0) = 0 AND m.product_id = s.product_id) >= 2) AS multi,
    (s.prepaid = 1 AND ?1 < s.term_end) AS prepaid,
    coalesce(p.segment IN ('government', 'nonprofit'), 0) AS segment,
    EXISTS (SELECT 1 FROM subscriptions AS a WHERE a.tenant_id = s.tenant_id AND a.addon_of = s.id
            AND a.status IN ('provisioning', 'active', 'disabled')) AS addon,
    (p.id IS NULL OR (s.addon_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscriptions AS b
       WHERE b.tenant_id = s.tenant_id AND b.id = s.addon_of))
     OR p.currency <> t.currency OR s.quantity < 0 OR s.assigned < 0) AS other
  FROM subscriptions AS s JOIN tenants AS t ON t.id = s.tenant_id LEFT JOIN plan AS p ON p.id = s.plan_id LIMIT -1),
-- one row per tenant
g AS (
  SELECT tenant_id, count(*) AS n, sum(live) AS live, max(conflicting) AS conflict,
    sum(not_ready) AS not_ready, sum(live AND incident) AS incident, sum(live AND not_eligible) AS not_eligible,
    sum(live AND multi) AS multi, sum(live AND prepaid) AS prepaid, sum(live AND segment) AS segment,
    sum(live AND addon) AS addon, sum(live AND other) AS other,
    sum(NOT (not_ready OR incident OR not_eligible OR multi OR prepaid OR segment OR addon OR other)) AS clean
  FROM s GROUP BY tenant_id),
t AS (
  SELECT g.*,
    EXISTS (SELECT 1 FROM operations AS o WHERE o.tenant_id = g.tenant_id
            AND o.state IN ('pending_credit_check', 'provisioning')) AS in_progress,
    EXISTS (SELECT 1 FROM credit_checks AS k WHERE k.tenant_id = g.tenant_id AND k.status = 'pending') AS cc,
    coalesce((SELECT sum(v.amount - v.paid) FROM invoices AS v WHERE v.tenant_id = g.tenant_id
              AND v.status = 'open' AND v.due_at < ?1 AND v.amount > v.paid), 0) > 0 AS unpaid
  FROM g)
SELECT sum(n), sum(live),
  sum(CASE WHEN conflict OR in_progress OR cc OR unpaid OR (SELECT busy FROM busy) THEN 0 ELSE clean END),
  sum(conflict * live), sum(not_ready), sum(incident), sum(in_progress * live), sum(cc * live), sum(not_eligible),
  sum(multi), sum(prepaid), sum(segment), (SELECT busy FROM busy) * sum(live), 0, sum(addon), sum(unpaid * live),
  sum(other)
FROM t;
