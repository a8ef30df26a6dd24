/* documents.c: documents, their versions and the trash (K1-K3). */
#include "kb/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "kb/diff.h"
#include "search/search.h"
#include "store/db.h"
#include "store/vault.h"

/* The live (or trashed) document id, if the caller may see it. */
#define KB_VISIBLE_DOC(deleted_cond) \
	"WITH " ACCESS_HIDDEN_TAGS " SELECT d.version FROM documents d WHERE d.id = :id AND " \
	deleted_cond " AND " ACCESS_VISIBLE("d")

enum kb_state { KB_LIVE, KB_TRASHED };

/* 1 and *version when the document exists in that state and the caller may see it. */
static int
kb_doc_find(sqlite3 *db, const struct identity *id, const char *doc_id, enum kb_state state,
    int64_t *version)
{
	sqlite3_stmt *st;
	int found;

	/* docs/access.md: documents are visible only to holders of documents.read, whatever
	 * the route (a write- or delete-only role must not read bodies through PUT). */
	if (!id_valid(doc_id) || !kb_may(id, "documents.read"))
		return 0;
	if (kb_prepare(db, state == KB_LIVE ? KB_VISIBLE_DOC("d.deleted = 0") :
	    KB_VISIBLE_DOC("d.deleted > 0"), id, &st) != 0)
		return 0;
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), doc_id, -1,
	    SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found && version != NULL)
		*version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return found;
}

json_t *
kb_document_tags(sqlite3 *db, const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();

	if (arr == NULL || sqlite3_prepare_v2(db, "SELECT t.name FROM document_tags dt JOIN tags t "
	    "ON t.id = dt.tag_id WHERE dt.document_id = ?1 ORDER BY t.name COLLATE NOCASE", -1,
	    &st, NULL) != SQLITE_OK) {
		json_decref(arr);
		return NULL;
	}
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return arr;
}

#define KB_DOC_COLUMNS "d.id, d.title, d.language, c.name, d.author, d.created, d.updated, " \
	"d.updated_by, d.version, d.deleted, d.deleted_by, d.body"

/* A document row (KB_DOC_COLUMNS) as JSON; the body only when asked. */
static json_t *
kb_doc_row_json(sqlite3 *db, sqlite3_stmt *st, int with_body)
{
	const char *doc_id = (const char *)sqlite3_column_text(st, 0);
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:I, s:s, s:I}",
	    "id", doc_id, "title", sqlite3_column_text(st, 1),
	    "language", sqlite3_column_text(st, 2),
	    "collection", sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null() :
	    json_string((const char *)sqlite3_column_text(st, 3)),
	    "tags", kb_document_tags(db, doc_id),
	    "author", sqlite3_column_text(st, 4),
	    "created_us", (json_int_t)sqlite3_column_int64(st, 5),
	    "updated_us", (json_int_t)sqlite3_column_int64(st, 6),
	    "updated_by", sqlite3_column_text(st, 7),
	    "version", (json_int_t)sqlite3_column_int64(st, 8));

	if (j == NULL)
		return NULL;
	if (sqlite3_column_int64(st, 9) > 0) {
		json_object_set_new(j, "deleted_us", json_integer(sqlite3_column_int64(st, 9)));
		json_object_set_new(j, "deleted_by", json_string(
		    (const char *)sqlite3_column_text(st, 10)));
	}
	if (with_body)
		json_object_set_new(j, "body", json_string((const char *)sqlite3_column_text(st,
		    11)));
	return j;
}

