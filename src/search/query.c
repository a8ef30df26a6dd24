/*
 * query.c: the search box's language (query.h) parsed into an FTS5 MATCH expression. The only
 * FTS5 syntax in the result is written here: double-quoted strings with '"' doubled, " *" after
 * a string, parentheses, OR, AND and NOT. Every user byte either ends up, analyzed, inside a
 * string or is dropped, so no input can name a column, use NEAR or '^', or fail to parse.
 */
#include "search/query.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

/*
 * Worst case, every token ANALYZE_TOKEN_MAX bytes of '"' (each doubled): a positive token
 * costs ("t" OR "a") plus " AND " plus a group's parentheses, an excluded one ("t" OR "a") plus
 * " OR ", and "(" ") NOT (" ")" wraps both; phrases and prefixes cost less per token. So the
 * writer can never run out; it checks anyway.
 */
#define QUERY_ESC_MAX (2 * ANALYZE_TOKEN_MAX + 2)
#define QUERY_TERM_EXPR (2 * QUERY_ESC_MAX + 6)
_Static_assert(QUERY_MAX_TERMS * (QUERY_TERM_EXPR + 7) +
    QUERY_MAX_EXCLUDED * (QUERY_TERM_EXPR + 4) + 11 <= QUERY_EXPR_MAX,
    "QUERY_EXPR_MAX cannot hold the longest expression");

/* Analyzer output: room for more tokens than any list keeps (it writes whole tokens only). */
#define QUERY_SCRATCH ((QUERY_MAX_TERMS + 1) * (ANALYZE_TOKEN_MAX + 1) + 1)
/* Room for a list's tokens and the alternative stems of its terms. */
#define QUERY_POOL (2 * QUERY_MAX_TERMS * (ANALYZE_TOKEN_MAX + 1))

enum query_kind {
	QUERY_TERM,             /* one stemmed token, maybe with its stem in the other language */
	QUERY_PREFIX,           /* folded tokens, the last one a prefix */
	QUERY_PHRASE,           /* stemmed tokens in order */
};

struct query_unit {
	enum query_kind kind;
	int and_prev;           /* joined to the previous unit by AND */
	const char *text;       /* tokens separated by one space */
	const char *alt;        /* QUERY_TERM: stem in the other language, or NULL */
};

/* The units of one kind of item, at most cap tokens in all. */
struct query_list {
	struct query_unit units[QUERY_MAX_TERMS];
	char pool[QUERY_POOL];
	size_t used;
	int nunits, ntok, cap;
	int pending_and;        /* an AND was typed since the last unit */
};

struct query_ctx {
	const char *q;
	size_t len;
	const char *lang, *other;   /* other: the second language of fr/en, or NULL */
	struct query_list pos;      /* kept positive items */
	struct query_list stop;     /* stop words: the query when pos stays empty */
	struct query_list ops;      /* AND/OR typed where they join nothing: when stop is empty */
	struct query_list neg;      /* exclusions */
	char tok[QUERY_SCRATCH], fold[QUERY_SCRATCH], alt[QUERY_SCRATCH];
};

struct query_buf {
	char *p;
	size_t len, cap;
	int full;
};

/* Separators between items: what is not a space belongs to a word chunk or is a quote. */
static int
query_is_space(long cp)
{
	return cp == ' ' || utf8_is_control(cp) || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200b) || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
	    cp == 0xfeff;
}

/* The code point at *i, which it advances; query_parse validated the whole input. */
static long
query_next(const struct query_ctx *c, size_t *i)
{
	return utf8_next((const unsigned char *)c->q, c->len, i);
}

/*
 * Checks what the analyzer wrote (n bytes in buf[QUERY_SCRATCH]): tokens of 1 to
 * ANALYZE_TOKEN_MAX bytes of valid UTF-8 separated by single spaces. Returns the number of
 * tokens (0: nothing remains) and terminates buf, or -1 for anything else, which must never
 * reach the expression.
 */
static int
query_tokens(int n, char *buf)
{
	int ntok = 0;
	size_t toklen = 0;

	if (n == 0)
		return 0;
	if (n < 0 || n >= QUERY_SCRATCH || utf8_check(buf, (size_t)n, 0, NULL) != 0)
		return -1;
	buf[n] = '\0';
	for (int i = 0; i <= n; i++) {
		if (buf[i] != ' ' && buf[i] != '\0') {
			toklen++;
			continue;
		}
		if (toklen == 0 || toklen > ANALYZE_TOKEN_MAX)
			return -1;
		ntok++;
		toklen = 0;
	}
	return ntok;
}

