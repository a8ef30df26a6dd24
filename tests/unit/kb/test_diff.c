#include "../test.h"

#include <time.h>

/* The fuzz target's checks: fuzz_diff_check (the diff applied to a gives b, hunks shaped as
 * diff -u), fuzz_diff_min_changes (O(NM) LCS); it includes kb/diff.c for diff_lines_tuned. */
#include "../../fuzz/fuzz_diff.c"

static uint64_t test_rng = 0x9e3779b97f4a7c15u;

static uint32_t
test_random(uint32_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return (uint32_t)(test_rng % n);
}

/* A growing text; aborts the test on allocation failure. */
struct test_buf {
	char *s;
	size_t len, cap;
};

static void
test_put(struct test_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* n lines "line <i>\n" (1-based), "changed <i>\n" for the lines listed. */
static char *
test_text(int n, const int *changed, size_t nchanged)
{
	struct test_buf b = { NULL, 0, 0 };
	char line[64];

	test_put(&b, "");
	for (int i = 1; i <= n; i++) {
		int c = 0;

		for (size_t k = 0; k < nchanged; k++)
			c |= changed[k] == i;
		snprintf(line, sizeof(line), "%s %d\n", c ? "changed" : "line", i);
		test_put(&b, line);
	}
	return b.s;
}

/* The diff of a and b, checked by the fuzz target's rules. */
static json_t *
test_diff(const char *a, const char *b)
{
	int err = 1;
	json_t *d = diff_lines(a, b, &err);

	assert_non_null(d);
	assert_int_equal(err, 0);
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), 0);
	return d;
}

