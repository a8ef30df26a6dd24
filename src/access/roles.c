/* roles.c: roles defined by tenant admins (I7) and tag grants of roles and users (I8). */
#include "access/roles.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/ids.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "store/db.h"
#include "store/vault.h"

#define ROLE_NAME_MAX 64

struct role_call {
	struct vault *v;
	const struct identity *id;
	const char *source, *subject_id;
	const char *kind;               /* grants: "role" or "user" */
	const json_t *body;
	struct result *r;
};

static int
role_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(rc);
}

static int
role_audit(const struct role_call *x, sqlite3 *db, const char *event, const char *target,
    json_t *detail)
{
	return vault_record(x->v, db, event, x->id->user_id, x->source, target, AUDIT_SUCCESS,
	    detail);
}

/* The allowed and denied tag names of a subject. */
static json_t *
role_grants_json(sqlite3 *db, const char *kind, const char *subject_id)
{
	sqlite3_stmt *st = NULL;
	json_t *allow = json_array(), *deny = json_array();

	if (allow == NULL || deny == NULL || sqlite3_prepare_v2(db, "SELECT t.name, g.effect FROM "
	    "tag_grants g JOIN tags t ON t.id = g.tag_id WHERE g.subject_kind = ?1 AND "
	    "g.subject_id = ?2 ORDER BY t.name COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK) {
		json_decref(allow);
		json_decref(deny);
		return NULL;
	}
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject_id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(strcmp((const char *)sqlite3_column_text(st, 1), "allow") ==
		    0 ? allow : deny, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return json_pack("{s:o, s:o}", "allow", allow, "deny", deny);
}

#define ROLE_COLUMNS "r.id, r.name, r.permissions, r.pages, r.require_2fa, r.builtin, " \
	"r.created, r.updated, (SELECT count(*) FROM user_roles ur WHERE ur.role_id = r.id)"

static json_t *
role_row_json(sqlite3 *db, sqlite3_stmt *st)
{
	const char *rid = (const char *)sqlite3_column_text(st, 0);

	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:b, s:I, s:I, s:I, s:o}",
	    "id", rid, "name", sqlite3_column_text(st, 1),
	    "permissions", json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL),
	    "pages", json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL),
	    "require_2fa", sqlite3_column_int(st, 4), "builtin", sqlite3_column_int(st, 5),
	    "created_us", (json_int_t)sqlite3_column_int64(st, 6),
	    "updated_us", (json_int_t)sqlite3_column_int64(st, 7),
	    "users", (json_int_t)sqlite3_column_int64(st, 8),
	    "tags", role_grants_json(db, "role", rid));
}

