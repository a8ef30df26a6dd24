/* account.c: account rows, roles of a user, passwords and their history, user admin. */
#include "auth/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access/roles.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "store/db.h"
#include "store/vault.h"

#define AUTH_USER_COLUMNS "id, email, name, status, password_hash, password_changed, " \
	"failed_logins, lockouts, locked_until, totp_secret, totp_pending IS NOT NULL, " \
	"totp_last_step, last_login, created"

int
auth_user_load(sqlite3 *db, const char *by, const char *value, struct auth_user *u)
{
	sqlite3_stmt *st = NULL;
	char key[ACCESS_EMAIL_MAX + 1];
	const char *sql = strcmp(by, "id") == 0 ?
	    "SELECT " AUTH_USER_COLUMNS " FROM users WHERE id = ?1" :
	    "SELECT " AUTH_USER_COLUMNS " FROM users WHERE email_key = ?1";
	int rc;

	/* value may point into *u (reloading a row): copy it before clearing *u. */
	if (value == NULL || (strcmp(by, "id") == 0 ? (strlen(value) >= sizeof(key) ? -1 :
	    (snprintf(key, sizeof(key), "%s", value), 0)) : auth_email_key(value, key,
	    sizeof(key))) != 0) {
		memset(u, 0, sizeof(*u));
		return ERR_NOTFOUND;
	}
	memset(u, 0, sizeof(*u));
	if (db_prepare(db, sql, &st) != 0)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *secret = sqlite3_column_blob(st, 9);
		snprintf(u->id, sizeof(u->id), "%s", sqlite3_column_text(st, 0));
		snprintf(u->email, sizeof(u->email), "%s", sqlite3_column_text(st, 1));
		snprintf(u->name, sizeof(u->name), "%s", sqlite3_column_text(st, 2));
		snprintf(u->status, sizeof(u->status), "%s", sqlite3_column_text(st, 3));
		if (sqlite3_column_type(st, 4) == SQLITE_TEXT)
			snprintf(u->password_hash, sizeof(u->password_hash), "%s",
			    sqlite3_column_text(st, 4));
		u->password_changed = sqlite3_column_int64(st, 5);
		u->failed_logins = (long)sqlite3_column_int64(st, 6);
		u->lockouts = (long)sqlite3_column_int64(st, 7);
		u->locked_until = sqlite3_column_int64(st, 8);
		if (secret != NULL && sqlite3_column_bytes(st, 9) == TOTP_SECRET_BYTES) {
			memcpy(u->totp_secret, secret, TOTP_SECRET_BYTES);
			u->has_totp = 1;
		}
		u->has_pending = sqlite3_column_int(st, 10);
		u->totp_last_step = sqlite3_column_int64(st, 11);
		u->last_login = sqlite3_column_int64(st, 12);
		u->created = sqlite3_column_int64(st, 13);
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? ERR_NOTFOUND : db_err(rc);
	db_finish(db, sql, st);
	return rc;
}

static const char AUTH_ROLES_SQL[] = "SELECT r.id, r.permissions, r.pages, r.require_2fa "
    "FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ?1 ORDER BY r.id";

int
auth_user_roles(sqlite3 *db, const char *user_id, uint64_t *perms, uint64_t *pages,
    int *require_2fa, json_t **names)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	char msg[120];
	int rc;

	*perms = *pages = 0;
	*require_2fa = 0;
	if (list == NULL)
		return ERR_NOMEM;
	if (db_prepare(db, AUTH_ROLES_SQL, &st) != 0) {
		json_decref(list);
		return ERR_INTERNAL;
	}
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *p = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		json_t *g = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		uint64_t pm = 0, gm = 0;

		/* A role whose stored lists do not parse grants nothing: deny by default. */
		if (p != NULL && access_perms_from_json(p, &pm, msg, sizeof(msg)) == 0)
			*perms |= pm;
		if (g != NULL && access_pages_from_json(g, &gm, msg, sizeof(msg)) == 0)
			*pages |= gm;
		json_decref(p);
		json_decref(g);
		if (sqlite3_column_int(st, 3))
			*require_2fa = 1;
		json_array_append_new(list, json_string((const char *)sqlite3_column_text(st, 0)));
	}
	db_finish(db, AUTH_ROLES_SQL, st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return db_err(rc);
	}
	if (names != NULL)
		*names = list;
	else
		json_decref(list);
	return 0;
}

