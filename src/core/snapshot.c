/* snapshot.c: what the rule engine knows of one tenant (core layer).
 * A store backend fills a struct ps_snapshot; the caller points each
 * subscription at its plan; the engine reads it. Growing the arrays is the
 * only allocation, done while loading, never while evaluating. */
#include "ps_rules.h"
#include "../common/ps_mem.h"

#include <string.h>

void ps_snapshot_init(struct ps_snapshot *s)
{
	memset(s, 0, sizeof *s);
}

void ps_snapshot_fini(struct ps_snapshot *s)
{
	ps_free(s->subs);
	ps_free(s->incidents);
	ps_free(s->ops);
	memset(s, 0, sizeof *s);
}

void ps_snapshot_reset(struct ps_snapshot *s)
{
	struct ps_snap_sub *subs = s->subs;
	struct ps_snap_incident *incidents = s->incidents;
	struct ps_operation *ops = s->ops;
	size_t cap_subs = s->cap_subs, cap_incidents = s->cap_incidents, cap_ops = s->cap_ops;

	memset(s, 0, sizeof *s);
	s->subs = subs;
	s->cap_subs = cap_subs;
	s->incidents = incidents;
	s->cap_incidents = cap_incidents;
	s->ops = ops;
	s->cap_ops = cap_ops;
}

struct ps_snap_sub *ps_snapshot_add_sub(struct ps_snapshot *s)
{
	void *p = s->subs;
	ps_grow(&p, &s->cap_subs, s->n_subs + 1, sizeof *s->subs);
	s->subs = p;
	struct ps_snap_sub *e = &s->subs[s->n_subs++];
	memset(e, 0, sizeof *e);
	return e;
}

struct ps_snap_incident *ps_snapshot_add_incident(struct ps_snapshot *s)
{
	void *p = s->incidents;
	ps_grow(&p, &s->cap_incidents, s->n_incidents + 1, sizeof *s->incidents);
	s->incidents = p;
	struct ps_snap_incident *e = &s->incidents[s->n_incidents++];
	memset(e, 0, sizeof *e);
	return e;
}

struct ps_operation *ps_snapshot_add_op(struct ps_snapshot *s)
{
	void *p = s->ops;
	ps_grow(&p, &s->cap_ops, s->n_ops + 1, sizeof *s->ops);
	s->ops = p;
	struct ps_operation *e = &s->ops[s->n_ops++];
	memset(e, 0, sizeof *e);
	return e;
}

void ps_snapshot_resolve(struct ps_snapshot *s, const struct ps_catalog *cat)
{
	for (size_t i = 0; i < s->n_subs; i++)
		s->subs[i].plan = cat ? ps_catalog_plan(cat, s->subs[i].s.plan_id) : NULL;
}

/* Subscriptions are in id order (the store loads them so): binary search. */
struct ps_snap_sub *ps_snapshot_sub(const struct ps_snapshot *s, int64_t sub_id)
{
	size_t lo = 0, hi = s->n_subs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t id = s->subs[mid].s.id;
		if (id == sub_id)
			return &s->subs[mid];
		if (id < sub_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int64_t ps_snapshot_provisioning_sla(const struct ps_snapshot *s)
{
	return s->provisioning_sla > 0 ? s->provisioning_sla : PS_NOT_READY_WAIT_S;
}
