/* common.c: what the knowledge-base files share: input checks, names, tags, the caller. */
#include "kb/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"
#include "store/db.h"
#include "store/vault.h"

/* ISO 639-1 codes accepted for documents: every language Snowball stems, and more. */
static const char *const kb_languages[] = {
	"af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "eo", "es", "et", "eu",
	"fa", "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka",
	"ko", "lb", "lt", "lv", "mk", "ms", "mt", "ne", "nl", "no", "pl", "pt", "ro", "ru", "sk",
	"sl", "sq", "sr", "sv", "sw", "ta", "th", "tr", "uk", "ur", "vi", "yi", "zh",
};

int
kb_language_valid(const char *code)
{
	if (code == NULL || strlen(code) != 2)
		return 0;
	for (size_t i = 0; i < sizeof(kb_languages) / sizeof(kb_languages[0]); i++)
		if (strcmp(kb_languages[i], code) == 0)
			return 1;
	return 0;
}

int
kb_name_valid(const char *name, size_t max)
{
	size_t len;

	if (name == NULL || (len = strlen(name)) == 0 || len > max)
		return 0;
	if (utf8_check(name, len, 0, NULL) != 0)
		return 0;
	/* Not blank, no leading or trailing space: names are compared as typed (ignoring case). */
	return name[0] != ' ' && name[len - 1] != ' ' && strspn(name, " ") != len;
}

int
kb_doc_input_check(const struct kb_doc_input *in, struct result *r)
{
	size_t len;

	if (in->title == NULL || (len = strlen(in->title)) == 0 || strspn(in->title, " ") == len) {
		result_fail(r, 422, "invalid_title", "A title is required.");
		return ERR_INVALID;
	}
	if (len > KB_TITLE_MAX || utf8_check(in->title, len, 0, NULL) != 0) {
		result_fail(r, 422, "invalid_title", "The title must be UTF-8 text of at most 300 "
		    "bytes without control characters or line breaks.");
		return ERR_INVALID;
	}
	if (in->body == NULL || (len = strlen(in->body)) > KB_BODY_MAX) {
		result_fail(r, 413, "body_too_large", "The body must be at most 512 KiB of "
		    "Markdown.");
		return ERR_INVALID;
	}
	if (utf8_check(in->body, len, UTF8_LINES, NULL) != 0) {
		result_fail(r, 422, "invalid_body", "The body must be UTF-8 text without control "
		    "characters (tabs and line breaks are fine).");
		return ERR_INVALID;
	}
	if (!kb_language_valid(in->language)) {
		result_fail(r, 422, "invalid_language", "language must be an ISO 639-1 code that "
		    "coffre supports, such as fr or en.");
		return ERR_INVALID;
	}
	if (in->collection != NULL && !kb_name_valid(in->collection, KB_COLLECTION_MAX)) {
		result_fail(r, 422, "invalid_collection", "A collection name is 1 to 100 bytes of "
		    "UTF-8 without control characters.");
		return ERR_INVALID;
	}
	if (in->ntags > KB_TAGS_MAX) {
		result_fail(r, 422, "too_many_tags", "A document carries at most 32 tags.");
		return ERR_INVALID;
	}
	for (size_t i = 0; i < in->ntags; i++) {
		if (!kb_name_valid(in->tags[i], KB_TAG_MAX)) {
			result_fail(r, 422, "invalid_tag", "A tag name is 1 to 64 bytes of UTF-8 "
			    "without control characters.");
			return ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(in->tags[i], in->tags[j]) == 0) {
				result_fail(r, 422, "duplicate_tag", "A tag is listed twice.");
				return ERR_INVALID;
			}
	}
	return 0;
}

