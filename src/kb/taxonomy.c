/* taxonomy.c: tags and collections (K5): create, rename, delete, counts that respect
 * visibility. */
#include "kb/internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "search/search.h"
#include "store/db.h"
#include "store/vault.h"

enum kb_kind { KB_TAGS, KB_COLLECTIONS };

struct kb_tax {
	struct vault *v;
	const struct identity *id;
	const char *source, *item_id;
	const json_t *body;
	enum kb_kind kind;
	int force;
	struct result *r;
};

static const char *
kb_tax_table(enum kb_kind k)
{
	return k == KB_TAGS ? "tags" : "collections";
}

static int
kb_tax_list_tx(sqlite3 *db, void *arg)
{
	struct kb_tax *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *items = json_array();
	int manage = kb_may(x->id, x->kind == KB_TAGS ? "tags.manage" : "collections.manage");
	int rc;

	if (items == NULL)
		return ERR_NOMEM;
	/*
	 * Counts are of live documents the caller can see, computed inside the query, in one
	 * pass over covering indexes: the live ids and the hidden ones are sets built once.
	 * (A documents row is large and WITHOUT ROWID: reading one per tagged document took
	 * 94 s for 120 tags over 100k documents, 0.3 s this way.) A tag hidden from the caller
	 * is listed only to those who manage tags.
	 */
	rc = kb_prepare(db, x->kind == KB_TAGS ?
	    "WITH " ACCESS_HIDDEN_TAGS ", counts(tag_id, n) AS (SELECT dt.tag_id, count(*) FROM "
	    "document_tags dt WHERE dt.document_id IN (SELECT id FROM documents WHERE deleted = 0) "
	    "AND " ACCESS_VISIBLE_ID("dt.document_id") " GROUP BY dt.tag_id) SELECT t.id, t.name, "
	    "t.restricted, coalesce(c.n, 0), t.id IN (SELECT tag_id FROM hidden_tags) FROM tags t "
	    "LEFT JOIN counts c ON c.tag_id = t.id ORDER BY t.name COLLATE NOCASE" :
	    "WITH " ACCESS_HIDDEN_TAGS ", counts(cid, n) AS (SELECT d.collection_id, count(*) FROM "
	    "documents d INDEXED BY documents_collection WHERE d.collection_id IS NOT NULL AND d.id "
	    "IN (SELECT id FROM documents WHERE deleted = 0) AND " ACCESS_VISIBLE_ID("d.id")
	    " GROUP BY d.collection_id) SELECT c.id, c.name, 0, coalesce(n.n, 0), 0 FROM "
	    "collections c LEFT JOIN counts n ON n.cid = c.id ORDER BY c.name COLLATE NOCASE",
	    x->id, &st);
	if (rc != 0) {
		json_decref(items);
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *it;
		int hidden = sqlite3_column_int(st, 4);
		if (hidden && !manage)
			continue;
		it = json_pack("{s:s, s:s, s:I}", "id", sqlite3_column_text(st, 0), "name",
		    sqlite3_column_text(st, 1), "documents", (json_int_t)sqlite3_column_int64(st, 3));
		if (it != NULL && x->kind == KB_TAGS) {
			json_object_set_new(it, "restricted", json_boolean(sqlite3_column_int(st, 2)));
			json_object_set_new(it, "hidden_from_you", json_boolean(hidden));
		}
		json_array_append_new(items, it);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		return db_err(rc);
	}
	return result_ok(x->r, 200, json_pack("{s:o}", "items", items));
}

static json_t *
kb_tax_item(sqlite3 *db, enum kb_kind kind, const char *item_id)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT id, name, %s, created, updated FROM %s WHERE id = ?1",
	    kind == KB_TAGS ? "restricted" : "0", kb_tax_table(kind));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, item_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = json_pack("{s:s, s:s, s:I, s:I}", "id", sqlite3_column_text(st, 0), "name",
		    sqlite3_column_text(st, 1), "created_us", (json_int_t)sqlite3_column_int64(st, 3),
		    "updated_us", (json_int_t)sqlite3_column_int64(st, 4));
		if (j != NULL && kind == KB_TAGS)
			json_object_set_new(j, "restricted", json_boolean(sqlite3_column_int(st, 2)));
	}
	sqlite3_finalize(st);
	return j;
}

