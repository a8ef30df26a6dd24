/*
 * diff.c: line diff (Myers 1986, "An O(ND) Difference Algorithm and Its Variations"), in
 * linear space by divide and conquer on the middle snake, as git's xdiff does it:
 *
 * 1. split both texts into lines and drop the common prefix and suffix;
 * 2. give every distinct line of the middle a class number (keyed SipHash, so that a
 *    document crafted for collisions cannot make the table quadratic); lines found on one
 *    side only are changes in any diff and leave the search, which keeps it minimal and
 *    makes texts with nothing in common free;
 * 3. Myers on the class numbers. One split that spends more than DIFF_COST_MIN (or
 *    sqrt(N + M)) edit steps cuts at its furthest-reaching diagonal (xdiff's heuristic);
 *    after DIFF_WORK_MAX steps over the whole diff, each box left is replaced whole. Both
 *    give a correct diff, not always a minimal one.
 *
 * The result is one change flag per line; hunks are read from the flags. Memory: about
 * 40 bytes a line, 4 MB for two texts of DIFF_MAX_LINES, besides the JSON result.
 */
#include "kb/diff.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

#define DIFF_WORK_MAX 50000000          /* diagonal steps in one diff: 0.2-0.3 s */
#define DIFF_COST_MIN 256               /* edit steps in one split before the heuristic */
#define DIFF_KV_MAX INT32_MAX           /* backward sentinel */

struct diff_line {
	uint32_t off;                   /* into the text */
	uint32_t len;                   /* without "\n" or "\r\n" */
};

struct diff_side {
	const char *text;
	struct diff_line *lines;
	int32_t n;
	uint8_t *chg;                   /* per line: 1 removed (old side) or added (new side) */
	int32_t *ha;                    /* class numbers of the lines left for the search */
	int32_t *rindex;                /* and their line numbers */
	int32_t nr;
};

/* Limits of the search; the tests lower them to reach the fallbacks. */
struct diff_tuning {
	int64_t work_max;
	int32_t cost_min;
};

struct diff_ctx {
	struct diff_side s[2];
	int32_t *kvbuf[2];
	int32_t *kvdf, *kvdb;           /* furthest x per diagonal, forward and backward */
	int64_t work, work_max;
	int32_t cost_min, cost_max;
	int exact;                      /* 0 once a fallback made the diff maybe not minimal */
};

struct diff_cut {
	int32_t i1, i2;
	int min_lo, min_hi;             /* 1: that half needs no heuristic */
};

struct diff_group {
	int32_t i0, i1;                 /* old lines [i0, i1) removed */
	int32_t j0, j1;                 /* new lines [j0, j1) added */
};