static json_int_t
test_num(json_t *d, const char *key)
{
	json_t *v = json_object_get(d, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static json_t *
test_hunk(json_t *d, size_t i)
{
	json_t *h = json_array_get(json_object_get(d, "hunks"), i);

	assert_non_null(h);
	return h;
}

static void
test_hunk_is(json_t *d, size_t i, int os, int ol, int ns, int nl)
{
	json_t *h = test_hunk(d, i);

	assert_int_equal(test_num(h, "old_start"), os);
	assert_int_equal(test_num(h, "old_lines"), ol);
	assert_int_equal(test_num(h, "new_start"), ns);
	assert_int_equal(test_num(h, "new_lines"), nl);
}

static void
test_line_is(json_t *d, size_t hunk, size_t i, const char *op, const char *text)
{
	json_t *l = json_array_get(json_object_get(test_hunk(d, hunk), "lines"), i);

	assert_non_null(l);
	assert_string_equal(json_string_value(json_object_get(l, "op")), op);
	assert_string_equal(json_string_value(json_object_get(l, "text")), text);
}

static size_t
test_nhunks(json_t *d)
{
	return json_array_size(json_object_get(d, "hunks"));
}

static size_t
test_nlines(json_t *d, size_t hunk)
{
	return json_array_size(json_object_get(test_hunk(d, hunk), "lines"));
}

static void
test_counts_are(json_t *d, int added, int removed, int unchanged)
{
	assert_int_equal(test_num(d, "added"), added);
	assert_int_equal(test_num(d, "removed"), removed);
	assert_int_equal(test_num(d, "unchanged"), unchanged);
}

static void
test_identical_texts_have_no_hunks(void **state)
{
	char *a = test_text(100, NULL, 0);
	json_t *d;

	(void)state;
	d = test_diff(a, a);
	assert_int_equal(test_nhunks(d), 0);
	test_counts_are(d, 0, 0, 100);
	json_decref(d);
	d = test_diff("", "");
	assert_int_equal(test_nhunks(d), 0);
	test_counts_are(d, 0, 0, 0);
	json_decref(d);
	free(a);
}

static void
test_empty_against_text(void **state)
{
	json_t *d;

	(void)state;
	d = test_diff("", "a\nb\nc\n");
	assert_int_equal(test_nhunks(d), 1);
	test_hunk_is(d, 0, 0, 0, 1, 3);         /* -0,0 +1,3 as diff -u */
	test_line_is(d, 0, 0, "+", "a");
	test_line_is(d, 0, 2, "+", "c");
	assert_int_equal(test_nlines(d, 0), 3);
	test_counts_are(d, 3, 0, 0);
	json_decref(d);
}

static void
test_text_against_empty(void **state)
{
	json_t *d;

	(void)state;
	d = test_diff("a\nb\nc\n", "");
	assert_int_equal(test_nhunks(d), 1);
	test_hunk_is(d, 0, 1, 3, 0, 0);
	test_line_is(d, 0, 0, "-", "a");
	test_line_is(d, 0, 2, "-", "c");
	test_counts_are(d, 0, 3, 0);
	json_decref(d);
}

static void
test_one_line_changed_in_the_middle_of_100(void **state)
{
	const int at[] = { 50 };
	char *a = test_text(100, NULL, 0), *b = test_text(100, at, 1);
	json_t *d;

	(void)state;
	d = test_diff(a, b);
	assert_int_equal(test_nhunks(d), 1);
	test_hunk_is(d, 0, 47, 7, 47, 7);
	assert_int_equal(test_nlines(d, 0), 8);
	test_line_is(d, 0, 0, " ", "line 47");
	test_line_is(d, 0, 2, " ", "line 49");
	test_line_is(d, 0, 3, "-", "line 50");
	test_line_is(d, 0, 4, "+", "changed 50");
	test_line_is(d, 0, 5, " ", "line 51");
	test_line_is(d, 0, 7, " ", "line 53");
	test_counts_are(d, 1, 1, 99);
	json_decref(d);
	free(a);
	free(b);
}

static void
test_two_distant_changes_make_two_hunks(void **state)
{
	const int at[] = { 10, 60 };
	char *a = test_text(100, NULL, 0), *b = test_text(100, at, 2);
	json_t *d;

	(void)state;
	d = test_diff(a, b);
	assert_int_equal(test_nhunks(d), 2);
	test_hunk_is(d, 0, 7, 7, 7, 7);
	test_hunk_is(d, 1, 57, 7, 57, 7);
	test_line_is(d, 1, 3, "-", "line 60");
	test_counts_are(d, 2, 2, 98);
	json_decref(d);
	free(a);
	free(b);
}

static void
test_two_close_changes_share_a_hunk(void **state)
{
	const int six[] = { 10, 17 }, seven[] = { 10, 18 };
	char *a = test_text(100, NULL, 0), *b = test_text(100, six, 2);
	char *c = test_text(100, seven, 2);
	json_t *d;

	(void)state;
	/* 6 unchanged lines between: the two contexts touch, one hunk (diff -u). */
	d = test_diff(a, b);
	assert_int_equal(test_nhunks(d), 1);
	test_hunk_is(d, 0, 7, 14, 7, 14);
	test_line_is(d, 0, 3, "-", "line 10");
	test_line_is(d, 0, 4, "+", "changed 10");
	test_line_is(d, 0, 5, " ", "line 11");
	test_line_is(d, 0, 10, " ", "line 16");
	test_line_is(d, 0, 11, "-", "line 17");
	json_decref(d);
	/* 7 between: two hunks. */
	d = test_diff(a, c);
	assert_int_equal(test_nhunks(d), 2);
	test_hunk_is(d, 0, 7, 7, 7, 7);
	test_hunk_is(d, 1, 15, 7, 15, 7);
	json_decref(d);
	free(a);
	free(b);
	free(c);
}

static void
test_insert_at_start(void **state)
{
	char *a = test_text(10, NULL, 0);
	struct test_buf b = { NULL, 0, 0 };
	json_t *d;

	(void)state;
	test_put(&b, "new\n");
	test_put(&b, a);
	d = test_diff(a, b.s);
	assert_int_equal(test_nhunks(d), 1);
	test_hunk_is(d, 0, 1, 3, 1, 4);
	test_line_is(d, 0, 0, "+", "new");
	test_line_is(d, 0, 1, " ", "line 1");
	test_line_is(d, 0, 3, " ", "line 3");
	test_counts_are(d, 1, 0, 10);
	json_decref(d);
	free(a);
	free(b.s);
}

static void
test_delete_at_end(void **state)
{
	char *a = test_text(10, NULL, 0), *b = test_text(9, NULL, 0);
	json_t *d;

	(void)state;
	d = test_diff(a, b);
	assert_int_equal(test_nhunks(d), 1);
	test_hunk_is(d, 0, 7, 4, 7, 3);
	test_line_is(d, 0, 0, " ", "line 7");
	test_line_is(d, 0, 3, "-", "line 10");
	assert_int_equal(test_nlines(d, 0), 4);
	test_counts_are(d, 0, 1, 9);
	json_decref(d);
	free(a);
	free(b);
}

static void
test_missing_final_newline_reads_as_one(void **state)
{
	json_t *d;

	(void)state;
	d = test_diff("a\nb", "a\nb\n");
	assert_int_equal(test_nhunks(d), 0);
	test_counts_are(d, 0, 0, 2);
	json_decref(d);
	d = test_diff("a\nb", "a\nc");
	test_hunk_is(d, 0, 1, 2, 1, 2);
	test_line_is(d, 0, 1, "-", "b");
	test_line_is(d, 0, 2, "+", "c");
	json_decref(d);
	/* An empty line is a line; an empty text has none. */
	d = test_diff("", "\n");
	test_hunk_is(d, 0, 0, 0, 1, 1);
	test_line_is(d, 0, 0, "+", "");
	json_decref(d);
}

static void
test_crlf_ends_a_line_like_lf(void **state)
{
	json_t *d;

	(void)state;
	d = test_diff("a\r\nb\r\n", "a\nb");
	assert_int_equal(test_nhunks(d), 0);
	test_counts_are(d, 0, 0, 2);
	json_decref(d);
	d = test_diff("a\r\nb\r\n", "a\nc\n");
	test_line_is(d, 0, 0, " ", "a");
	test_line_is(d, 0, 1, "-", "b");        /* no "\r" in the text */
	json_decref(d);
	/* A lone CR is text, also at the end (where a newline is assumed). */
	d = test_diff("a\rb\n", "a\nb\n");
	test_counts_are(d, 2, 1, 0);
	test_line_is(d, 0, 0, "-", "a\rb");
	json_decref(d);
	d = test_diff("a\r", "a\n");
	assert_int_equal(test_nhunks(d), 0);
	json_decref(d);
}

static void
test_utf8_text_is_kept(void **state)
{
	json_t *d;

	(void)state;
	d = test_diff("caf\xc3\xa9\n", "th\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
	test_line_is(d, 0, 0, "-", "caf\xc3\xa9");
	test_line_is(d, 0, 1, "+", "th\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_decref(d);
}

/* A random text over a small vocabulary, so that the two sides share lines. */
static void
test_random_text(struct test_buf *b, int lines)
{
	static const char *const words[] = { "alpha", "beta", "gamma", "delta", "", "# title" };

	test_put(b, "");
	for (int i = 0; i < lines; i++) {
		test_put(b, words[test_random(6)]);
		test_put(b, test_random(8) == 0 ? "\r\n" : "\n");
	}
	if (b->len > 0 && test_random(4) == 0)
		b->s[--b->len] = '\0';          /* no final newline */
}

/* b from a: a few lines replaced, dropped or added, or an unrelated text. */
static void
test_random_pair(struct test_buf *a, struct test_buf *b)
{
	a->len = b->len = 0;
	test_random_text(a, (int)test_random(40));
	if (test_random(3) == 0) {
		test_random_text(b, (int)test_random(40));
		return;
	}
	test_put(b, "");
	for (const char *p = a->s; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
		char line[64];
		uint32_t r = test_random(10);

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (r == 0)
			test_put(b, "beta\n");
		else if (r == 1)
			test_put(b, "gamma\nnew\n");
		else if (r != 2)
			test_put(b, line);
		p += len;
	}
}

static void
test_random_pairs_apply_and_are_minimal(void **state)
{
	const struct diff_tuning t = { DIFF_WORK_MAX, DIFF_COST_MIN };
	struct test_buf a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	size_t hunks = 0, changed;

	(void)state;
	for (int n = 0; n < 200; n++) {
		json_t *d;
		int exact, err;

		test_random_pair(&a, &b);
		d = diff_lines_tuned(a.s, b.s, &t, &exact, &err);
		assert_non_null(d);
		assert_int_equal(fuzz_diff_check(a.s, b.s, d, &changed), 0);
		/* Small inputs never reach a fallback: Myers is exact, so minimal. */
		assert_int_equal(exact, 1);
		assert_int_equal(changed, fuzz_diff_min_changes(a.s, b.s));
		hunks += test_nhunks(d);
		json_decref(d);
	}
	assert_true(hunks > 200);
	free(a.s);
	free(b.s);
}

static void
test_fallbacks_stay_correct(void **state)
{
	struct test_buf a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	int inexact = 0;

	(void)state;
	for (int n = 0; n < 200; n++) {
		/* The heuristic cut at every split, then a work budget spent midway. */
		const struct diff_tuning t[] = { { INT64_MAX, 1 }, { (int64_t)test_random(40), 1 } };

		test_random_pair(&a, &b);
		for (size_t k = 0; k < 2; k++) {
			size_t changed;
			int exact, err;
			json_t *d = diff_lines_tuned(a.s, b.s, &t[k], &exact, &err);

			assert_non_null(d);
			assert_int_equal(fuzz_diff_check(a.s, b.s, d, &changed), 0);
			if (exact)
				assert_int_equal(changed, fuzz_diff_min_changes(a.s, b.s));
			else
				inexact++;
			json_decref(d);
		}
	}
	assert_true(inexact > 50);
	free(a.s);
	free(b.s);
}

static void
test_checker_rejects_wrong_diffs(void **state)
{
	const int at[] = { 5 };
	char *a = test_text(10, NULL, 0), *b = test_text(10, at, 1);
	json_t *d = test_diff(a, b), *h, *l;

	(void)state;
	/* The fuzz target's check is what the other tests trust: it must be able to fail. */
	l = json_array_get(json_object_get(test_hunk(d, 0), "lines"), 4);
	json_object_set_new(l, "text", json_string("changed 6"));
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), -1);
	json_object_set_new(l, "text", json_string("changed 5"));
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), 0);
	json_object_set_new(d, "added", json_integer(2));
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), -1);
	json_object_set_new(d, "added", json_integer(1));
	h = test_hunk(d, 0);
	json_object_set_new(h, "old_start", json_integer(3));
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), -1);
	json_object_set_new(h, "old_start", json_integer(2));
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), 0);
	assert_int_equal(fuzz_diff_check(a, a, d, NULL), -1);
	json_array_clear(json_object_get(d, "hunks"));
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), -1);
	json_decref(d);
	free(a);
	free(b);
}