/* The whole document by id (no visibility check: callers checked). */
static json_t *
kb_doc_json(sqlite3 *db, const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;

	if (sqlite3_prepare_v2(db, "SELECT " KB_DOC_COLUMNS " FROM documents d LEFT JOIN "
	    "collections c ON c.id = d.collection_id WHERE d.id = ?1", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = kb_doc_row_json(db, st, 1);
	sqlite3_finalize(st);
	return j;
}

/* Resolves the collection and tags of in, creating names the caller may create (audited
 * like tag.create and collection.create), refusing tags hidden from the caller. Fills
 * coll_id ("" for none) and tag_ids. */
static int
kb_resolve(struct vault *v, sqlite3 *db, const struct identity *id, const char *source,
    const struct kb_doc_input *in, char coll_id[33], char tag_ids[][33], struct result *r)
{
	int created, rc;

	coll_id[0] = '\0';
	if (in->collection != NULL) {
		rc = kb_collection_ensure(db, in->collection, kb_may(id, "collections.manage"),
		    coll_id, &created);
		if (rc == ERR_NOTFOUND)
			return result_refuse(r, 422, "unknown_collection", "No collection has this "
			    "name (creating one needs collections.manage).");
		if (rc != 0 || (created && (rc = kb_audit(v, db, "collection.create", id, source,
		    coll_id, json_pack("{s:b}", "implicit", 1))) != 0))
			return rc;
	}
	for (size_t i = 0; i < in->ntags; i++) {
		rc = kb_tag_ensure(db, in->tags[i], kb_may(id, "tags.manage"), tag_ids[i], &created);
		if (rc == ERR_NOTFOUND)
			return result_refuse(r, 422, "unknown_tag", "A tag does not exist (creating "
			    "one needs tags.manage).");
		if (rc != 0 || (created && (rc = kb_audit(v, db, "tag.create", id, source,
		    tag_ids[i], json_pack("{s:b, s:b}", "restricted", 0, "implicit", 1))) != 0))
			return rc;
		/* A tag the caller may not see is refused like one that does not exist: its
		 * existence is not revealed, and nobody writes what they could not read back. */
		if (kb_tag_hidden(db, id, tag_ids[i]))
			return result_refuse(r, 422, "unknown_tag", "A tag does not exist (creating "
			    "one needs tags.manage).");
	}
	return 0;
}

/* Writes the tags of a document (replacing them) and the snapshot of version n. */
static int
kb_doc_snapshot(sqlite3 *db, const char *doc_id, char tag_ids[][33], size_t ntags,
    int64_t version, const char *author, const char *note)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "DELETE FROM document_tags WHERE document_id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	if ((rc = kb_step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < ntags; i++) {
		if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO document_tags VALUES (?1, ?2)", -1,
		    &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, tag_ids[i], -1, SQLITE_STATIC);
		if ((rc = kb_step_done(st)) != 0)
			return rc;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO document_versions (document_id, version, title, "
	    "body, language, collection, tags, author, created, note) SELECT d.id, ?2, d.title, "
	    "d.body, d.language, c.name, (SELECT json_group_array(name) FROM (SELECT t.name FROM "
	    "document_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.document_id = d.id ORDER BY "
	    "t.name COLLATE NOCASE)), ?3, d.updated, ?4 FROM documents d LEFT JOIN collections c "
	    "ON c.id = d.collection_id WHERE d.id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_text(st, 3, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note ? note : "", -1, SQLITE_STATIC);
	return kb_step_done(st);
}

struct kb_call {
	struct vault *v;
	const struct identity *id;
	const char *source, *doc_id;
	const struct kb_doc_input *in;
	const json_t *json;
	int64_t n, m;
	struct result *r;
};

static int
kb_create_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	const struct kb_doc_input *in = x->in;
	char doc_id[33], coll[33], tags[KB_TAGS_MAX][33];
	sqlite3_stmt *st = NULL;
	int64_t now = kb_now();
	int rc;

	if ((rc = kb_resolve(x->v, db, x->id, x->source, in, coll, tags, x->r)) != 0)
		return rc;
	id_new(doc_id);
	if (sqlite3_prepare_v2(db, "INSERT INTO documents (id, title, body, language, "
	    "collection_id, author, created, updated, updated_by, version) VALUES (?1, ?2, ?3, ?4, "
	    "nullif(?5, ''), ?6, ?7, ?7, ?6, 1)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->language, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, coll, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, kb_actor(x->id), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	if ((rc = kb_step_done(st)) != 0 ||
	    (rc = kb_doc_snapshot(db, doc_id, tags, in->ntags, 1, kb_actor(x->id), NULL)) != 0 ||
	    (rc = search_index_put(db, doc_id)) != 0 ||
	    (rc = kb_audit(x->v, db, "doc.create", x->id, x->source, doc_id,
	    json_pack("{s:i, s:i}", "version", 1, "tags", (int)in->ntags))) != 0)
		return rc;
	return result_ok(x->r, 201, kb_doc_json(db, doc_id));
}

int
kb_document_create(struct vault *v, const struct identity *id, const char *source,
    const struct kb_doc_input *in, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .source = source, .in = in, .r = r };
	int rc;

	if (kb_doc_input_check(in, r) != 0)
		return 0;
	rc = vault_write(v, kb_create_tx, &x);
	return rc == ERR_REFUSED ? 0 : rc;
}

