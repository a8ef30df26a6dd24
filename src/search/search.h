/*
 * search.h: the full-text index of a vault and the search over it (S1).
 *
 * The index follows the knowledge base inside the same transactions (search_index_put and
 * search_index_remove are called by src/kb). A search parses the user's query into a safe
 * FTS5 expression (search/query.h), ranks with BM25 and field weights (title > tags > body),
 * and applies the tag visibility rule of access/access.h inside the SQL of the hits, the
 * total and the facets, so that nothing about an invisible document leaks.
 */
#ifndef COFFRE_SEARCH_H
#define COFFRE_SEARCH_H

#include <sqlite3.h>
#include <stdint.h>

#include "access/access.h"
#include "common/result.h"

struct vault;

#define SEARCH_LIMIT_MAX 50
#define SEARCH_OFFSET_MAX 1000
#define SEARCH_FACETS_MAX 20
#define SEARCH_LOG_KEEP 100000        /* doc_index_log entries kept */
/* BM25 weights of the title, tags and body columns, as numbers and as SQL text for bm25(). */
#define SEARCH_W_TITLE 10.0
#define SEARCH_W_TAGS 5.0
#define SEARCH_W_BODY 1.0
#define SEARCH_STR_(x) #x
#define SEARCH_STR(x) SEARCH_STR_(x)
#define SEARCH_BM25_WEIGHTS \
	SEARCH_STR(SEARCH_W_TITLE) ", " SEARCH_STR(SEARCH_W_TAGS) ", " SEARCH_STR(SEARCH_W_BODY)

/* (Re)indexes a live document's current title, tags and body (inside a write). */
int search_index_put(sqlite3 *db, const char *doc_id);
/* Takes a document out of the index (inside a write); nothing to do when it is not there. */
int search_index_remove(sqlite3 *db, const char *doc_id);
/* Re-indexes the live documents carrying a tag: after a rename, or (dropping) taking the
 * tag off them first, before the tag itself is deleted. */
int search_index_tag(sqlite3 *db, const char *tag_id, int dropping);
/* A tag or collection was renamed (inside the write): searches show the new name. */
int search_index_names(sqlite3 *db);
/* The documents of a collection about to be deleted (inside the write, before the DELETE)
 * lose it: the in-memory index reloads them. */
int search_index_collection(sqlite3 *db, const char *collection_id);

struct search_params {
	const char *q;                  /* what the user typed */
	const char *lang;               /* the query's language; NULL: guessed */
	const char *tags;               /* comma-separated names: every one required */
	const char *collection;
	const char *language;           /* documents in this language only */
	int64_t from_us, to_us;         /* updated in [from, to); 0: open */
	int limit, offset;              /* 1..SEARCH_LIMIT_MAX (10); 0..SEARCH_OFFSET_MAX */
};

/*
 * {query: {text, lang, terms}, total, hits: [{id, title, title_marked, snippet, score,
 * language, collection, tags, updated_us}], facets: {tags: [{name, count}], collections:
 * [...], languages: [...]}}. Marked text is an array of {text, match} segments built from
 * the stored text, so no markup from a document can pass for a highlight. 400 for a query
 * or filter coffre refuses.
 */
int search_run(struct vault *v, const struct identity *id, const struct search_params *p,
    struct result *r);
/*
 * Searches answer from an in-memory copy of each vault's index when it is ready (the default,
 * search/live.h), else from the FTS5 tables: search_memory(0) makes every search use SQL.
 * search_warm builds the vault's copy now and waits (benchmarks, tests).
 */
void search_memory(int on);
/* search.memory_max_mib: the memory all vaults' in-memory indexes may take together. */
void search_memory_cap(size_t bytes);
int search_warm(struct vault *v);
/* Frees the in-memory index of v when unused for idle_us (search.memory_idle). */
int search_memory_trim(struct vault *v, int64_t idle_us);

#endif