static char *
test_repeat(const char *s, size_t times, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	char *r = malloc(n * times + t + 1);

	assert_non_null(r);
	for (size_t i = 0; i < times; i++)
		memcpy(r + i * n, s, n);
	memcpy(r + n * times, tail, t + 1);
	return r;
}

static void
test_limits(void **state)
{
	char *ok = test_repeat("x\n", DIFF_MAX_LINES, "");
	char *over = test_repeat("x\n", DIFF_MAX_LINES, "x\n");
	char *unended = test_repeat("x\n", DIFF_MAX_LINES, "y");
	char *big = test_repeat("x", DIFF_MAX_BYTES, "");
	char *bigger = test_repeat("x", DIFF_MAX_BYTES, "y");
	json_t *d;
	int err;

	(void)state;
	d = test_diff(ok, ok);
	test_counts_are(d, 0, 0, DIFF_MAX_LINES);
	json_decref(d);
	assert_null(diff_lines(ok, over, &err));
	assert_int_equal(err, ERR_TOOBIG);
	assert_null(diff_lines(over, "", &err));
	assert_int_equal(err, ERR_TOOBIG);
	assert_null(diff_lines("", unended, &err));
	assert_int_equal(err, ERR_TOOBIG);
	d = test_diff(big, "x\n");
	test_counts_are(d, 1, 1, 0);
	json_decref(d);
	assert_null(diff_lines(bigger, "", &err));
	assert_int_equal(err, ERR_TOOBIG);
	assert_null(diff_lines("", bigger, NULL));
	/* Invalid UTF-8 (stray byte, overlong NUL, surrogate) cannot be a JSON string. */
	assert_null(diff_lines("a\n\xff\n", "a\n", &err));
	assert_int_equal(err, ERR_INVALID);
	assert_null(diff_lines("a\n", "\xc0\x80", &err));
	assert_int_equal(err, ERR_INVALID);
	assert_null(diff_lines("\xed\xa0\x80", "", &err));
	assert_int_equal(err, ERR_INVALID);
	assert_null(diff_lines(NULL, "", &err));
	assert_int_equal(err, ERR_INVALID);
	free(ok);
	free(over);
	free(unended);
	free(big);
	free(bigger);
}

