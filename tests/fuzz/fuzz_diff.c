/*
 * Line diff (kb/diff.c): the input is an old and a new text, split at the first NUL. Every
 * diff, also with the search limits lowered so that the heuristic cut and the whole-box
 * fallback run, must turn the old text into the new one, be shaped as `diff -u` shapes
 * hunks, and be minimal when no fallback was taken. The unit test reuses the checks.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kb/diff.c"            /* diff_lines_tuned */

struct fuzz_diff_text {
	const char **line;
	size_t *len;
	size_t n;
};

static void
fuzz_diff_text_free(struct fuzz_diff_text *t)
{
	free(t->line);
	free(t->len);
}

/* Lines as diff.h defines them, split again here, independently of diff.c. */
static int
fuzz_diff_split(const char *s, struct fuzz_diff_text *t)
{
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		const char *next = nl != NULL ? nl + 1 : s + len;

		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (t->n == cap) {
			const char **l;
			size_t *n;

			cap = cap ? 2 * cap : 64;
			if ((l = realloc(t->line, cap * sizeof(*l))) == NULL)
				return -1;
			t->line = l;
			if ((n = realloc(t->len, cap * sizeof(*n))) == NULL)
				return -1;
			t->len = n;
		}
		t->line[t->n] = s;
		t->len[t->n++] = len;
		s = next;
	}
	return 0;
}

static int
fuzz_diff_same(const struct fuzz_diff_text *t, size_t i, const char *s, size_t len)
{
	return i < t->n && t->len[i] == len && memcmp(t->line[i], s, len) == 0;
}

/*
 * 0 when d, applied to a, gives b, with hunks as `diff -u` makes them (DIFF_CONTEXT lines
 * of context unless at an end, merged when closer than 2 * DIFF_CONTEXT + 1 unchanged lines)
 * and consistent counts; -1 otherwise. *changed receives added + removed.
 */
static int
fuzz_diff_check(const char *a, const char *b, json_t *d, size_t *changed)
{
	struct fuzz_diff_text ta, tb;
	json_t *hunks, *h;
	json_int_t added, removed, unchanged;
	size_t ai = 0, bj = 0, nadd = 0, nrem = 0, idx;
	int rc = -1;

	memset(&tb, 0, sizeof(tb));
	if (fuzz_diff_split(a, &ta) != 0 || fuzz_diff_split(b, &tb) != 0)
		goto out;
	if (json_unpack(d, "{s:o, s:I, s:I, s:I !}", "hunks", &hunks, "added", &added,
	    "removed", &removed, "unchanged", &unchanged) != 0 || !json_is_array(hunks))
		goto out;
	json_array_foreach(hunks, idx, h) {
		json_int_t os, ol, ns, nl;
		json_t *lines, *l;
		size_t sa, sb, k, nold = 0, nnew = 0, changes = 0, run = 0, lead = 0;

		if (json_unpack(h, "{s:I, s:I, s:I, s:I, s:o !}", "old_start", &os,
		    "old_lines", &ol, "new_start", &ns, "new_lines", &nl, "lines", &lines) != 0 ||
		    !json_is_array(lines) || os < 0 || ol < 0 || ns < 0 || nl < 0 ||
		    (ol > 0 && os == 0) || (nl > 0 && ns == 0))
			goto out;
		sa = (size_t)(ol > 0 ? os - 1 : os);
		sb = (size_t)(nl > 0 ? ns - 1 : ns);
		/* Hunks in order, with unchanged lines between them. */
		if (sa < ai || (idx > 0 && sa == ai))
			goto out;
		for (; ai < sa; ai++, bj++)
			if (ai >= ta.n || !fuzz_diff_same(&tb, bj, ta.line[ai], ta.len[ai]))
				goto out;
		if (sb != bj)
			goto out;
		json_array_foreach(lines, k, l) {
			const char *op, *text;
			size_t len;

			if (json_unpack(l, "{s:s, s:s% !}", "op", &op, "text", &text, &len) != 0 ||
			    strlen(op) != 1)
				goto out;
			if (op[0] == ' ') {
				if (!fuzz_diff_same(&ta, ai++, text, len) ||
				    !fuzz_diff_same(&tb, bj++, text, len))
					goto out;
				nold++;
				nnew++;
				run++;
				continue;
			}
			if (op[0] == '-') {
				if (!fuzz_diff_same(&ta, ai++, text, len))
					goto out;
				nold++;
				nrem++;
			} else if (op[0] == '+') {
				if (!fuzz_diff_same(&tb, bj++, text, len))
					goto out;
				nnew++;
				nadd++;
			} else
				goto out;
			if (changes++ == 0)
				lead = run;
			else if (run > 2 * DIFF_CONTEXT)
				goto out;       /* should have been two hunks */
			run = 0;
		}
		if (changes == 0 || nold != (size_t)ol || nnew != (size_t)nl ||
		    lead > DIFF_CONTEXT || run > DIFF_CONTEXT ||
		    (lead < DIFF_CONTEXT && (sa != 0 || sb != 0)) ||
		    (run < DIFF_CONTEXT && (ai != ta.n || bj != tb.n)))
			goto out;
	}
	if (ta.n - ai != tb.n - bj)
		goto out;
	for (; ai < ta.n; ai++, bj++)
		if (!fuzz_diff_same(&tb, bj, ta.line[ai], ta.len[ai]))
			goto out;
	if (added < 0 || removed < 0 || (size_t)added != nadd || (size_t)removed != nrem ||
	    (size_t)unchanged != ta.n - nrem || (size_t)unchanged != tb.n - nadd)
		goto out;
	if (changed != NULL)
		*changed = nadd + nrem;
	rc = 0;
out:
	fuzz_diff_text_free(&ta);
	fuzz_diff_text_free(&tb);
	return rc;
}