int
kb_document_create_json(struct vault *v, const struct identity *id, const char *source,
    const json_t *body, struct result *r)
{
	struct kb_doc_input in;

	memset(&in, 0, sizeof(in));
	if (kb_input_from_json(body, &in, 0, r) != 0)
		return 0;
	return kb_document_create(v, id, source, &in, r);
}

static int
kb_get_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_LIVE, NULL))
		return result_fail(x->r, 404, "not_found", "No such document.");
	return result_ok(x->r, 200, kb_doc_json(db, x->doc_id));
}

int
kb_document_get(struct vault *v, const struct identity *id, const char *doc_id,
    struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .doc_id = doc_id, .r = r };

	return vault_read(v, kb_get_tx, &x);
}

static int
kb_update_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	struct kb_doc_input in;
	char coll[33], tags[KB_TAGS_MAX][33];
	sqlite3_stmt *st = NULL;
	const json_t *ver = json_object_get(x->json, "version");
	json_t *cur = NULL, *t;
	int64_t version;
	size_t i;
	int rc;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_LIVE, &version))
		return result_fail(x->r, 404, "not_found", "No such document.");
	/* Optimistic concurrency: the client says which version it edited. */
	if (json_integer_value(ver) != version) {
		result_fail(x->r, 409, "version_conflict", "The document changed since you read it; "
		    "reload it and apply your change to the current version.");
		x->r->body = json_pack("{s:I}", "current_version", (json_int_t)version);
		return 0;
	}
	if ((cur = kb_doc_json(db, x->doc_id)) == NULL)
		return ERR_NOMEM;
	memset(&in, 0, sizeof(in));
	in.title = json_string_value(json_object_get(cur, "title"));
	in.body = json_string_value(json_object_get(cur, "body"));
	in.language = json_string_value(json_object_get(cur, "language"));
	in.collection = json_string_value(json_object_get(cur, "collection"));
	json_array_foreach(json_object_get(cur, "tags"), i, t)
		if (in.ntags < KB_TAGS_MAX)
			in.tags[in.ntags++] = json_string_value(t);
	rc = ERR_REFUSED;
	if (kb_input_from_json(x->json, &in, 1, x->r) != 0 || kb_doc_input_check(&in, x->r) != 0)
		goto out;
	if ((rc = kb_resolve(x->v, db, x->id, x->source, &in, coll, tags, x->r)) != 0)
		goto out;
	rc = ERR_INTERNAL;
	if (sqlite3_prepare_v2(db, "UPDATE documents SET title = ?2, body = ?3, language = ?4, "
	    "collection_id = nullif(?5, ''), updated = ?6, updated_by = ?7, version = version + 1 "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, x->doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in.title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in.body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in.language, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, coll, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, kb_now());
	sqlite3_bind_text(st, 7, kb_actor(x->id), -1, SQLITE_STATIC);
	if ((rc = kb_step_done(st)) != 0 ||
	    (rc = kb_doc_snapshot(db, x->doc_id, tags, in.ntags, version + 1, kb_actor(x->id),
	    x->n > 0 ? "restored" : NULL)) != 0 ||
	    (rc = search_index_put(db, x->doc_id)) != 0 ||
	    (rc = kb_audit(x->v, db, "doc.update", x->id, x->source, x->doc_id,
	    json_pack("{s:I}", "version", (json_int_t)(version + 1)))) != 0)
		goto out;
	rc = result_ok(x->r, 200, kb_doc_json(db, x->doc_id));
out:
	json_decref(cur);
	return rc;
}

int
kb_document_update(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, const json_t *body, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .source = source, .doc_id = doc_id, .json = body,
	    .r = r };
	const json_t *ver = json_object_get(body, "version");
	int rc;

	if (!json_is_integer(ver) || json_integer_value(ver) < 1)
		return result_fail(r, 400, "version_required", "Send the version you edited "
		    "(\"version\": n) with the change.");
	rc = vault_write(v, kb_update_tx, &x);
	return rc == ERR_REFUSED ? 0 : rc;
}

