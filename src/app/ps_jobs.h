/* ps_jobs.h: work that happens by itself (app layer): the due work of the
 * store (struct ps_job, the table `jobs`) and the runner that does it.
 *
 * A job is a kind, a subject and a due time on the store's clock. A kind is
 * a row of the kinds table in jobs.c: its name, its rank (which of two jobs
 * due at the same time runs first) and the function that does it. Each run
 * is one write transaction: the job is claimed (held by this transaction
 * alone: PostgreSQL's FOR UPDATE SKIP LOCKED, SQLite's write lock), done
 * with its audit row, and deleted or moved to its next time, all committed
 * together; a daemon that dies mid-run leaves the job as it was, for
 * another run. A run that fails is rolled back, then the job is kept with
 * its attempt count and error and due again after a growing delay (1 min,
 * doubling, at most 6 h); when the store was the trouble (busy, a lost race
 * run out of attempts) the pass ends there with that error and the job
 * stays due for the next pass, twice, before it waits the same way. Renewal jobs are found from the subscriptions by
 * each pass (job_seed_renewals); other jobs are scheduled by the change
 * that makes them (ps_jobs_schedule). */
#ifndef PS_JOBS_H
#define PS_JOBS_H

#include "ps_app.h"

/* The kinds (jobs.c's table): "cancel" (a cancellation at term end) and
 * "operation" (a change at term end, subject: the operation) run before
 * "renew" (a subscription's due periods) due at the same time. */
#define PS_JOB_CANCEL "cancel"
#define PS_JOB_OPERATION "operation" /* a scheduled operation, same rank as "cancel" */
#define PS_JOB_RENEW  "renew"

/* Schedule a job of `kind` (a row of the kinds table) on subject, due at
 * due_at, inside the caller's write transaction; nothing when that job is
 * there already. */
ps_code ps_jobs_schedule(struct ps_ctx *c, const char *kind, int64_t tenant, int64_t subject, int64_t due_at);

/* Do every job due by c->now, one transaction each, in (due time, rank,
 * id) order. wait_held: also wait (a few ms at a time, 30 s at most) for
 * the jobs due that another daemon holds, so that on return no job due by
 * c->now is left but those that failed and wait for their retry (what
 * setting the manual clock needs). *ran counts the runs (may be NULL). A
 * failed job is not an error of the pass; a store failure is (PS_STORE,
 * PS_RETRY: the pass stops there). */
ps_code ps_jobs_run_due(struct ps_ctx *c, bool wait_held, int *ran);

/* Append planshift_jobs_due (the jobs due by c->now in the store) and
 * planshift_jobs_run_total{kind,result} (this process's runs) to out. */
ps_code ps_jobs_metrics_write(struct ps_ctx *c, struct ps_buf *out);

/* The runner of `serve`: a thread with its own store handle that wakes
 * every interval_ms and does the jobs due by the store's clock (the
 * manual one under --clock manual). */
struct ps_runner;
ps_code ps_runner_start(struct ps_app *app, unsigned interval_ms, struct ps_runner **out, struct ps_err *err);
/* Stop it (a run in progress finishes first) and free it; accepts NULL. */
void ps_runner_stop(struct ps_runner *r);

#endif