int
auth_password_history(sqlite3 *db, const char *user_id, const char *current,
    char hashes[][PASSWORD_HASH_MAX], size_t max, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (current != NULL && current[0] != '\0' && max > 0)
		snprintf(hashes[(*n)++], PASSWORD_HASH_MAX, "%s", current);
	if (sqlite3_prepare_v2(db, "SELECT hash FROM password_history WHERE user_id = ?1 "
	    "ORDER BY created DESC, rowid DESC LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(hashes[(*n)++], PASSWORD_HASH_MAX, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

static int
auth_exec_bind(sqlite3 *db, const char *sql, const char *a1, const char *a2, int64_t i3)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	if (a1 != NULL)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
	if (a2 != NULL)
		sqlite3_bind_text(st, 2, a2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, i3);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(rc);
}

int
auth_password_store(sqlite3 *db, const char *user_id, const char *hash, int64_t now)
{
	int rc;

	/* The hash being replaced joins the history; the history keeps 24 at most. */
	if ((rc = auth_exec_bind(db, "INSERT INTO password_history (user_id, hash, created) "
	    "SELECT id, password_hash, ?3 FROM users WHERE id = ?1 AND password_hash IS NOT NULL",
	    user_id, NULL, now)) != 0 ||
	    (rc = auth_exec_bind(db, "DELETE FROM password_history WHERE user_id = ?1 AND rowid "
	    "NOT IN (SELECT rowid FROM password_history WHERE user_id = ?1 ORDER BY created DESC, "
	    "rowid DESC LIMIT 24)", user_id, NULL, 0)) != 0)
		return rc;
	return auth_exec_bind(db, "UPDATE users SET password_hash = ?2, password_changed = ?3, "
	    "failed_logins = 0, lockouts = 0, locked_until = 0, updated = ?3 WHERE id = ?1",
	    user_id, hash, now);
}

int
auth_sessions_end(sqlite3 *db, const char *user_id, const unsigned char *keep_hash)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR "
	    "hash <> ?2)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	if (keep_hash != NULL)
		sqlite3_bind_blob(st, 2, keep_hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : db_err(rc);
}

json_t *
auth_user_json(sqlite3 *db, const struct auth_user *u, int64_t now)
{
	uint64_t perms, pages;
	int req2fa;
	json_t *roles = NULL, *j;
	const char *status = u->status;

	if (strcmp(status, "active") == 0 && u->locked_until > now)
		status = "locked";
	if (auth_user_roles(db, u->id, &perms, &pages, &req2fa, &roles) != 0)
		return NULL;
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:I, s:I}", "id", u->id, "email", u->email,
	    "name", u->name, "status", status, "roles", roles, "two_factor", u->has_totp,
	    "created_us", (json_int_t)u->created, "last_login_us", (json_int_t)u->last_login);
	if (j != NULL && u->locked_until > now)
		json_object_set_new(j, "locked_until_us", json_integer(u->locked_until));
	return j;
}

/* User administration. */

struct auth_list {
	json_t *items;
};

static int
auth_users_list_tx(sqlite3 *db, void *arg)
{
	struct auth_list *l = arg;
	sqlite3_stmt *st = NULL;
	int64_t now = time_real_us();
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id FROM users ORDER BY email_key LIMIT 10000", -1,
	    &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct auth_user u;
		char id[33];
		snprintf(id, sizeof(id), "%s", sqlite3_column_text(st, 0));
		if (auth_user_load(db, "id", id, &u) == 0)
			json_array_append_new(l->items, auth_user_json(db, &u, now));
		sodium_memzero(&u, sizeof(u));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(rc);
}

int
auth_users_list(struct auth *a, struct vault *v, struct result *r)
{
	struct auth_list l = { json_array() };
	int rc;

	(void)a;
	if (l.items == NULL)
		return ERR_NOMEM;
	if ((rc = vault_read(v, auth_users_list_tx, &l)) != 0) {
		json_decref(l.items);
		return rc;
	}
	r->status = 200;
	r->body = json_pack("{s:o}", "items", l.items);
	return r->body ? 0 : ERR_NOMEM;
}

