/*
 * live.h: the in-memory index (memidx.h) of each open vault, built from its FTS5 tables and
 * kept in step with doc_index_log. Internal to src/search.
 *
 * A search asks live_search inside its read transaction. The answer comes from memory only
 * when the index holds exactly that transaction's snapshot (it first catches up with the log
 * entries the snapshot has); otherwise the caller runs its SQL, which is always correct. A
 * vault of up to LIVE_SYNC_DOCS documents is indexed during the search that first needs it;
 * a larger one in a background thread while searches use SQL. A tail of documents changed
 * since the build, or a log too far ahead, leads to a new build that replaces the index.
 */
#ifndef COFFRE_SEARCH_LIVE_H
#define COFFRE_SEARCH_LIVE_H

#include <sqlite3.h>

#include "search/memidx.h"

struct vault;

#define LIVE_SYNC_DOCS 5000             /* built inside the first search up to this size */
#define LIVE_CATCHUP_MAX 2000           /* log entries read in one search; more: rebuild */
#define LIVE_TAIL_MAX 4000              /* documents changed since the build; more: rebuild */

/* 1 when *res holds the answer from memory, 0 when the caller must use SQL, or an error. */
int live_search(struct vault *v, sqlite3 *db, const char *expr, const struct memidx_filter *f,
    size_t k, size_t first, struct memidx_result *res);
/* Builds the vault's index now, in the caller's thread, and waits for it (bench, tests). */
int live_warm(struct vault *v);
/* Frees the vault's in-memory index when no search asked for it for idle_us (the next
 * search builds it again). */
int live_trim(struct vault *v, int64_t idle_us);
/* The most memory all in-memory indexes may take (bytes; 0: no cap). A vault whose index
 * would go over it is searched with SQL (a warning says so, again at most once a minute). */
void live_set_cap(size_t bytes);
/* Turns the in-memory indexes on (the default) or off, for every vault. */
void live_enable(int on);

#endif