static char *
test_lines_of(size_t n, int which)
{
	struct test_buf b = { NULL, 0, 0 };
	char line[64];

	test_put(&b, "");
	for (size_t i = 0; i < n; i++) {
		switch (which) {
		case 0:
			snprintf(line, sizeof(line), "old line %zu\n", i);
			break;
		case 1:
			snprintf(line, sizeof(line), "new line %zu\n", i);
			break;
		case 2:
			snprintf(line, sizeof(line), "%s\n", test_random(2) ? "x" : "y");
			break;
		default:
			snprintf(line, sizeof(line), "%zu\n", i % (size_t)which);
			break;
		}
		test_put(&b, line);
	}
	return b.s;
}

static void
test_time_one(const char *what, const char *a, const char *b, const struct diff_tuning *t)
{
	struct timespec t0, t1;
	json_t *d;
	int exact, err;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	d = diff_lines_tuned(a, b, t, &exact, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(d);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("[ TIME     ] %s: %.1f ms, %lld added, %lld removed, %zu hunks, %s\n", what, ms,
	    (long long)test_num(d, "added"), (long long)test_num(d, "removed"), test_nhunks(d),
	    exact ? "minimal" : "fallback");
	assert_int_equal(fuzz_diff_check(a, b, d, NULL), 0);
	json_decref(d);
}

static void
test_worst_cases_finish(void **state)
{
	char *a = test_lines_of(DIFF_MAX_LINES, 0), *b = test_lines_of(DIFF_MAX_LINES, 1);
	char *x = test_lines_of(DIFF_MAX_LINES, 2), *y = test_lines_of(DIFF_MAX_LINES, 2);
	char *m = test_lines_of(DIFF_MAX_LINES, 100), *n = test_lines_of(DIFF_MAX_LINES, 101);
	char *same = test_repeat("x\n", DIFF_MAX_LINES, "");
	char *alt = test_repeat("x\ny\n", DIFF_MAX_LINES / 2, "");
	const struct diff_tuning t = { DIFF_WORK_MAX, DIFF_COST_MIN };
	const struct diff_tuning spent = { DIFF_WORK_MAX, DIFF_MAX_LINES };

	(void)state;
	/* Timings are printed, not asserted: machines differ. */
	test_time_one("50000 vs 50000 lines, none in common", a, b, &t);
	test_time_one("50000 vs 50000 random lines of {x, y}", x, y, &t);
	test_time_one("50000 x vs 25000 (x, y)", same, alt, &t);
	test_time_one("50000 lines i % 100 vs i % 101", m, n, &t);
	test_time_one("50000 distinct lines vs 50000 random of {x, y}", a, x, &t);
	/* Without the heuristic cut the whole work budget goes: the slowest a diff can be. */
	test_time_one("random {x, y} again, work budget spent", x, y, &spent);
	free(a);
	free(b);
	free(x);
	free(y);
	free(m);
	free(n);
	free(same);
	free(alt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_texts_have_no_hunks),
		cmocka_unit_test(test_empty_against_text),
		cmocka_unit_test(test_text_against_empty),
		cmocka_unit_test(test_one_line_changed_in_the_middle_of_100),
		cmocka_unit_test(test_two_distant_changes_make_two_hunks),
		cmocka_unit_test(test_two_close_changes_share_a_hunk),
		cmocka_unit_test(test_insert_at_start),
		cmocka_unit_test(test_delete_at_end),
		cmocka_unit_test(test_missing_final_newline_reads_as_one),
		cmocka_unit_test(test_crlf_ends_a_line_like_lf),
		cmocka_unit_test(test_utf8_text_is_kept),
		cmocka_unit_test(test_random_pairs_apply_and_are_minimal),
		cmocka_unit_test(test_fallbacks_stay_correct),
		cmocka_unit_test(test_checker_rejects_wrong_diffs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_worst_cases_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