/* Lines changed by a minimal diff, na + nb - 2 LCS, by the O(NM) table; -1 when too big. */
static long
fuzz_diff_min_changes(const char *a, const char *b)
{
	struct fuzz_diff_text ta, tb;
	size_t *prev = NULL, *cur = NULL;
	long res = -1;

	memset(&tb, 0, sizeof(tb));
	if (fuzz_diff_split(a, &ta) != 0 || fuzz_diff_split(b, &tb) != 0 ||
	    (ta.n + 1) * (tb.n + 1) > 4000000)
		goto out;
	if ((prev = calloc(tb.n + 1, sizeof(*prev))) == NULL ||
	    (cur = calloc(tb.n + 1, sizeof(*cur))) == NULL)
		goto out;
	for (size_t i = 1; i <= ta.n; i++) {
		size_t *t;

		for (size_t j = 1; j <= tb.n; j++) {
			if (fuzz_diff_same(&tb, j - 1, ta.line[i - 1], ta.len[i - 1]))
				cur[j] = prev[j - 1] + 1;
			else
				cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	res = (long)(ta.n + tb.n - 2 * prev[tb.n]);
out:
	free(prev);
	free(cur);
	fuzz_diff_text_free(&ta);
	fuzz_diff_text_free(&tb);
	return res;
}

static int
fuzz_diff_utf8(const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len)
		if (utf8_next((const unsigned char *)s, len, &i) < 0)
			return 0;
	return 1;
}

/* Diffs a and b with the limits t and checks the result; aborts on any defect. */
static void
fuzz_diff_one(const char *a, const char *b, const struct diff_tuning *t)
{
	json_t *d;
	size_t changed;
	long best;
	int exact, err;
	char *s;

	d = diff_lines_tuned(a, b, t, &exact, &err);
	if (d == NULL) {
		if (err == ERR_NOMEM || err == ERR_TOOBIG)
			return;
		if (err == ERR_INVALID && (!fuzz_diff_utf8(a) || !fuzz_diff_utf8(b)))
			return;
		abort();
	}
	if (fuzz_diff_check(a, b, d, &changed) != 0)
		abort();
	if (exact && (best = fuzz_diff_min_changes(a, b)) >= 0 && (size_t)best != changed)
		abort();
	if ((s = json_dumps(d, JSON_COMPACT)) == NULL)
		abort();
	free(s);
	json_decref(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t la = nul != NULL ? (size_t)(nul - data) : size;
	size_t lb = nul != NULL ? size - la - 1 : 0;
	const struct diff_tuning tunings[] = {
		{ DIFF_WORK_MAX, DIFF_COST_MIN },
		{ DIFF_WORK_MAX, 1 },                   /* heuristic cut in every split */
		{ (int64_t)(size % 61), 2 },            /* budget spent midway */
	};
	char *a = malloc(la + 1), *b = malloc(lb + 1);

	if (a == NULL || b == NULL)
		goto out;
	memcpy(a, data, la);
	a[la] = '\0';
	if (lb > 0)
		memcpy(b, nul + 1, lb);
	b[lb] = '\0';
	for (size_t i = 0; i < sizeof(tunings) / sizeof(tunings[0]); i++)
		fuzz_diff_one(a, b, &tunings[i]);
	fuzz_diff_one(a, a, &tunings[0]);
out:
	free(a);
	free(b);
	return 0;
}
