/* memidx.c: the in-memory full-text index (memidx.h). */
#include "search/memidx.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "search/analyze.h"

#define MEMIDX_K1 1.2
#define MEMIDX_B 0.75
#define MEMIDX_NODES_MAX 512            /* query.c writes at most about 150 */
#define MEMIDX_DEPTH_MAX 16
#define MEMIDX_PHRASE_TOKENS 1024      /* tokens of one phrase */
#define MEMIDX_PHRASE_POS 8             /* phrases this long or shorter use positions */
#define MEMIDX_POS_MAX 256              /* positions of a token in a document read at once */

struct mdoc {
	int64_t rowid, updated;
	uint32_t fwd;                   /* first token in ix->fwd */
	uint32_t len[3];                /* tokens of title, tags, body */
	char id[MEMIDX_ID_LEN + 1];
};

/* What every match needs, apart and small, so that a search over 50k matches stays in cache. */
struct mhot {
	uint64_t sig;                   /* bit (tag % 64) of each tag: most documents carry no
	                                 * hidden tag, and this says so without reading them */
	int32_t coll;                   /* collection number, -1 for none */
	uint32_t tags;                  /* first tag number in ix->dtags */
	uint16_t ntags;
	uint8_t lang;
	uint8_t pad;
};

#define MEMIDX_ALIVE(ix, d) (((ix)->alive[(d) >> 6] >> ((d) & 63)) & 1)

struct memidx;
static const uint32_t *memidx_tokens(const struct memidx *ix, const struct mdoc *m);

/* Strings of at most MEMIDX_ID_LEN bytes numbered in order of arrival, found by hash. */
struct keytab {
	char (*key)[MEMIDX_ID_LEN + 1];
	char **name;                    /* tags and collections: the current name, or NULL */
	uint32_t n, cap;
	uint32_t *slot;                 /* number + 1, 0 for empty */
	uint32_t mask;
};

struct memidx {
	double w[3];
	/* dictionary: terms [0, nmain_terms) sorted once sealed, later ones in arrival order */
	char *pool;
	size_t pool_len, pool_cap;
	uint32_t *term;                 /* offset of each term in pool */
	uint32_t nterms, terms_cap, nmain_terms;
	uint32_t *tslot;                /* term id + 1 by hash, 0 for empty */
	uint32_t tmask;
	/* postings of the main terms over the main documents */
	uint32_t *poff, *pdoc, *ptf;    /* ptf: title << 24 | tags << 16 | body, saturated */
	uint32_t *ppos;                 /* posting k's positions: pbytes[ppos[k] .. ppos[k + 1]) */
	uint8_t *pbytes;                /* positions in the document, LEB128 deltas */
	size_t npbytes;
	/* documents */
	struct mdoc *doc;
	struct mhot *hot;
	uint32_t *dlen;                 /* tokens in all columns */
	uint64_t *alive;                /* bit d: document d is live */
	uint32_t ndocs, docs_cap, nmain_docs, nlive, ndead;
	uint64_t live_tokens;
	uint32_t *fwd;                  /* every document's tokens, column after column */
	size_t nfwd, fwd_cap;
	uint32_t *dtags;
	size_t ndtags, dtags_cap;
	int64_t *rkey;                  /* rowid -> document number, linear probing */
	uint32_t *rval;
	uint32_t rmask, rcount;
	struct keytab tags, colls, langs;
	int sealed;
};

/* A document's tokens (none at all in the index: no array to point into). */
static const uint32_t *
memidx_tokens(const struct memidx *ix, const struct mdoc *m)
{
	return ix->fwd != NULL ? ix->fwd + m->fwd : NULL;
}

/* ---- small tables ---- */

static uint32_t
memidx_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int
memidx_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((q = realloc(*p, ncap * size)) == NULL)
		return ERR_NOMEM;
	*p = q;
	*cap = ncap;
	return 0;
}

static int
keytab_find(const struct keytab *t, const char *k, size_t n, uint32_t *num)
{
	if (t->slot == NULL || n > MEMIDX_ID_LEN)
		return 0;
	for (uint32_t i = memidx_hash(k, n) & t->mask; t->slot[i] != 0; i = (i + 1) & t->mask) {
		const char *s = t->key[t->slot[i] - 1];
		if (strncmp(s, k, n) == 0 && s[n] == '\0') {
			*num = t->slot[i] - 1;
			return 1;
		}
	}
	return 0;
}

static int
keytab_put(struct keytab *t, const char *k, uint32_t *num)
{
	size_t n = strlen(k), cap = t->cap;

	if (n > MEMIDX_ID_LEN)
		return ERR_INVALID;
	if (keytab_find(t, k, n, num))
		return 0;
	if ((t->n + 1) * 2 > t->mask + 1 || t->slot == NULL) {
		uint32_t nmask = t->slot ? t->mask * 2 + 1 : 63;
		uint32_t *ns = calloc((size_t)nmask + 1, sizeof(*ns));
		if (ns == NULL)
			return ERR_NOMEM;
		for (uint32_t j = 0; j < t->n; j++) {
			uint32_t i = memidx_hash(t->key[j], strlen(t->key[j])) & nmask;
			while (ns[i] != 0)
				i = (i + 1) & nmask;
			ns[i] = j + 1;
		}
		free(t->slot);
		t->slot = ns;
		t->mask = nmask;
	}
	if (memidx_grow((void **)&t->key, &cap, t->n + 1, sizeof(*t->key)) != 0)
		return ERR_NOMEM;
	if (cap != t->cap) {
		char **nn = realloc(t->name, cap * sizeof(*nn));
		if (nn == NULL)
			return ERR_NOMEM;
		memset(nn + t->cap, 0, (cap - t->cap) * sizeof(*nn));
		t->name = nn;
	}
	t->cap = (uint32_t)cap;
	memcpy(t->key[t->n], k, n + 1);
	{
		uint32_t i = memidx_hash(k, n) & t->mask;
		while (t->slot[i] != 0)
			i = (i + 1) & t->mask;
		t->slot[i] = t->n + 1;
	}
	*num = t->n++;
	return 0;
}

static void
keytab_clear(struct keytab *t)
{
	for (uint32_t i = 0; t->name != NULL && i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t->key);
	free(t->slot);
}

/* rowid -> document number (linear probing, deletion by backward shift) */
static uint32_t *
rowmap_find(const struct memidx *ix, int64_t rowid)
{
	if (ix->rkey == NULL)
		return NULL;
	for (uint32_t i = memidx_hash((const char *)&rowid, sizeof(rowid)) & ix->rmask;
	    ix->rval[i] != UINT32_MAX; i = (i + 1) & ix->rmask)
		if (ix->rkey[i] == rowid)
			return &ix->rval[i];
	return NULL;
}

static int
rowmap_put(struct memidx *ix, int64_t rowid, uint32_t num)
{
	uint32_t *v = rowmap_find(ix, rowid), i;

	if (v != NULL) {
		*v = num;
		return 0;
	}
	if (ix->rkey == NULL || (ix->rcount + 1) * 2 > ix->rmask + 1) {
		uint32_t nmask = ix->rkey ? ix->rmask * 2 + 1 : 1023;
		int64_t *nk = malloc(((size_t)nmask + 1) * sizeof(*nk));
		uint32_t *nv = malloc(((size_t)nmask + 1) * sizeof(*nv));
		if (nk == NULL || nv == NULL) {
			free(nk);
			free(nv);
			return ERR_NOMEM;
		}
		memset(nv, 0xff, ((size_t)nmask + 1) * sizeof(*nv));
		for (uint32_t j = 0; ix->rkey != NULL && j <= ix->rmask; j++) {
			if (ix->rval[j] == UINT32_MAX)
				continue;
			i = memidx_hash((const char *)&ix->rkey[j], sizeof(int64_t)) & nmask;
			while (nv[i] != UINT32_MAX)
				i = (i + 1) & nmask;
			nk[i] = ix->rkey[j];
			nv[i] = ix->rval[j];
		}
		free(ix->rkey);
		free(ix->rval);
		ix->rkey = nk;
		ix->rval = nv;
		ix->rmask = nmask;
	}
	i = memidx_hash((const char *)&rowid, sizeof(rowid)) & ix->rmask;
	while (ix->rval[i] != UINT32_MAX)
		i = (i + 1) & ix->rmask;
	ix->rkey[i] = rowid;
	ix->rval[i] = num;
	ix->rcount++;
	return 0;
}

