/* live.c: the in-memory index of each open vault, kept in step with doc_index_log (live.h). */
#include "search/live.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "search/search.h"
#include "store/db.h"
#include "store/vault.h"

/* One built index; searches hold it (refs) so that a newer build can replace it meanwhile. */
struct live_gen {
	struct memidx *ix;
	pthread_rwlock_t lock;          /* searches read; catching up writes */
	sqlite3_int64 seq;              /* the last doc_index_log entry it includes */
	int stale;                      /* cannot catch up: only a new build helps */
	unsigned refs;                  /* under live_state.mu */
	size_t bytes;                   /* counted in live_used while installed or held */
};

struct live_state {
	pthread_mutex_t mu;
	struct live_gen *cur;
	_Atomic int64_t used_us;        /* the last search that asked for it */
	int64_t refused_until_us;       /* over the memory cap: no new build before then */
	struct vault *v;                /* while a builder runs */
	pthread_t builder;
	int building, joinable;
	atomic_int cancel;
};

static atomic_int live_on = 1;
/* Bytes of every vault's in-memory index, and the cap (search.memory_max_mib; 0: none). */
static _Atomic size_t live_used, live_cap;

#define LIVE_BYTES_PER_DOC 3584         /* bench/search: 337 MiB for 100k documents */
#define LIVE_REFUSED_US 60000000        /* how long a refused build is not tried again */

static const double live_weights[3] = { SEARCH_W_TITLE, SEARCH_W_TAGS, SEARCH_W_BODY };

void
live_enable(int on)
{
	atomic_store(&live_on, on != 0);
}

void
live_set_cap(size_t bytes)
{
	atomic_store(&live_cap, bytes);
}

static void
live_gen_free(struct live_gen *g)
{
	if (g == NULL)
		return;
	atomic_fetch_sub(&live_used, g->bytes);
	memidx_free(g->ix);
	pthread_rwlock_destroy(&g->lock);
	free(g);
}

