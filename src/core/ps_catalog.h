/* ps_catalog.h: the catalog of services, products and plans (core layer).
 * Parsed from the JSON of API.md, checked in full (every fault listed), then
 * read-only and shared by every thread. Parsing allocates; nothing else here
 * does. */
#ifndef PS_CATALOG_H
#define PS_CATALOG_H

#include "ps_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_service {
	char *id, *name, *family;
	int rank;
	bool data_bearing;
};

struct ps_product {
	char *id, *name;
};

/* The highest price per seat per month a catalog may set (minor units), so
 * that a year of a million seats stays well inside int64. */
#define PS_PRICE_MAX ((int64_t)100000000000)

struct ps_plan {
	char *id, *name;
	const struct ps_product *product;
	const struct ps_service **services;
	size_t n_services;
	enum ps_segment segment;
	int64_t price_per_seat_month; /* minor units */
	char currency[4];
	const struct ps_plan **upgrades_to; /* in the catalog's order */
	size_t n_upgrades_to;
	bool addon;
	/* No longer sold nor offered as a target; its subscriptions renew at
	 * their price and can still be changed away from it. */
	bool retired;
	const struct ps_plan **attaches_to;
	size_t n_attaches_to;
};

struct ps_catalog {
	struct ps_service *services;
	size_t n_services;
	struct ps_product *products;
	size_t n_products;
	struct ps_plan *plans;
	size_t n_plans;
	char *json; /* the catalog as compact JSON, served by GET /v1/catalog */
	size_t json_len;
	int64_t version; /* its number in the store (0: not loaded from one); set by the app */
};

/* Every fault found in a catalog, one sentence each, naming the object. */
struct ps_faults {
	char **msgs;
	size_t n, cap;
};
void ps_faults_add(struct ps_faults *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ps_faults_fini(struct ps_faults *f);

/* Parse and check a catalog. On success returns true and *out owns a new
 * catalog (free with ps_catalog_free). On any fault returns false, *out is
 * NULL, and faults holds every fault found (JSON syntax errors with line and
 * column; unknown or duplicate ids; plans naming unknown services or
 * products; add-ons attaching to non-add-ons; upgrade paths that loop or name
 * add-ons; upgrade paths that are not data-safe, naming plan, target and
 * service; bad types and values, naming the field). */
bool ps_catalog_parse(const char *json, size_t len, struct ps_catalog **out, struct ps_faults *faults);
void ps_catalog_free(struct ps_catalog *cat); /* accepts NULL */

const struct ps_plan *ps_catalog_plan(const struct ps_catalog *cat, const char *id);
const struct ps_service *ps_catalog_service(const struct ps_catalog *cat, const char *id);
const struct ps_product *ps_catalog_product(const struct ps_catalog *cat, const char *id);
bool ps_plan_has_service(const struct ps_plan *p, const struct ps_service *s);
bool ps_plan_upgrades_to(const struct ps_plan *from, const struct ps_plan *to);
/* Whether p declares an upgrade path to a plan that is not retired. */
bool ps_plan_has_offered_path(const struct ps_plan *p);

/* Data safety (RULES "Data safety"): for every data-bearing service family of
 * `from`, `to` has a service of that family with equal or higher rank.
 * Fills what is lost: `missing` lists the source's data-bearing services
 * whose family `to` lacks; `lower` lists the source's services that `to` has
 * only at a lower rank, with `lower_to` the target's service. Lists are
 * capped at PS_SAFETY_MAX; the counts go on past the cap. */
#define PS_SAFETY_MAX 8
struct ps_safety {
	const struct ps_service *missing[PS_SAFETY_MAX];
	size_t n_missing;
	const struct ps_service *lower[PS_SAFETY_MAX];
	const struct ps_service *lower_to[PS_SAFETY_MAX];
	size_t n_lower;
};
bool ps_plan_is_data_safe(const struct ps_plan *from, const struct ps_plan *to, struct ps_safety *out);

#endif
