/* replica.c: reads from a hot standby (serve --db-read) that are never
 * older than a write this daemon made (app layer). After each change it
 * answers, the daemon notes the primary's WAL position for the tenant (a
 * provider-wide change: for every tenant); a read of that tenant goes to
 * the standby only once the standby has replayed that far (ps_replica.h). */
#include "ps_replica.h"

#include <pthread.h>

#define SLOTS 4096 /* tenants remembered; one evicted raises the floor of every other */

static struct {
	int64_t tenant, lsn;
} slots[SLOTS];
static int64_t floor_lsn; /* provider-wide changes, and tenants evicted from their slot */
static int64_t top_lsn;   /* every change noted */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

void ps_replica_written(int64_t tenant, int64_t lsn)
{
	pthread_mutex_lock(&lock);
	top_lsn = max64(top_lsn, lsn);
	if (tenant <= 0) {
		floor_lsn = max64(floor_lsn, lsn);
	} else {
		size_t i = (size_t)((uint64_t)tenant % SLOTS);
		if (slots[i].tenant != tenant && slots[i].tenant != 0)
			floor_lsn = max64(floor_lsn, slots[i].lsn);
		if (slots[i].tenant != tenant)
			slots[i].lsn = 0;
		slots[i].tenant = tenant;
		slots[i].lsn = max64(slots[i].lsn, lsn);
	}
	pthread_mutex_unlock(&lock);
}

int64_t ps_replica_need(int64_t tenant)
{
	pthread_mutex_lock(&lock);
	int64_t need = top_lsn;
	if (tenant > 0) {
		size_t i = (size_t)((uint64_t)tenant % SLOTS);
		need = max64(floor_lsn, slots[i].tenant == tenant ? slots[i].lsn : 0);
	}
	pthread_mutex_unlock(&lock);
	return need;
}