/* Moving between live and trashed: trash (to = 1) or restore (to = 0). */
static int
kb_trash_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	sqlite3_stmt *st = NULL;
	int to_trash = x->n == 1, rc;

	if (!kb_doc_find(db, x->id, x->doc_id, to_trash ? KB_LIVE : KB_TRASHED, NULL))
		return result_fail(x->r, 404, "not_found", to_trash ? "No such document." :
		    "No such document in the trash.");
	if (sqlite3_prepare_v2(db, "UPDATE documents SET deleted = ?2, deleted_by = ?3 WHERE "
	    "id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, to_trash ? kb_now() : 0);
	if (to_trash)
		sqlite3_bind_text(st, 3, kb_actor(x->id), -1, SQLITE_STATIC);
	/* The trash is not searchable: the index follows in the same transaction. */
	if ((rc = kb_step_done(st)) != 0 ||
	    (rc = to_trash ? search_index_remove(db, x->doc_id) : search_index_put(db,
	    x->doc_id)) != 0 ||
	    (rc = kb_audit(x->v, db, to_trash ? "doc.delete" : "doc.restore", x->id, x->source,
	    x->doc_id, NULL)) != 0)
		return rc;
	if (to_trash)
		return result_ok(x->r, 204, NULL);
	return result_ok(x->r, 200, kb_doc_json(db, x->doc_id));
}

int
kb_document_trash(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .source = source, .doc_id = doc_id, .n = 1,
	    .r = r };

	return vault_write(v, kb_trash_tx, &x);
}

int
kb_trash_restore(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .source = source, .doc_id = doc_id, .n = 0,
	    .r = r };

	return vault_write(v, kb_trash_tx, &x);
}

/* Removes a document with every version and tag link (and, later, its index entries). */
static int
kb_doc_purge(struct vault *v, sqlite3 *db, const struct identity *id, const char *source,
    const char *doc_id, const char *reason)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = search_index_remove(db, doc_id)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM documents WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	if ((rc = kb_step_done(st)) != 0)
		return rc;
	if (id == NULL && strcmp(reason, "retention") == 0) {
		/* The background job: the system purges, not an import (kb_actor of NULL). */
		json_t *d = json_pack("{s:s}", "reason", reason);
		rc = audit_append(vault_audit(v), db, &(struct audit_event){ .event = "doc.purge",
		    .actor = "system", .target = doc_id, .outcome = AUDIT_SUCCESS, .detail = d });
		json_decref(d);
		return rc;
	}
	return kb_audit(v, db, "doc.purge", id, source, doc_id, json_pack("{s:s}", "reason",
	    reason));
}

static int
kb_purge_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	int rc;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_TRASHED, NULL))
		return result_fail(x->r, 404, "not_found", "No such document in the trash.");
	if ((rc = kb_doc_purge(x->v, db, x->id, x->source, x->doc_id, "admin")) != 0)
		return rc;
	return result_ok(x->r, 204, NULL);
}

int
kb_trash_purge(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .source = source, .doc_id = doc_id, .r = r };

	return vault_write(v, kb_purge_tx, &x);
}

struct kb_expire {
	struct vault *v;
	int64_t before;
	long purged;
};

