/* search.c: the full-text index of a vault and the search over it. */
#include "search/search.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "kb/kb.h"
#include "search/analyze.h"
#include "search/live.h"
#include "search/query.h"
#include "store/db.h"
#include "store/vault.h"

#define SEARCH_TAGS_FILTER_MAX 10
#define SEARCH_MARK_OPEN "\x02"
#define SEARCH_MARK_CLOSE "\x03"

static int
search_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(rc);
}

/*
 * Notes a change of index row rid in doc_index_log (search/live.c reads it), keeping the last
 * SEARCH_LOG_KEEP entries: an in-memory index further behind than that is rebuilt instead.
 */
static int
search_log(sqlite3 *db, sqlite3_int64 rid)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 seq;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO doc_index_log (rid) VALUES (?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, rid);
	if ((rc = search_step_done(st)) != 0)
		return rc;
	seq = sqlite3_last_insert_rowid(db);
	if (seq % 1024 != 0)
		return 0;
	if (sqlite3_prepare_v2(db, "DELETE FROM doc_index_log WHERE seq <= ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, seq - SEARCH_LOG_KEEP);
	return search_step_done(st);
}

/* The index row of a document, or 0 when it has none. */
static sqlite3_int64
search_rowid(sqlite3 *db, const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 rid = 0;

	if (sqlite3_prepare_v2(db, "SELECT rowid FROM doc_index_map WHERE document_id = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		rid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rid;
}

int
search_index_remove(sqlite3 *db, const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 rid = search_rowid(db, doc_id);
	int rc;

	if (rid < 0)
		return ERR_INTERNAL;
	if (rid == 0)
		return 0;
	if (sqlite3_prepare_v2(db, "DELETE FROM doc_index WHERE rowid = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, rid);
	if ((rc = search_step_done(st)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM doc_index_map WHERE rowid = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, rid);
	if ((rc = search_step_done(st)) != 0)
		return rc;
	return search_log(db, rid);
}

int
search_index_put(sqlite3 *db, const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	char lang[16] = "";
	sqlite3_int64 rid;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT language FROM documents WHERE id = ?1 AND deleted = 0",
	    -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(lang, sizeof(lang), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (lang[0] == '\0')
		return search_index_remove(db, doc_id);   /* trashed or gone: not searchable */
	if ((rid = search_rowid(db, doc_id)) < 0)
		return ERR_INTERNAL;
	if (rid > 0) {
		if (sqlite3_prepare_v2(db, "DELETE FROM doc_index WHERE rowid = ?1", -1, &st, NULL) !=
		    SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_int64(st, 1, rid);
		if ((rc = search_step_done(st)) != 0)
			return rc;
	} else {
		if (sqlite3_prepare_v2(db, "INSERT INTO doc_index_map (document_id) VALUES (?1)", -1,
		    &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
		if ((rc = search_step_done(st)) != 0)
			return rc;
		rid = sqlite3_last_insert_rowid(db);
	}
	/* Each column starts with the marker of the document's language (search/analyze.h). */
	if (sqlite3_prepare_v2(db, "INSERT INTO doc_index (rowid, title, tags, body) SELECT ?2, "
	    "?3 || d.title, ?3 || coalesce((SELECT group_concat(t.name, ' ; ') FROM document_tags "
	    "dt JOIN tags t ON t.id = dt.tag_id WHERE dt.document_id = d.id), ''), ?3 || d.body "
	    "FROM documents d WHERE d.id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rid);
	sqlite3_bind_text(st, 3, analyze_marker(lang), -1, SQLITE_STATIC);
	if ((rc = search_step_done(st)) != 0)
		return rc;
	return search_log(db, rid);
}

int
search_index_names(sqlite3 *db)
{
	return search_log(db, 0);
}

int
search_index_collection(sqlite3 *db, const char *collection_id)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "INSERT INTO doc_index_log (rid) SELECT x.rowid FROM "
	    "doc_index_map x JOIN documents d ON d.id = x.document_id WHERE d.collection_id = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, collection_id, -1, SQLITE_STATIC);
	return search_step_done(st);
}

int
search_index_tag(sqlite3 *db, const char *tag_id, int dropping)
{
	sqlite3_stmt *st = NULL;
	char (*ids)[33] = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT dt.document_id FROM document_tags dt JOIN documents d "
	    "ON d.id = dt.document_id WHERE dt.tag_id = ?1 AND d.deleted = 0", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, tag_id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *p = realloc(ids, ncap * sizeof(*ids));
			if (p == NULL) {
				rc = ERR_NOMEM;
				break;
			}
			ids = p;
			cap = ncap;
		}
		snprintf(ids[n++], 33, "%s", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc == 0 && dropping) {
		/* The tag leaves its documents first, so that they are indexed without it. */
		if (sqlite3_prepare_v2(db, "DELETE FROM document_tags WHERE tag_id = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			rc = ERR_INTERNAL;
		else {
			sqlite3_bind_text(st, 1, tag_id, -1, SQLITE_STATIC);
			rc = search_step_done(st);
		}
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = search_index_put(db, ids[i]);
	free(ids);
	return rc;
}

/* Marked text ("\x02" opens a match, "\x03" closes it) as [{text, match}] segments, without
 * the language marker the stored text starts with. */
static json_t *
search_segments(const char *marked)
{
	json_t *arr = json_array();
	const char *p = marked;
	int match = 0;

	if (arr == NULL || marked == NULL)
		return arr;
	while (*p != '\0') {
		size_t n = strcspn(p, SEARCH_MARK_OPEN SEARCH_MARK_CLOSE "\x1f");
		if (n > 0)
			json_array_append_new(arr, json_pack("{s:s%, s:b}", "text", p, n, "match",
			    match));
		p += n;
		if (*p == '\x02') {
			match = 1;
			p++;
		} else if (*p == '\x03') {
			match = 0;
			p++;
		} else if (*p == '\x1f') {
			size_t m = analyze_marker_len(p, strlen(p));
			p += m > 0 ? m : 1;
		}
	}
	return arr;
}

/*
 * The caller's matches. The index is always the outer loop: CROSS JOIN fixes the order, as
 * SQLite may otherwise start from documents and run the MATCH once per document (seconds at
 * 100k documents). A documents row is large (the body is in it) and each read costs a page
 * read, so documents are joined for every match only where a filter or a facet needs them;
 * the index holds live documents only (search_index_put takes trashed ones out in the same
 * transaction) and d.deleted = 0 is checked wherever documents are read. Visibility is
 * access.h's rule, with the documents carrying a hidden tag built once per statement.
 */
#define SEARCH_MATCHES(cols) \
	"WITH " ACCESS_HIDDEN_TAGS ", m AS (SELECT rowid AS rid" cols " FROM doc_index WHERE " \
	"doc_index MATCH :expr) "
#define SEARCH_FROM_MAP " FROM m CROSS JOIN doc_index_map x ON x.rowid = m.rid"
#define SEARCH_WHERE_MAP \
	" WHERE " ACCESS_VISIBLE_ID("x.document_id") " AND (:ntags = 0 OR (SELECT count(*) FROM " \
	"document_tags ft JOIN tags t2 ON t2.id = ft.tag_id WHERE ft.document_id = x.document_id " \
	"AND t2.name IN (SELECT value FROM json_each(:tags))) = (SELECT count(DISTINCT value " \
	"COLLATE NOCASE) FROM json_each(:tags)))"
#define SEARCH_FROM_DOCS \
	SEARCH_FROM_MAP " CROSS JOIN documents d ON d.id = x.document_id LEFT JOIN collections c " \
	"ON c.id = d.collection_id"
#define SEARCH_WHERE_DOCS \
	SEARCH_WHERE_MAP " AND d.deleted = 0 AND (:coll IS NULL OR c.name = :coll) AND (:lang IS " \
	"NULL OR d.language = :lang) AND (:from = 0 OR d.updated >= :from) AND (:to = 0 OR " \
	"d.updated < :to)"
/* One page of hits, ranked before any documents row is read but the page's. */
#define SEARCH_HITS(from_where) \
	SEARCH_MATCHES(", bm25(doc_index, " SEARCH_BM25_WEIGHTS ") AS score") "SELECT d.id, " \
	"h.rid, h.score, d.title, d.language, c.name, d.updated FROM (SELECT m.rid, m.score, " \
	"x.document_id" from_where " ORDER BY m.score, x.document_id LIMIT :limit OFFSET " \
	":offset) h CROSS JOIN documents d ON d.id = h.document_id LEFT JOIN collections c ON " \
	"c.id = d.collection_id WHERE d.deleted = 0 ORDER BY h.score, d.id"
/* The total (kind 0) and the facets by tag (1), collection (2) and language (3), in one pass
 * over the matches: {kind, name, count} rows, each facet by count then name. */
#define SEARCH_FACETS \
	SEARCH_MATCHES("") ", v AS MATERIALIZED (SELECT x.document_id AS id, d.language AS " \
	"language, d.collection_id AS cid" SEARCH_FROM_DOCS SEARCH_WHERE_DOCS ") SELECT 0, NULL, " \
	"count(*) FROM v UNION ALL SELECT * FROM (SELECT 1, t.name, count(*) FROM v CROSS JOIN " \
	"document_tags dt ON dt.document_id = v.id JOIN tags t ON t.id = dt.tag_id GROUP BY t.id " \
	"ORDER BY 3 DESC, 2 LIMIT 20) UNION ALL SELECT * FROM (SELECT 2, c.name, count(*) FROM v " \
	"JOIN collections c ON c.id = v.cid GROUP BY c.id ORDER BY 3 DESC, 2 LIMIT 20) UNION ALL " \
	"SELECT * FROM (SELECT 3, v.language, count(*) FROM v GROUP BY v.language ORDER BY 3 " \
	"DESC, 2 LIMIT 20) ORDER BY 1, 3 DESC, 2 COLLATE NOCASE"

struct search_ctx {
	struct vault *v;
	const char *query_json;         /* the answer's "query" member, as JSON text */
	const struct identity *id;
	const struct search_params *p;
	const char *expr;
	const char *tags_json;
	int ntags;
	struct result *r;
};

/* Binds the named parameters *st has to the search's values. */
static void
search_bind(const struct search_ctx *x, sqlite3_stmt **st)
{
	int i;

#define SEARCH_BIND(name, call) \
	if ((i = sqlite3_bind_parameter_index(*st, name)) > 0) \
		call
	SEARCH_BIND(":uid", sqlite3_bind_text(*st, i, x->id->user_id, -1, SQLITE_STATIC));
	SEARCH_BIND(":expr", sqlite3_bind_text(*st, i, x->expr, -1, SQLITE_STATIC));
	SEARCH_BIND(":coll", if (x->p->collection != NULL) sqlite3_bind_text(*st, i,
	    x->p->collection, -1, SQLITE_STATIC));
	SEARCH_BIND(":lang", if (x->p->language != NULL) sqlite3_bind_text(*st, i,
	    x->p->language, -1, SQLITE_STATIC));
	SEARCH_BIND(":from", sqlite3_bind_int64(*st, i, x->p->from_us));
	SEARCH_BIND(":to", sqlite3_bind_int64(*st, i, x->p->to_us));
	SEARCH_BIND(":tags", sqlite3_bind_text(*st, i, x->tags_json, -1, SQLITE_STATIC));
	SEARCH_BIND(":ntags", sqlite3_bind_int(*st, i, x->ntags));
	SEARCH_BIND(":limit", sqlite3_bind_int(*st, i, x->p->limit));
	SEARCH_BIND(":offset", sqlite3_bind_int(*st, i, x->p->offset));
#undef SEARCH_BIND
}

static int
search_prepare(sqlite3 *db, const struct search_ctx *x, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ERR_INTERNAL;
	}
	search_bind(x, st);
	return 0;
}

/* {tags, collections, languages} of [{name, count}], and the total, from SEARCH_FACETS. */
static int
search_facets(sqlite3 *db, const struct search_ctx *x, sqlite3_int64 *total, json_t **out)
{
	static const char *const kinds[] = { "tags", "collections", "languages" };
	sqlite3_stmt *st;
	json_t *facets = json_pack("{s:[], s:[], s:[]}", kinds[0], kinds[1], kinds[2]);
	int rc;

	if (facets == NULL)
		return ERR_NOMEM;
	if ((rc = search_prepare(db, x, SEARCH_FACETS, &st)) != 0) {
		json_decref(facets);
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(st, 0);
		if (kind == 0)
			*total = sqlite3_column_int64(st, 2);
		else if (kind <= 3)
			json_array_append_new(json_object_get(facets, kinds[kind - 1]),
			    json_pack("{s:s, s:I}", "name", sqlite3_column_text(st, 1), "count",
			    (json_int_t)sqlite3_column_int64(st, 2)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(facets);
		return db_err(rc);
	}
	*out = facets;
	return 0;
}

/* Highlighted title and a snippet of the body, for one hit only (cheap). */
static int
search_marks(sqlite3 *db, const struct search_ctx *x, sqlite3_int64 rid, json_t *hit)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT highlight(doc_index, 0, char(2), char(3)), "
	    "snippet(doc_index, 2, char(2), char(3), '…', 24) FROM doc_index WHERE doc_index "
	    "MATCH ?1 AND rowid = ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->expr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_object_set_new(hit, "title_marked", search_segments((const char *)
		    sqlite3_column_text(st, 0)));
		json_object_set_new(hit, "snippet", search_segments((const char *)
		    sqlite3_column_text(st, 1)));
	}
	sqlite3_finalize(st);
	return 0;
}

/* ---- the answer from the in-memory index (search/live.h) ---- */

/* Ids (32 characters) one statement returns in its first column; NULL stands for "none". */
struct search_ids {
	char (*id)[MEMIDX_ID_LEN + 1];
	const char **ptr;
	size_t n;
};

static int
search_ids_collect(sqlite3 *db, const struct search_ctx *x, const char *sql,
    struct search_ids *out)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (db_prepare(db, sql, &st) != 0)
		return ERR_INTERNAL;
	search_bind(x, &st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *p = realloc(out->id, ncap * sizeof(*out->id));
			if (p == NULL) {
				db_finish(db, sql, st);
				return ERR_NOMEM;
			}
			out->id = p;
			cap = ncap;
		}
		/* "" is no id the index has: an unknown name matches nothing. */
		snprintf(out->id[out->n++], MEMIDX_ID_LEN + 1, "%s", t != NULL &&
		    strlen(t) <= MEMIDX_ID_LEN ? t : "");
	}
	db_finish(db, sql, st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if ((out->ptr = calloc(out->n + 1, sizeof(*out->ptr))) == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < out->n; i++)
		out->ptr[i] = out->id[i];
	return 0;
}

static void
search_ids_free(struct search_ids *s)
{
	free(s->id);
	free(s->ptr);
}

/* ---- the answer written as JSON text: a page of hits is a few hundred small values ---- */

struct search_out {
	char *p;
	size_t len, cap;
	int failed;
};

static void
search_put(struct search_out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 16384;
		char *p;
		while (cap < o->len + n + 1)
			cap *= 2;
		if ((p = realloc(o->p, cap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
search_puts(struct search_out *o, const char *s)
{
	search_put(o, s, strlen(s));
}

/* The inside of a JSON string as jansson writes it (UTF-8 kept, control characters
 * escaped). The stored text is valid UTF-8 (kb refuses anything else) and is cut at token
 * boundaries only. */
static void
search_put_esc(struct search_out *o, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		search_put(o, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': search_put(o, "\\\"", 2); break;
		case '\\': search_put(o, "\\\\", 2); break;
		case '\n': search_put(o, "\\n", 2); break;
		case '\r': search_put(o, "\\r", 2); break;
		case '\t': search_put(o, "\\t", 2); break;
		case '\b': search_put(o, "\\b", 2); break;
		case '\f': search_put(o, "\\f", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			search_put(o, esc, 6);
		}
	}
	search_put(o, s + run, n - run);
}

static void
search_put_str(struct search_out *o, const char *s, size_t n)
{
	search_put(o, "\"", 1);
	search_put_esc(o, s, n);
	search_put(o, "\"", 1);
}

static void
search_put_fmt(struct search_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
search_put_fmt(struct search_out *o, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf))
		search_put(o, buf, (size_t)n);
	else
		o->failed = 1;
}

/* A real number as jansson writes it: %.17g, with ".0" when it would read as an integer. */
static void
search_put_real(struct search_out *o, double v)
{
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "%.17g", v);

	if (n <= 0 || (size_t)n >= sizeof(buf) - 2 || !isfinite(v)) {
		search_puts(o, "0.0");
		return;
	}
	if (strpbrk(buf, ".eE") == NULL)
		memcpy(buf + n, ".0", 3);
	search_puts(o, buf);
}

static int
search_count_cmp(const void *a, const void *b)
{
	const struct memidx_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return sqlite3_stricmp(x->name, y->name);
}

/* A facet as the SQL path writes it: by count, then name without case, the first
 * SEARCH_FACETS_MAX. */
static void
search_put_facet(struct search_out *o, const char *name, struct memidx_count *c, size_t n)
{
	qsort(c, n, sizeof(*c), search_count_cmp);
	search_put_fmt(o, "\"%s\":[", name);
	for (size_t i = 0; i < n && i < SEARCH_FACETS_MAX; i++) {
		search_puts(o, i ? ",{\"name\":" : "{\"name\":");
		search_put_str(o, c[i].name, strlen(c[i].name));
		search_put_fmt(o, ",\"count\":%u}", c[i].count);
	}
	search_puts(o, "]");
}

struct search_spans {
	size_t (*at)[2];                /* start and end byte of each token */
	uint32_t n, want;
};

static int
search_span(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct search_spans *s = ctx;

	(void)tok;
	(void)toklen;
	s->at[s->n][0] = start;
	s->at[s->n][1] = end;
	return ++s->n >= s->want;      /* stop after the last token wanted */
}

/* {"text": prefix + p[0..n), "match": match}, the first of its array or not. */
static void
search_put_seg(struct search_out *o, int *first, const char *prefix, const char *p, size_t n,
    int match)
{
	if (n == 0 && prefix == NULL)
		return;
	search_puts(o, *first ? "{\"text\":\"" : ",{\"text\":\"");
	*first = 0;
	if (prefix != NULL)
		search_put_esc(o, prefix, strlen(prefix));
	search_put_esc(o, p, n);
	search_puts(o, match ? "\",\"match\":true}" : "\",\"match\":false}");
}

/*
 * [{text, match}] of text (in language lang) from its tokens [from, to) and their marks
 * (memidx.h), as FTS5's highlight() (whole text) or snippet() writes it: a cut end gets "…",
 * an uncut one keeps the text up to the start or end.
 */
static void
search_put_marked(struct search_out *o, const char *lang, const char *text, uint32_t ntok,
    uint32_t from, uint32_t to, const uint8_t *mark)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	struct search_spans sp = { NULL, 0, to };
	size_t len = strlen(text), pos, end;
	const char *prefix;
	int first = 1;

	search_puts(o, "[");
	if (to == 0 || (sp.at = malloc((size_t)to * sizeof(*sp.at))) == NULL) {
		search_put_seg(o, &first, NULL, text, len, 0);
		search_puts(o, "]");
		return;
	}
	analyze_spans(lang, text, len, search_span, &sp);
	if (sp.n < to) {
		/* Not the index's tokens (cannot happen with the same text): no marks. */
		free(sp.at);
		search_put_seg(o, &first, NULL, text, len, 0);
		search_puts(o, "]");
		return;
	}
	pos = from == 0 ? 0 : sp.at[from][0];
	end = to >= ntok ? len : sp.at[to - 1][1];
	prefix = from == 0 ? NULL : ellipsis;
	for (uint32_t i = from; i < to; i++) {
		uint32_t j = i;
		if (mark[i - from] != 1)
			continue;
		while (j + 1 < to && mark[j + 1 - from] == 2)
			j++;
		search_put_seg(o, &first, prefix, text + pos, sp.at[i][0] - pos, 0);
		prefix = NULL;
		search_put_seg(o, &first, NULL, text + sp.at[i][0], sp.at[j][1] - sp.at[i][0], 1);
		pos = sp.at[j][1];
		i = j;
	}
	search_put_seg(o, &first, prefix, text + pos, end - pos, 0);
	if (to < ntok)
		search_put_seg(o, &first, NULL, ellipsis, strlen(ellipsis), 0);
	free(sp.at);
	search_puts(o, "]");
}

/* The stored column text after its language marker. */
static const char *
search_unmarked(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);

	return t == NULL ? NULL : t + analyze_marker_len(t, (size_t)sqlite3_column_bytes(st, col));
}

/* A hit of the page as the SQL path writes it; 0 when it is gone (then nothing is written). */
static int
search_put_hit(struct search_out *o, int first, sqlite3_stmt *st, const struct memidx_hit *h)
{
	const char *title, *body, *t = h->tags;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, h->rowid);
	if (sqlite3_step(st) != SQLITE_ROW || (title = search_unmarked(st, 0)) == NULL ||
	    (body = search_unmarked(st, 1)) == NULL)
		return 0;
	search_puts(o, first ? "{\"id\":" : ",{\"id\":");
	search_put_str(o, h->id, strlen(h->id));
	search_puts(o, ",\"title\":");
	search_put_str(o, title, strlen(title));
	search_puts(o, ",\"score\":");
	search_put_real(o, h->score);
	search_puts(o, ",\"language\":");
	search_put_str(o, h->language, strlen(h->language));
	search_puts(o, ",\"collection\":");
	if (h->collection != NULL)
		search_put_str(o, h->collection, strlen(h->collection));
	else
		search_puts(o, "null");
	search_puts(o, ",\"tags\":[");
	for (size_t i = 0; i < h->ntags; i++, t += strlen(t) + 1) {
		if (i > 0)
			search_puts(o, ",");
		search_put_str(o, t, strlen(t));
	}
	search_put_fmt(o, "],\"updated_us\":%lld,\"title_marked\":", (long long)h->updated);
	search_put_marked(o, h->language, title, h->title_tokens, 0,
	    h->title_tokens <= MEMIDX_TITLE_MARKS ? h->title_tokens : 0, h->title_mark);
	search_puts(o, ",\"snippet\":");
	search_put_marked(o, h->language, body, h->body_tokens, h->snip_from, h->snip_to,
	    h->snip_mark);
	search_puts(o, "}");
	return 1;
}

/*
 * A hit's title and body as the index stores them (after the language marker), from FTS5's
 * content table: a rowid table, one or two pages a hit when not cached. The documents table is
 * WITHOUT ROWID with the body in the row, so its interior pages hold few keys and a lookup
 * reads about eight pages (bench/search: 88 pages read and decrypted per search before).
 */
static const char SEARCH_HIT_SQL[] = "SELECT c0, c2 FROM doc_index_content WHERE id = ?1";

/* 1 with the answer in x->r, 0 when the in-memory index cannot answer (use SQL), or an error. */
static int
search_mem(sqlite3 *db, struct search_ctx *x)
{
	struct search_ids hidden, req = { 0 }, coll = { 0 };
	struct memidx_result *res = calloc(1, sizeof(*res));
	struct memidx_filter f = { 0 };
	struct search_out o = { 0 };
	sqlite3_stmt *st = NULL;
	size_t k = (size_t)x->p->offset + (size_t)x->p->limit;
	int rc;

	if (res == NULL)
		return ERR_NOMEM;
	if ((rc = search_ids_collect(db, x, "WITH " ACCESS_HIDDEN_TAGS " SELECT tag_id FROM "
	    "hidden_tags", &hidden)) != 0)
		goto out;
	if (x->ntags > 0 && (rc = search_ids_collect(db, x, "SELECT (SELECT id FROM tags WHERE "
	    "name = j.v) FROM (SELECT DISTINCT value COLLATE NOCASE AS v FROM json_each(:tags)) j",
	    &req)) != 0)
		goto out;
	if (x->p->collection != NULL && (rc = search_ids_collect(db, x, "SELECT coalesce((SELECT "
	    "id FROM collections WHERE name = :coll), '')", &coll)) != 0)
		goto out;
	f.hidden_tags = hidden.ptr;
	f.nhidden = hidden.n;
	f.required_tags = req.ptr;
	f.nrequired = req.n;
	f.collection_id = coll.n > 0 ? coll.ptr[0] : NULL;
	f.language = x->p->language;
	f.from = x->p->from_us;
	f.to = x->p->to_us;
	if ((rc = live_search(x->v, db, x->expr, &f, k, (size_t)x->p->offset, res)) != 1)
		goto out;
	if (db_prepare(db, SEARCH_HIT_SQL, &st) != 0) {
		rc = ERR_INTERNAL;
		goto out;
	}
	search_put_fmt(&o, "{\"total\":%llu,\"hits\":[", (unsigned long long)res->total);
	for (size_t i = (size_t)x->p->offset, n = 0; i < res->nhits; i++)
		n += (size_t)search_put_hit(&o, n == 0, st, &res->hits[i]);
	search_puts(&o, "],\"facets\":{");
	search_put_facet(&o, "tags", res->tags, res->ntags);
	search_puts(&o, ",");
	search_put_facet(&o, "collections", res->collections, res->ncollections);
	search_puts(&o, ",");
	search_put_facet(&o, "languages", res->languages, res->nlanguages);
	search_puts(&o, "},\"query\":");
	search_puts(&o, x->query_json);
	search_puts(&o, "}");
	if (o.failed) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = result_ok_raw(x->r, 200, o.p, o.len);
	o.p = NULL;
	rc = rc == 0 ? 1 : rc;
out:
	db_finish(db, SEARCH_HIT_SQL, st);
	free(o.p);
	search_ids_free(&hidden);
	search_ids_free(&req);
	search_ids_free(&coll);
	memidx_result_clear(res);
	free(res);
	return rc;
}

static int
search_tx(sqlite3 *db, void *arg)
{
	struct search_ctx *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *hits, *facets = NULL;
	sqlite3_int64 total = 0;
	int rc, docs = x->p->collection != NULL || x->p->language != NULL || x->p->from_us != 0 ||
	    x->p->to_us != 0;

	if ((rc = search_mem(db, x)) != 0)
		return rc < 0 ? rc : 0;
	if ((hits = json_array()) == NULL)
		return ERR_NOMEM;
	rc = search_prepare(db, x, docs ? SEARCH_HITS(SEARCH_FROM_DOCS SEARCH_WHERE_DOCS) :
	    SEARCH_HITS(SEARCH_FROM_MAP SEARCH_WHERE_MAP), &st);
	if (rc != 0) {
		json_decref(hits);
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *doc_id = (const char *)sqlite3_column_text(st, 0);
		/* bm25() is lower for better matches; the API shows higher-is-better. */
		json_t *hit = json_pack("{s:s, s:s, s:f, s:s, s:o, s:o, s:I}", "id", doc_id,
		    "title", sqlite3_column_text(st, 3), "score", -sqlite3_column_double(st, 2),
		    "language", sqlite3_column_text(st, 4), "collection",
		    sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null() :
		    json_string((const char *)sqlite3_column_text(st, 5)),
		    "tags", kb_document_tags(db, doc_id),
		    "updated_us", (json_int_t)sqlite3_column_int64(st, 6));
		if (hit == NULL)
			continue;
		search_marks(db, x, sqlite3_column_int64(st, 1), hit);
		json_array_append_new(hits, hit);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(hits);
		return db_err(rc);
	}
	if ((rc = search_facets(db, x, &total, &facets)) != 0) {
		json_decref(hits);
		return rc;
	}
	return result_ok(x->r, 200, json_pack("{s:I, s:o, s:o}", "total", (json_int_t)total,
	    "hits", hits, "facets", facets));
}

/* "a,b" -> ["a","b"] (trimmed, at most SEARCH_TAGS_FILTER_MAX, each a valid name). */
static json_t *
search_tags_filter(const char *s, int *n)
{
	json_t *arr = json_array();
	const char *p = s;

	*n = 0;
	while (arr != NULL && p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 0 || len > 64 || ++*n > SEARCH_TAGS_FILTER_MAX) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_stringn(p, len));
		p = comma ? comma + 1 : NULL;
	}
	return arr;
}

int
search_run(struct vault *v, const struct identity *id, const struct search_params *p,
    struct result *r)
{
	struct search_params params = *p;
	struct query_parsed *qp = NULL;
	struct search_ctx x = { .v = v, .id = id, .p = &params, .r = r };
	json_t *tags = NULL, *terms = NULL, *query = NULL;
	char *tags_json = NULL, *query_json = NULL;
	int rc;

	if (params.q == NULL)
		return result_fail(r, 400, "bad_query", "q is required.");
	if (params.limit == 0)
		params.limit = 10;
	if (params.limit < 1 || params.limit > SEARCH_LIMIT_MAX)
		return result_fail(r, 400, "bad_limit", "limit is from 1 to 50.");
	if (params.offset < 0 || params.offset > SEARCH_OFFSET_MAX)
		return result_fail(r, 400, "bad_offset", "offset is from 0 to 1000.");
	if (params.tags != NULL && (tags = search_tags_filter(params.tags, &x.ntags)) == NULL)
		return result_fail(r, 400, "bad_tags", "tags is a comma-separated list of at most "
		    "10 tag names.");
	if ((qp = calloc(1, sizeof(*qp))) == NULL) {
		json_decref(tags);
		return ERR_NOMEM;
	}
	rc = query_parse(params.q, strlen(params.q), params.lang, qp);
	if (rc == ERR_TOOBIG || rc == ERR_INVALID) {
		rc = result_fail(r, 400, rc == ERR_TOOBIG ? "query_too_long" : "bad_query",
		    rc == ERR_TOOBIG ? "The query is too long (4096 bytes, 16 exclusions at most)." :
		    "The query must be UTF-8 text (and lang a language code).");
		goto out;
	}
	if (rc != 0)
		goto out;
	rc = ERR_NOMEM;
	if ((terms = json_array()) == NULL)
		goto out;
	for (int i = 0; i < qp->nterms && i < QUERY_MAX_TERMS; i++)
		json_array_append_new(terms, json_string(qp->terms[i]));
	if (qp->expr[0] == '\0') {
		/* Nothing to look for (only stop words, only exclusions): no hits, not an error. */
		rc = result_ok(r, 200, json_pack("{s:{s:s, s:s, s:O}, s:i, s:[], s:{s:[], s:[], "
		    "s:[]}}", "query", "text", params.q, "lang", qp->lang, "terms", terms, "total", 0,
		    "hits", "facets", "tags", "collections", "languages"));
		goto out;
	}
	if (tags != NULL && (tags_json = json_dumps(tags, JSON_COMPACT)) == NULL)
		goto out;
	x.expr = qp->expr;
	x.tags_json = tags_json ? tags_json : "[]";
	if ((query = json_pack("{s:s, s:s, s:O}", "text", params.q, "lang", qp->lang, "terms",
	    terms)) == NULL || (query_json = json_dumps(query, JSON_COMPACT)) == NULL)
		goto out;
	x.query_json = query_json;
	rc = vault_read(v, search_tx, &x);
	if (rc == 0 && r->status == 200 && r->body != NULL) {
		json_object_set_new(r->body, "query", query);
		query = NULL;
	}
out:
	json_decref(query);
	free(query_json);
	json_decref(terms);
	json_decref(tags);
	free(tags_json);
	free(qp);
	return rc;
}

void
search_memory(int on)
{
	live_enable(on);
}

void
search_memory_cap(size_t bytes)
{
	live_set_cap(bytes);
}

int
search_warm(struct vault *v)
{
	return live_warm(v);
}

int
search_memory_trim(struct vault *v, int64_t idle_us)
{
	return live_trim(v, idle_us);
}