static void
rowmap_del(struct memidx *ix, uint32_t *v)
{
	uint32_t i = (uint32_t)(v - ix->rval), j = i;

	ix->rval[i] = UINT32_MAX;
	ix->rcount--;
	for (;;) {
		uint32_t home;
		j = (j + 1) & ix->rmask;
		if (ix->rval[j] == UINT32_MAX)
			return;
		home = memidx_hash((const char *)&ix->rkey[j], sizeof(int64_t)) & ix->rmask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			ix->rkey[i] = ix->rkey[j];
			ix->rval[i] = ix->rval[j];
			ix->rval[j] = UINT32_MAX;
			i = j;
		}
	}
}

/* ---- dictionary ---- */

static const char *
memidx_term(const struct memidx *ix, uint32_t id)
{
	return ix->pool + ix->term[id];
}

static int
memidx_term_find(const struct memidx *ix, const char *s, size_t n, uint32_t *id)
{
	if (ix->tslot == NULL)
		return 0;
	for (uint32_t i = memidx_hash(s, n) & ix->tmask; ix->tslot[i] != 0;
	    i = (i + 1) & ix->tmask) {
		const char *t = memidx_term(ix, ix->tslot[i] - 1);
		if (strncmp(t, s, n) == 0 && t[n] == '\0') {
			*id = ix->tslot[i] - 1;
			return 1;
		}
	}
	return 0;
}

static int
memidx_rehash_terms(struct memidx *ix, uint32_t nmask)
{
	uint32_t *ns = calloc((size_t)nmask + 1, sizeof(*ns));

	if (ns == NULL)
		return ERR_NOMEM;
	for (uint32_t j = 0; j < ix->nterms; j++) {
		const char *t = memidx_term(ix, j);
		uint32_t i = memidx_hash(t, strlen(t)) & nmask;
		while (ns[i] != 0)
			i = (i + 1) & nmask;
		ns[i] = j + 1;
	}
	free(ix->tslot);
	ix->tslot = ns;
	ix->tmask = nmask;
	return 0;
}

static int
memidx_term_put(struct memidx *ix, const char *s, size_t n, uint32_t *id)
{
	size_t cap;
	uint32_t i;

	if (memidx_term_find(ix, s, n, id))
		return 0;
	if (ix->tslot == NULL || (ix->nterms + 1) * 2 > ix->tmask + 1)
		if (memidx_rehash_terms(ix, ix->tslot ? ix->tmask * 2 + 1 : 4095) != 0)
			return ERR_NOMEM;
	if (ix->pool_len + n + 1 > UINT32_MAX)
		return ERR_TOOBIG;
	if (memidx_grow((void **)&ix->pool, &ix->pool_cap, ix->pool_len + n + 1, 1) != 0)
		return ERR_NOMEM;
	cap = ix->terms_cap;
	if (memidx_grow((void **)&ix->term, &cap, (size_t)ix->nterms + 1, sizeof(*ix->term)) != 0)
		return ERR_NOMEM;
	ix->terms_cap = (uint32_t)cap;
	memcpy(ix->pool + ix->pool_len, s, n);
	ix->pool[ix->pool_len + n] = '\0';
	ix->term[ix->nterms] = (uint32_t)ix->pool_len;
	ix->pool_len += n + 1;
	for (i = memidx_hash(s, n) & ix->tmask; ix->tslot[i] != 0; i = (i + 1) & ix->tmask)
		;
	ix->tslot[i] = ix->nterms + 1;
	*id = ix->nterms++;
	return 0;
}

int
memidx_name(struct memidx *ix, int kind, const char *id, const char *name)
{
	struct keytab *t = kind == 0 ? &ix->tags : &ix->colls;
	uint32_t num;
	char *copy;
	int rc;

	if (id == NULL || name == NULL)
		return ERR_INVALID;
	if ((rc = keytab_put(t, id, &num)) != 0)
		return rc;
	if ((copy = strdup(name)) == NULL)
		return ERR_NOMEM;
	free(t->name[num]);
	t->name[num] = copy;
	return 0;
}

/* ---- building ---- */

struct memidx *
memidx_new(const double w[3])
{
	struct memidx *ix = calloc(1, sizeof(*ix));

	if (ix != NULL)
		memcpy(ix->w, w, sizeof(ix->w));
	return ix;
}

void
memidx_free(struct memidx *ix)
{
	if (ix == NULL)
		return;
	free(ix->pool);
	free(ix->term);
	free(ix->tslot);
	free(ix->poff);
	free(ix->pdoc);
	free(ix->ptf);
	free(ix->ppos);
	free(ix->pbytes);
	free(ix->doc);
	free(ix->hot);
	free(ix->dlen);
	free(ix->alive);
	free(ix->fwd);
	free(ix->dtags);
	free(ix->rkey);
	free(ix->rval);
	keytab_clear(&ix->tags);
	keytab_clear(&ix->colls);
	keytab_clear(&ix->langs);
	free(ix);
}

struct memidx_tokens {
	struct memidx *ix;
	int rc;
};

static int
memidx_token(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct memidx_tokens *t = ctx;
	uint32_t id;

	(void)start;
	(void)end;
	if ((t->rc = memidx_term_put(t->ix, tok, toklen, &id)) != 0)
		return 1;
	if (t->ix->nfwd >= UINT32_MAX) {
		t->rc = ERR_TOOBIG;
		return 1;
	}
	if ((t->rc = memidx_grow((void **)&t->ix->fwd, &t->ix->fwd_cap, t->ix->nfwd + 1,
	    sizeof(*t->ix->fwd))) != 0)
		return 1;
	t->ix->fwd[t->ix->nfwd++] = id;
	return 0;
}

int
memidx_remove(struct memidx *ix, int64_t rowid)
{
	uint32_t *v = rowmap_find(ix, rowid);

	if (v == NULL)
		return 0;
	ix->alive[*v >> 6] &= ~(1ull << (*v & 63));
	ix->nlive--;
	ix->ndead++;
	ix->live_tokens -= ix->dlen[*v];
	rowmap_del(ix, v);
	return 0;
}

