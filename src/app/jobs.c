/* jobs.c: the background runner (app layer): the kinds of due work, one
 * run of a job as one transaction, the pass over every job due, the
 * thread of `serve` that makes a pass every interval, and the runner's
 * metrics. What each kind does lives with its use case (billing.c for
 * renewals, subscriptions.c for cancellations at term end, upgrade.c for
 * changes at term end); this file
 * only runs them. */
#include "ps_jobs.h"
#include "ps_app_int.h"
#include "ps_webhooks.h"

#include "../common/ps_log.h"
#include "../common/ps_mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- the kinds ---- */

/* A kind of job: what its rows are named, which runs first among jobs due
 * at the same time (lower rank), and what it does, inside the run's
 * transaction: PS_OK when done (*again 0: the job is deleted; else it is due
 * again then), or an error (the run is rolled back and retried later). A
 * new kind is one row here. */
struct job_kind {
	const char *name;
	int64_t rank;
	ps_code (*run)(struct ps_ctx *c, const struct ps_job *j, int64_t *again);
};

static ps_code run_cancel(struct ps_ctx *c, const struct ps_job *j, int64_t *again)
{
	return ps_app_cancel_job(c, j->tenant_id, j->subject, again);
}

static ps_code run_operation(struct ps_ctx *c, const struct ps_job *j, int64_t *again)
{
	return ps_app_operation_job(c, j->tenant_id, j->subject, again);
}

static ps_code run_renew(struct ps_ctx *c, const struct ps_job *j, int64_t *again)
{
	return ps_app_renew_job(c, j->tenant_id, j->subject, again);
}

static const struct job_kind kinds[] = {
    {PS_JOB_CANCEL, 0, run_cancel},
    {PS_JOB_OPERATION, 0, run_operation},
    {PS_JOB_RENEW, 1, run_renew},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static const struct job_kind *kind_of(const char *name)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* This process's runs, by kind (the last row: a kind this version does not
 * know) and result. */
enum { RESULT_OK, RESULT_FAILED, RESULT__COUNT };
static _Atomic uint64_t runs[N_KINDS + 1][RESULT__COUNT];

static void count_run(const struct job_kind *k, int result)
{
	size_t i = k ? (size_t)(k - kinds) : N_KINDS;
	atomic_fetch_add_explicit(&runs[i][result], 1, memory_order_relaxed);
}

ps_code ps_jobs_schedule(struct ps_ctx *c, const char *kind, int64_t tenant, int64_t subject, int64_t due_at)
{
	const struct job_kind *k = kind_of(kind);
	if (!k)
		return ps_err_set(&c->err, PS_INTERNAL, "kind", "no job kind %s", kind);
	struct ps_job j;
	memset(&j, 0, sizeof j);
	snprintf(j.kind, sizeof j.kind, "%s", k->name);
	j.rank = k->rank;
	j.tenant_id = tenant;
	j.subject = subject;
	j.due_at = due_at;
	j.created_at = c->now;
	return c->st->ops->job_insert(c->st, &j, &c->err);
}

/* ---- one run ---- */

struct run {
	struct ps_job job;
	const struct job_kind *kind;
	bool none;    /* no job was due and free */
	bool claimed; /* a job was claimed (the failure, if any, is the run's) */
};

static ps_code run_tx(struct ps_ctx *c, void *arg)
{
	struct run *r = arg;
	r->none = r->claimed = false;
	r->kind = NULL;
	ps_code rc = c->st->ops->job_claim(c->st, c->now, &r->job, &c->err);
	if (rc == PS_NOT_FOUND) {
		ps_err_clear(&c->err);
		r->none = true;
		return PS_OK;
	}
	if (rc != PS_OK)
		return rc;
	r->claimed = true;
	snprintf(c->request_id, sizeof c->request_id, "job_%lld", (long long)r->job.id);
	if (!(r->kind = kind_of(r->job.kind)))
		return ps_err_set(&c->err, PS_INTERNAL, "kind", "this version of planshift has no job kind %s",
				  r->job.kind);
	int64_t again = 0;
	if ((rc = r->kind->run(c, &r->job, &again)) != PS_OK)
		return rc;
	if (again == 0)
		return c->st->ops->job_delete(c->st, &r->job, &c->err);
	r->job.due_at = again;
	r->job.attempts = 0;
	r->job.last_error[0] = '\0';
	return c->st->ops->job_update(c->st, &r->job, &c->err);
}

/* The delay before the attempt after `attempts` failed ones: 1 minute,
 * doubling, at most 6 hours. */