int
kb_input_from_json(const json_t *obj, struct kb_doc_input *in, int partial, struct result *r)
{
	static const char *const fields[] = { "title", "body", "language", "collection", "tags",
	    "version", NULL };
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;
		for (i = 0; fields[i] != NULL && strcmp(fields[i], k) != 0; i++)
			;
		if (fields[i] == NULL || (!partial && strcmp(k, "version") == 0))
			return result_fail(r, 400, "unknown_field", partial ?
			    "Allowed fields: version, title, body, language, collection, tags." :
			    "Allowed fields: title, body, language, collection, tags."), ERR_INVALID;
		if (strcmp(k, "tags") == 0) {
			size_t n;
			json_t *t;
			if (!json_is_array(v))
				return result_fail(r, 400, "bad_request", "tags must be an array of "
				    "names."), ERR_INVALID;
			if (json_array_size(v) > KB_TAGS_MAX)
				return result_fail(r, 422, "too_many_tags", "A document carries at most "
				    "32 tags."), ERR_INVALID;
			in->ntags = 0;
			json_array_foreach(v, n, t) {
				if (!json_is_string(t))
					return result_fail(r, 400, "bad_request", "tags must be an array "
					    "of names."), ERR_INVALID;
				in->tags[in->ntags++] = json_string_value(t);
			}
		} else if (strcmp(k, "collection") == 0) {
			if (!json_is_string(v) && !json_is_null(v))
				return result_fail(r, 400, "bad_request", "collection must be a name or "
				    "null."), ERR_INVALID;
			in->collection = json_is_string(v) ? json_string_value(v) : NULL;
		} else if (strcmp(k, "version") == 0) {
			continue;
		} else {
			if (!json_is_string(v))
				return result_fail(r, 400, "bad_request", "title, body and language are "
				    "strings."), ERR_INVALID;
			/* jansson keeps NUL bytes inside strings; they never reach the vault. */
			if (strlen(json_string_value(v)) != json_string_length(v))
				return result_fail(r, 422, "invalid_text", "Text must not contain NUL "
				    "bytes."), ERR_INVALID;
			if (strcmp(k, "title") == 0)
				in->title = json_string_value(v);
			else if (strcmp(k, "body") == 0)
				in->body = json_string_value(v);
			else
				in->language = json_string_value(v);
		}
	}
	return 0;
}

void
kb_bind_uid(sqlite3_stmt *st, const struct identity *id)
{
	int i = sqlite3_bind_parameter_index(st, ":uid");

	/* No identity (the command line) is nobody: it is allowed no restricted tag. */
	if (i > 0)
		sqlite3_bind_text(st, i, id != NULL ? id->user_id : "", -1, SQLITE_STATIC);
}

int
kb_prepare(sqlite3 *db, const char *sql, const struct identity *id, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ERR_INTERNAL;
	}
	kb_bind_uid(*st, id);
	return 0;
}

int
kb_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(rc);
}

int
kb_may(const struct identity *id, const char *perm)
{
	uint64_t bit = access_perm_bit(perm);

	return id == NULL || (bit != 0 && (id->perms & bit) == bit);
}

const char *
kb_actor(const struct identity *id)
{
	return id != NULL ? id->user_id : "import";
}

int
kb_tag_hidden(sqlite3 *db, const struct identity *id, const char *tag_id)
{
	sqlite3_stmt *st;
	int hidden;

	if (id == NULL)
		return 0;
	if (kb_prepare(db, "WITH " ACCESS_HIDDEN_TAGS " SELECT 1 FROM hidden_tags WHERE "
	    "tag_id = :tag", id, &st) != 0)
		return 1;
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":tag"), tag_id, -1,
	    SQLITE_STATIC);
	hidden = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return hidden;
}

/* Finds a row of table (tags or collections) by name, creating it when allowed. */
static int
kb_named_ensure(sqlite3 *db, const char *table, const char *name, int create, char out[33],
    int *created)
{
	sqlite3_stmt *st = NULL;
	char sql[160];
	int rc;

	*created = 0;
	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE name = ?1", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out, 33, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if (!create)
		return ERR_NOTFOUND;
	id_new(out);
	snprintf(sql, sizeof(sql), "INSERT INTO %s (id, name, created, updated) VALUES "
	    "(?1, ?2, ?3, ?3)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, kb_now());
	if ((rc = kb_step_done(st)) == 0)
		*created = 1;
	return rc;
}

int
kb_tag_ensure(sqlite3 *db, const char *name, int create, char out[33], int *created)
{
	return kb_named_ensure(db, "tags", name, create, out, created);
}

int
kb_collection_ensure(sqlite3 *db, const char *name, int create, char out[33], int *created)
{
	return kb_named_ensure(db, "collections", name, create, out, created);
}


int
kb_audit(struct vault *v, sqlite3 *db, const char *event, const struct identity *id,
    const char *source, const char *target, json_t *detail_owned)
{
	return vault_record(v, db, event, kb_actor(id), source, target, AUDIT_SUCCESS,
	    detail_owned);
}
