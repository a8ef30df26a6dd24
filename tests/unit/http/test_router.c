#include "../test.h"

#include "common/arena.h"
#include "http/router.h"

static int
h(struct request *req, struct response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const struct route routes[] = {
	{ HTTP_GET, "/healthz", h, 0, NULL },
	{ HTTP_GET, "/api/v1/documents", h, 0, NULL },
	{ HTTP_POST, "/api/v1/documents", h, ROUTE_JSON_BODY, NULL },
	{ HTTP_GET, "/api/v1/documents/{id}", h, 0, NULL },
	{ HTTP_DELETE, "/api/v1/documents/{id}", h, 0, NULL },
	{ HTTP_GET, "/api/v1/documents/{id}/versions/{n}", h, 0, NULL },
};
#define N (sizeof(routes) / sizeof(routes[0]))

static int
match(struct arena *a, enum http_method m, const char *path, int *idx, const char **params,
    int *np, unsigned *allow)
{
	return router_match(routes, N, m, path, a, idx, params, np, allow);
}

static void
test_match_and_params(void **state)
{
	struct arena *a = arena_new(65536);
	const char *params[REQUEST_MAX_PARAMS];
	int idx, np;
	unsigned allow;

	(void)state;
	assert_int_equal(match(a, HTTP_GET, "/healthz", &idx, params, &np, &allow), ROUTER_MATCH);
	assert_int_equal(idx, 0);
	assert_int_equal(match(a, HTTP_POST, "/api/v1/documents", &idx, params, &np, &allow), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(match(a, HTTP_GET, "/api/v1/documents/d42/versions/7", &idx, params, &np,
	    &allow), 0);
	assert_int_equal(idx, 5);
	assert_int_equal(np, 2);
	assert_string_equal(params[0], "d42");
	assert_string_equal(params[1], "7");
	/* HEAD is answered by the GET route. */
	assert_int_equal(match(a, HTTP_HEAD, "/healthz", &idx, params, &np, &allow), 0);
	assert_int_equal(idx, 0);
	arena_free(a);
}

static void
test_not_found_and_bad_method(void **state)
{
	struct arena *a = arena_new(65536);
	const char *params[REQUEST_MAX_PARAMS];
	int idx, np;
	unsigned allow;

	(void)state;
	assert_int_equal(match(a, HTTP_GET, "/api/v1/nothing", &idx, params, &np, &allow),
	    ROUTER_NOT_FOUND);
	assert_int_equal(match(a, HTTP_GET, "/api/v1/documents/", &idx, params, &np, &allow),
	    ROUTER_BAD_PATH);
	assert_int_equal(match(a, HTTP_GET, "/", &idx, params, &np, &allow), ROUTER_NOT_FOUND);
	assert_int_equal(match(a, HTTP_PUT, "/api/v1/documents/x", &idx, params, &np, &allow),
	    ROUTER_BAD_METHOD);
	assert_int_equal(allow, HTTP_GET | HTTP_HEAD | HTTP_DELETE);
	assert_string_equal(router_allow_header(a, allow), "GET, HEAD, DELETE");
	/* ASVS 13.4.4: TRACE (and any unknown method) is refused. */
	assert_int_equal(match(a, HTTP_OTHER, "/healthz", &idx, params, &np, &allow),
	    ROUTER_BAD_METHOD);
	arena_free(a);
}

static void
test_path_tricks_are_refused(void **state)
{
	struct arena *a = arena_new(65536);
	const char *params[REQUEST_MAX_PARAMS];
	char longseg[300], deep[200];
	int idx, np;
	unsigned allow;
	const char *bad[] = {
		"", "healthz", "//healthz", "/api/v1/documents/..", "/api/v1/documents/.",
		"/api/v1//documents", "/api/v1/documents/a\x01", "/api/v1/documents/a\x7f",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(match(a, HTTP_GET, bad[i], &idx, params, &np, &allow),
		    ROUTER_BAD_PATH);
	memset(longseg, 'a', sizeof(longseg));
	memcpy(longseg, "/api/v1/documents/", 18);
	longseg[sizeof(longseg) - 1] = '\0';
	assert_int_equal(match(a, HTTP_GET, longseg, &idx, params, &np, &allow), ROUTER_BAD_PATH);
	for (size_t i = 0; i < sizeof(deep) - 1; i += 2) {
		deep[i] = '/';
		deep[i + 1] = 'x';
	}
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(match(a, HTTP_GET, deep, &idx, params, &np, &allow), ROUTER_BAD_PATH);
	arena_free(a);
}

static void
test_table_check(void **state)
{
	const struct route dup[] = {
		{ HTTP_GET, "/a", h, 0, NULL },
		{ HTTP_GET, "/a", h, 0, NULL },
	};
	const struct route nofn[] = { { HTTP_GET, "/a", NULL, 0, NULL } };
	const struct route badpat[] = { { HTTP_GET, "/a//b", h, 0, NULL } };

	(void)state;
	assert_int_equal(router_check_table(routes, N), 0);
	assert_int_not_equal(router_check_table(dup, 2), 0);
	assert_int_not_equal(router_check_table(nofn, 1), 0);
	assert_int_not_equal(router_check_table(badpat, 1), 0);
	assert_string_equal(http_method_name(http_method_parse("PATCH")), "PATCH");
	assert_int_equal(http_method_parse("TRACE"), HTTP_OTHER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_params),
		cmocka_unit_test(test_not_found_and_bad_method),
		cmocka_unit_test(test_path_tricks_are_refused),
		cmocka_unit_test(test_table_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