struct auth_update {
	struct auth *a;
	struct vault *v;
	const struct identity *by;
	const char *user_id, *source;
	const json_t *body;
	struct result *r;
};

int
auth_role_check(sqlite3 *db, const char *role, const struct identity *by)
{
	sqlite3_stmt *st = NULL;
	json_t *p = NULL;
	uint64_t perms = 0;
	char msg[120];
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT permissions FROM roles WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		p = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ERR_NOTFOUND;
	rc = p != NULL ? access_perms_from_json(p, &perms, msg, sizeof(msg)) : ERR_INVALID;
	json_decref(p);
	if (rc != 0)
		return rc;
	/* Nobody hands out more than they hold: users.manage is not a way to roles.manage. */
	return by == NULL || (perms & ~by->perms) == 0 ? 0 : ERR_PERM;
}

static int
auth_user_update_tx(sqlite3 *db, void *arg)
{
	struct auth_update *x = arg;
	struct auth_user u;
	const json_t *status = json_object_get(x->body, "status");
	const json_t *roles = json_object_get(x->body, "roles");
	const json_t *name = json_object_get(x->body, "name");
	int64_t now = time_real_us();
	int rc;
	uint64_t perms, pages;
	int req;
	json_t *before = NULL, *changes = json_object();
	size_t i;
	json_t *it;

	if (changes == NULL)
		return ERR_NOMEM;
	if (auth_user_load(db, "id", x->user_id, &u) != 0) {
		json_decref(changes);
		return result_fail(x->r, 404, "not_found", "No such user.");
	}
	if (auth_user_roles(db, u.id, &perms, &pages, &req, &before) != 0) {
		json_decref(changes);
		return ERR_INTERNAL;
	}
	/* Every refusal comes before the first change: a refused call changes nothing. */
	json_array_foreach(roles, i, it) {
		rc = auth_role_check(db, json_string_value(it), x->by);
		if (rc != 0) {
			json_decref(before);
			json_decref(changes);
			if (rc == ERR_PERM)
				return result_fail(x->r, 403, "role_above_yours", "You cannot give a role "
				    "with permissions you do not hold yourself.");
			return result_fail(x->r, 422, "unknown_role", "A role in the list does not "
			    "exist.");
		}
	}
	if (status != NULL) {
		const char *s = json_string_value(status);
		if (strcmp(u.status, "invited") == 0 && strcmp(s, "active") == 0) {
			json_decref(before);
			json_decref(changes);
			return result_fail(x->r, 422, "invitation_pending",
			    "An invited user becomes active by accepting the invitation.");
		}
		if ((rc = auth_exec_bind(db, "UPDATE users SET status = ?2, updated = ?3 WHERE "
		    "id = ?1", u.id, s, now)) != 0)
			goto fail;
		/* A disabled account keeps nothing that lets it in. */
		if (strcmp(s, "disabled") == 0) {
			if ((rc = auth_sessions_end(db, u.id, NULL)) < 0 ||
			    (rc = auth_exec_bind(db, "DELETE FROM api_tokens WHERE user_id = ?1",
			    u.id, NULL, 0)) != 0)
				goto fail;
		}
		json_object_set(changes, "status", (json_t *)status);
	}
	if (roles != NULL) {
		if ((rc = auth_exec_bind(db, "DELETE FROM user_roles WHERE user_id = ?1", u.id, NULL,
		    0)) != 0)
			goto fail;
		json_array_foreach(roles, i, it)
			if ((rc = auth_exec_bind(db, "INSERT OR IGNORE INTO user_roles VALUES (?1, ?2)",
			    u.id, json_string_value(it), 0)) != 0)
				goto fail;
		json_object_set(changes, "roles", (json_t *)roles);
		json_object_set(changes, "roles_before", before);
	}
	if (name != NULL) {
		if ((rc = auth_exec_bind(db, "UPDATE users SET name = ?2, updated = ?3 WHERE id = ?1",
		    u.id, json_string_value(name), now)) != 0)
			goto fail;
		json_object_set_new(changes, "name", json_true());  /* changed; the name itself
		                                                        is personal data */
	}
	json_decref(before);
	before = NULL;
	/* Checked on the result, whatever the change was: someone must still administer. */
	if (!access_admin_remains(db)) {
		json_decref(changes);
		return result_refuse(x->r, 409, "last_admin", "After this change nobody could manage "
		    "users and roles; appoint another admin first.");
	}
	if ((rc = auth_audit(x->v, db, "user.update", x->by->user_id, x->source, u.id,
	    AUDIT_SUCCESS, changes)) != 0)
		return rc;
	changes = NULL;
	if (auth_user_load(db, "id", u.id, &u) != 0)
		return ERR_INTERNAL;
	x->r->status = 200;
	x->r->body = auth_user_json(db, &u, now);
	return x->r->body ? 0 : ERR_NOMEM;
fail:
	json_decref(before);
	json_decref(changes);
	return rc;
}

