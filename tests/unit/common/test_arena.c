#include "../test.h"

#include "common/arena.h"

static void
test_arena_respects_cap(void **state)
{
	struct arena *a = arena_new(1024);

	(void)state;
	assert_non_null(a);
	assert_non_null(arena_alloc(a, 1000));
	/* 1000 rounds to 1008; 16 more fit exactly, 17 do not. */
	assert_null(arena_alloc(a, 17));
	assert_non_null(arena_alloc(a, 16));
	assert_null(arena_alloc(a, 1));
	assert_int_equal(arena_used(a), 1024);
	arena_free(a);
}

static void
test_arena_alignment_and_zeroing(void **state)
{
	struct arena *a = arena_new(1 << 20);

	(void)state;
	for (int i = 1; i < 200; i++) {
		unsigned char *p = arena_alloc(a, (size_t)i);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (int k = 0; k < i; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xAA, (size_t)i);
	}
	arena_free(a);
}

static void
test_arena_large_blocks_and_strings(void **state)
{
	struct arena *a = arena_new(1 << 20);
	char *s, *big, *small;

	(void)state;
	small = arena_strdup(a, "hello");
	big = arena_alloc(a, 100000);       /* larger than a chunk */
	assert_non_null(big);
	s = arena_printf(a, "%s-%d", small, 42);
	assert_string_equal(s, "hello-42");
	assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
	assert_null(arena_alloc(a, SIZE_MAX));
	arena_free(a);
	arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_respects_cap),
		cmocka_unit_test(test_arena_alignment_and_zeroing),
		cmocka_unit_test(test_arena_large_blocks_and_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