static int
kb_expire_tx(sqlite3 *db, void *arg)
{
	struct kb_expire *x = arg;
	sqlite3_stmt *st = NULL;
	char ids[100][33];
	int n = 0, rc;

	/* In batches, so that one transaction stays short. */
	if (sqlite3_prepare_v2(db, "SELECT id FROM documents WHERE deleted > 0 AND deleted < ?1 "
	    "LIMIT 100", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, x->before);
	while (n < 100 && sqlite3_step(st) == SQLITE_ROW)
		snprintf(ids[n++], 33, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		if ((rc = kb_doc_purge(x->v, db, NULL, NULL, ids[i], "retention")) != 0)
			return rc;
	x->purged += n;
	return 0;
}

int
kb_trash_expire(struct vault *v, int64_t before_us, long *purged)
{
	struct kb_expire x = { v, before_us, 0 };
	long last;
	int rc;

	do {
		last = x.purged;
		rc = vault_write(v, kb_expire_tx, &x);
	} while (rc == 0 && x.purged - last == 100);
	*purged = x.purged;
	return rc;
}

/* Lists. */

static const char *
kb_sort_column(const char *sort)
{
	if (sort == NULL || strcmp(sort, "updated") == 0)
		return "d.updated";
	if (strcmp(sort, "created") == 0)
		return "d.created";
	if (strcmp(sort, "title") == 0)
		return "d.title";
	return NULL;
}

/* Cursor: base64url of the JSON array [sort value, id] of the last item of a page. */
static char *
kb_cursor_make(sqlite3_stmt *st, int sort_col, const char *doc_id)
{
	json_t *j = json_pack("[o, s]", sqlite3_column_type(st, sort_col) == SQLITE_INTEGER ?
	    json_integer(sqlite3_column_int64(st, sort_col)) :
	    json_string((const char *)sqlite3_column_text(st, sort_col)), doc_id);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL, *out = NULL;
	size_t n;

	json_decref(j);
	if (text == NULL)
		return NULL;
	n = sodium_base64_ENCODED_LEN(strlen(text), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((out = malloc(n)) != NULL)
		sodium_bin2base64(out, n, (const unsigned char *)text, strlen(text),
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(text);
	return out;
}

static json_t *
kb_cursor_parse(const char *cursor)
{
	unsigned char buf[600];
	size_t len;
	json_t *j;

	if (strlen(cursor) > 700 || sodium_base642bin(buf, sizeof(buf) - 1, cursor,
	    strlen(cursor), NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return NULL;
	buf[len] = '\0';
	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(j) || json_array_size(j) != 2 ||
	    !(json_is_integer(json_array_get(j, 0)) || json_is_string(json_array_get(j, 0))) ||
	    !id_valid(json_string_value(json_array_get(j, 1)))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

struct kb_list {
	const struct identity *id;
	const struct kb_query *q;
	int trashed;
	struct result *r;
};

static int
kb_list_tx(sqlite3 *db, void *arg)
{
	struct kb_list *x = arg;
	const struct kb_query *q = x->q;
	const char *col = kb_sort_column(q->sort);
	int desc = q->order == NULL || strcmp(q->order, "desc") == 0;
	json_t *cursor = NULL, *items = NULL;
	sqlite3_stmt *st = NULL;
	char sql[4096], *next = NULL;
	int n = 0, rc = ERR_INTERNAL, limit = q->limit > 0 ? q->limit : 50;

	if (q->cursor != NULL && (cursor = kb_cursor_parse(q->cursor)) == NULL)
		return result_fail(x->r, 400, "bad_cursor", "cursor is the next_cursor of the "
		    "previous page.");
	/* Every filter is a bound parameter; the visibility rule is in the WHERE clause. */
	snprintf(sql, sizeof(sql), "WITH " ACCESS_HIDDEN_TAGS " SELECT " KB_DOC_COLUMNS ", %s "
	    "FROM documents d LEFT JOIN collections c ON c.id = d.collection_id WHERE %s AND "
	    ":may_read = 1 AND " ACCESS_VISIBLE("d") " AND (:coll IS NULL OR c.name = :coll) AND "
	    "(:lang IS NULL OR d.language = :lang) AND (:author IS NULL OR d.author = :author) "
	    "AND (:tag IS NULL OR EXISTS (SELECT 1 FROM document_tags ft JOIN tags t ON "
	    "t.id = ft.tag_id WHERE ft.document_id = d.id AND t.name = :tag)) AND (:cv IS NULL "
	    "OR (%s, d.id) %s (:cv, :cid)) ORDER BY %s %s, d.id %s LIMIT :limit",
	    x->trashed ? "d.deleted" : col, x->trashed ? "d.deleted > 0" : "d.deleted = 0",
	    x->trashed ? "d.deleted" : col, desc ? "<" : ">", x->trashed ? "d.deleted" : col,
	    desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
	if (kb_prepare(db, sql, x->id, &st) != 0)
		goto out;
#define KB_BIND_TEXT(name, value) \
	if ((value) != NULL) \
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), value, -1, \
		    SQLITE_STATIC)
	KB_BIND_TEXT(":coll", q->collection);
	KB_BIND_TEXT(":lang", q->language);
	KB_BIND_TEXT(":author", q->author);
	KB_BIND_TEXT(":tag", q->tag);
#undef KB_BIND_TEXT
	/* Without documents.read nothing is visible (the trash needs only documents.delete). */
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":may_read"),
	    kb_may(x->id, "documents.read"));
	if (cursor != NULL) {
		json_t *cv = json_array_get(cursor, 0);
		int i = sqlite3_bind_parameter_index(st, ":cv");
		if (json_is_integer(cv))
			sqlite3_bind_int64(st, i, json_integer_value(cv));
		else
			sqlite3_bind_text(st, i, json_string_value(cv), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":cid"),
		    json_string_value(json_array_get(cursor, 1)), -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), limit + 1);
	if ((items = json_array()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			/* One more than asked: there is a next page, after the last one kept. */
			break;
		}
		json_array_append_new(items, kb_doc_row_json(db, st, 0));
		free(next);
		next = kb_cursor_make(st, 12, (const char *)sqlite3_column_text(st, 0));
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = db_err(rc);
		goto out;
	}
	rc = result_ok(x->r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
	    rc == SQLITE_ROW && next != NULL ? json_string(next) : json_null()));
	items = NULL;
out:
	sqlite3_finalize(st);
	json_decref(items);
	json_decref(cursor);
	free(next);
	return rc;
}

int
kb_document_list(struct vault *v, const struct identity *id, const struct kb_query *q,
    int trashed, struct result *r)
{
	struct kb_list x = { id, q, trashed, r };

	if (kb_sort_column(q->sort) == NULL)
		return result_fail(r, 400, "bad_sort", "sort is updated, created or title.");
	if (q->order != NULL && strcmp(q->order, "asc") != 0 && strcmp(q->order, "desc") != 0)
		return result_fail(r, 400, "bad_order", "order is asc or desc.");
	if (q->limit < 0 || q->limit > KB_PAGE_MAX)
		return result_fail(r, 400, "bad_limit", "limit is from 1 to 200.");
	return vault_read(v, kb_list_tx, &x);
}

/* Versions. */

static int
kb_versions_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *items;
	int rc;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_LIVE, NULL))
		return result_fail(x->r, 404, "not_found", "No such document.");
	if ((items = json_array()) == NULL)
		return ERR_NOMEM;
	if (sqlite3_prepare_v2(db, "SELECT version, title, author, created, note FROM "
	    "document_versions WHERE document_id = ?1 ORDER BY version DESC LIMIT 1000", -1, &st,
	    NULL) != SQLITE_OK) {
		json_decref(items);
		return ERR_INTERNAL;
	}
	sqlite3_bind_text(st, 1, x->doc_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:I, s:s}",
		    "version", (json_int_t)sqlite3_column_int64(st, 0),
		    "title", sqlite3_column_text(st, 1), "author", sqlite3_column_text(st, 2),
		    "created_us", (json_int_t)sqlite3_column_int64(st, 3),
		    "note", sqlite3_column_text(st, 4)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		return db_err(rc);
	}
	return result_ok(x->r, 200, json_pack("{s:o}", "items", items));
}

