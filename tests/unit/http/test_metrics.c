#include "../test.h"

#include "http/metrics.h"

static int
h(struct request *req, struct response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const struct route routes[] = {
	{ HTTP_GET, "/healthz", h, 0, NULL },
	{ HTTP_POST, "/api/v1/documents", h, 0, NULL },
};

static void
test_counters_and_histogram(void **state)
{
	struct metrics *m = metrics_new(routes, 2);
	size_t len;
	char *text;

	(void)state;
	metrics_record(m, 0, 200, 300000);          /* 0.3 ms */
	metrics_record(m, 0, 200, 3000000);         /* 3 ms */
	metrics_record(m, 1, 422, 20000000000ULL);  /* 20 s: only +Inf */
	metrics_record(m, -1, 404, 1000);
	metrics_connection(m, 1);
	metrics_connection(m, 1);
	metrics_connection(m, -1);
	metrics_rate_limited(m);
	text = metrics_render(m, 3, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text,
	    "coffre_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2\n"));
	assert_non_null(strstr(text, "{route=\"/api/v1/documents\",method=\"POST\","
	    "status=\"422\"} 1\n"));
	assert_non_null(strstr(text, "{route=\"unmatched\",method=\"any\",status=\"404\"} 1\n"));
	/* Buckets are cumulative. */
	assert_non_null(strstr(text, "_bucket{route=\"/healthz\",method=\"GET\",le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(text, "_bucket{route=\"/healthz\",method=\"GET\",le=\"0.005\"} 2\n"));
	assert_non_null(strstr(text, "_bucket{route=\"/api/v1/documents\",method=\"POST\","
	    "le=\"10\"} 0\n"));
	assert_non_null(strstr(text, "_bucket{route=\"/api/v1/documents\",method=\"POST\","
	    "le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(text, "coffre_http_open_connections 1\n"));
	assert_non_null(strstr(text, "coffre_http_requests_in_flight 3\n"));
	assert_non_null(strstr(text, "coffre_http_rate_limited_total 1\n"));
	assert_non_null(strstr(text, "process_resident_memory_bytes "));
	free(text);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_and_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