/*
 * Analyzes w (n bytes) into buf[QUERY_SCRATCH]: stemmed in lang, or only folded when lang is
 * NULL. Returns the number of tokens, or the analyzer's error. Output the analyzer should not
 * have written is nothing for a positive item, and ERR_INTERNAL for an exclusion (which must
 * hold, so it fails the query rather than vanish).
 */
static int
query_analyze(const char *lang, const char *w, size_t n, char *buf, int neg)
{
	int len = lang != NULL ? analyze_word(lang, w, n, buf, QUERY_SCRATCH) :
	    analyze_fold(w, n, buf, QUERY_SCRATCH);
	int k;

	if (len < 0)
		return len;
	if ((k = query_tokens(len, buf)) < 0)
		return neg ? ERR_INTERNAL : 0;
	return k;
}

/* Cuts text after its first k tokens. */
static void
query_cut(char *text, int k)
{
	for (char *p = text; *p != '\0'; p++)
		if (*p == ' ' && --k == 0) {
			*p = '\0';
			return;
		}
}

static size_t
query_last_chars(const char *text)
{
	const char *last = strrchr(text, ' ');
	size_t n = 0;

	for (last = last != NULL ? last + 1 : text; *last != '\0'; last++)
		n += ((unsigned char)*last & 0xc0) != 0x80;
	return n;
}

/* A copy of s in l's pool, which is sized for cap tokens and as many alternatives. */
static const char *
query_keep(struct query_list *l, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = l->pool + l->used;

	if (n > sizeof(l->pool) - l->used)
		return NULL;
	memcpy(p, s, n);
	l->used += n;
	return p;
}

/*
 * Adds a unit of ntok tokens to l. When l has no room for them all a phrase is cut (a shorter
 * phrase still finds what the longer one did), anything else left out. Returns 1 when added
 * whole, 0 when cut or left out.
 */
static int
query_add(struct query_list *l, enum query_kind kind, char *text, int ntok, const char *alt)
{
	struct query_unit *u = &l->units[l->nunits];
	int room = l->cap - l->ntok, whole = ntok <= room;

	if (!whole && (kind != QUERY_PHRASE || room == 0))
		return 0;
	if (!whole) {
		query_cut(text, room);
		ntok = room;
	}
	if ((u->text = query_keep(l, text)) == NULL)
		return 0;
	u->alt = alt != NULL && alt[0] != '\0' ? query_keep(l, alt) : NULL;
	u->kind = kind;
	u->and_prev = l->pending_and && l->nunits > 0;
	l->nunits++;
	l->ntok += ntok;
	l->pending_and = 0;
	return whole;
}

/* Exclusions are never weakened behind the user's back: too many is an error. */
static int
query_add_neg(struct query_ctx *c, enum query_kind kind, char *text, int ntok, const char *alt)
{
	return query_add(&c->neg, kind, text, ntok, alt) ? 0 : ERR_TOOBIG;
}

static int
query_is_op(const char *w, size_t n)
{
	return (n == 3 && memcmp(w, "AND", 3) == 0) || (n == 2 && memcmp(w, "OR", 2) == 0);
}

/*
 * AND joins the kept positive items on either side of it, whatever was dropped in between; OR
 * is how items combine anyway. Both are also words of last resort.
 */
static int
query_op(struct query_ctx *c, const char *w, size_t n)
{
	int k;

	if (w[0] == 'A')
		c->pos.pending_and = 1;
	if ((k = query_analyze(c->lang, w, n, c->tok, 0)) < 0)
		return k;
	if (k == 1)
		query_add(&c->ops, QUERY_TERM, c->tok, 1, NULL);
	return 0;
}

/* A quoted phrase (bytes [s, e)): every word stemmed, stop words kept, no other language. */
static int
query_phrase(struct query_ctx *c, size_t s, size_t e, int neg)
{
	int k = query_analyze(c->lang, c->q + s, e - s, c->tok, neg);

	if (k <= 0)
		return k;
	if (neg)
		return query_add_neg(c, QUERY_PHRASE, c->tok, k, NULL);
	query_add(&c->pos, QUERY_PHRASE, c->tok, k, NULL);
	return 0;
}

/*
 * A prefix (w, n bytes before the '*'): folded, not stemmed. Sets *done unless it is not one
 * (its last token has fewer than 2 characters).
 */
static int
query_prefix(struct query_ctx *c, const char *w, size_t n, int neg, int *done)
{
	int k = query_analyze(NULL, w, n, c->fold, neg);

	*done = k > 0 && query_last_chars(c->fold) >= 2;
	if (k < 0 || !*done)
		return k < 0 ? k : 0;
	if (neg)
		return query_add_neg(c, QUERY_PREFIX, c->fold, k, NULL);
	query_add(&c->pos, QUERY_PREFIX, c->fold, k, NULL);
	return 0;
}