int
kb_versions_list(struct vault *v, const struct identity *id, const char *doc_id,
    struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .doc_id = doc_id, .r = r };

	return vault_read(v, kb_versions_tx, &x);
}

/* Version n of a visible live document as JSON, or NULL when there is none. */
static json_t *
kb_version_json(sqlite3 *db, const char *doc_id, int64_t n)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;

	if (sqlite3_prepare_v2(db, "SELECT version, title, body, language, collection, tags, "
	    "author, created, note FROM document_versions WHERE document_id = ?1 AND version = ?2",
	    -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:s}", "id", doc_id,
		    "version", (json_int_t)sqlite3_column_int64(st, 0),
		    "title", sqlite3_column_text(st, 1), "body", sqlite3_column_text(st, 2),
		    "language", sqlite3_column_text(st, 3),
		    "collection", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null() :
		    json_string((const char *)sqlite3_column_text(st, 4)),
		    "tags", json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL),
		    "author", sqlite3_column_text(st, 6),
		    "created_us", (json_int_t)sqlite3_column_int64(st, 7),
		    "note", sqlite3_column_text(st, 8));
	sqlite3_finalize(st);
	return j;
}

static int
kb_version_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	json_t *j;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_LIVE, NULL) ||
	    (j = kb_version_json(db, x->doc_id, x->n)) == NULL)
		return result_fail(x->r, 404, "not_found", "No such document or version.");
	return result_ok(x->r, 200, j);
}