static int
diff_side_load(struct diff_side *s, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	const char *q, *nl, *end;
	size_t len, i;
	int32_t n = 0;

	s->text = text;
	len = strnlen(text, (size_t)DIFF_MAX_BYTES + 1);
	if (len > DIFF_MAX_BYTES)
		return ERR_TOOBIG;
	for (i = 0; i < len;) {
		if (p[i] < 0x80)
			i++;
		else if (utf8_next(p, len, &i) < 0)
			return ERR_INVALID;
	}
	end = text + len;
	for (q = text; q < end; n++) {
		if (n == DIFF_MAX_LINES)
			return ERR_TOOBIG;
		nl = memchr(q, '\n', (size_t)(end - q));
		q = nl != NULL ? nl + 1 : end;
	}
	if ((s->lines = malloc(((size_t)n + 1) * sizeof(*s->lines))) == NULL ||
	    (s->chg = calloc((size_t)n + 1, 1)) == NULL)
		return ERR_NOMEM;
	s->n = n;
	q = text;
	for (int32_t k = 0; k < n; k++) {
		const char *e;

		nl = memchr(q, '\n', (size_t)(end - q));
		e = nl != NULL ? nl : end;
		if (e > q && e[-1] == '\r')
			e--;
		s->lines[k].off = (uint32_t)(q - text);
		s->lines[k].len = (uint32_t)(e - q);
		q = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

static void
diff_side_free(struct diff_side *s)
{
	free(s->lines);
	free(s->chg);
	free(s->ha);
	free(s->rindex);
}

static int
diff_line_eq(const struct diff_side *a, int32_t i, const struct diff_side *b, int32_t j)
{
	const struct diff_line *x = &a->lines[i], *y = &b->lines[j];

	return x->len == y->len && memcmp(a->text + x->off, b->text + y->off, x->len) == 0;
}

/*
 * Classes the middle lines [pre, n - suf) of both sides; keeps in ha/rindex the lines whose
 * class is on both sides and flags the others as changed.
 */
static int
diff_intern(struct diff_ctx *c, int32_t pre, int32_t suf)
{
	struct diff_slot {
		uint32_t hash;
		uint32_t ref;           /* side << 30 | line, plus 1; 0: empty */
	} *slots = NULL;
	uint8_t *seen = NULL;
	unsigned char key[crypto_shorthash_KEYBYTES];
	size_t total = 0, nslots = 16, mask;
	int rc = ERR_NOMEM;

	for (int k = 0; k < 2; k++)
		total += (size_t)(c->s[k].n - pre - suf);
	while (nslots < 2 * total)
		nslots *= 2;
	mask = nslots - 1;
	if (sodium_init() < 0) {
		rc = ERR_INTERNAL;
		goto out;
	}
	randombytes_buf(key, sizeof(key));
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL ||
	    (seen = calloc(nslots, 1)) == NULL)
		goto out;
	for (int k = 0; k < 2; k++) {
		struct diff_side *s = &c->s[k];
		int32_t m = s->n - pre - suf;

		if ((s->ha = malloc(((size_t)m + 1) * sizeof(*s->ha))) == NULL ||
		    (s->rindex = malloc(((size_t)m + 1) * sizeof(*s->rindex))) == NULL)
			goto out;
		for (int32_t i = 0; i < m; i++) {
			const struct diff_line *l = &s->lines[pre + i];
			unsigned char h8[crypto_shorthash_BYTES];
			uint64_t h;
			size_t at;

			crypto_shorthash(h8, (const unsigned char *)s->text + l->off, l->len, key);
			memcpy(&h, h8, sizeof(h));
			for (at = (size_t)h & mask;; at = (at + 1) & mask) {
				struct diff_slot *e = &slots[at];
				uint32_t side, line;

				if (e->ref == 0) {
					e->hash = (uint32_t)(h >> 32);
					e->ref = ((uint32_t)k << 30 | (uint32_t)(pre + i)) + 1;
					break;
				}
				side = (e->ref - 1) >> 30;
				line = (e->ref - 1) & ((1u << 30) - 1);
				if (e->hash == (uint32_t)(h >> 32) &&
				    diff_line_eq(&c->s[side], (int32_t)line, s, pre + i))
					break;
			}
			seen[at] |= (uint8_t)(1 << k);
			s->ha[i] = (int32_t)at;
		}
	}
	for (int k = 0; k < 2; k++) {
		struct diff_side *s = &c->s[k];
		int32_t m = s->n - pre - suf;

		s->nr = 0;
		for (int32_t i = 0; i < m; i++) {
			if (seen[s->ha[i]] == 3) {
				s->ha[s->nr] = s->ha[i];
				s->rindex[s->nr++] = pre + i;
			} else
				s->chg[pre + i] = 1;
		}
	}
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	free(slots);
	free(seen);
	return rc;
}

static void
diff_mark(struct diff_ctx *c, int k, int32_t off, int32_t lim)
{
	for (; off < lim; off++)
		c->s[k].chg[c->s[k].rindex[off]] = 1;
}

/*
 * Finds where an optimal path through the box crosses its middle (xdiff's xdl_split).
 * Returns 0 for an exact cut, 1 for a heuristic one, -1 once the work budget is spent.
 */
static int
diff_split(struct diff_ctx *c, int32_t off1, int32_t lim1, int32_t off2, int32_t lim2,
    int need_min, struct diff_cut *cut)
{
	const int32_t *ha1 = c->s[0].ha, *ha2 = c->s[1].ha;
	int32_t *kvdf = c->kvdf, *kvdb = c->kvdb;
	int32_t dmin = off1 - lim2, dmax = lim1 - off2;
	int32_t fmid = off1 - off2, bmid = lim1 - lim2;
	int odd = (fmid - bmid) & 1;
	int32_t fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	int32_t d, i1, i2, prev1;

	kvdf[fmid] = off1;
	kvdb[bmid] = lim1;
	for (int32_t ec = 1;; ec++) {
		/* One more diagonal each side, or one less at the box's edge: keep the parity. */
		if (fmin > dmin)
			kvdf[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			kvdf[++fmax + 1] = -1;
		else
			--fmax;
		for (d = fmax; d >= fmin; d -= 2) {
			if (kvdf[d - 1] >= kvdf[d + 1])
				i1 = kvdf[d - 1] + 1;
			else
				i1 = kvdf[d + 1];
			prev1 = i1;
			i2 = i1 - d;
			while (i1 < lim1 && i2 < lim2 && ha1[i1] == ha2[i2]) {
				i1++;
				i2++;
			}
			c->work += 1 + (i1 - prev1);
			kvdf[d] = i1;
			if (odd && bmin <= d && d <= bmax && kvdb[d] <= i1) {
				*cut = (struct diff_cut){ i1, i2, 1, 1 };
				return 0;
			}
		}

		if (bmin > dmin)
			kvdb[--bmin - 1] = DIFF_KV_MAX;
		else
			++bmin;
		if (bmax < dmax)
			kvdb[++bmax + 1] = DIFF_KV_MAX;
		else
			--bmax;
		for (d = bmax; d >= bmin; d -= 2) {
			if (kvdb[d - 1] < kvdb[d + 1])
				i1 = kvdb[d - 1];
			else
				i1 = kvdb[d + 1] - 1;
			prev1 = i1;
			i2 = i1 - d;
			while (i1 > off1 && i2 > off2 && ha1[i1 - 1] == ha2[i2 - 1]) {
				i1--;
				i2--;
			}
			c->work += 1 + (prev1 - i1);
			kvdb[d] = i1;
			if (!odd && fmin <= d && d <= fmax && i1 <= kvdf[d]) {
				*cut = (struct diff_cut){ i1, i2, 1, 1 };
				return 0;
			}
		}

		if (c->work > c->work_max)
			return -1;
		if (need_min || ec < c->cost_max)
			continue;

		/* Enough: cut where a path got furthest, counting i1 + i2. */
		int64_t fbest = -1, bbest = INT64_MAX;
		int32_t fbest1 = -1, bbest1 = -1;

		for (d = fmax; d >= fmin; d -= 2) {
			i1 = kvdf[d] < lim1 ? kvdf[d] : lim1;
			i2 = i1 - d;
			if (lim2 < i2) {
				i1 = lim2 + d;
				i2 = lim2;
			}
			if (fbest < (int64_t)i1 + i2) {
				fbest = (int64_t)i1 + i2;
				fbest1 = i1;
			}
		}
		for (d = bmax; d >= bmin; d -= 2) {
			i1 = kvdb[d] > off1 ? kvdb[d] : off1;
			i2 = i1 - d;
			if (i2 < off2) {
				i1 = off2 + d;
				i2 = off2;
			}
			if ((int64_t)i1 + i2 < bbest) {
				bbest = (int64_t)i1 + i2;
				bbest1 = i1;
			}
		}
		c->work += (fmax - fmin) + (bmax - bmin) + 2;
		if ((int64_t)lim1 + lim2 - bbest < fbest - ((int64_t)off1 + off2))
			*cut = (struct diff_cut){ fbest1, (int32_t)(fbest - fbest1), 1, 0 };
		else
			*cut = (struct diff_cut){ bbest1, (int32_t)(bbest - bbest1), 0, 1 };
		return 1;
	}
}

/*
 * Flags the changes in the box [off1, lim1) x [off2, lim2) of the search lines. Recurses
 * into the smaller half of each cut and loops on the other, so the depth stays under
 * log2(N + M).
 */
static void
diff_compare(struct diff_ctx *c, int32_t off1, int32_t lim1, int32_t off2, int32_t lim2,
    int need_min)
{
	const int32_t *ha1 = c->s[0].ha, *ha2 = c->s[1].ha;
	struct diff_cut cut;
	int r;

	for (;;) {
		while (off1 < lim1 && off2 < lim2 && ha1[off1] == ha2[off2]) {
			off1++;
			off2++;
		}
		while (off1 < lim1 && off2 < lim2 && ha1[lim1 - 1] == ha2[lim2 - 1]) {
			lim1--;
			lim2--;
		}
		if (off1 == lim1 || off2 == lim2)
			break;
		if (c->work > c->work_max)
			goto whole;
		r = diff_split(c, off1, lim1, off2, lim2, need_min, &cut);
		if (r < 0)
			goto whole;
		if (r > 0)
			c->exact = 0;
		/* A cut at a corner would loop forever; none is expected, but stay safe. */
		if (cut.i1 < off1 || cut.i1 > lim1 || cut.i2 < off2 || cut.i2 > lim2 ||
		    (cut.i1 == off1 && cut.i2 == off2) || (cut.i1 == lim1 && cut.i2 == lim2))
			goto whole;
		if ((cut.i1 - off1) + (cut.i2 - off2) <= (lim1 - cut.i1) + (lim2 - cut.i2)) {
			diff_compare(c, off1, cut.i1, off2, cut.i2, cut.min_lo);
			off1 = cut.i1;
			off2 = cut.i2;
			need_min = cut.min_hi;
		} else {
			diff_compare(c, cut.i1, lim1, cut.i2, lim2, cut.min_hi);
			lim1 = cut.i1;
			lim2 = cut.i2;
			need_min = cut.min_lo;
		}
	}
	diff_mark(c, 0, off1, lim1);
	diff_mark(c, 1, off2, lim2);
	return;
whole:
	c->exact = 0;
	diff_mark(c, 0, off1, lim1);
	diff_mark(c, 1, off2, lim2);
}

static int32_t
diff_isqrt(int64_t n)
{
	int64_t r = 1;

	while (r * r < n)
		r++;
	return (int32_t)r;
}

/* Fills the change flags of both sides. */
static int
diff_solve(struct diff_ctx *c)
{
	struct diff_side *a = &c->s[0], *b = &c->s[1];
	int32_t pre = 0, suf = 0, n;
	int rc;

	while (pre < a->n && pre < b->n && diff_line_eq(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	    diff_line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	if (pre + suf == a->n || pre + suf == b->n) {
		/* Only added or only removed lines: nothing to search. */
		memset(a->chg + pre, 1, (size_t)(a->n - pre - suf));
		memset(b->chg + pre, 1, (size_t)(b->n - pre - suf));
		return 0;
	}
	if ((rc = diff_intern(c, pre, suf)) != 0)
		return rc;
	if (a->nr == 0 || b->nr == 0) {
		diff_mark(c, 0, 0, a->nr);
		diff_mark(c, 1, 0, b->nr);
		return 0;
	}
	/* Diagonals run from -(nr2 + 1) to nr1 + 1. */
	n = a->nr + b->nr + 3;
	if ((c->kvbuf[0] = malloc((size_t)n * sizeof(int32_t))) == NULL ||
	    (c->kvbuf[1] = malloc((size_t)n * sizeof(int32_t))) == NULL)
		return ERR_NOMEM;
	c->kvdf = c->kvbuf[0] + b->nr + 1;
	c->kvdb = c->kvbuf[1] + b->nr + 1;
	c->cost_max = diff_isqrt(n);
	if (c->cost_max < c->cost_min)
		c->cost_max = c->cost_min;
	diff_compare(c, 0, a->nr, 0, b->nr, 0);
	return 0;
}

/* The next run of changes from (*i, *j): 1, 0 at the end, ERR_INTERNAL on flags that do
 * not pair up. */
static int
diff_next_group(const struct diff_ctx *c, int32_t *i, int32_t *j, struct diff_group *g)
{
	const struct diff_side *a = &c->s[0], *b = &c->s[1];

	while (*i < a->n && *j < b->n && !a->chg[*i] && !b->chg[*j]) {
		(*i)++;
		(*j)++;
	}
	if (*i == a->n && *j == b->n)
		return 0;
	g->i0 = *i;
	g->j0 = *j;
	while (*i < a->n && a->chg[*i])
		(*i)++;
	while (*j < b->n && b->chg[*j])
		(*j)++;
	g->i1 = *i;
	g->j1 = *j;
	return g->i0 == g->i1 && g->j0 == g->j1 ? ERR_INTERNAL : 1;
}

static int
diff_json_line(json_t *lines, const char *op, const struct diff_side *s, int32_t i)
{
	const struct diff_line *l = &s->lines[i];
	json_t *o = json_object();

	if (o == NULL)
		return ERR_NOMEM;
	if (json_object_set_new(o, "op", json_string(op)) != 0 ||
	    json_object_set_new(o, "text", json_stringn(s->text + l->off, l->len)) != 0) {
		json_decref(o);
		return ERR_NOMEM;
	}
	return json_array_append_new(lines, o) == 0 ? 0 : ERR_NOMEM;
}

/* Appends the hunk covering old lines [i, ie) and new lines [j, je). */
static int
diff_json_hunk(const struct diff_ctx *c, json_t *hunks, int32_t i, int32_t ie, int32_t j,
    int32_t je)
{
	const struct diff_side *a = &c->s[0], *b = &c->s[1];
	json_t *h = NULL, *lines = NULL;
	int rc = ERR_NOMEM;

	if ((h = json_object()) == NULL || (lines = json_array()) == NULL)
		goto out;
	if (json_object_set_new(h, "old_start", json_integer(ie > i ? i + 1 : i)) != 0 ||
	    json_object_set_new(h, "old_lines", json_integer(ie - i)) != 0 ||
	    json_object_set_new(h, "new_start", json_integer(je > j ? j + 1 : j)) != 0 ||
	    json_object_set_new(h, "new_lines", json_integer(je - j)) != 0)
		goto out;
	while (i < ie || j < je) {
		if (i < ie && a->chg[i])
			rc = diff_json_line(lines, "-", a, i++);
		else if (j < je && b->chg[j])
			rc = diff_json_line(lines, "+", b, j++);
		else if (i < ie && j < je) {
			rc = diff_json_line(lines, " ", a, i++);
			j++;
		} else
			rc = ERR_INTERNAL;
		if (rc != 0)
			goto out;
	}
	rc = ERR_NOMEM;
	if (json_object_set_new(h, "lines", lines) != 0) {
		lines = NULL;
		goto out;
	}
	lines = NULL;
	if (json_array_append_new(hunks, h) != 0) {
		h = NULL;
		goto out;
	}
	h = NULL;
	rc = 0;
out:
	json_decref(lines);
	json_decref(h);
	return rc;
}

/* Groups runs of changes closer than 2 * DIFF_CONTEXT unchanged lines into hunks. */
static int
diff_json_hunks(const struct diff_ctx *c, json_t *hunks)
{
	struct diff_group g, next = { 0, 0, 0, 0 };
	int32_t i = 0, j = 0, pi = 0, end;
	int more, rc;

	more = diff_next_group(c, &i, &j, &g);
	while (more == 1) {
		int32_t lead = g.i0 - pi < DIFF_CONTEXT ? g.i0 - pi : DIFF_CONTEXT;
		int32_t hi = g.i0 - lead, hj = g.j0 - lead, trail;

		while ((more = diff_next_group(c, &i, &j, &next)) == 1 &&
		    next.i0 - g.i1 <= 2 * DIFF_CONTEXT) {
			g.i1 = next.i1;
			g.j1 = next.j1;
		}
		if (more < 0)
			return more;
		/* Up to the next group or to the end: unchanged lines on both sides. */
		end = more == 1 ? next.i0 : c->s[0].n;
		trail = end - g.i1 < DIFF_CONTEXT ? end - g.i1 : DIFF_CONTEXT;
		if ((rc = diff_json_hunk(c, hunks, hi, g.i1 + trail, hj, g.j1 + trail)) != 0)
			return rc;
		pi = g.i1;
		g = next;
	}
	return more;
}

/* diff_lines with the search limits given; *exact is 0 when a fallback was taken. */
static json_t *
diff_lines_tuned(const char *a, const char *b, const struct diff_tuning *t, int *exact,
    int *err)
{
	struct diff_ctx c;
	json_t *res = NULL, *hunks = NULL;
	int64_t added = 0, removed = 0;
	int rc = ERR_INVALID;

	memset(&c, 0, sizeof(c));
	c.work_max = t->work_max;
	c.cost_min = t->cost_min;
	c.exact = 1;
	if (a == NULL || b == NULL)
		goto out;
	if ((rc = diff_side_load(&c.s[0], a)) != 0 || (rc = diff_side_load(&c.s[1], b)) != 0 ||
	    (rc = diff_solve(&c)) != 0)
		goto out;
	rc = ERR_NOMEM;
	if ((hunks = json_array()) == NULL)
		goto out;
	if ((rc = diff_json_hunks(&c, hunks)) != 0)
		goto out;
	for (int32_t i = 0; i < c.s[0].n; i++)
		removed += c.s[0].chg[i];
	for (int32_t j = 0; j < c.s[1].n; j++)
		added += c.s[1].chg[j];
	rc = ERR_NOMEM;
	if ((res = json_object()) == NULL)
		goto out;
	if (json_object_set_new(res, "hunks", hunks) != 0) {
		hunks = NULL;
		goto out;
	}
	hunks = NULL;
	if (json_object_set_new(res, "added", json_integer(added)) != 0 ||
	    json_object_set_new(res, "removed", json_integer(removed)) != 0 ||
	    json_object_set_new(res, "unchanged", json_integer(c.s[0].n - removed)) != 0)
		goto out;
	rc = 0;
out:
	json_decref(hunks);
	if (rc != 0) {
		json_decref(res);
		res = NULL;
	}
	for (int k = 0; k < 2; k++) {
		diff_side_free(&c.s[k]);
		free(c.kvbuf[k]);
	}
	if (exact != NULL)
		*exact = c.exact;
	if (err != NULL)
		*err = rc;
	return res;
}

json_t *
diff_lines(const char *a, const char *b, int *err)
{
	const struct diff_tuning t = { DIFF_WORK_MAX, DIFF_COST_MIN };

	return diff_lines_tuned(a, b, &t, NULL, err);
}