/* Checks {name?, restricted?} (restricted only for tags); name required when creating. */
static int
kb_tax_body_ok(const struct kb_tax *x, int creating)
{
	const char *k;
	json_t *v;
	size_t max = x->kind == KB_TAGS ? KB_TAG_MAX : KB_COLLECTION_MAX;

	if (!json_is_object(x->body))
		return result_fail(x->r, 400, "bad_request", "The body must be a JSON object."), 0;
	json_object_foreach((json_t *)x->body, k, v) {
		if (strcmp(k, "name") == 0) {
			if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
			    !kb_name_valid(json_string_value(v), max))
				return result_fail(x->r, 422, "invalid_name", x->kind == KB_TAGS ?
				    "A tag name is 1 to 64 bytes of UTF-8 without control characters." :
				    "A collection name is 1 to 100 bytes of UTF-8 without control "
				    "characters."), 0;
		} else if (strcmp(k, "restricted") == 0 && x->kind == KB_TAGS) {
			if (!json_is_boolean(v))
				return result_fail(x->r, 400, "bad_request", "restricted is true or "
				    "false."), 0;
		} else {
			return result_fail(x->r, 400, "unknown_field", x->kind == KB_TAGS ?
			    "Allowed fields: name, restricted." : "Allowed field: name."), 0;
		}
	}
	if (creating && json_object_get(x->body, "name") == NULL)
		return result_fail(x->r, 400, "bad_request", "name is required."), 0;
	return 1;
}

static int
kb_tax_create_tx(sqlite3 *db, void *arg)
{
	struct kb_tax *x = arg;
	const char *name = json_string_value(json_object_get(x->body, "name"));
	char id[33];
	int created, rc;

	rc = x->kind == KB_TAGS ? kb_tag_ensure(db, name, 0, id, &created) :
	    kb_collection_ensure(db, name, 0, id, &created);
	if (rc == 0)
		return result_fail(x->r, 409, "name_taken", "This name is taken.");
	if (rc != ERR_NOTFOUND)
		return rc;
	if ((rc = x->kind == KB_TAGS ? kb_tag_ensure(db, name, 1, id, &created) :
	    kb_collection_ensure(db, name, 1, id, &created)) != 0)
		return rc;
	if (x->kind == KB_TAGS && json_is_true(json_object_get(x->body, "restricted"))) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "UPDATE tags SET restricted = 1 WHERE id = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if ((rc = kb_step_done(st)) != 0)
			return rc;
	}
	if ((rc = kb_audit(x->v, db, x->kind == KB_TAGS ? "tag.create" : "collection.create",
	    x->id, x->source, id, x->kind == KB_TAGS ? json_pack("{s:b}", "restricted",
	    json_is_true(json_object_get(x->body, "restricted"))) : NULL)) != 0)
		return rc;
	return result_ok(x->r, 201, kb_tax_item(db, x->kind, id));
}

static int
kb_tax_update_tx(sqlite3 *db, void *arg)
{
	struct kb_tax *x = arg;
	const json_t *name = json_object_get(x->body, "name");
	const json_t *restricted = json_object_get(x->body, "restricted");
	sqlite3_stmt *st = NULL;
	char sql[200];
	json_t *before = NULL;
	int rc;

	/* A tag hidden from the caller is not there for them unless they may grant it to
	 * themselves anyway (roles.manage): tags.manage alone is no way past a restriction. */
	if (!id_valid(x->item_id) || (before = kb_tax_item(db, x->kind, x->item_id)) == NULL ||
	    (x->kind == KB_TAGS && !kb_may(x->id, "roles.manage") &&
	    kb_tag_hidden(db, x->id, x->item_id))) {
		json_decref(before);
		return result_fail(x->r, 404, "not_found", "No such item.");
	}
	json_decref(before);
	snprintf(sql, sizeof(sql), "UPDATE %s SET name = coalesce(?2, name), updated = ?3%s "
	    "WHERE id = ?1", kb_tax_table(x->kind), x->kind == KB_TAGS ?
	    ", restricted = coalesce(?4, restricted)" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->item_id, -1, SQLITE_STATIC);
	if (name != NULL)
		sqlite3_bind_text(st, 2, json_string_value(name), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, kb_now());
	if (x->kind == KB_TAGS && restricted != NULL)
		sqlite3_bind_int(st, 4, json_is_true(restricted));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* Extended result codes are on: this is SQLITE_CONSTRAINT_UNIQUE. */
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return result_fail(x->r, 409, "name_taken", "This name is taken.");
	if (rc != SQLITE_DONE)
		return db_err(rc);
	/* Tag names are indexed with their documents: a rename re-indexes them. */
	if (x->kind == KB_TAGS && name != NULL && (rc = search_index_tag(db, x->item_id, 0)) != 0)
		return rc;
	if (name != NULL && (rc = search_index_names(db)) != 0)
		return rc;
	if ((rc = kb_audit(x->v, db, x->kind == KB_TAGS ? "tag.update" : "collection.update",
	    x->id, x->source, x->item_id, json_pack("{s:b, s:o}", "renamed", name != NULL,
	    "restricted", restricted ? json_boolean(json_is_true(restricted)) : json_null()))) != 0)
		return rc;
	return result_ok(x->r, 200, kb_tax_item(db, x->kind, x->item_id));
}