int
kb_version_get(struct vault *v, const struct identity *id, const char *doc_id, int64_t n,
    struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .doc_id = doc_id, .n = n, .r = r };

	return vault_read(v, kb_version_tx, &x);
}

static int
kb_diff_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	json_t *a = NULL, *b = NULL, *d = NULL;
	int err = 0, rc;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_LIVE, NULL) ||
	    (a = kb_version_json(db, x->doc_id, x->n)) == NULL ||
	    (b = kb_version_json(db, x->doc_id, x->m)) == NULL) {
		json_decref(a);
		return result_fail(x->r, 404, "not_found", "No such document or version.");
	}
	d = diff_lines(json_string_value(json_object_get(a, "body")),
	    json_string_value(json_object_get(b, "body")), &err);
	if (d == NULL)
		rc = err == ERR_TOOBIG ? result_fail(x->r, 413, "diff_too_large", "These versions "
		    "are too large to compare.") : (err ? err : ERR_NOMEM);
	else
		rc = result_ok(x->r, 200, json_pack("{s:s, s:I, s:I, s:O, s:O, s:o}", "id",
		    x->doc_id, "from", (json_int_t)x->n, "to", (json_int_t)x->m,
		    "title_from", json_object_get(a, "title"), "title_to",
		    json_object_get(b, "title"), "diff", d));
	json_decref(a);
	json_decref(b);
	return rc;
}

int
kb_version_diff(struct vault *v, const struct identity *id, const char *doc_id, int64_t from,
    int64_t to, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .doc_id = doc_id, .n = from, .m = to, .r = r };

	return vault_read(v, kb_diff_tx, &x);
}

static int
kb_restore_tx(sqlite3 *db, void *arg)
{
	struct kb_call *x = arg;
	json_t *old, *upd = NULL, *tags = NULL, *t;
	int64_t version;
	size_t i;
	int rc;

	if (!kb_doc_find(db, x->id, x->doc_id, KB_LIVE, &version) ||
	    (old = kb_version_json(db, x->doc_id, x->n)) == NULL)
		return result_fail(x->r, 404, "not_found", "No such document or version.");
	/* Tags deleted since that version are not brought back. */
	if ((tags = json_array()) == NULL) {
		json_decref(old);
		return ERR_NOMEM;
	}
	json_array_foreach(json_object_get(old, "tags"), i, t) {
		char tid[33];
		int created;
		if (kb_tag_ensure(db, json_string_value(t), 0, tid, &created) == 0)
			json_array_append(tags, t);
	}
	upd = json_pack("{s:I, s:O, s:O, s:O, s:O, s:o}", "version", (json_int_t)version,
	    "title", json_object_get(old, "title"), "body", json_object_get(old, "body"),
	    "language", json_object_get(old, "language"), "collection",
	    json_object_get(old, "collection"), "tags", tags);
	json_decref(old);
	if (upd == NULL)
		return ERR_NOMEM;
	x->json = upd;
	rc = kb_update_tx(db, x);
	json_decref(upd);
	x->json = NULL;
	if (rc == 0 && x->r->status == 200) {
		sqlite3_stmt *st = NULL;
		char note[64];
		snprintf(note, sizeof(note), "restored from version %lld", (long long)x->n);
		if (sqlite3_prepare_v2(db, "UPDATE document_versions SET note = ?3 WHERE "
		    "document_id = ?1 AND version = ?2", -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, x->doc_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, version + 1);
		sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
		if ((rc = kb_step_done(st)) != 0)
			return rc;
		rc = kb_audit(x->v, db, "doc.version.restore", x->id, x->source, x->doc_id,
		    json_pack("{s:I, s:I}", "from_version", (json_int_t)x->n, "version",
		    (json_int_t)(version + 1)));
	}
	return rc;
}

int
kb_version_restore(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, int64_t n, struct result *r)
{
	struct kb_call x = { .v = v, .id = id, .source = source, .doc_id = doc_id, .n = n,
	    .r = r };
	int rc = vault_write(v, kb_restore_tx, &x);

	return rc == ERR_REFUSED ? 0 : rc;
}
