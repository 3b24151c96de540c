/* ps_replica.h: which reads a hot standby may serve (serve --db-read; app
 * layer, used by the transport around each request). A client never reads
 * an older state than a change this daemon answered: a tenant's reads go to
 * the standby once its replayed WAL position (wal_position on the standby's
 * handle) has reached the position noted after that tenant's last change
 * here. Across daemons see doc/POSTGRES.md, "Reads from standbys". */
#ifndef PS_REPLICA_H
#define PS_REPLICA_H

#include <stdint.h>

/* A change of tenant (0: provider-wide, every tenant's) answered, the
 * primary's WAL at lsn after it. */
void ps_replica_written(int64_t tenant, int64_t lsn);
/* How far a standby must have replayed to serve tenant's reads (0: any
 * tenant, e.g. the sweep over all of them). */
int64_t ps_replica_need(int64_t tenant);

#endif