static json_t *
role_json(sqlite3 *db, const char *role_id)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;

	if (sqlite3_prepare_v2(db, "SELECT " ROLE_COLUMNS " FROM roles r WHERE r.id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, role_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = role_row_json(db, st);
	sqlite3_finalize(st);
	return j;
}

static int
role_list_tx(sqlite3 *db, void *arg)
{
	struct role_call *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *items = json_array();
	int rc;

	if (items == NULL || sqlite3_prepare_v2(db, "SELECT " ROLE_COLUMNS " FROM roles r ORDER "
	    "BY r.builtin DESC, r.name COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK) {
		json_decref(items);
		return ERR_INTERNAL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, role_row_json(db, st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		return db_err(rc);
	}
	return result_ok(x->r, 200, json_pack("{s:o}", "items", items));
}

int
access_roles_list(struct vault *v, struct result *r)
{
	struct role_call x = { .v = v, .r = r };

	return vault_read(v, role_list_tx, &x);
}

static int
role_get_tx(sqlite3 *db, void *arg)
{
	struct role_call *x = arg;
	json_t *j = role_json(db, x->subject_id);

	if (j == NULL)
		return result_fail(x->r, 404, "not_found", "No such role.");
	return result_ok(x->r, 200, j);
}

int
access_role_get(struct vault *v, const char *role_id, struct result *r)
{
	struct role_call x = { .v = v, .subject_id = role_id, .r = r };

	if (role_id == NULL || strlen(role_id) > ROLE_NAME_MAX)
		return result_fail(r, 404, "not_found", "No such role.");
	return vault_read(v, role_get_tx, &x);
}

/*
 * After any change to roles or their holders someone must still be able to administer the
 * tenant: an active user holding both users.manage and roles.manage. Otherwise the change
 * is refused (and rolled back).
 */
int
access_admin_remains(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM users u WHERE u.status = 'active' AND "
	    "EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id, "
	    "json_each(r.permissions) p WHERE ur.user_id = u.id AND p.value = 'users.manage') AND "
	    "EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id, "
	    "json_each(r.permissions) p WHERE ur.user_id = u.id AND p.value = 'roles.manage') "
	    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Checks {name, permissions, pages, require_2fa}; all required (PUT replaces the role). */
static int
role_body_ok(const json_t *b, struct result *r, uint64_t *perms, uint64_t *pages)
{
	const char *k, *name;
	json_t *v;
	char msg[200];

	if (!json_is_object(b))
		return result_fail(r, 400, "bad_request", "The body must be a JSON object."), 0;
	json_object_foreach((json_t *)b, k, v)
		if (strcmp(k, "name") != 0 && strcmp(k, "permissions") != 0 &&
		    strcmp(k, "pages") != 0 && strcmp(k, "require_2fa") != 0)
			return result_fail(r, 400, "unknown_field", "Allowed fields: name, "
			    "permissions, pages, require_2fa."), 0;
	name = json_string_value(json_object_get(b, "name"));
	if (name == NULL || name[0] == '\0' || strlen(name) > ROLE_NAME_MAX ||
	    strlen(name) != json_string_length(json_object_get(b, "name")) ||
	    utf8_check(name, strlen(name), 0, NULL) != 0)
		return result_fail(r, 422, "invalid_name", "A role name is 1 to 64 bytes of UTF-8 "
		    "without control characters."), 0;
	if (access_perms_from_json(json_object_get(b, "permissions"), perms, msg,
	    sizeof(msg)) != 0 || access_pages_from_json(json_object_get(b, "pages"), pages, msg,
	    sizeof(msg)) != 0)
		return result_fail(r, 422, "invalid_role", msg), 0;
	v = json_object_get(b, "require_2fa");
	if (v != NULL && !json_is_boolean(v))
		return result_fail(r, 400, "bad_request", "require_2fa is true or false."), 0;
	return 1;
}

/* Writes the role row (insert when creating); names and lists come normalised. */
static int
role_store(sqlite3 *db, const char *role_id, const json_t *b, uint64_t perms, uint64_t pages,
    int creating)
{
	json_t *pj = access_perms_to_json(perms), *gj = access_pages_to_json(pages);
	char *ps = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
	char *gs = gj ? json_dumps(gj, JSON_COMPACT) : NULL;
	sqlite3_stmt *st = NULL;
	int rc = ERR_NOMEM;

	if (ps == NULL || gs == NULL)
		goto out;
	rc = ERR_INTERNAL;
	if (sqlite3_prepare_v2(db, creating ?
	    "INSERT INTO roles (id, name, permissions, pages, require_2fa, builtin, created, "
	    "updated) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)" :
	    "UPDATE roles SET name = ?2, permissions = ?3, pages = ?4, require_2fa = ?5, "
	    "updated = ?6 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, role_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(b, "name")), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ps, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, gs, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, json_is_true(json_object_get(b, "require_2fa")));
	sqlite3_bind_int64(st, 6, time_real_us());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : (rc & 0xff) == SQLITE_CONSTRAINT ? ERR_EXISTS : db_err(rc);
out:
	free(ps);
	free(gs);
	json_decref(pj);
	json_decref(gj);
	return rc;
}

static int
role_put_tx(sqlite3 *db, void *arg)
{
	struct role_call *x = arg;
	uint64_t perms, pages;
	char rid[33];
	json_t *before = NULL;
	int creating = x->subject_id == NULL, rc;

	if (!role_body_ok(x->body, x->r, &perms, &pages))
		return 0;
	if (creating) {
		id_new(rid);
	} else {
		if ((before = role_json(db, x->subject_id)) == NULL)
			return result_fail(x->r, 404, "not_found", "No such role.");
		snprintf(rid, sizeof(rid), "%s", x->subject_id);
	}
	rc = role_store(db, rid, x->body, perms, pages, creating);
	if (rc == ERR_EXISTS) {
		json_decref(before);
		return result_refuse(x->r, 409, "name_taken", "A role has this name.");
	}
	if (rc != 0) {
		json_decref(before);
		return rc;
	}
	if (!access_admin_remains(db)) {
		json_decref(before);
		return result_refuse(x->r, 409, "last_admin", "After this change nobody could "
		    "manage users and roles; keep users.manage and roles.manage with someone.");
	}
	rc = role_audit(x, db, creating ? "role.create" : "role.update", rid,
	    json_pack("{s:o, s:o, s:o}", "permissions", access_perms_to_json(perms),
	    "pages", access_pages_to_json(pages), "permissions_before", before ?
	    json_incref(json_object_get(before, "permissions")) : json_null()));
	json_decref(before);
	if (rc != 0)
		return rc;
	return result_ok(x->r, creating ? 201 : 200, role_json(db, rid));
}

int
access_role_put(struct vault *v, const struct identity *id, const char *source,
    const char *role_id, const json_t *body, struct result *r)
{
	struct role_call x = { .v = v, .id = id, .source = source, .subject_id = role_id,
	    .body = body, .r = r };
	int rc;

	if (role_id != NULL && strlen(role_id) > ROLE_NAME_MAX)
		return result_fail(r, 404, "not_found", "No such role.");
	rc = vault_write(v, role_put_tx, &x);
	return rc == ERR_REFUSED ? 0 : rc;
}

static int
role_delete_tx(sqlite3 *db, void *arg)
{
	struct role_call *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *before = role_json(db, x->subject_id);
	int builtin, rc;

	if (before == NULL)
		return result_fail(x->r, 404, "not_found", "No such role.");
	builtin = json_is_true(json_object_get(before, "builtin"));
	json_decref(before);
	if (builtin)
		return result_fail(x->r, 409, "builtin_role", "Built-in roles can be edited, not "
		    "deleted.");
	/* Holders lose the role; its grants go with it. */
	if (sqlite3_prepare_v2(db, "DELETE FROM user_roles WHERE role_id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->subject_id, -1, SQLITE_STATIC);
	if ((rc = role_step(st)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM tag_grants WHERE subject_kind = 'role' AND "
	    "subject_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->subject_id, -1, SQLITE_STATIC);
	if ((rc = role_step(st)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM roles WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->subject_id, -1, SQLITE_STATIC);
	if ((rc = role_step(st)) != 0)
		return rc;
	if (!access_admin_remains(db))
		return result_refuse(x->r, 409, "last_admin", "After this change nobody could "
		    "manage users and roles.");
	if ((rc = role_audit(x, db, "role.delete", x->subject_id, NULL)) != 0)
		return rc;
	return result_ok(x->r, 204, NULL);
}

int
access_role_delete(struct vault *v, const struct identity *id, const char *source,
    const char *role_id, struct result *r)
{
	struct role_call x = { .v = v, .id = id, .source = source, .subject_id = role_id,
	    .r = r };
	int rc;

	if (role_id == NULL || strlen(role_id) > ROLE_NAME_MAX)
		return result_fail(r, 404, "not_found", "No such role.");
	rc = vault_write(v, role_delete_tx, &x);
	return rc == ERR_REFUSED ? 0 : rc;
}

/* Grants. */

static int
grant_subject_exists(sqlite3 *db, const char *kind, const char *subject_id)
{
	sqlite3_stmt *st = NULL;
	int found;

	if (sqlite3_prepare_v2(db, strcmp(kind, "role") == 0 ? "SELECT 1 FROM roles WHERE id = ?1" :
	    "SELECT 1 FROM users WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, subject_id, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static int
grant_get_tx(sqlite3 *db, void *arg)
{
	struct role_call *x = arg;

	if (!grant_subject_exists(db, x->kind, x->subject_id))
		return result_fail(x->r, 404, "not_found", "No such role or user.");
	return result_ok(x->r, 200, role_grants_json(db, x->kind, x->subject_id));
}

int
access_grants_get(struct vault *v, const char *kind, const char *subject_id, struct result *r)
{
	struct role_call x = { .v = v, .kind = kind, .subject_id = subject_id, .r = r };

	if (subject_id == NULL || strlen(subject_id) > ROLE_NAME_MAX)
		return result_fail(r, 404, "not_found", "No such role or user.");
	return vault_read(v, grant_get_tx, &x);
}

static int
grant_insert(sqlite3 *db, const struct role_call *x, const json_t *names, const char *effect)
{
	size_t i;
	json_t *n;
	int rc;

	json_array_foreach(names, i, n) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "INSERT INTO tag_grants (subject_kind, subject_id, tag_id, "
		    "effect) SELECT ?1, ?2, id, ?4 FROM tags WHERE name = ?3", -1, &st, NULL) !=
		    SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, x->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->subject_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, json_string_value(n), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, effect, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		/* Extended result codes are on: this is SQLITE_CONSTRAINT_PRIMARYKEY. */
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			return result_refuse(x->r, 422, "conflicting_grant", "A tag is both allowed "
			    "and denied (or listed twice).");
		if (rc != SQLITE_DONE)
			return db_err(rc);
		if (sqlite3_changes(db) != 1)
			return result_refuse(x->r, 422, "unknown_tag", "A tag in the lists does not "
			    "exist.");
	}
	return 0;
}

static int
grant_put_tx(sqlite3 *db, void *arg)
{
	struct role_call *x = arg;
	sqlite3_stmt *st = NULL;
	const json_t *allow = json_object_get(x->body, "allow");
	const json_t *deny = json_object_get(x->body, "deny");
	int rc;

	if (!grant_subject_exists(db, x->kind, x->subject_id))
		return result_fail(x->r, 404, "not_found", "No such role or user.");
	if (sqlite3_prepare_v2(db, "DELETE FROM tag_grants WHERE subject_kind = ?1 AND "
	    "subject_id = ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, x->subject_id, -1, SQLITE_STATIC);
	if ((rc = role_step(st)) != 0 || (rc = grant_insert(db, x, allow, "allow")) != 0 ||
	    (rc = grant_insert(db, x, deny, "deny")) != 0)
		return rc;
	if ((rc = role_audit(x, db, strcmp(x->kind, "role") == 0 ? "role.grants.update" :
	    "user.grants.update", x->subject_id, json_pack("{s:O, s:O}", "allow", allow, "deny",
	    deny))) != 0)
		return rc;
	return result_ok(x->r, 200, role_grants_json(db, x->kind, x->subject_id));
}

static int
grant_list_ok(const json_t *a)
{
	size_t i;
	json_t *n;

	if (!json_is_array(a) || json_array_size(a) > 256)
		return 0;
	json_array_foreach(a, i, n)
		if (!json_is_string(n) || json_string_length(n) > 64)
			return 0;
	return 1;
}

int
access_grants_put(struct vault *v, const struct identity *id, const char *source,
    const char *kind, const char *subject_id, const json_t *body, struct result *r)
{
	struct role_call x = { .v = v, .id = id, .source = source, .kind = kind,
	    .subject_id = subject_id, .body = body, .r = r };
	const char *k;
	json_t *val;
	int rc;

	if (subject_id == NULL || strlen(subject_id) > ROLE_NAME_MAX)
		return result_fail(r, 404, "not_found", "No such role or user.");
	json_object_foreach((json_t *)body, k, val)
		if (strcmp(k, "allow") != 0 && strcmp(k, "deny") != 0)
			return result_fail(r, 400, "unknown_field", "Allowed fields: allow, deny.");
	if (!grant_list_ok(json_object_get(body, "allow")) ||
	    !grant_list_ok(json_object_get(body, "deny")))
		return result_fail(r, 400, "bad_request", "allow and deny are arrays of tag "
		    "names (both required; [] for none).");
	rc = vault_write(v, grant_put_tx, &x);
	return rc == ERR_REFUSED ? 0 : rc;
}