int
memidx_add(struct memidx *ix, const struct memidx_doc *in)
{
	struct memidx_tokens t = { ix, 0 };
	struct mdoc d = { .rowid = in->rowid, .updated = in->updated };
	struct mhot h = { .coll = -1 };
	size_t fwd0 = ix->nfwd, tags0 = ix->ndtags;
	uint32_t num;
	int rc;

	if (in->id == NULL || strlen(in->id) > MEMIDX_ID_LEN || in->language == NULL ||
	    ix->ndocs == UINT32_MAX - 1)
		return ERR_INVALID;
	snprintf(d.id, sizeof(d.id), "%s", in->id);
	if ((rc = keytab_put(&ix->langs, in->language, &num)) != 0)
		return rc;
	if (num > UINT8_MAX)
		return ERR_TOOBIG;
	h.lang = (uint8_t)num;
	if (in->collection_id != NULL) {
		if ((rc = keytab_put(&ix->colls, in->collection_id, &num)) != 0)
			return rc;
		h.coll = (int32_t)num;
	}
	h.tags = (uint32_t)ix->ndtags;
	for (size_t i = 0; i < in->ntags && i < MEMIDX_TAGS_MAX; i++) {
		if ((rc = keytab_put(&ix->tags, in->tag_ids[i], &num)) != 0 ||
		    (rc = memidx_grow((void **)&ix->dtags, &ix->dtags_cap, ix->ndtags + 1,
		    sizeof(*ix->dtags))) != 0)
			goto fail;
		ix->dtags[ix->ndtags++] = num;
		h.ntags++;
		h.sig |= 1ull << (num & 63);
	}
	d.fwd = (uint32_t)ix->nfwd;
	for (int c = 0; c < 3; c++) {
		size_t before = ix->nfwd;
		if (in->col[c] != NULL && in->col_len[c] > 0 &&
		    analyze_text(NULL, in->col[c], in->col_len[c], memidx_token, &t) != 0 &&
		    t.rc == 0)
			t.rc = ERR_NOMEM;
		if ((rc = t.rc) != 0)
			goto fail;
		d.len[c] = (uint32_t)(ix->nfwd - before);
	}
	if (ix->ndocs == ix->docs_cap) {
		size_t cap = ix->docs_cap ? (size_t)ix->docs_cap * 2 : 1024, words = cap / 64 + 1;
		void *a = realloc(ix->doc, cap * sizeof(*ix->doc));
		if (a != NULL)
			ix->doc = a;
		if (a == NULL || (a = realloc(ix->hot, cap * sizeof(*ix->hot))) == NULL) {
			rc = ERR_NOMEM;
			goto fail;
		}
		ix->hot = a;
		if ((a = realloc(ix->dlen, cap * sizeof(*ix->dlen))) == NULL) {
			rc = ERR_NOMEM;
			goto fail;
		}
		ix->dlen = a;
		if ((a = realloc(ix->alive, words * sizeof(*ix->alive))) == NULL) {
			rc = ERR_NOMEM;
			goto fail;
		}
		memset((uint64_t *)a + (ix->docs_cap ? ix->docs_cap / 64 + 1 : 0), 0,
		    (words - (ix->docs_cap ? ix->docs_cap / 64 + 1 : 0)) * sizeof(*ix->alive));
		ix->alive = a;
		ix->docs_cap = (uint32_t)cap;
	}
	memidx_remove(ix, in->rowid);
	if ((rc = rowmap_put(ix, in->rowid, ix->ndocs)) != 0)
		goto fail;
	ix->doc[ix->ndocs] = d;
	ix->hot[ix->ndocs] = h;
	ix->dlen[ix->ndocs] = d.len[0] + d.len[1] + d.len[2];
	ix->alive[ix->ndocs >> 6] |= 1ull << (ix->ndocs & 63);
	ix->ndocs++;
	ix->nlive++;
	ix->live_tokens += (uint64_t)d.len[0] + d.len[1] + d.len[2];
	return 0;
fail:
	ix->nfwd = fwd0;           /* the tokens stay in the dictionary: harmless */
	ix->ndtags = tags0;
	return rc;
}