static void
live_gen_release(struct live_state *st, struct live_gen *g)
{
	unsigned left;

	if (g == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	left = --g->refs;
	pthread_mutex_unlock(&st->mu);
	if (left == 0)
		live_gen_free(g);
}

/* Makes g (held once for st, or NULL) the vault's index; returns the one it replaces, whose
 * hold the caller gives back with live_gen_release. */
static struct live_gen *
live_swap(struct live_state *st, struct live_gen *g)
{
	struct live_gen *old;

	pthread_mutex_lock(&st->mu);
	old = st->cur;
	st->cur = g;
	pthread_mutex_unlock(&st->mu);
	return old;
}

static void *
live_make(void)
{
	struct live_state *st = calloc(1, sizeof(*st));

	if (st != NULL)
		pthread_mutex_init(&st->mu, NULL);
	return st;
}

static void
live_drop(void *p)
{
	struct live_state *st = p;

	if (st == NULL)
		return;
	atomic_store(&st->cancel, 1);
	if (st->joinable)
		pthread_join(st->builder, NULL);
	live_gen_release(st, live_swap(st, NULL));
	pthread_mutex_destroy(&st->mu);
	free(st);
}

/* The integer a statement (a constant: kept prepared) answers, -1 on failure. */
static sqlite3_int64
live_scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 seq = -1;

	if (db_prepare(db, sql, &st) != 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	db_finish(db, sql, st);
	return seq;
}

/* The documents of the index with their attributes and stored columns, and their tags. */
#define LIVE_DOCS(where) \
	"SELECT x.rowid, x.document_id, d.language, d.collection_id, d.updated, i.title, " \
	"i.tags, i.body FROM doc_index_map x CROSS JOIN doc_index i ON i.rowid = x.rowid CROSS " \
	"JOIN documents d ON d.id = x.document_id WHERE d.deleted = 0" where " ORDER BY x.rowid"
#define LIVE_TAGS(where) \
	"SELECT x.rowid, dt.tag_id FROM doc_index_map x CROSS JOIN document_tags dt ON " \
	"dt.document_id = x.document_id" where " ORDER BY x.rowid"

/* Adds the documents docs returns (tags from tags, in the same rowid order) to ix. */
static int
live_load(struct memidx *ix, sqlite3_stmt *docs, sqlite3_stmt *tags, atomic_int *cancel)
{
	const char *tag_ids[MEMIDX_TAGS_MAX];
	char tag_buf[MEMIDX_TAGS_MAX][MEMIDX_ID_LEN + 1];
	int rc, trc = sqlite3_step(tags);

	while ((rc = sqlite3_step(docs)) == SQLITE_ROW) {
		sqlite3_int64 rid = sqlite3_column_int64(docs, 0);
		struct memidx_doc d = {
			.rowid = rid,
			.id = (const char *)sqlite3_column_text(docs, 1),
			.language = (const char *)sqlite3_column_text(docs, 2),
			.collection_id = (const char *)sqlite3_column_text(docs, 3),
			.updated = sqlite3_column_int64(docs, 4),
			.tag_ids = tag_ids,
		};
		int err;

		if (cancel != NULL && atomic_load(cancel))
			return ERR_BUSY;
		while (trc == SQLITE_ROW && sqlite3_column_int64(tags, 0) < rid)
			trc = sqlite3_step(tags);
		while (trc == SQLITE_ROW && sqlite3_column_int64(tags, 0) == rid) {
			const char *t = (const char *)sqlite3_column_text(tags, 1);
			if (d.ntags < MEMIDX_TAGS_MAX && t != NULL && strlen(t) <= MEMIDX_ID_LEN) {
				memcpy(tag_buf[d.ntags], t, strlen(t) + 1);
				tag_ids[d.ntags] = tag_buf[d.ntags];
				d.ntags++;
			}
			trc = sqlite3_step(tags);
		}
		for (int c = 0; c < 3; c++) {
			d.col[c] = (const char *)sqlite3_column_text(docs, 5 + c);
			d.col_len[c] = (size_t)sqlite3_column_bytes(docs, 5 + c);
		}
		if (d.id == NULL || d.language == NULL)
			return ERR_INTERNAL;
		if ((err = memidx_add(ix, &d)) != 0)
			return err;
	}
	return rc == SQLITE_DONE ? 0 : db_err(rc);
}

/* The current names of the tags and collections (a facet shows names, the index keeps ids). */
static int
live_names(sqlite3 *db, struct memidx *ix)
{
	static const char *const sql[2] = { "SELECT id, name FROM tags",
	    "SELECT id, name FROM collections" };
	int rc = 0;

	for (int kind = 0; kind < 2 && rc == 0; kind++) {
		sqlite3_stmt *st = NULL;
		int step;
		if (sqlite3_prepare_v2(db, sql[kind], -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == 0) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			if (id != NULL && strlen(id) <= MEMIDX_ID_LEN)
				rc = memidx_name(ix, kind, id, (const char *)sqlite3_column_text(st, 1));
		}
		sqlite3_finalize(st);
		if (rc == 0 && step != SQLITE_DONE)
			rc = db_err(step);
	}
	return rc;
}

/* A new index of every document in db's snapshot. */
static int
live_build(sqlite3 *db, atomic_int *cancel, struct live_gen **out)
{
	sqlite3_stmt *docs = NULL, *tags = NULL;
	struct live_gen *g = calloc(1, sizeof(*g));
	int rc = ERR_NOMEM;

	*out = NULL;
	if (g == NULL || (g->ix = memidx_new(live_weights)) == NULL) {
		free(g);
		return ERR_NOMEM;
	}
	pthread_rwlock_init(&g->lock, NULL);
	g->refs = 1;
	if ((g->seq = live_scalar(db, "SELECT coalesce(max(seq), 0) FROM doc_index_log")) < 0 ||
	    sqlite3_prepare_v2(db, LIVE_DOCS(""), -1, &docs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, LIVE_TAGS(""), -1, &tags, NULL) != SQLITE_OK) {
		rc = ERR_INTERNAL;
		goto out;
	}
	if ((rc = live_load(g->ix, docs, tags, cancel)) != 0 || (rc = memidx_seal(g->ix)) != 0 ||
	    (rc = live_names(db, g->ix)) != 0)
		goto out;
	*out = g;
	g = NULL;
out:
	sqlite3_finalize(docs);
	sqlite3_finalize(tags);
	live_gen_free(g);
	return rc;
}

/* Brings g from its entry to entry seq of the log (write-locked by the caller). */
static int
live_catch_up(sqlite3 *db, struct live_gen *g, sqlite3_int64 seq)
{
	sqlite3_stmt *log = NULL, *docs = NULL, *tags = NULL;
	sqlite3_int64 first;
	int rc = ERR_INTERNAL;

	first = live_scalar(db, "SELECT coalesce(min(seq), 0) FROM doc_index_log");
	if (seq - g->seq > LIVE_CATCHUP_MAX || first < 0 || first > g->seq + 1) {
		g->stale = 1;          /* too far behind, or the entries it needs are pruned */
		return 0;
	}
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT rid FROM doc_index_log WHERE seq > ?1 AND "
	    "seq <= ?2", -1, &log, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, LIVE_DOCS(" AND x.rowid = ?1"), -1, &docs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, LIVE_TAGS(" WHERE x.rowid = ?1"), -1, &tags, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(log, 1, g->seq);
	sqlite3_bind_int64(log, 2, seq);
	while ((rc = sqlite3_step(log)) == SQLITE_ROW) {
		sqlite3_int64 rid = sqlite3_column_int64(log, 0);
		/* Out first: a document no longer in the snapshot stays out. */
		memidx_remove(g->ix, rid);
		sqlite3_reset(docs);
		sqlite3_reset(tags);
		sqlite3_bind_int64(docs, 1, rid);
		sqlite3_bind_int64(tags, 1, rid);
		if ((rc = live_load(g->ix, docs, tags, NULL)) != 0)
			break;
	}
	if (rc == SQLITE_DONE && (rc = live_names(db, g->ix)) == 0) {
		g->seq = seq;
	} else if (rc > 0) {
		rc = db_err(rc);
	}
	if (rc != 0)
		g->stale = 1;  /* half applied: never used again */
out:
	sqlite3_finalize(log);
	sqlite3_finalize(docs);
	sqlite3_finalize(tags);
	return rc;
}

static void
live_install(struct live_state *st, struct live_gen *g, const char *how, uint64_t t0)
{
	size_t live, tail, dead, bytes;

	memidx_stats(g->ix, &live, &tail, &dead, &bytes);
	g->bytes = bytes;
	atomic_fetch_add(&live_used, bytes);
	live_gen_release(st, live_swap(st, g));
	log_info("search: in-memory index built (%s): %zu documents, %zu MiB, %llu ms", how, live,
	    bytes >> 20, (unsigned long long)((time_mono_ns() - t0) / 1000000));
}

struct live_build_arg {
	struct live_state *st;
	struct live_gen *g;
};

static int
live_build_tx(sqlite3 *db, void *arg)
{
	struct live_build_arg *a = arg;

	return live_build(db, &a->st->cancel, &a->g);
}

static void *
live_builder(void *arg)
{
	struct live_state *st = arg;
	struct live_build_arg a = { st, NULL };
	uint64_t t0 = time_mono_ns();
	struct vault *v = st->v;
	int rc = vault_read(v, live_build_tx, &a);

	if (rc == 0 && a.g != NULL)
		live_install(st, a.g, "background", t0);
	else if (rc != ERR_BUSY)
		log_warnx("search: in-memory index not built: %s", err_str(rc));
	pthread_mutex_lock(&st->mu);
	st->building = 0;
	st->v = NULL;
	pthread_mutex_unlock(&st->mu);
	vault_release(v);
	return NULL;
}

/* Starts a background build unless one runs. */
static void
live_start(struct vault *v, struct live_state *st)
{
	pthread_mutex_lock(&st->mu);
	if (st->building || atomic_load(&st->cancel)) {
		pthread_mutex_unlock(&st->mu);
		return;
	}
	if (st->joinable) {
		pthread_join(st->builder, NULL);   /* finished: building is 0 */
		st->joinable = 0;
	}
	st->building = 1;
	st->v = v;
	vault_retain(v);
	if (pthread_create(&st->builder, NULL, live_builder, st) != 0) {
		st->building = 0;
		st->v = NULL;
		pthread_mutex_unlock(&st->mu);
		vault_release(v);
		log_warnx("search: cannot start the index builder");
		return;
	}
	st->joinable = 1;
	pthread_mutex_unlock(&st->mu);
}

static struct live_gen *
live_hold(struct live_state *st)
{
	struct live_gen *g;

	pthread_mutex_lock(&st->mu);
	if ((g = st->cur) != NULL)
		g->refs++;
	pthread_mutex_unlock(&st->mu);
	return g;
}

/* A new index for st, built in this snapshot when the vault is small, else in the background. */
static void
live_rebuild(struct vault *v, struct live_state *st, sqlite3 *db)
{
	sqlite3_int64 n;
	struct live_gen *g = NULL;
	uint64_t t0 = time_mono_ns();
	int64_t now = time_real_us();
	size_t cap = atomic_load(&live_cap), mine = 0, want;

	pthread_mutex_lock(&st->mu);
	if (now < st->refused_until_us) {
		pthread_mutex_unlock(&st->mu);
		return;
	}
	if (st->cur != NULL)
		mine = st->cur->bytes;  /* freed when the new one replaces it */
	pthread_mutex_unlock(&st->mu);
	if ((n = live_scalar(db, "SELECT count(*) FROM doc_index_map")) < 0)
		return;
	/* The cap: searches of a vault that does not fit use the FTS5 tables (correct, slower). */
	want = (size_t)n * LIVE_BYTES_PER_DOC;
	if (cap != 0 && atomic_load(&live_used) - mine + want > cap) {
		pthread_mutex_lock(&st->mu);
		st->refused_until_us = now + LIVE_REFUSED_US;
		pthread_mutex_unlock(&st->mu);
		log_warnx("search: tenant %s: no in-memory index (about %zu MiB for %lld documents, "
		    "%zu MiB in use, search.memory_max_mib %zu): searches use the FTS5 tables",
		    vault_tenant_id(v), want >> 20, (long long)n, atomic_load(&live_used) >> 20,
		    cap >> 20);
		return;
	}
	if (n > LIVE_SYNC_DOCS) {
		live_start(v, st);
		return;
	}
	if (live_build(db, NULL, &g) == 0)
		live_install(st, g, "in a search", t0);
}

int
live_search(struct vault *v, sqlite3 *db, const char *expr, const struct memidx_filter *f,
    size_t k, size_t first, struct memidx_result *res)
{
	struct live_state *st;
	struct live_gen *g;
	sqlite3_int64 seq;
	size_t live, tail, dead, bytes;
	int rc = 0, again = 0;

	if (!atomic_load(&live_on) || (st = vault_ext(v, live_make, live_drop)) == NULL)
		return 0;
	atomic_store(&st->used_us, time_real_us());
	if ((seq = live_scalar(db, "SELECT coalesce(max(seq), 0) FROM doc_index_log")) < 0)
		return 0;
	if ((g = live_hold(st)) == NULL) {
		live_rebuild(v, st, db);
		if ((g = live_hold(st)) == NULL)
			return 0;
	}
	pthread_rwlock_rdlock(&g->lock);
	if (!g->stale && g->seq < seq) {
		pthread_rwlock_unlock(&g->lock);
		pthread_rwlock_wrlock(&g->lock);
		if (!g->stale && g->seq < seq)
			live_catch_up(db, g, seq);
		pthread_rwlock_unlock(&g->lock);
		pthread_rwlock_rdlock(&g->lock);
	}
	/* Only the snapshot's own state: a newer one could show what this reader may not see. */
	if (!g->stale && g->seq == seq) {
		rc = memidx_search(g->ix, expr, f, k, first, res);
		rc = rc == 0 ? 1 : rc == ERR_INVALID ? 0 : rc;
	}
	memidx_stats(g->ix, &live, &tail, &dead, &bytes);
	again = g->stale || tail > LIVE_TAIL_MAX || (dead > 1000 && dead > live / 4);
	pthread_rwlock_unlock(&g->lock);
	live_gen_release(st, g);
	if (again) {
		pthread_mutex_lock(&st->mu);
		again = st->cur == g;  /* not replaced meanwhile */
		pthread_mutex_unlock(&st->mu);
		if (again)
			live_rebuild(v, st, db);
	}
	return rc;
}

struct live_warm_arg {
	struct vault *v;
	struct live_state *st;
};

static int
live_warm_tx(sqlite3 *db, void *arg)
{
	struct live_warm_arg *a = arg;
	struct live_gen *g = NULL;
	uint64_t t0 = time_mono_ns();
	int rc = live_build(db, NULL, &g);

	if (rc == 0)
		live_install(a->st, g, "warm-up", t0);
	return rc;
}

int
live_warm(struct vault *v)
{
	struct live_warm_arg a = { v, vault_ext(v, live_make, live_drop) };

	if (a.st == NULL)
		return ERR_NOMEM;
	atomic_store(&a.st->used_us, time_real_us());
	return vault_read(v, live_warm_tx, &a);
}

int
live_trim(struct vault *v, int64_t idle_us)
{
	struct live_state *st = vault_ext(v, NULL, NULL);
	struct live_gen *g;
	int busy;

	if (st == NULL || time_real_us() - atomic_load(&st->used_us) < idle_us)
		return 0;
	pthread_mutex_lock(&st->mu);
	busy = st->building;
	pthread_mutex_unlock(&st->mu);
	/* A search still holding it frees it when it lets go. */
	if (busy || (g = live_swap(st, NULL)) == NULL)
		return 0;
	log_info("search: in-memory index of tenant %s released after %lld s unused (%zu MiB)",
	    vault_tenant_id(v), (long long)(idle_us / 1000000), g->bytes >> 20);
	live_gen_release(st, g);
	return 0;
}
