#include "../test.h"

#include "common/jsonx.h"

static void
test_depth_counts_nesting(void **state)
{
	(void)state;
	assert_int_equal(jsonx_depth("{}", 2, 10), 1);
	assert_int_equal(jsonx_depth("[[[]]]", 6, 10), 3);
	assert_int_equal(jsonx_depth("[[[]]]", 6, 2), -1);
	assert_int_equal(jsonx_depth("1", 1, 1), 0);
}

static void
test_depth_ignores_brackets_in_strings(void **state)
{
	const char *s = "{\"a\":\"[[[[{{{{\\\"[[[\"}";

	(void)state;
	assert_int_equal(jsonx_depth(s, strlen(s), 1), 1);
}

static void
test_parse_refuses_deep_documents(void **state)
{
	char buf[400], why[200];

	(void)state;
	memset(buf, '[', 200);
	memset(buf + 200, ']', 200);
	assert_null(jsonx_parse(buf, sizeof(buf), 32, why, sizeof(why)));
	assert_non_null(strstr(why, "deeper than 32"));
	json_t *v = jsonx_parse(buf + 170, 60, 32, why, sizeof(why));
	assert_non_null(v);
	json_decref(v);
}

static void
test_parse_refuses_duplicates_and_garbage(void **state)
{
	char why[200];
	const char *dup = "{\"a\":1,\"a\":2}";
	const char *bad = "{\"password\": hunter2-SECRET}";

	(void)state;
	assert_null(jsonx_parse(dup, strlen(dup), 32, why, sizeof(why)));
	assert_non_null(strstr(why, "duplicate"));
	assert_null(jsonx_parse(bad, strlen(bad), 32, why, sizeof(why)));
	/* The reason never quotes the input: it may be a password. */
	assert_null(strstr(why, "hunter2"));
	assert_null(strstr(why, "SECRET"));
	assert_non_null(strstr(why, "line 1"));
	assert_null(jsonx_parse("\"a\\u0000b\"", 10, 32, why, sizeof(why)));
	assert_null(jsonx_parse("{\"a\":\"\xff\"}", 9, 32, why, sizeof(why)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth_counts_nesting),
		cmocka_unit_test(test_depth_ignores_brackets_in_strings),
		cmocka_unit_test(test_parse_refuses_deep_documents),
		cmocka_unit_test(test_parse_refuses_duplicates_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
