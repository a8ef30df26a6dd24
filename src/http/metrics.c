#include "http/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define METRICS_STATUS_MIN 100
#define METRICS_STATUS_N 500

static const double metrics_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define METRICS_NBUCKETS (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

struct metrics_series {
	_Atomic uint64_t status[METRICS_STATUS_N];
	_Atomic uint64_t bucket[METRICS_NBUCKETS];     /* not cumulative; summed at render */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_ns;
};

struct metrics {
	const struct route *routes;
	size_t nroutes;
	struct metrics_series *series;  /* nroutes + 1: the last is "unmatched" */
	_Atomic long open_connections;
	_Atomic uint64_t rate_limited;
	time_t started;
};

struct metrics *
metrics_new(const struct route *routes, size_t nroutes)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if ((m->series = calloc(nroutes + 1, sizeof(*m->series))) == NULL) {
		free(m);
		return NULL;
	}
	m->routes = routes;
	m->nroutes = nroutes;
	m->started = time(NULL);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->series);
	free(m);
}

void
metrics_record(struct metrics *m, int route, int status, uint64_t duration_ns)
{
	struct metrics_series *s;
	double secs = (double)duration_ns / 1e9;

	if (route < 0 || (size_t)route >= m->nroutes)
		route = (int)m->nroutes;
	s = &m->series[route];
	if (status >= METRICS_STATUS_MIN && status < METRICS_STATUS_MIN + METRICS_STATUS_N)
		atomic_fetch_add_explicit(&s->status[status - METRICS_STATUS_MIN], 1,
		    memory_order_relaxed);
	for (size_t i = 0; i < METRICS_NBUCKETS; i++) {
		if (secs <= metrics_buckets[i]) {
			atomic_fetch_add_explicit(&s->bucket[i], 1, memory_order_relaxed);
			break;
		}
	}
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns, duration_ns, memory_order_relaxed);
}

void
metrics_connection(struct metrics *m, int delta)
{
	atomic_fetch_add(&m->open_connections, delta);
}

void
metrics_rate_limited(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->rate_limited, 1, memory_order_relaxed);
}

long
metrics_open_connections(const struct metrics *m)
{
	return atomic_load(&m->open_connections);
}

static long
metrics_rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

char *
metrics_render(const struct metrics *m, long in_flight, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (f == NULL)
		return NULL;
	fprintf(f, "# HELP coffre_http_requests_total HTTP requests by route, method and status.\n"
	    "# TYPE coffre_http_requests_total counter\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const char *route = r < m->nroutes ? m->routes[r].pattern : "unmatched";
		const char *method = r < m->nroutes ? http_method_name(m->routes[r].method) : "any";
		for (int st = 0; st < METRICS_STATUS_N; st++) {
			uint64_t v = atomic_load_explicit(&m->series[r].status[st],
			    memory_order_relaxed);
			if (v != 0)
				fprintf(f, "coffre_http_requests_total{route=\"%s\",method=\"%s\","
				    "status=\"%d\"} %llu\n", route, method, st + METRICS_STATUS_MIN,
				    (unsigned long long)v);
		}
	}
	fprintf(f, "# HELP coffre_http_request_duration_seconds Time from request headers to "
	    "response queued.\n# TYPE coffre_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const struct metrics_series *s = &m->series[r];
		const char *route = r < m->nroutes ? m->routes[r].pattern : "unmatched";
		const char *method = r < m->nroutes ? http_method_name(m->routes[r].method) : "any";
		uint64_t count = atomic_load_explicit(&s->count, memory_order_relaxed), cum = 0;

		if (count == 0)
			continue;
		for (size_t i = 0; i < METRICS_NBUCKETS; i++) {
			cum += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
			fprintf(f, "coffre_http_request_duration_seconds_bucket{route=\"%s\","
			    "method=\"%s\",le=\"%g\"} %llu\n", route, method, metrics_buckets[i],
			    (unsigned long long)cum);
		}
		fprintf(f, "coffre_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
		    "le=\"+Inf\"} %llu\n", route, method, (unsigned long long)count);
		fprintf(f, "coffre_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} "
		    "%.9f\n", route, method,
		    (double)atomic_load_explicit(&s->sum_ns, memory_order_relaxed) / 1e9);
		fprintf(f, "coffre_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} "
		    "%llu\n", route, method, (unsigned long long)count);
	}
	fprintf(f, "# HELP coffre_http_open_connections Client connections open now.\n"
	    "# TYPE coffre_http_open_connections gauge\ncoffre_http_open_connections %ld\n",
	    atomic_load(&m->open_connections));
	fprintf(f, "# HELP coffre_http_requests_in_flight Requests being handled now.\n"
	    "# TYPE coffre_http_requests_in_flight gauge\ncoffre_http_requests_in_flight %ld\n",
	    in_flight);
	fprintf(f, "# HELP coffre_http_rate_limited_total Requests refused with 429.\n"
	    "# TYPE coffre_http_rate_limited_total counter\ncoffre_http_rate_limited_total %llu\n",
	    (unsigned long long)atomic_load(&m->rate_limited));
	fprintf(f, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	    "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
	    metrics_rss_bytes());
	fprintf(f, "# HELP process_start_time_seconds Start time of the process since the epoch.\n"
	    "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %lld\n",
	    (long long)m->started);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