/*
 * A chunk of text between spaces and quotes (bytes [s, e), without its '-'): an operator, a
 * prefix, or words. A chunk the analyzer splits ("e-mail", "aujourd'hui", CJK) is a phrase;
 * a single token is a term, set aside as a last resort when a stop word, else searched also as
 * stemmed in the other language of fr/en unless it is a stop word there. Excluded terms keep
 * both stems, stop words included.
 */
static int
query_chunk(struct query_ctx *c, size_t s, size_t e, int neg)
{
	const char *w = c->q + s;
	size_t n = e - s;
	int k, stop = 0, rc, done;

	if (!neg && query_is_op(w, n))
		return query_op(c, w, n);
	if (!neg && c->pos.ntok >= c->pos.cap)
		return 0;               /* QUERY_MAX_TERMS: further words are ignored */
	if (n > 0 && w[n - 1] == '*') {
		while (n > 0 && w[n - 1] == '*')
			n--;
		if ((rc = query_prefix(c, w, n, neg, &done)) != 0 || done)
			return rc;
	}
	if ((k = query_analyze(c->lang, w, n, c->tok, neg)) <= 0)
		return k;
	if (k > 1) {
		if (neg)
			return query_add_neg(c, QUERY_PHRASE, c->tok, k, NULL);
		query_add(&c->pos, QUERY_PHRASE, c->tok, k, NULL);
		return 0;
	}
	c->fold[0] = '\0';
	if (!neg) {
		if ((k = query_analyze(NULL, w, n, c->fold, 0)) < 0)
			return k;
		if (k != 1)
			c->fold[0] = '\0';
		stop = c->fold[0] != '\0' && analyze_is_stop(c->lang, c->fold);
	}
	c->alt[0] = '\0';
	if (c->other != NULL && !stop) {
		if ((k = query_analyze(c->other, w, n, c->alt, neg)) < 0)
			return k;
		if (k != 1 || strcmp(c->alt, c->tok) == 0 ||
		    (c->fold[0] != '\0' && analyze_is_stop(c->other, c->fold)))
			c->alt[0] = '\0';
	}
	if (neg)
		return query_add_neg(c, QUERY_TERM, c->tok, 1, c->alt);
	query_add(stop ? &c->stop : &c->pos, QUERY_TERM, c->tok, 1, c->alt);
	return 0;
}

/*
 * Items are separated by spaces and quotes. A '-' right after a space (or at the start) and
 * touching a quote or any character but '-' negates the item it starts.
 */