static int
kb_tax_delete_tx(sqlite3 *db, void *arg)
{
	struct kb_tax *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *item = NULL;
	int64_t used = 0;
	int rc;

	if (!id_valid(x->item_id) || (item = kb_tax_item(db, x->kind, x->item_id)) == NULL ||
	    (x->kind == KB_TAGS && !kb_may(x->id, "roles.manage") &&
	    kb_tag_hidden(db, x->id, x->item_id))) {
		json_decref(item);
		return result_fail(x->r, 404, "not_found", "No such item.");
	}
	json_decref(item);
	if (sqlite3_prepare_v2(db, x->kind == KB_TAGS ?
	    "SELECT count(*) FROM document_tags WHERE tag_id = ?1" :
	    "SELECT count(*) FROM documents WHERE collection_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->item_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		used = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* A tag in use goes only when asked explicitly: it may be what hides documents. */
	if (x->kind == KB_TAGS && used > 0 && !x->force) {
		result_fail(x->r, 409, "tag_in_use", "Documents carry this tag; delete it with "
		    "?force=true to remove it from them.");
		x->r->body = json_pack("{s:I}", "documents", (json_int_t)used);
		return 0;
	}
	if (x->kind == KB_TAGS && used > 0 && (rc = search_index_tag(db, x->item_id, 1)) != 0)
		return rc;
	if (x->kind == KB_COLLECTIONS && used > 0 &&
	    (rc = search_index_collection(db, x->item_id)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, x->kind == KB_TAGS ? "DELETE FROM tags WHERE id = ?1" :
	    "DELETE FROM collections WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->item_id, -1, SQLITE_STATIC);
	if ((rc = kb_step_done(st)) != 0)
		return rc;
	if ((rc = kb_audit(x->v, db, x->kind == KB_TAGS ? "tag.delete" : "collection.delete",
	    x->id, x->source, x->item_id, json_pack("{s:I}", "documents", (json_int_t)used))) != 0)
		return rc;
	return result_ok(x->r, 204, NULL);
}

static int
kb_tax_run(struct kb_tax *x, int write, int (*fn)(sqlite3 *, void *))
{
	return write ? vault_write(x->v, fn, x) : vault_read(x->v, fn, x);
}

int
kb_tags_list(struct vault *v, const struct identity *id, struct result *r)
{
	struct kb_tax x = { .v = v, .id = id, .kind = KB_TAGS, .r = r };

	return kb_tax_run(&x, 0, kb_tax_list_tx);
}

int
kb_collections_list(struct vault *v, const struct identity *id, struct result *r)
{
	struct kb_tax x = { .v = v, .id = id, .kind = KB_COLLECTIONS, .r = r };

	return kb_tax_run(&x, 0, kb_tax_list_tx);
}

int
kb_taxonomy_create(struct vault *v, const struct identity *id, const char *source, int tags,
    const json_t *body, struct result *r)
{
	struct kb_tax x = { .v = v, .id = id, .source = source, .body = body,
	    .kind = tags ? KB_TAGS : KB_COLLECTIONS, .r = r };

	if (!kb_tax_body_ok(&x, 1))
		return 0;
	return kb_tax_run(&x, 1, kb_tax_create_tx);
}

int
kb_taxonomy_update(struct vault *v, const struct identity *id, const char *source, int tags,
    const char *item_id, const json_t *body, struct result *r)
{
	struct kb_tax x = { .v = v, .id = id, .source = source, .item_id = item_id, .body = body,
	    .kind = tags ? KB_TAGS : KB_COLLECTIONS, .r = r };

	if (!kb_tax_body_ok(&x, 0))
		return 0;
	return kb_tax_run(&x, 1, kb_tax_update_tx);
}

int
kb_taxonomy_delete(struct vault *v, const struct identity *id, const char *source, int tags,
    const char *item_id, int force, struct result *r)
{
	struct kb_tax x = { .v = v, .id = id, .source = source, .item_id = item_id,
	    .kind = tags ? KB_TAGS : KB_COLLECTIONS, .force = force, .r = r };

	return kb_tax_run(&x, 1, kb_tax_delete_tx);
}
