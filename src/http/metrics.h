/* metrics.h: request counters and latency histograms, rendered as Prometheus text. */
#ifndef COFFRE_METRICS_H
#define COFFRE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http/router.h"

struct metrics;

/* One series per route of the table plus one for requests that matched none. */
struct metrics *metrics_new(const struct route *routes, size_t nroutes);
void metrics_free(struct metrics *m);
/* route is an index in the table or -1; status 100..599. Lock-free. */
void metrics_record(struct metrics *m, int route, int status, uint64_t duration_ns);
void metrics_connection(struct metrics *m, int delta);
void metrics_rate_limited(struct metrics *m);
long metrics_open_connections(const struct metrics *m);
/* Returns the exposition text (malloc'd) or NULL; in_flight is reported as a gauge. */
char *metrics_render(const struct metrics *m, long in_flight, size_t *len);

#endif