static int
query_lex(struct query_ctx *c)
{
	size_t i = 0;
	int after_space = 1;

	while (i < c->len) {
		size_t at = i, e;
		long cp = query_next(c, &i);
		int neg = 0, rc;

		if (query_is_space(cp)) {
			after_space = 1;
			continue;
		}
		if (cp == '-' && after_space && i < c->len) {
			size_t j = i;
			long nx = query_next(c, &j);

			if (!query_is_space(nx) && nx != '-') {
				neg = 1;
				at = i;
				cp = query_next(c, &i);
			}
		}
		after_space = 0;
		if (cp == '"') {
			const char *close = memchr(c->q + i, '"', c->len - i);

			e = close != NULL ? (size_t)(close - c->q) : c->len;
			rc = query_phrase(c, i, e, neg);
			i = close != NULL ? e + 1 : e;
		} else {
			for (e = i; e < c->len; ) {
				size_t j = e;

				cp = query_next(c, &j);
				if (cp == '"' || query_is_space(cp))
					break;
				e = j;
			}
			rc = query_chunk(c, at, e, neg);
			i = e;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
query_put(struct query_buf *b, const char *s, size_t n)
{
	if (b->full || n >= b->cap - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
query_puts(struct query_buf *b, const char *s)
{
	query_put(b, s, strlen(s));
}

/* An FTS5 string: inside it only '"' means something, and it is doubled. */
static void
query_put_string(struct query_buf *b, const char *s)
{
	const char *q;

	query_put(b, "\"", 1);
	while ((q = strchr(s, '"')) != NULL) {
		query_put(b, s, (size_t)(q - s) + 1);
		query_put(b, "\"", 1);
		s = q + 1;
	}
	query_puts(b, s);
	query_put(b, "\"", 1);
}

static void
query_put_unit(struct query_buf *b, const struct query_unit *u)
{
	if (u->alt != NULL) {
		query_put(b, "(", 1);
		query_put_string(b, u->text);
		query_puts(b, " OR ");
		query_put_string(b, u->alt);
		query_put(b, ")", 1);
		return;
	}
	query_put_string(b, u->text);
	if (u->kind == QUERY_PREFIX)
		query_puts(b, " *");
}

/*
 * Groups of units joined by AND, the groups joined by OR. A word typed twice is written
 * twice: BM25 then counts it twice, as a query term frequency (bench/relevance: CISI MAP
 * 0.144 to 0.180, Cranfield 0.304 to 0.308).
 */
static void
query_put_list(struct query_buf *b, const struct query_list *l)
{
	int first = 1, groups = 0;

	for (int k = 0; k < l->nunits; k++)
		groups += !l->units[k].and_prev;
	for (int g = 0, h; g < l->nunits; g = h) {
		for (h = g + 1; h < l->nunits && l->units[h].and_prev; h++)
			;
		if (!first)
			query_puts(b, " OR ");
		first = 0;
		if (h - g > 1 && groups > 1)
			query_put(b, "(", 1);
		for (int k = g; k < h; k++) {
			if (k > g)
				query_puts(b, " AND ");
			query_put_unit(b, &l->units[k]);
		}
		if (h - g > 1 && groups > 1)
			query_put(b, ")", 1);
	}
}

/* The distinct analyzed tokens of l, for highlighting. */
static void
query_put_terms(const struct query_list *l, struct query_parsed *out)
{
	for (int k = 0; k < l->nunits; k++) {
		const char *t = l->units[k].text;

		while (*t != '\0' && out->nterms < QUERY_MAX_TERMS) {
			size_t n = strcspn(t, " ");
			int seen = 0;

			for (int j = 0; j < out->nterms && !seen; j++)
				seen = strlen(out->terms[j]) == n && memcmp(out->terms[j], t, n) == 0;
			if (!seen && n <= ANALYZE_TOKEN_MAX) {
				memcpy(out->terms[out->nterms], t, n);
				out->terms[out->nterms++][n] = '\0';
			}
			t += n + (t[n] == ' ');
		}
	}
}

static int
query_render(const struct query_ctx *c, struct query_parsed *out)
{
	const struct query_list *pos = c->pos.nunits > 0 ? &c->pos :
	    c->stop.nunits > 0 ? &c->stop : &c->ops;
	struct query_buf b = { out->expr, 0, sizeof(out->expr), 0 };

	if (pos->nunits == 0) {
		/* FTS5's NOT is binary: "NOT x" alone would not even parse. */
		out->only_exclusions = c->neg.nunits > 0;
		return 0;
	}
	query_put_terms(pos, out);
	if (c->neg.nunits == 0)
		query_put_list(&b, pos);
	else {
		query_put(&b, "(", 1);
		query_put_list(&b, pos);
		query_puts(&b, ") NOT (");
		query_put_list(&b, &c->neg);
		query_put(&b, ")", 1);
	}
	return b.full ? ERR_INTERNAL : 0;
}

/* "fr", "FR", "fr-CA", "fr_FR" are "fr"; NULL when lang is not a 2-letter code. */
static const char *
query_lang(const char *lang, char code[3])
{
	if (lang == NULL)
		return NULL;
	for (int k = 0; k < 2; k++) {
		char ch = lang[k];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch < 'a' || ch > 'z')
			return NULL;
		code[k] = ch;
	}
	code[2] = '\0';
	return lang[2] == '\0' || lang[2] == '-' || lang[2] == '_' ? code : NULL;
}

int
query_parse(const char *q, size_t len, const char *lang, struct query_parsed *out)
{
	struct query_ctx *c = NULL;
	char code[3];
	size_t i = 0;
	int rc;

	if (out == NULL)
		return ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if (q == NULL && len > 0)
		return ERR_INVALID;
	if (len > QUERY_MAX_BYTES)
		return ERR_TOOBIG;
	while (i < len)
		if (utf8_next((const unsigned char *)q, len, &i) <= 0)
			return ERR_INVALID;     /* invalid UTF-8 or NUL */
	if (lang == NULL && query_lang(lang = analyze_guess_language(q != NULL ? q : "", len),
	    code) == NULL)
		lang = "en";
	if (query_lang(lang, code) == NULL)
		return ERR_INVALID;
	memcpy(out->lang, code, sizeof(out->lang));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	c->q = q;
	c->len = len;
	c->lang = out->lang;
	c->other = strcmp(out->lang, "fr") == 0 ? "en" : strcmp(out->lang, "en") == 0 ? "fr" :
	    NULL;
	c->pos.cap = c->stop.cap = c->ops.cap = QUERY_MAX_TERMS;
	c->neg.cap = QUERY_MAX_EXCLUDED;
	if ((rc = query_lex(c)) != 0 || (rc = query_render(c, out)) != 0) {
		memset(out, 0, sizeof(*out));
		memcpy(out->lang, code, sizeof(out->lang));
	}
	free(c);
	return rc;
}
