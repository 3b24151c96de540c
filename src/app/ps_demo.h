/* ps_demo.h: demo tenants that between them show every reason of the
 * Upgrade tab (app layer), for `planshift init --demo`. */
#ifndef PS_DEMO_H
#define PS_DEMO_H

#include "ps_app.h"

#include <stdio.h>

/* The embedded demo catalog (data/demo-catalog.json). */
extern const char ps_demo_catalog[];
extern const unsigned long ps_demo_catalog_len;

/* Create the demo tenants, users, subscriptions, incidents, invoices, credit
 * checks and operations through the app layer, as the operator, at c->now,
 * against the demo catalog (c->cat must be it). Prints a table of
 * tenants with a global_admin token each, and an operator token, to out.
 * PS_CONFLICT when the store already has tenants. */
ps_code ps_demo_seed(struct ps_ctx *c, FILE *out);

#endif
