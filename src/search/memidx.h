/*
 * memidx.h: an in-memory copy of a vault's full-text index, for searches that must rank every
 * match, count them and facet them in about a millisecond (the FTS5 tables stay the reference
 * and the source: search.c builds this from them and keeps it in step through doc_index_log).
 *
 * It answers the FTS5 expressions that search/query.c writes (quoted strings, " *" prefixes,
 * AND, OR, NOT, parentheses) over the same tokens (analyze_text on the stored columns), with
 * FTS5's bm25 (k1 1.2, b 0.75, column weights): the same documents and, but for one case, the
 * same scores. The case: FTS5 counts a phrase's instances in a row only when that phrase's own
 * iterator stands on the row, so in "x OR (a AND b)" a row with x and a but no b may or may not
 * count a; here a phrase present in a matching row always counts.
 *
 * Documents added before memidx_seal are the main part (sorted dictionary, postings); later
 * ones go to a tail scanned at every query, until the owner builds a new index. Removal only
 * marks a document dead. Not thread-safe: the owner locks (search.c: many searches or one
 * change at a time).
 */
#ifndef COFFRE_SEARCH_MEMIDX_H
#define COFFRE_SEARCH_MEMIDX_H

#include <stddef.h>
#include <stdint.h>

#define MEMIDX_ID_LEN 32                /* document, tag and collection ids: 32 characters */
#define MEMIDX_TAGS_MAX 64              /* tags of one document kept (kb allows 32) */
#define MEMIDX_HITS_MAX 1050            /* offset + limit of one search at most */

struct memidx;

struct memidx_doc {
	int64_t rowid;                  /* doc_index's row */
	const char *id;                 /* document id */
	const char *language;           /* documents.language, at most 15 bytes */
	const char *collection_id;      /* NULL: none */
	int64_t updated;
	const char *const *tag_ids;
	size_t ntags;
	const char *col[3];             /* title, tags, body as stored in doc_index (marker first) */
	size_t col_len[3];
};

struct memidx_filter {
	const char *const *hidden_tags; /* the caller's hidden tag ids: their documents are skipped */
	size_t nhidden;
	const char *const *required_tags;   /* every one required */
	size_t nrequired;
	const char *collection_id;      /* NULL: any */
	const char *language;           /* NULL: any */
	int64_t from, to;               /* updated in [from, to); 0: open */
};

#define MEMIDX_TITLE_MARKS 256          /* title tokens marked (a 300-byte title has fewer) */
#define MEMIDX_SNIPPET 24               /* tokens of body in a snippet */

/* Marks: 1 where a phrase instance starts at this token, 2 where one goes on, else 0. */
struct memidx_hit {
	int64_t rowid;
	char id[MEMIDX_ID_LEN + 1];
	double score;                   /* bm25, higher is better (FTS5's with the sign changed) */
	int marked;                     /* the fields below are set (hits from `first` on) */
	uint32_t title_tokens, body_tokens;
	uint32_t snip_from, snip_to;    /* the snippet: body tokens [from, to) */
	uint8_t title_mark[MEMIDX_TITLE_MARKS];
	uint8_t snip_mark[MEMIDX_SNIPPET];
	char *tags;                     /* the names of its tags, sorted without case, each
	                                 * NUL-terminated (marked hits; names memidx_name gave) */
	size_t ntags;
	char language[MEMIDX_ID_LEN + 1];       /* marked hits: the document's attributes */
	char *collection;               /* its collection's name, NULL for none */
	int64_t updated;
};

struct memidx_count {
	char *name;                     /* tag or collection name (memidx_name), or language */
	uint32_t count;
};

struct memidx_result {
	uint64_t total;
	struct memidx_hit *hits;
	size_t nhits;                   /* the best min(k, total) by score, then id */
	struct memidx_count *tags, *collections, *languages;    /* every name with a count > 0 */
	size_t ntags, ncollections, nlanguages;
};

/* An empty index with bm25 column weights w[3] (title, tags, body); NULL without memory. */
struct memidx *memidx_new(const double w[3]);
void memidx_free(struct memidx *ix);
/* Adds (or replaces, by rowid) a document. 0, ERR_INVALID (bad ids), ERR_NOMEM. */
int memidx_add(struct memidx *ix, const struct memidx_doc *d);
/* Removes the document of rowid; 0 also when it is not there. */
int memidx_remove(struct memidx *ix, int64_t rowid);
/* The current name of tag (kind 0) or collection (kind 1) id. 0, ERR_INVALID, ERR_NOMEM. */
int memidx_name(struct memidx *ix, int kind, const char *id, const char *name);
/* Turns the documents added so far into the main part (dictionary sorted, postings built). */
int memidx_seal(struct memidx *ix);
/*
 * Evaluates expr (query.c's FTS5 syntax) and fills *r with the total, the best k hits (k at
 * most MEMIDX_HITS_MAX), the marks of hits first..k-1 (the page: FTS5's highlight() of the
 * title, a snippet of the body of MEMIDX_SNIPPET tokens around the most instances) and the
 * facet counts of the documents the filter keeps. r's arrays are the caller's to free with
 * memidx_result_clear. ERR_INVALID for syntax query.c does not write, ERR_NOMEM.
 */
int memidx_search(struct memidx *ix, const char *expr, const struct memidx_filter *f, size_t k,
    size_t first, struct memidx_result *r);
void memidx_result_clear(struct memidx_result *r);
/* Live documents, documents in the tail, dead documents still held, bytes held. */
void memidx_stats(const struct memidx *ix, size_t *live, size_t *tail, size_t *dead,
    size_t *bytes);

#endif