static int64_t backoff(int64_t attempts)
{
	int64_t d = 60;
	for (int64_t i = 1; i < attempts && d < 6 * 3600; i++)
		d *= 2;
	return d < 6 * 3600 ? d : 6 * 3600;
}

static ps_code failed_tx(struct ps_ctx *c, void *arg)
{
	struct ps_job *j = arg;
	ps_code rc = c->st->ops->job_update(c->st, j, &c->err);
	if (rc == PS_NOT_FOUND) { /* another daemon did it meanwhile */
		ps_err_clear(&c->err);
		rc = PS_OK;
	}
	return rc;
}

/* A run that failed because the store could not be written (busy past its
 * timeout, a lost race run out of attempts) is tried again at the next
 * pass, this many times, before it waits as any failure does. */
#define PS_JOBS_TRANSIENT_MAX 3

/* Keep a failed job for later, with why; PS_OK unless the store fails. */
static ps_code keep_failed(struct ps_ctx *c, struct run *r, bool transient)
{
	struct ps_job j = r->job;
	j.attempts++;
	if (!transient || j.attempts >= PS_JOBS_TRANSIENT_MAX)
		j.due_at = c->now + backoff(j.attempts);
	snprintf(j.last_error, sizeof j.last_error, "%s: %.200s", ps_code_api(c->err.code), c->err.msg);
	ps_log(PS_LOG_WARN, "job %lld (%s, subject %lld) failed, attempt %lld, again in %lld s: %s", (long long)j.id,
	       j.kind, (long long)j.subject, (long long)j.attempts, (long long)(j.due_at - c->now), c->err.msg);
	count_run(r->kind, RESULT_FAILED);
	ps_err_clear(&c->err);
	return ps_app_tx(c, failed_tx, &j);
}

/* A pass makes at most this many runs; the next pass goes on. */
#define PS_JOBS_PASS_MAX 100000
/* A run that conflicts (another path did the same work at the same time)
 * is run again at once this many times before it counts as failed. */
#define PS_JOBS_CONFLICTS_MAX 3
/* How long a pass that waits for the jobs other daemons hold waits. */
#define PS_JOBS_WAIT_MS 30000

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The first step of a pass (and again when runs may have made renewals
 * due): the renewals due become jobs, and the events older than the
 * retention are pruned (events.c), on the store's clock, in the same
 * transaction (no write of its own). Pruning goes by age only: an event a
 * webhook has not delivered yet is kept as long as any other, so the
 * retention must outlast the deliveries' retries (3 days against 30 by
 * default). */
static ps_code seed_tx(struct ps_ctx *c, void *arg)
{
	(void)arg;
	const struct job_kind *k = kind_of(PS_JOB_RENEW);
	ps_code rc = c->st->ops->job_seed_renewals(c->st, k->name, k->rank, c->now, &c->err);
	return rc == PS_OK ? ps_app_events_prune(c) : rc;
}

ps_code ps_jobs_run_due(struct ps_ctx *c, bool wait_held, int *ran)
{
	int n = 0, conflicts = 0, seeded_at = 0;
	long waited = 0;
	char request_id[sizeof c->request_id];
	memcpy(request_id, c->request_id, sizeof request_id);
	/* The work is the system's, whoever made the pass (setting the clock):
	 * its audit rows carry no token, and the job's id as the request. */
	struct ps_principal who = c->who;
	memset(&c->who, 0, sizeof c->who);
	ps_code rc = ps_app_tx(c, seed_tx, NULL);
	while (rc == PS_OK && n < PS_JOBS_PASS_MAX) {
		/* Cleared each time: a transaction that could not even begin
		 * never reaches run_tx, and must not look like a claimed run. */
		struct run r;
		memset(&r, 0, sizeof r);
		rc = ps_app_tx(c, run_tx, &r);
		memcpy(c->request_id, request_id, sizeof request_id);
		if (rc == PS_OK && !r.none) {
			n++;
			conflicts = 0;
			count_run(r.kind, RESULT_OK);
			continue;
		}
		if (rc == PS_OK && n > seeded_at) {
			/* Runs may have made renewals due (a cancellation that
			 * failed, a new subscription): look for them again. */
			seeded_at = n;
			rc = ps_app_tx(c, seed_tx, NULL);
			continue;
		}
		if (rc == PS_OK) { /* none due and free */
			int64_t held = 0;
			if (!wait_held || waited >= PS_JOBS_WAIT_MS)
				break;
			if ((rc = c->st->ops->job_count_due(c->st, c->now, &held, &c->err)) != PS_OK || held == 0)
				break;
			pause_ms(5);
			waited += 5;
			continue;
		}
		if (!r.claimed)
			break; /* the store failed before any job was claimed */
		if (rc == PS_CONFLICT && ++conflicts < PS_JOBS_CONFLICTS_MAX) {
			ps_err_clear(&c->err);
			rc = PS_OK;
			continue;
		}
		conflicts = 0;
		n++;
		bool transient = rc == PS_STORE || rc == PS_RETRY;
		struct ps_err why = c->err;
		rc = keep_failed(c, &r, transient);
		if (transient) {
			/* The store's trouble, not the job's: this pass ends
			 * with it (the job is due again for the next). */
			if (rc == PS_OK)
				rc = (c->err = why).code;
			break;
		}
	}
	c->who = who;
	if (ran)
		*ran = n;
	return rc;
}

