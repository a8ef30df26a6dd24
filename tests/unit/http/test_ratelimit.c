#include "../test.h"

#include "http/ratelimit.h"

#define SEC 1000000000ULL

static void
addr_of(unsigned char a[RATELIMIT_ADDR_BYTES], unsigned n)
{
	memset(a, 0, RATELIMIT_ADDR_BYTES);
	a[10] = a[11] = 0xff;
	a[12] = 10;
	a[13] = (unsigned char)(n >> 16);
	a[14] = (unsigned char)(n >> 8);
	a[15] = (unsigned char)n;
}

static void
test_burst_then_refuse_then_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 5, 64);
	unsigned char a[RATELIMIT_ADDR_BYTES];
	unsigned retry = 0;
	uint64_t t = 100 * SEC;

	(void)state;
	addr_of(a, 1);
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_take(rl, a, t, &retry));
	assert_false(ratelimit_take(rl, a, t, &retry));
	assert_int_equal(retry, 1);
	/* Half a second at 2/s gives one token back, not two. */
	assert_true(ratelimit_take(rl, a, t + SEC / 2, &retry));
	assert_false(ratelimit_take(rl, a, t + SEC / 2, &retry));
	/* A long pause refills to the burst, no more. */
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_take(rl, a, t + 100 * SEC, &retry));
	assert_false(ratelimit_take(rl, a, t + 100 * SEC, &retry));
	ratelimit_free(rl);
}

static void
test_addresses_are_independent(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 4096);
	unsigned char a[RATELIMIT_ADDR_BYTES], b[RATELIMIT_ADDR_BYTES];
	unsigned retry;

	(void)state;
	addr_of(a, 1);
	addr_of(b, 2);
	assert_true(ratelimit_take(rl, a, SEC, &retry));
	assert_false(ratelimit_take(rl, a, SEC, &retry));
	assert_true(ratelimit_take(rl, b, SEC, &retry));
	ratelimit_free(rl);
}

static void
test_table_is_bounded(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 64);
	unsigned char a[RATELIMIT_ADDR_BYTES];
	unsigned retry;

	(void)state;
	/* Many more addresses than slots: the table forgets the oldest and keeps working. */
	for (unsigned i = 0; i < 100000; i++) {
		addr_of(a, i);
		assert_true(ratelimit_take(rl, a, SEC + i, &retry));
	}
	addr_of(a, 99999);
	assert_false(ratelimit_take(rl, a, SEC + 100000, &retry));
	ratelimit_free(rl);
	assert_null(ratelimit_new(0, 1, 64));
	assert_null(ratelimit_new(1, 0, 64));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refuse_then_refill),
		cmocka_unit_test(test_addresses_are_independent),
		cmocka_unit_test(test_table_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