static int
auth_user_update_check(const json_t *body, struct result *r)
{
	const char *k;
	json_t *v;

	if (!json_is_object(body) || json_object_size(body) == 0)
		return result_fail(r, 400, "bad_request", "Send an object with status, roles or name.");
	json_object_foreach((json_t *)body, k, v) {
		if (strcmp(k, "status") == 0) {
			if (!json_is_string(v) || (strcmp(json_string_value(v), "active") != 0 &&
			    strcmp(json_string_value(v), "disabled") != 0))
				return result_fail(r, 400, "bad_request",
				    "status must be \"active\" or \"disabled\".");
		} else if (strcmp(k, "roles") == 0) {
			size_t i;
			json_t *it;
			if (!json_is_array(v) || json_array_size(v) > 32)
				return result_fail(r, 400, "bad_request",
				    "roles must be an array of at most 32 role ids.");
			json_array_foreach(v, i, it)
				if (!json_is_string(it) || json_string_length(it) > 64)
					return result_fail(r, 400, "bad_request",
					    "roles must be an array of role ids.");
		} else if (strcmp(k, "name") == 0) {
			const char *s = json_is_string(v) ? json_string_value(v) : NULL;
			if (s == NULL || strlen(s) > AUTH_USER_NAME_MAX ||
			    strcspn(s, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
			    "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f")
			    != strlen(s))
				return result_fail(r, 400, "bad_request", "name must be a string of at "
				    "most 200 bytes without control characters.");
		} else
			return result_fail(r, 400, "unknown_field",
			    "Only status, roles and name can be changed.");
	}
	return 1;
}

int
auth_user_update(struct auth *a, struct vault *v, const struct identity *by,
    const char *user_id, const json_t *body, const char *source, struct result *r)
{
	struct auth_update x = { a, v, by, user_id, source, body, r };
	int rc;

	if (auth_user_update_check(body, r) != 1)
		return 0;
	rc = vault_write(v, auth_user_update_tx, &x);
	return rc == ERR_REFUSED ? 0 : rc;
}

static int
auth_user_unlock_tx(sqlite3 *db, void *arg)
{
	struct auth_update *x = arg;
	struct auth_user u;
	int64_t now = time_real_us();
	int rc;

	if (auth_user_load(db, "id", x->user_id, &u) != 0)
		return result_fail(x->r, 404, "not_found", "No such user.");
	if ((rc = auth_exec_bind(db, "UPDATE users SET failed_logins = 0, lockouts = 0, "
	    "locked_until = 0, updated = ?3 WHERE id = ?1", u.id, NULL, now)) != 0 ||
	    (rc = auth_audit(x->v, db, "user.unlock", x->by->user_id, x->source, u.id,
	    AUDIT_SUCCESS, json_pack("{s:b}", "was_locked", u.locked_until > now))) != 0)
		return rc;
	u.locked_until = 0;
	x->r->status = 200;
	x->r->body = auth_user_json(db, &u, now);
	return x->r->body ? 0 : ERR_NOMEM;
}

int
auth_user_unlock(struct auth *a, struct vault *v, const struct identity *by,
    const char *user_id, const char *source, struct result *r)
{
	struct auth_update x = { a, v, by, user_id, source, NULL, r };

	return vault_write(v, auth_user_unlock_tx, &x);
}