static unsigned
memidx_varint_len(uint32_t v)
{
	unsigned n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static unsigned
memidx_varint_put(uint8_t *p, uint32_t v)
{
	unsigned n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Positions of main posting k into out (at most max), in order; their number. */
static size_t
memidx_positions(const struct memidx *ix, uint32_t k, uint32_t *out, size_t max)
{
	const uint8_t *p = ix->pbytes + ix->ppos[k], *e = ix->pbytes + ix->ppos[k + 1];
	uint32_t pos = 0;
	size_t n = 0;

	while (p < e && n < max) {
		uint32_t v = 0;
		unsigned sh = 0;
		while (p < e && (*p & 0x80) && sh < 28) {
			v |= (uint32_t)(*p++ & 0x7f) << sh;
			sh += 7;
		}
		if (p < e)
			v |= (uint32_t)*p++ << sh;
		pos += v;
		out[n++] = pos;
	}
	return n;
}

static const struct memidx *memidx_sorting;

static int
memidx_cmp_terms(const void *a, const void *b)
{
	return strcmp(memidx_term(memidx_sorting, *(const uint32_t *)a),
	    memidx_term(memidx_sorting, *(const uint32_t *)b));
}

int
memidx_seal(struct memidx *ix)
{
	static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;
	uint32_t *order = NULL, *rank = NULL, *nterm = NULL, *last = NULL, *slot = NULL;
	uint32_t *lastpos = NULL, *wcur;
	uint32_t n = ix->nterms;
	int rc = ERR_NOMEM;

	if (ix->sealed)
		return ERR_INVALID;
	if ((order = malloc(((size_t)n + 1) * sizeof(*order))) == NULL ||
	    (rank = malloc(((size_t)n + 1) * sizeof(*rank))) == NULL ||
	    (nterm = malloc(((size_t)n + 1) * sizeof(*nterm))) == NULL ||
	    (last = malloc(((size_t)n + 1) * sizeof(*last))) == NULL ||
	    (slot = malloc(((size_t)n + 1) * sizeof(*slot))) == NULL ||
	    (ix->poff = calloc((size_t)n + 2, sizeof(*ix->poff))) == NULL)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	/* qsort has no context argument in C17; the sort is short and done once per build. */
	pthread_mutex_lock(&sort_lock);
	memidx_sorting = ix;
	qsort(order, n, sizeof(*order), memidx_cmp_terms);
	memidx_sorting = NULL;
	pthread_mutex_unlock(&sort_lock);
	for (uint32_t i = 0; i < n; i++) {
		rank[order[i]] = i;
		nterm[i] = ix->term[order[i]];
	}
	memcpy(ix->term, nterm, (size_t)n * sizeof(*nterm));
	for (size_t i = 0; i < ix->nfwd; i++)
		ix->fwd[i] = rank[ix->fwd[i]];
	if (n > 0 && memidx_rehash_terms(ix, ix->tmask) != 0)
		goto out;
	/* Postings: document frequencies, then the documents in order with tf per column. */
	memset(last, 0xff, (size_t)n * sizeof(*last));
	for (uint32_t d = 0; d < ix->ndocs; d++) {
		const struct mdoc *m = &ix->doc[d];
		uint32_t nt = m->len[0] + m->len[1] + m->len[2];
		if (!MEMIDX_ALIVE(ix, d))
			continue;
		for (uint32_t i = 0; i < nt; i++) {
			uint32_t t = ix->fwd[m->fwd + i];
			if (last[t] != d) {
				last[t] = d;
				ix->poff[t + 1]++;
			}
		}
	}
	for (uint32_t t = 0; t < n; t++)
		ix->poff[t + 1] += ix->poff[t];
	if ((ix->pdoc = malloc(((size_t)ix->poff[n] + 1) * sizeof(*ix->pdoc))) == NULL ||
	    (ix->ptf = calloc((size_t)ix->poff[n] + 1, sizeof(*ix->ptf))) == NULL ||
	    (ix->ppos = calloc((size_t)ix->poff[n] + 1, sizeof(*ix->ppos))) == NULL ||
	    (lastpos = malloc(((size_t)n + 1) * sizeof(*lastpos))) == NULL)
		goto out;
	/* Pass 2: documents and tf of each posting, and the bytes of its positions. */
	memcpy(slot, ix->poff, (size_t)n * sizeof(*slot));
	memset(last, 0xff, (size_t)n * sizeof(*last));
	for (uint32_t d = 0; d < ix->ndocs; d++) {
		const struct mdoc *m = &ix->doc[d];
		uint32_t i = 0;
		if (!MEMIDX_ALIVE(ix, d))
			continue;
		for (int c = 0; c < 3; c++) {
			for (uint32_t e = i + m->len[c]; i < e; i++) {
				uint32_t t = ix->fwd[m->fwd + i], *tf;
				if (last[t] != d) {
					last[t] = d;
					lastpos[t] = 0;
					ix->pdoc[slot[t]++] = d;
				}
				tf = &ix->ptf[slot[t] - 1];
				if (c == 0 && (*tf >> 24) < 0xff)
					*tf += 1u << 24;
				else if (c == 1 && ((*tf >> 16) & 0xff) < 0xff)
					*tf += 1u << 16;
				else if (c == 2 && (*tf & 0xffff) < 0xffff)
					*tf += 1;
				ix->ppos[slot[t] - 1] += memidx_varint_len(i - lastpos[t]);
				lastpos[t] = i;
			}
		}
	}
	/* Sizes to offsets (ppos[k] is where posting k's positions start), then pass 3. */
	{
		uint64_t sum = 0;
		for (uint32_t k = 0; k <= ix->poff[n]; k++) {
			uint32_t sz = ix->ppos[k];
			ix->ppos[k] = (uint32_t)sum;
			sum += sz;
		}
		if (sum > UINT32_MAX) {
			rc = ERR_TOOBIG;
			goto out;
		}
		if ((ix->pbytes = malloc(sum + 1)) == NULL)
			goto out;
		ix->npbytes = sum;
	}
	memcpy(slot, ix->poff, (size_t)n * sizeof(*slot));
	memset(last, 0xff, (size_t)n * sizeof(*last));
	wcur = nterm;                   /* free again: the write cursor of each term's posting */
	for (uint32_t d = 0; d < ix->ndocs; d++) {
		const struct mdoc *m = &ix->doc[d];
		uint32_t nt = m->len[0] + m->len[1] + m->len[2];
		if (!MEMIDX_ALIVE(ix, d))
			continue;
		for (uint32_t i = 0; i < nt; i++) {
			uint32_t t = ix->fwd[m->fwd + i];
			if (last[t] != d) {
				last[t] = d;
				lastpos[t] = 0;
				wcur[t] = ix->ppos[slot[t]++];   /* the posting's first byte */
			}
			wcur[t] += memidx_varint_put(ix->pbytes + wcur[t], i - lastpos[t]);
			lastpos[t] = i;
		}
	}
	ix->nmain_terms = n;
	ix->nmain_docs = ix->ndocs;
	ix->sealed = 1;
	rc = 0;
out:
	free(order);
	free(rank);
	free(nterm);
	free(last);
	free(slot);
	free(lastpos);
	return rc;
}

void
memidx_stats(const struct memidx *ix, size_t *live, size_t *tail, size_t *dead, size_t *bytes)
{
	*live = ix->nlive;
	*tail = ix->ndocs - ix->nmain_docs;
	*dead = ix->ndead;
	*bytes = ix->pool_cap + (size_t)ix->terms_cap * 4 + ((size_t)ix->tmask + 1) * 4 +
	    (ix->poff ? (size_t)ix->nmain_terms * 4 + (size_t)ix->poff[ix->nmain_terms] * 12 : 0) +
	    ix->npbytes +
	    (size_t)ix->docs_cap * (sizeof(struct mdoc) + sizeof(struct mhot) + 4) +
	    ix->fwd_cap * 4 + ix->dtags_cap * 4 +
	    (ix->rkey ? ((size_t)ix->rmask + 1) * 12 : 0);
}

/* ---- searching ---- */

/* Per-thread arrays over the documents, reused from query to query. */
struct memidx_scratch {
	uint32_t *stamp;                /* stamp[d] == qid: d is in the current set */
	double *acc;
	uint32_t *touched;              /* the documents a query's scores reached */
	uint64_t *bits;
	size_t cap;                     /* documents they hold */
	uint32_t qid;
};

static pthread_key_t memidx_scratch_key;
static pthread_once_t memidx_scratch_once = PTHREAD_ONCE_INIT;

static void
memidx_scratch_free(void *p)
{
	struct memidx_scratch *s = p;

	if (s == NULL)
		return;
	free(s->stamp);
	free(s->acc);
	free(s->bits);
	free(s->touched);
	free(s);
}

static void
memidx_scratch_init(void)
{
	pthread_key_create(&memidx_scratch_key, memidx_scratch_free);
}

static struct memidx_scratch *
memidx_scratch(size_t ndocs)
{
	struct memidx_scratch *s;

	pthread_once(&memidx_scratch_once, memidx_scratch_init);
	if ((s = pthread_getspecific(memidx_scratch_key)) == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return NULL;
		pthread_setspecific(memidx_scratch_key, s);
	}
	if (s->cap < ndocs) {
		size_t cap = ndocs + ndocs / 4 + 1024;
		free(s->stamp);
		free(s->acc);
		free(s->bits);
		free(s->touched);
		s->stamp = calloc(cap, sizeof(*s->stamp));
		s->acc = malloc(cap * sizeof(*s->acc));
		s->bits = calloc(cap / 64 + 1, sizeof(*s->bits));
		s->touched = malloc(cap * sizeof(*s->touched));
		s->qid = 0;
		s->cap = s->stamp && s->acc && s->bits && s->touched ? cap : 0;
		if (s->cap == 0)
			return NULL;
	}
	return s;
}

static uint32_t
memidx_next_qid(struct memidx_scratch *s)
{
	if (++s->qid == 0) {
		memset(s->stamp, 0, s->cap * sizeof(*s->stamp));
		s->qid = 1;
	}
	return s->qid;
}

/* One token of a phrase: main terms [lo, hi) and tail terms extra[]. */
struct memidx_tokm {
	uint32_t lo, hi;
	uint32_t *extra;
	size_t nextra;
};

struct memidx_phrase {
	struct memidx_tokm *tok;
	size_t ntok;
	int missing;                    /* a token no document has */
	uint32_t *doc;                  /* live documents with the phrase, in order */
	double *wf;                     /* weighted instances in each */
	size_t n, cap;
	int direct;                     /* one main term: doc/wf hold the tail's documents only,
	                                 * the main ones are read from the postings of term */
	uint32_t term;
	size_t nmain;                   /* live main documents with term */
};

enum { MEMIDX_PHRASE, MEMIDX_OR, MEMIDX_AND, MEMIDX_NOT };

struct memidx_node {
	int kind;
	int a, b;                       /* children (operators) or phrase number */
};

struct memidx_query {
	const struct memidx *ix;
	const char *s;
	size_t i, len;
	int depth, err;
	struct memidx_node node[MEMIDX_NODES_MAX];
	int nnodes;
	struct memidx_phrase *ph;
	size_t nph, phcap;
};

struct memidx_list {
	uint32_t *d;
	size_t n;
	int owned;
};

static int
memidx_tokm_has(const struct memidx_tokm *m, uint32_t t)
{
	if (t >= m->lo && t < m->hi)
		return 1;
	for (size_t i = 0; i < m->nextra; i++)
		if (m->extra[i] == t)
			return 1;
	return 0;
}

/* Main terms starting with the n bytes of p: [lo, hi). */
static void
memidx_prefix_range(const struct memidx *ix, const char *p, size_t n, uint32_t *lo,
    uint32_t *hi)
{
	uint32_t a = 0, b = ix->nmain_terms;

	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (strncmp(memidx_term(ix, m), p, n) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = ix->nmain_terms;
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (strncmp(memidx_term(ix, m), p, n) == 0)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
}

struct memidx_phrase_build {
	struct memidx_query *q;
	struct memidx_phrase *p;
	int prefix;
	const char *last;               /* the last token, for the prefix */
	size_t last_len;
	int err;
};

static int
memidx_phrase_token(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct memidx_phrase_build *b = ctx;
	struct memidx_phrase *p = b->p;
	struct memidx_tokm *m;
	uint32_t id;

	(void)start;
	(void)end;
	if (p->ntok >= MEMIDX_PHRASE_TOKENS) {
		b->err = ERR_TOOBIG;
		return 1;
	}
	if ((m = realloc(p->tok, (p->ntok + 1) * sizeof(*m))) == NULL) {
		b->err = ERR_NOMEM;
		return 1;
	}
	p->tok = m;
	m = &p->tok[p->ntok++];
	memset(m, 0, sizeof(*m));
	if (memidx_term_find(b->q->ix, tok, toklen, &id)) {
		if (id < b->q->ix->nmain_terms) {
			m->lo = id;
			m->hi = id + 1;
		} else if ((m->extra = malloc(sizeof(*m->extra))) != NULL) {
			m->extra[0] = id;
			m->nextra = 1;
		} else {
			b->err = ERR_NOMEM;
			return 1;
		}
	}
	b->last = tok;
	b->last_len = toklen;
	return 0;
}

/* The phrase of the FTS5 string at q->s[q->i] ('"' ... '"', then maybe " *"). */
static int
memidx_parse_string(struct memidx_query *q)
{
	struct memidx_phrase_build b = { q, NULL, 0, NULL, 0, 0 };
	char *text = malloc(q->len - q->i + 1);
	size_t n = 0;
	int num;

	if (text == NULL)
		return ERR_NOMEM;
	q->i++;
	for (;;) {
		if (q->i >= q->len) {
			free(text);
			return ERR_INVALID;
		}
		if (q->s[q->i] == '"') {
			if (q->i + 1 < q->len && q->s[q->i + 1] == '"') {
				text[n++] = '"';
				q->i += 2;
				continue;
			}
			q->i++;
			break;
		}
		text[n++] = q->s[q->i++];
	}
	if (q->i + 1 < q->len && q->s[q->i] == ' ' && q->s[q->i + 1] == '*') {
		b.prefix = 1;
		q->i += 2;
	}
	if (memidx_grow((void **)&q->ph, &q->phcap, q->nph + 1, sizeof(*q->ph)) != 0) {
		free(text);
		return ERR_NOMEM;
	}
	num = (int)q->nph++;
	b.p = &q->ph[num];
	memset(b.p, 0, sizeof(*b.p));
	if (analyze_text(NULL, text, n, memidx_phrase_token, &b) != 0 && b.err == 0)
		b.err = ERR_NOMEM;
	free(text);
	if (b.err != 0)
		return b.err;
	if (b.prefix && b.p->ntok > 0) {
		struct memidx_tokm *m = &b.p->tok[b.p->ntok - 1];
		const struct memidx *ix = q->ix;
		char pre[ANALYZE_TOKEN_MAX + 1];
		size_t pl = b.last_len < sizeof(pre) ? b.last_len : sizeof(pre) - 1;

		memcpy(pre, b.last, pl);
		free(m->extra);
		memset(m, 0, sizeof(*m));
		memidx_prefix_range(ix, pre, pl, &m->lo, &m->hi);
		for (uint32_t t = ix->nmain_terms; t < ix->nterms; t++) {
			if (strncmp(memidx_term(ix, t), pre, pl) != 0)
				continue;
			uint32_t *e = realloc(m->extra, (m->nextra + 1) * sizeof(*e));
			if (e == NULL)
				return ERR_NOMEM;
			m->extra = e;
			m->extra[m->nextra++] = t;
		}
	}
	for (size_t k = 0; k < b.p->ntok; k++)
		if (b.p->tok[k].hi == b.p->tok[k].lo && b.p->tok[k].nextra == 0)
			b.p->missing = 1;
	if (b.p->ntok == 0)
		b.p->missing = 1;
	if (q->nnodes >= MEMIDX_NODES_MAX)
		return ERR_TOOBIG;
	q->node[q->nnodes] = (struct memidx_node){ MEMIDX_PHRASE, num, -1 };
	return q->nnodes++;
}

static void
memidx_skip(struct memidx_query *q)
{
	while (q->i < q->len && q->s[q->i] == ' ')
		q->i++;
}

static int
memidx_keyword(struct memidx_query *q, const char *kw)
{
	size_t n = strlen(kw);

	memidx_skip(q);
	if (q->len - q->i > n && memcmp(q->s + q->i, kw, n) == 0 && q->s[q->i + n] == ' ') {
		q->i += n;
		return 1;
	}
	return 0;
}

static int memidx_parse_or(struct memidx_query *q);

static int
memidx_node(struct memidx_query *q, int kind, int a, int b)
{
	if (a < 0)
		return a;
	if (b < 0)
		return b;
	if (q->nnodes >= MEMIDX_NODES_MAX)
		return ERR_TOOBIG;
	q->node[q->nnodes] = (struct memidx_node){ kind, a, b };
	return q->nnodes++;
}

static int
memidx_parse_prim(struct memidx_query *q)
{
	int e;

	memidx_skip(q);
	if (q->i >= q->len)
		return ERR_INVALID;
	if (q->s[q->i] == '"')
		return memidx_parse_string(q);
	if (q->s[q->i] != '(' || ++q->depth > MEMIDX_DEPTH_MAX)
		return ERR_INVALID;
	q->i++;
	if ((e = memidx_parse_or(q)) < 0)
		return e;
	memidx_skip(q);
	if (q->i >= q->len || q->s[q->i] != ')')
		return ERR_INVALID;
	q->i++;
	q->depth--;
	return e;
}

/* Operators by precedence, loosest first (FTS5's: NOT binds tighter than AND, AND than OR). */
static const struct {
	const char *kw;
	int kind;
} memidx_ops[] = { { "OR", MEMIDX_OR }, { "AND", MEMIDX_AND }, { "NOT", MEMIDX_NOT } };

static int
memidx_parse_level(struct memidx_query *q, size_t level)
{
	int e;

	if (level == sizeof(memidx_ops) / sizeof(memidx_ops[0]))
		return memidx_parse_prim(q);
	e = memidx_parse_level(q, level + 1);
	while (e >= 0 && memidx_keyword(q, memidx_ops[level].kw))
		e = memidx_node(q, memidx_ops[level].kind, e, memidx_parse_level(q, level + 1));
	return e;
}

static int
memidx_parse_or(struct memidx_query *q)
{
	return memidx_parse_level(q, 0);
}

static int
memidx_phrase_push(struct memidx_phrase *p, uint32_t d, double wf)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		uint32_t *nd = realloc(p->doc, cap * sizeof(*nd));
		double *nw;
		if (nd == NULL)
			return ERR_NOMEM;
		p->doc = nd;
		if ((nw = realloc(p->wf, cap * sizeof(*nw))) == NULL)
			return ERR_NOMEM;
		p->wf = nw;
		p->cap = cap;
	}
	p->doc[p->n] = d;
	p->wf[p->n++] = wf;
	return 0;
}

/* 1 when the p->ntok tokens from f are an instance of p (the caller keeps them in one column). */
static int
memidx_phrase_starts(const struct memidx_phrase *p, const uint32_t *f)
{
	for (size_t j = 0; j < p->ntok; j++)
		if (!memidx_tokm_has(&p->tok[j], f[j]))
			return 0;
	return 1;
}

/* Weighted instances of p in document d: consecutive tokens within one column. */
static double
memidx_phrase_in(const struct memidx *ix, const struct memidx_phrase *p, uint32_t d)
{
	const struct mdoc *m = &ix->doc[d];
	const uint32_t *f = memidx_tokens(ix, m);
	double wf = 0;

	for (int c = 0; c < 3; f += m->len[c], c++) {
		if (m->len[c] < p->ntok)
			continue;
		for (uint32_t i = 0; i + p->ntok <= m->len[c]; i++)
			if (memidx_phrase_starts(p, f + i))
				wf += ix->w[c];
	}
	return wf;
}

/*
 * memidx_phrase_in for a main document whose exact tokens' postings are gk[j] (j == best
 * among them): from the positions of the best token instead of a scan of every token. Falls
 * back to the scan for a token more frequent in d than MEMIDX_POS_MAX.
 */
static double
memidx_phrase_at(const struct memidx *ix, const struct memidx_phrase *p, uint32_t d,
    size_t best, const uint32_t *gk)
{
	const struct mdoc *m = &ix->doc[d];
	const uint32_t *f = memidx_tokens(ix, m);
	uint32_t pos[MEMIDX_PHRASE_POS][MEMIDX_POS_MAX];
	size_t npos[MEMIDX_PHRASE_POS], at[MEMIDX_PHRASE_POS] = { 0 };
	uint32_t end0 = m->len[0], end1 = m->len[0] + m->len[1];
	double wf = 0;

	for (size_t j = 0; j < p->ntok; j++) {
		const struct memidx_tokm *t = &p->tok[j];
		if (j != best && (t->hi - t->lo != 1 || t->nextra != 0))
			continue;
		npos[j] = memidx_positions(ix, gk[j], pos[j], MEMIDX_POS_MAX);
		if (npos[j] == MEMIDX_POS_MAX)
			return memidx_phrase_in(ix, p, d);
	}
	for (size_t x = 0; x < npos[best]; x++) {
		uint32_t s0, last;
		size_t j;
		int c0;
		if (pos[best][x] < best)
			continue;
		s0 = pos[best][x] - (uint32_t)best;
		last = s0 + (uint32_t)p->ntok - 1;
		c0 = s0 < end0 ? 0 : s0 < end1 ? 1 : 2;
		if ((c0 == 0 && last >= end0) || (c0 == 1 && last >= end1))
			continue;       /* across two columns */
		for (j = 0; j < p->ntok; j++) {
			const struct memidx_tokm *t = &p->tok[j];
			uint32_t want = s0 + (uint32_t)j;
			if (j == best)
				continue;
			if (t->hi - t->lo != 1 || t->nextra != 0) {
				if (!memidx_tokm_has(t, f[want]))
					break;
				continue;
			}
			while (at[j] < npos[j] && pos[j][at[j]] < want)
				at[j]++;
			if (at[j] >= npos[j] || pos[j][at[j]] != want)
				break;
		}
		if (j == p->ntok)
			wf += ix->w[c0];
	}
	return wf;
}

static double
memidx_tf_weight(const struct memidx *ix, uint32_t tf)
{
	return ix->w[0] * (tf >> 24) + ix->w[1] * ((tf >> 16) & 0xff) + ix->w[2] * (tf & 0xffff);
}

/* First k in [lo, n) of a sorted array with a[k] >= v (galloping). */
static size_t
memidx_seek(const uint32_t *a, size_t lo, size_t n, uint32_t v)
{
	size_t step = 1, hi;

	while (lo + step < n && a[lo + step] < v)
		step *= 2;
	hi = lo + step < n ? lo + step + 1 : n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (a[m] < v)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static int
memidx_phrase_eval(const struct memidx *ix, struct memidx_scratch *s, struct memidx_phrase *p,
    int direct_ok)
{
	int rc = 0;

	if (p->missing)
		return 0;
	if (direct_ok && p->ntok == 1 && p->tok[0].hi - p->tok[0].lo == 1) {
		uint32_t t = p->tok[0].lo;
		p->direct = 1;
		p->term = t;
		p->nmain = ix->poff[t + 1] - ix->poff[t];
		for (uint32_t k = ix->poff[t]; ix->ndead > 0 && k < ix->poff[t + 1]; k++)
			p->nmain -= !MEMIDX_ALIVE(ix, ix->pdoc[k]);
	} else if (p->ntok == 1 && p->tok[0].hi - p->tok[0].lo == 1) {
		uint32_t t = p->tok[0].lo;
		for (uint32_t k = ix->poff[t]; k < ix->poff[t + 1] && rc == 0; k++)
			if (MEMIDX_ALIVE(ix, ix->pdoc[k]))
				rc = memidx_phrase_push(p, ix->pdoc[k],
				    memidx_tf_weight(ix, ix->ptf[k]));
	} else if (p->ntok == 1 && p->tok[0].hi > p->tok[0].lo) {
		uint32_t qid = memidx_next_qid(s);
		for (uint32_t t = p->tok[0].lo; t < p->tok[0].hi; t++) {
			for (uint32_t k = ix->poff[t]; k < ix->poff[t + 1]; k++) {
				uint32_t d = ix->pdoc[k];
				if (!MEMIDX_ALIVE(ix, d))
					continue;
				if (s->stamp[d] != qid) {
					s->stamp[d] = qid;
					s->acc[d] = 0;
					s->bits[d / 64] |= 1ull << (d % 64);
				}
				s->acc[d] += memidx_tf_weight(ix, ix->ptf[k]);
			}
		}
		for (uint32_t w = 0; w <= ix->nmain_docs / 64; w++) {
			while (s->bits[w] != 0) {
				uint32_t d = w * 64 + (uint32_t)__builtin_ctzll(s->bits[w]);
				s->bits[w] &= s->bits[w] - 1;
				if (rc == 0)
					rc = memidx_phrase_push(p, d, s->acc[d]);
			}
		}
	} else if (p->ntok > 1) {
		/* Candidates: the rarest exact token's documents having every other exact token;
		 * a token with no main term (only in the tail) leaves no main document. */
		size_t best = SIZE_MAX;
		int main_possible = 1;
		for (size_t j = 0; j < p->ntok; j++) {
			const struct memidx_tokm *m = &p->tok[j];
			if (m->hi == m->lo)
				main_possible = 0;
			else if (m->hi - m->lo == 1 && (best == SIZE_MAX ||
			    ix->poff[m->lo + 1] - ix->poff[m->lo] <
			    ix->poff[p->tok[best].lo + 1] - ix->poff[p->tok[best].lo]))
				best = j;
		}
		if (!main_possible)
			best = SIZE_MAX;
		if (best < p->ntok) {
			uint32_t t = p->tok[best].lo;
			static const size_t zero[MEMIDX_PHRASE_TOKENS];
			size_t pos[MEMIDX_PHRASE_TOKENS];
			uint32_t gk[MEMIDX_PHRASE_TOKENS];

			memcpy(pos, zero, sizeof(pos));
			for (uint32_t k = ix->poff[t]; k < ix->poff[t + 1] && rc == 0; k++) {
				uint32_t d = ix->pdoc[k];
				int all = (int)MEMIDX_ALIVE(ix, d);
				gk[best] = k;
				for (size_t j = 0; j < p->ntok && all; j++) {
					const struct memidx_tokm *m = &p->tok[j];
					const uint32_t *a;
					size_t n;
					if (j == best || m->hi - m->lo != 1 || m->nextra != 0)
						continue;
					a = ix->pdoc + ix->poff[m->lo];
					n = ix->poff[m->lo + 1] - ix->poff[m->lo];
					pos[j] = memidx_seek(a, pos[j], n, d);
					all = pos[j] < n && a[pos[j]] == d;
					gk[j] = ix->poff[m->lo] + (uint32_t)pos[j];
				}
				if (all) {
					double wf = p->ntok <= MEMIDX_PHRASE_POS ?
					    memidx_phrase_at(ix, p, d, best, gk) :
					    memidx_phrase_in(ix, p, d);
					if (wf > 0)
						rc = memidx_phrase_push(p, d, wf);
				}
			}
		}
	}
	for (uint32_t d = ix->nmain_docs; d < ix->ndocs && rc == 0; d++) {
		double wf;
		if (MEMIDX_ALIVE(ix, d) && (wf = memidx_phrase_in(ix, p, d)) > 0)
			rc = memidx_phrase_push(p, d, wf);
	}
	return rc;
}

static int
memidx_list_alloc(struct memidx_list *l, size_t n)
{
	l->n = 0;
	l->owned = 1;
	return (l->d = malloc((n + 1) * sizeof(*l->d))) == NULL ? ERR_NOMEM : 0;
}

static void
memidx_list_free(struct memidx_list *l)
{
	if (l->owned)
		free(l->d);
	l->d = NULL;
	l->owned = 0;
}

/* The sorted documents matching node e. */
static int
memidx_eval(struct memidx_query *q, int e, struct memidx_list *out)
{
	const struct memidx_node *nd = &q->node[e];
	struct memidx_list a = { 0 }, b = { 0 };
	size_t i = 0, j = 0;
	int rc;

	if (nd->kind == MEMIDX_PHRASE) {
		out->d = q->ph[nd->a].doc;
		out->n = q->ph[nd->a].n;
		out->owned = 0;
		return 0;
	}
	if ((rc = memidx_eval(q, nd->a, &a)) != 0 || (rc = memidx_eval(q, nd->b, &b)) != 0)
		goto out;
	if ((rc = memidx_list_alloc(out, nd->kind == MEMIDX_OR ? a.n + b.n : a.n)) != 0)
		goto out;
	while (i < a.n || j < b.n) {
		if (j >= b.n || (i < a.n && a.d[i] < b.d[j])) {
			if (nd->kind != MEMIDX_AND)
				out->d[out->n++] = a.d[i];
			i++;
		} else if (i >= a.n || b.d[j] < a.d[i]) {
			if (nd->kind == MEMIDX_OR)
				out->d[out->n++] = b.d[j];
			j++;
		} else {
			if (nd->kind != MEMIDX_NOT)
				out->d[out->n++] = a.d[i];
			i++;
			j++;
		}
		if (nd->kind != MEMIDX_OR && i >= a.n)
			break;
	}
out:
	memidx_list_free(&a);
	memidx_list_free(&b);
	return rc;
}

/* 1 when node e joins phrases by OR only. */
static int
memidx_or_only(const struct memidx_query *q, int e)
{
	const struct memidx_node *nd = &q->node[e];

	if (nd->kind == MEMIDX_PHRASE)
		return 1;
	return nd->kind == MEMIDX_OR && memidx_or_only(q, nd->a) && memidx_or_only(q, nd->b);
}

struct memidx_cand {
	double score;
	uint32_t d;
};

/* 1 when a ranks after b: lower score, or the same score and a greater id. */
static int
memidx_after(const struct memidx *ix, const struct memidx_cand *a, const struct memidx_cand *b)
{
	if (a->score != b->score)
		return a->score < b->score;
	return strcmp(ix->doc[a->d].id, ix->doc[b->d].id) > 0;
}

/* A heap of the best k, the worst on top. */
static void
memidx_heap_down(const struct memidx *ix, struct memidx_cand *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct memidx_cand t;
		if (l < n && memidx_after(ix, &h[l], &h[w]))
			w = l;
		if (r < n && memidx_after(ix, &h[r], &h[w]))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void
memidx_heap_up(const struct memidx *ix, struct memidx_cand *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct memidx_cand t;
		if (!memidx_after(ix, &h[i], &h[p]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

/* Marks the phrase instances among the n tokens f (mark: n zeroed bytes). */
static void
memidx_mark(const struct memidx_query *q, const uint32_t *f, uint32_t n, uint8_t *mark)
{
	for (size_t k = 0; k < q->nph; k++) {
		const struct memidx_phrase *p = &q->ph[k];
		if (p->missing || p->ntok > n)
			continue;
		for (uint32_t i = 0; i + p->ntok <= n; i++) {
			if (!memidx_phrase_starts(p, f + i))
				continue;
			mark[i] = 1;
			for (size_t j = 1; j < p->ntok; j++)
				if (mark[i + j] == 0)
					mark[i + j] = 2;
		}
	}
}

/* Title marks and the snippet window of a hit: the window of MEMIDX_SNIPPET tokens holding
 * the most instances, the first such, with the instances in its middle. */
static int
memidx_hit_marks(const struct memidx *ix, const struct memidx_query *q, uint32_t d,
    struct memidx_hit *h)
{
	const struct mdoc *m = &ix->doc[d];
	const uint32_t *f = memidx_tokens(ix, m);
	uint32_t n = m->len[2], best = 0, best_n = 0, span = 0;
	uint8_t *mark;

	h->marked = 1;
	h->title_tokens = m->len[0];
	h->body_tokens = n;
	if (m->len[0] <= MEMIDX_TITLE_MARKS)
		memidx_mark(q, f, m->len[0], h->title_mark);
	if ((mark = calloc((size_t)n + 1, 1)) == NULL)
		return ERR_NOMEM;
	memidx_mark(q, f + m->len[0] + m->len[1], n, mark);
	for (uint32_t s = 0; s < n; s++) {
		uint32_t c = 0, last = s;
		if (mark[s] != 1)
			continue;
		for (uint32_t i = s; i < n && i < s + MEMIDX_SNIPPET; i++) {
			if (mark[i] == 1)
				c++;
			if (mark[i] != 0)
				last = i;
		}
		if (c > best_n) {
			best_n = c;
			best = s;
			span = last - s + 1;
		}
	}
	if (n <= MEMIDX_SNIPPET) {
		h->snip_from = 0;
	} else {
		uint32_t pad = (MEMIDX_SNIPPET - span) / 2;
		h->snip_from = best > pad ? best - pad : 0;
		if (h->snip_from > n - MEMIDX_SNIPPET)
			h->snip_from = n - MEMIDX_SNIPPET;
	}
	h->snip_to = h->snip_from + (n < MEMIDX_SNIPPET ? n : MEMIDX_SNIPPET);
	memcpy(h->snip_mark, mark + h->snip_from, h->snip_to - h->snip_from);
	/* An instance cut by the window's start starts at the window. */
	if (h->snip_to > h->snip_from && h->snip_mark[0] == 2)
		h->snip_mark[0] = 1;
	free(mark);
	return 0;
}

/* Counts by name (copied: the result outlives the index's lock); keys without a name skipped. */
static int
memidx_counts(const struct keytab *t, int by_key, const uint32_t *count,
    struct memidx_count **out, size_t *n)
{
	*n = 0;
	if ((*out = malloc(((size_t)t->n + 1) * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		const char *name = by_key ? t->key[i] : t->name != NULL ? t->name[i] : NULL;
		if (count[i] == 0 || name == NULL)
			continue;
		if (((*out)[*n].name = strdup(name)) == NULL)
			return ERR_NOMEM;
		(*out)[(*n)++].count = count[i];
	}
	return 0;
}

static int
memidx_cmp_nocase(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tag names of document d into h, sorted as kb_document_tags sorts them, and its other
 * attributes. */
static int
memidx_hit_tags(const struct memidx *ix, uint32_t d, struct memidx_hit *h)
{
	const struct mhot *m = &ix->hot[d];
	const char *names[MEMIDX_TAGS_MAX];
	size_t n = 0, len = 0;
	char *p;

	for (uint16_t i = 0; i < m->ntags; i++) {
		const char *name = ix->tags.name ? ix->tags.name[ix->dtags[m->tags + i]] : NULL;
		if (name != NULL) {
			names[n++] = name;
			len += strlen(name) + 1;
		}
	}
	qsort(names, n, sizeof(*names), memidx_cmp_nocase);
	snprintf(h->language, sizeof(h->language), "%s", ix->langs.key[m->lang]);
	h->updated = ix->doc[d].updated;
	if (m->coll >= 0 && ix->colls.name != NULL && ix->colls.name[m->coll] != NULL &&
	    (h->collection = strdup(ix->colls.name[m->coll])) == NULL)
		return ERR_NOMEM;
	if ((h->tags = p = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]) + 1;
		memcpy(p, names[i], l);
		p += l;
	}
	h->ntags = n;
	return 0;
}

static void
memidx_counts_free(struct memidx_count *c, size_t n)
{
	for (size_t i = 0; c != NULL && i < n; i++)
		free(c[i].name);
	free(c);
}

void
memidx_result_clear(struct memidx_result *r)
{
	for (size_t i = 0; r->hits != NULL && i < r->nhits; i++) {
		free(r->hits[i].tags);
		free(r->hits[i].collection);
	}
	free(r->hits);
	r->hits = NULL;
	memidx_counts_free(r->tags, r->ntags);
	memidx_counts_free(r->collections, r->ncollections);
	memidx_counts_free(r->languages, r->nlanguages);
	r->tags = r->collections = r->languages = NULL;
	r->ntags = r->ncollections = r->nlanguages = 0;
	r->nhits = 0;
	r->total = 0;
}

int
memidx_search(struct memidx *ix, const char *expr, const struct memidx_filter *f, size_t k,
    size_t first, struct memidx_result *r)
{
	struct memidx_query *q = calloc(1, sizeof(*q));
	struct memidx_scratch *s = memidx_scratch(ix->ndocs);
	struct memidx_list all = { 0 };
	struct memidx_cand *heap = NULL;
	uint32_t *tcount = NULL, *ccount = NULL, *lcount = NULL, *req = NULL, coll = 0, lang = 0;
	uint8_t *hidden = NULL;
	uint64_t hidden_sig = 0;
	double nrow, avgdl, single_idf = 0;
	size_t nheap = 0;
	int single;
	int root, rc = ERR_NOMEM, none = 0, or_only;

	memset(r, 0, sizeof(*r));
	if (q == NULL || s == NULL)
		goto out;
	if (k > MEMIDX_HITS_MAX)
		k = MEMIDX_HITS_MAX;
	q->ix = ix;
	q->s = expr;
	q->len = strlen(expr);
	if ((root = memidx_parse_or(q)) < 0) {
		rc = root;
		goto out;
	}
	memidx_skip(q);
	if (q->i != q->len) {
		rc = ERR_INVALID;
		goto out;
	}
	or_only = memidx_or_only(q, root);
	for (size_t i = 0; i < q->nph; i++)
		if ((rc = memidx_phrase_eval(ix, s, &q->ph[i], or_only)) != 0)
			goto out;
	if (!or_only && (rc = memidx_eval(q, root, &all)) != 0)
		goto out;
	rc = ERR_NOMEM;
	/* The filter, in the index's numbers; what the index has never seen matches nothing. */
	if ((hidden = calloc((size_t)ix->tags.n + 1, 1)) == NULL ||
	    (tcount = calloc((size_t)ix->tags.n + 1, sizeof(*tcount))) == NULL ||
	    (ccount = calloc((size_t)ix->colls.n + 1, sizeof(*ccount))) == NULL ||
	    (lcount = calloc((size_t)ix->langs.n + 1, sizeof(*lcount))) == NULL ||
	    (req = calloc(f->nrequired + 1, sizeof(*req))) == NULL ||
	    (heap = malloc((k + 1) * sizeof(*heap))) == NULL ||
	    (r->hits = calloc(k + 1, sizeof(*r->hits))) == NULL)
		goto out;
	for (size_t i = 0; i < f->nhidden; i++) {
		uint32_t t;
		if (keytab_find(&ix->tags, f->hidden_tags[i], strlen(f->hidden_tags[i]), &t)) {
			hidden[t] = 1;
			hidden_sig |= 1ull << (t & 63);
		}
	}
	for (size_t i = 0; i < f->nrequired; i++)
		none |= !keytab_find(&ix->tags, f->required_tags[i], strlen(f->required_tags[i]),
		    &req[i]);
	if (f->collection_id != NULL)
		none |= !keytab_find(&ix->colls, f->collection_id, strlen(f->collection_id), &coll);
	if (f->language != NULL)
		none |= !keytab_find(&ix->langs, f->language, strlen(f->language), &lang);
	/* bm25 of every match, as FTS5 computes it, then the filter, counts and the best k. One
	 * word alone (a third of queries): its postings are the matches, scored as filtered. */
	single = or_only && q->nph == 1 && q->ph[0].direct;
	nrow = ix->nlive;
	avgdl = nrow > 0 ? (double)ix->live_tokens / nrow : 1;
	{
		uint32_t qid = memidx_next_qid(s);
		size_t nt = 0;

		/* Words joined by OR only (most queries): the matches are every document a
		 * phrase reaches, met while adding the scores; no list of matches is built. */
		for (size_t i = 0; !or_only && i < all.n; i++) {
			s->stamp[all.d[i]] = qid;
			s->acc[all.d[i]] = 0;
		}
		for (size_t i = 0; i < q->nph; i++) {
			const struct memidx_phrase *p = &q->ph[i];
			double nhit = (double)(p->n + (p->direct ? p->nmain : 0));
			double idf = log((nrow - nhit + 0.5) / (nhit + 0.5));
			if (idf <= 0.0)
				idf = 1e-6;
			single_idf = idf;
			if (single)
				break;          /* scored below, while filtering */
#define MEMIDX_ADD(d, wf) do { \
	double dl_ = (double)ix->dlen[d]; \
	if (s->stamp[d] != qid) { \
		if (!or_only) \
			break; \
		s->stamp[d] = qid; \
		s->acc[d] = 0; \
		s->bits[d >> 6] |= 1ull << (d & 63); \
	} \
	/* FTS5's expression, in its order of operations (the same bits). */ \
	s->acc[d] += idf * (((wf) * (MEMIDX_K1 + 1.0)) / ((wf) + MEMIDX_K1 * (1 - MEMIDX_B + \
	    MEMIDX_B * dl_ / avgdl))); \
} while (0)
			for (uint32_t pk = p->direct ? ix->poff[p->term] : 0;
			    p->direct && pk < ix->poff[p->term + 1]; pk++) {
				uint32_t d = ix->pdoc[pk];
				double wf = memidx_tf_weight(ix, ix->ptf[pk]);
				if (MEMIDX_ALIVE(ix, d))
					MEMIDX_ADD(d, wf);
			}
			for (size_t j = 0; j < p->n; j++)
				MEMIDX_ADD(p->doc[j], p->wf[j]);
#undef MEMIDX_ADD
		}
		if (or_only && !single) {
			/* The matches in document order, for the reads of the filter below. */
			for (uint32_t w = 0; w <= ix->ndocs / 64; w++) {
				while (s->bits[w] != 0) {
					s->touched[nt++] = w * 64 + (uint32_t)__builtin_ctzll(s->bits[w]);
					s->bits[w] &= s->bits[w] - 1;
				}
			}
			all.d = s->touched;
			all.n = nt;
			all.owned = 0;
		}
	}
	for (int seg = 0; seg < (single ? 2 : 1) && !none; seg++) {
		const struct memidx_phrase *sp = single ? &q->ph[0] : NULL;
		uint32_t base = single && seg == 0 ? ix->poff[sp->term] : 0;
		const uint32_t *src = !single ? all.d : seg == 0 ? ix->pdoc + base : sp->doc;
		size_t nsrc = !single ? all.n : seg == 0 ? ix->poff[sp->term + 1] - base : sp->n;

		for (size_t i = 0; i < nsrc; i++) {
			uint32_t d = src[i];
			const struct mhot *m = &ix->hot[d];
			const uint32_t *tg = m->ntags > 0 ? ix->dtags + m->tags : NULL;
			struct memidx_cand c = { 0, d };
			int ok = 1;

			if (!single) {
				c.score = s->acc[d];
			} else {
				double wf = seg == 0 ? memidx_tf_weight(ix, ix->ptf[base + i]) :
				    sp->wf[i];
				if (seg == 0 && !MEMIDX_ALIVE(ix, d))
					continue;
				/* FTS5's expression, in its order of operations (the same bits). */
				c.score = single_idf * ((wf * (MEMIDX_K1 + 1.0)) / (wf + MEMIDX_K1 *
				    (1 - MEMIDX_B + MEMIDX_B * (double)ix->dlen[d] / avgdl)));
			}

			for (uint16_t t = 0; (m->sig & hidden_sig) != 0 && t < m->ntags && ok; t++)
				ok = !hidden[tg[t]];
			for (size_t j = 0; j < f->nrequired && ok; j++) {
				uint16_t t = 0;
				while (t < m->ntags && tg[t] != req[j])
					t++;
				ok = t < m->ntags;
			}
			if (!ok || (f->collection_id != NULL && m->coll != (int32_t)coll) ||
			    (f->language != NULL && m->lang != lang) ||
			    (f->from != 0 && ix->doc[d].updated < f->from) ||
			    (f->to != 0 && ix->doc[d].updated >= f->to))
				continue;
			r->total++;
			for (uint16_t t = 0; t < m->ntags; t++)
				tcount[tg[t]]++;
			if (m->coll >= 0)
				ccount[m->coll]++;
			lcount[m->lang]++;
			if (k == 0)
				continue;
			if (nheap < k) {
				heap[nheap] = c;
				memidx_heap_up(ix, heap, nheap++);
			} else if (memidx_after(ix, &heap[0], &c)) {
				heap[0] = c;
				memidx_heap_down(ix, heap, nheap, 0);
			}
		}
	}
	/* Best first: take the worst off the heap into the last free place. */
	r->nhits = nheap;
	for (size_t n = nheap; n > 0; n--) {
		struct memidx_hit *h = &r->hits[n - 1];
		const struct mdoc *m = &ix->doc[heap[0].d];
		h->rowid = m->rowid;
		h->score = heap[0].score;
		memcpy(h->id, m->id, sizeof(h->id));
		if (n - 1 >= first && ((rc = memidx_hit_marks(ix, q, heap[0].d, h)) != 0 ||
		    (rc = memidx_hit_tags(ix, heap[0].d, h)) != 0))
			goto out;
		heap[0] = heap[n - 1];
		memidx_heap_down(ix, heap, n - 1, 0);
	}
	r->nhits = nheap;
	if ((rc = memidx_counts(&ix->tags, 0, tcount, &r->tags, &r->ntags)) != 0 ||
	    (rc = memidx_counts(&ix->colls, 0, ccount, &r->collections, &r->ncollections)) != 0 ||
	    (rc = memidx_counts(&ix->langs, 1, lcount, &r->languages, &r->nlanguages)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		memidx_result_clear(r);
	memidx_list_free(&all);
	for (size_t i = 0; q != NULL && i < q->nph; i++) {
		for (size_t j = 0; j < q->ph[i].ntok; j++)
			free(q->ph[i].tok[j].extra);
		free(q->ph[i].tok);
		free(q->ph[i].doc);
		free(q->ph[i].wf);
	}
	if (q != NULL)
		free(q->ph);
	free(q);
	free(heap);
	free(hidden);
	free(tcount);
	free(ccount);
	free(lcount);
	free(req);
	return rc;
}
