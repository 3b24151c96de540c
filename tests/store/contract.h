/* contract.h: the store contract suite (tests). The same cmocka tests run
 * against every backend, written against struct ps_store_ops only: a
 * backend's test program says how to make a fresh store and may add tests
 * of its own; everything runs as one cmocka group (one TAP plan). */
#ifndef PS_TEST_CONTRACT_H
#define PS_TEST_CONTRACT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

struct ps_store;

/* Run the contract tests, then the n_extra tests in `extra` (with their own
 * setup and teardown), as one group named "store contract: BACKEND".
 * Before each contract test fresh(ctx) returns a new, migrated, empty store
 * (NULL fails that test); after it the suite closes the store and calls
 * cleanup(ctx) when not NULL. Returns the number of failed tests. */
int ps_contract_run(const char *backend_name, struct ps_store *(*fresh)(void *ctx), void (*cleanup)(void *ctx),
		    void *ctx, const struct CMUnitTest *extra, size_t n_extra);

/* The store made before prices were kept (schema PS_SCHEMA_PRICES - 1), for
 * both backends' migration tests: its rows as SQL both dialects take
 * (NULL-terminated), and the checks of the store once migrated: each
 * subscription at the price of its last whole-period invoice line, else
 * the stored catalog's price, else 0, in its tenant's currency; the stored
 * catalog as version 1 (by "init", at its time); the next load version 2. */
extern const char *const ps_prices_fixture_rows[];
void ps_prices_check_migrated(struct ps_store *st);

#endif