/* ---- metrics ---- */

ps_code ps_jobs_metrics_write(struct ps_ctx *c, struct ps_buf *out)
{
	int64_t due = 0;
	ps_code rc = c->st->ops->job_count_due(c->st, c->now, &due, &c->err);
	if (rc != PS_OK)
		return rc;
	ps_buf_printf(out,
		      "# HELP planshift_jobs_due Background jobs due by now and not done yet (the backlog)\n"
		      "# TYPE planshift_jobs_due gauge\n"
		      "planshift_jobs_due %lld\n"
		      "# HELP planshift_jobs_run_total Background job runs of this process, by kind and result\n"
		      "# TYPE planshift_jobs_run_total counter\n",
		      (long long)due);
	static const char *const results[RESULT__COUNT] = {"ok", "failed"};
	for (size_t i = 0; i <= N_KINDS; i++)
		for (int k = 0; k < RESULT__COUNT; k++)
			ps_buf_printf(out, "planshift_jobs_run_total{kind=\"%s\",result=\"%s\"} %llu\n",
				      i < N_KINDS ? kinds[i].name : "unknown", results[k],
				      (unsigned long long)atomic_load_explicit(&runs[i][k], memory_order_relaxed));
	return PS_OK;
}

/* ---- the runner thread ---- */

struct ps_runner {
	struct ps_app *app;
	struct ps_store *st;
	struct ps_ctx c;
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *runner_main(void *arg)
{
	struct ps_runner *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		pthread_mutex_unlock(&r->mu);
		/* Under the manual clock, its time or no pass: never the
		 * system's in its place, which could be years ahead of it. */
		int64_t now = 0;
		struct ps_err err = {0};
		if (!r->app->clock_manual)
			now = ps_app_clock(r->app, r->st, false);
		else if (r->st->ops->clock_get(r->st, &now, &err) != PS_OK)
			ps_log(PS_LOG_WARN, "job runner: no pass: cannot read the manual clock: %s", err.msg);
		ps_ctx_reset(&r->c, now, "runner");
		int ran = 0;
		/* The catalog's current version, as a request takes it: a load on
		 * another daemon prices this runner's renewals from then on. */
		if (now > 0 && ps_app_catalog_use(&r->c) != PS_OK)
			ps_log(PS_LOG_WARN, "job runner: no pass: %s", r->c.err.msg);
		else if (now > 0 && ps_jobs_run_due(&r->c, false, &ran) != PS_OK)
			ps_log(PS_LOG_WARN, "job runner: %s", r->c.err.msg);
		/* Then the webhook deliveries due (deliver.c), outside any job's
		 * transaction. */
		if (now > 0 && ps_deliver_pass(&r->c, NULL) != PS_OK)
			ps_log(PS_LOG_WARN, "webhook deliveries: %s", r->c.err.msg);
		pthread_mutex_lock(&r->mu);
		if (r->stop)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += r->interval_ms / 1000;
		until.tv_nsec += (long)(r->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &until);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

ps_code ps_runner_start(struct ps_app *app, unsigned interval_ms, struct ps_runner **out, struct ps_err *err)
{
	struct ps_runner *r = ps_calloc(1, sizeof *r);
	ps_code rc = ps_store_open(app->db_url, &r->st, err);
	if (rc == PS_OK)
		rc = r->st->ops->check_schema(r->st, err);
	if (rc != PS_OK) {
		ps_store_close(r->st);
		ps_free(r);
		return rc;
	}
	r->app = app;
	r->interval_ms = interval_ms ? interval_ms : 1;
	ps_ctx_init(&r->c, app, r->st);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->thread, NULL, runner_main, r) != 0) {
		ps_ctx_fini(&r->c);
		ps_store_close(r->st);
		ps_free(r);
		return ps_err_set(err, PS_INTERNAL, NULL, "cannot start the job runner's thread");
	}
	*out = r;
	return PS_OK;
}

void ps_runner_stop(struct ps_runner *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	ps_ctx_fini(&r->c);
	ps_store_close(r->st);
	ps_free(r);
}
