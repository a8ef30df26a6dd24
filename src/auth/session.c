/* session.c: sessions, API tokens, resolving a credential into an identity, /me. */
#include "auth/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "store/db.h"
#include "store/vault.h"

/* A session's idle clock is written at most this often (one write per minute, not per call). */
#define AUTH_TOUCH_US (60LL * 1000000)

int
auth_session_create(struct auth *a, sqlite3 *db, const char *tenant_id, const char *user_id,
    const char *source, char cookie[AUTH_CREDENTIAL_MAX], char csrf[64])
{
	char secret[AUTH_SECRET_CHARS + 1];
	unsigned char h[32];
	sqlite3_stmt *st = NULL;
	int64_t now = time_real_us();
	int rc;

	auth_secret_new(secret);
	auth_secret_new(csrf);
	auth_secret_hash(secret, h);
	if (sqlite3_prepare_v2(db, "INSERT INTO sessions (hash, user_id, csrf, created, last_seen, "
	    "expires, source) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK) {
		rc = ERR_INTERNAL;
		goto out;
	}
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now + a->session_absolute_us);
	sqlite3_bind_text(st, 6, source ? source : "-", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_err(rc);
	if (rc == 0)
		snprintf(cookie, AUTH_CREDENTIAL_MAX, "%s.%s", tenant_id, secret);
out:
	sqlite3_finalize(st);
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

struct auth_resolve {
	struct auth *a;
	struct identity *id;
	unsigned char hash[32];
	int token;
	int found, touch;
};

static int
auth_resolve_tx(sqlite3 *db, void *arg)
{
	struct auth_resolve *x = arg;
	struct identity *id = x->id;
	struct auth_user u;
	struct auth_policy pol;
	sqlite3_stmt *st = NULL;
	int64_t now = time_real_us(), seen = 0;
	int require_2fa, rc;

	const char *sql = x->token ? "SELECT user_id, id, read_only, last_used FROM api_tokens "
	    "WHERE hash = ?1 AND expires > ?2" : "SELECT user_id, csrf, 0, last_seen FROM sessions "
	    "WHERE hash = ?1 AND expires > ?2 AND last_seen > ?3";

	if (db_prepare(db, sql, &st) != 0)
		return ERR_INTERNAL;
	sqlite3_bind_blob(st, 1, x->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now - x->a->session_idle_us);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(id->user_id, sizeof(id->user_id), "%s", sqlite3_column_text(st, 0));
		if (x->token)
			snprintf(id->token_id, sizeof(id->token_id), "%s", sqlite3_column_text(st, 1));
		else
			snprintf(id->csrf, sizeof(id->csrf), "%s", sqlite3_column_text(st, 1));
		id->read_only = sqlite3_column_int(st, 2);
		seen = sqlite3_column_int64(st, 3);
		x->found = 1;
	}
	db_finish(db, sql, st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : db_err(rc);
	x->found = 0;
	if ((rc = auth_user_load(db, "id", id->user_id, &u)) != 0)
		return rc == ERR_NOTFOUND ? 0 : rc;
	if (strcmp(u.status, "active") != 0)
		return 0;
	if ((rc = auth_user_roles(db, u.id, &id->perms, &id->pages, &require_2fa, NULL)) != 0 ||
	    (rc = auth_policy_load(x->a, db, &pol)) != 0)
		return rc;
	snprintf(id->email, sizeof(id->email), "%s", u.email);
	id->totp_enabled = u.has_totp;
	id->must_enrol_2fa = require_2fa && !u.has_totp;
	id->must_renew_password = pol.renewal_days > 0 && u.password_changed +
	    (int64_t)pol.renewal_days * 86400 * 1000000 < now;
	/* Often enough that an active session never looks idle, rarely enough to cost nothing. */
	x->touch = now - seen > (x->a->session_idle_us / 4 < AUTH_TOUCH_US ?
	    x->a->session_idle_us / 4 : AUTH_TOUCH_US);
	x->found = 1;
	sodium_memzero(&u, sizeof(u));
	return 0;
}

static int
auth_touch_tx(sqlite3 *db, void *arg)
{
	struct auth_resolve *x = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, x->token ?
	    "UPDATE api_tokens SET last_used = ?2 WHERE hash = ?1" :
	    "UPDATE sessions SET last_seen = ?2 WHERE hash = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_blob(st, 1, x->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_real_us());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(rc);
}

int
auth_authenticate(struct auth *a, const char *cookie, const char *bearer, struct identity *id,
    struct vault **vault)
{
	struct auth_resolve x = { .a = a, .id = id };
	struct vault *v = NULL;
	const char *secret;
	char tid[33];
	int rc;

	*vault = NULL;
	memset(id, 0, sizeof(*id));
	x.token = bearer != NULL;
	if (auth_credential_split(x.token ? bearer : cookie, x.token ? AUTH_TOKEN_PREFIX : NULL,
	    tid, &secret) != 0)
		return ERR_PERM;
	auth_secret_hash(secret, x.hash);
	if ((rc = auth_open_tenant(a, tid, &v, id->tenant_id, id->tenant_name,
	    id->tenant_slug)) != 0)
		return rc == ERR_NOTFOUND ? ERR_PERM : rc;
	if ((rc = vault_read(v, auth_resolve_tx, &x)) != 0 || !x.found) {
		vault_release(v);
		memset(id, 0, sizeof(*id));
		return rc != 0 ? rc : ERR_PERM;
	}
	if (x.touch && (rc = vault_write(v, auth_touch_tx, &x)) != 0)
		log_warnx("cannot refresh a session's clock: %s", err_str(rc));
	id->via = x.token ? ACCESS_VIA_TOKEN : ACCESS_VIA_SESSION;
	memcpy(id->session_hash, x.hash, sizeof(x.hash));
	*vault = v;
	return 0;
}

struct auth_simple {
	struct auth *a;
	struct vault *v;
	const struct identity *id;
	const char *source, *arg;
	const json_t *body;
	struct result *r;
};

static int
auth_logout_tx(sqlite3 *db, void *arg)
{
	struct auth_simple *x = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE hash = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_blob(st, 1, x->id->session_hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	return auth_audit(x->v, db, "auth.logout", x->id->user_id, x->source, x->id->user_id,
	    AUDIT_SUCCESS, NULL);
}

int
auth_logout(struct auth *a, struct vault *v, const struct identity *id, const char *source)
{
	struct auth_simple x = { a, v, id, source, NULL, NULL, NULL };

	if (id->via != ACCESS_VIA_SESSION)
		return 0;
	return vault_write(v, auth_logout_tx, &x);
}

/* API tokens. */

static int
auth_tokens_list_tx(sqlite3 *db, void *arg)
{
	struct auth_simple *x = arg;
	sqlite3_stmt *st = NULL;
	json_t *items = json_array();
	int rc;

	if (items == NULL)
		return ERR_NOMEM;
	if (sqlite3_prepare_v2(db, "SELECT id, name, read_only, created, expires, last_used FROM "
	    "api_tokens WHERE user_id = ?1 ORDER BY created", -1, &st, NULL) != SQLITE_OK) {
		json_decref(items);
		return ERR_INTERNAL;
	}
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:b}",
		    "id", sqlite3_column_text(st, 0), "name", sqlite3_column_text(st, 1),
		    "read_only", sqlite3_column_int(st, 2), "created_us",
		    (json_int_t)sqlite3_column_int64(st, 3), "expires_us",
		    (json_int_t)sqlite3_column_int64(st, 4), "last_used_us",
		    (json_int_t)sqlite3_column_int64(st, 5), "expired",
		    sqlite3_column_int64(st, 4) <= time_real_us()));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		return db_err(rc);
	}
	x->r->status = 200;
	x->r->body = json_pack("{s:o}", "items", items);
	return x->r->body ? 0 : ERR_NOMEM;
}

int
auth_tokens_list(struct auth *a, struct vault *v, const struct identity *id,
    struct result *r)
{
	struct auth_simple x = { a, v, id, NULL, NULL, NULL, r };

	return vault_read(v, auth_tokens_list_tx, &x);
}

static int
auth_token_create_tx(sqlite3 *db, void *arg)
{
	struct auth_simple *x = arg;
	const json_t *b = x->body;
	const char *name = json_string_value(json_object_get(b, "name"));
	const json_t *days = json_object_get(b, "expires_in_days");
	const json_t *ro = json_object_get(b, "read_only");
	char secret[AUTH_SECRET_CHARS + 1], tid[33], token[AUTH_CREDENTIAL_MAX];
	unsigned char h[32];
	sqlite3_stmt *st = NULL;
	int64_t now = time_real_us(), expires;
	int n = 0, rc;

	id_new(tid);
	expires = now + (days ? json_integer_value(days) : 90) * 86400LL * 1000000;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM api_tokens WHERE user_id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (n >= AUTH_TOKENS_PER_USER)
		return result_fail(x->r, 422, "too_many_tokens",
		    "You have 50 API tokens already; revoke some first.");
	auth_secret_new(secret);
	auth_secret_hash(secret, h);
	if (sqlite3_prepare_v2(db, "INSERT INTO api_tokens (id, user_id, name, hash, read_only, "
	    "created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK) {
		rc = ERR_INTERNAL;
		goto out;
	}
	sqlite3_bind_text(st, 1, tid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, x->id->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_int(st, 5, json_is_true(ro));
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, expires);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* Extended result codes are on (db_open): SQLITE_CONSTRAINT_UNIQUE, not the bare code. */
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		rc = result_fail(x->r, 409, "name_taken", "You have a token with this name already.");
		goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(rc);
		goto out;
	}
	if ((rc = auth_audit(x->v, db, "auth.token.create", x->id->user_id, x->source, tid,
	    AUDIT_SUCCESS, json_pack("{s:s, s:b, s:I}", "name", name, "read_only",
	    json_is_true(ro), "expires_us", (json_int_t)expires))) != 0)
		goto out;
	snprintf(token, sizeof(token), AUTH_TOKEN_PREFIX "%s.%s", x->id->tenant_id, secret);
	x->r->status = 201;
	x->r->body = json_pack("{s:s, s:s, s:s, s:b, s:I}", "id", tid, "name", name, "token",
	    token, "read_only", json_is_true(ro), "expires_us", (json_int_t)expires);
	rc = x->r->body ? 0 : ERR_NOMEM;
	sodium_memzero(token, sizeof(token));
out:
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

int
auth_token_create(struct auth *a, struct vault *v, const struct identity *id,
    const json_t *body, const char *source, struct result *r)
{
	struct auth_simple x = { a, v, id, source, NULL, body, r };
	const char *k, *name;
	json_t *val;

	/* Tokens cannot mint tokens: a leaked token must not outlive its own expiry. */
	if (id->via != ACCESS_VIA_SESSION)
		return result_fail(r, 403, "session_required",
		    "API tokens are created from a signed-in session.");
	json_object_foreach((json_t *)body, k, val)
		if (strcmp(k, "name") != 0 && strcmp(k, "expires_in_days") != 0 &&
		    strcmp(k, "read_only") != 0)
			return result_fail(r, 400, "unknown_field",
			    "Allowed fields: name, expires_in_days, read_only.");
	name = json_string_value(json_object_get(body, "name"));
	if (name == NULL || name[0] == '\0' || strlen(name) > AUTH_TOKEN_NAME_MAX ||
	    strcspn(name, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
	    "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != strlen(name))
		return result_fail(r, 400, "bad_request",
		    "name must be 1 to 64 bytes without control characters.");
	val = json_object_get(body, "expires_in_days");
	if (val != NULL && (!json_is_integer(val) || json_integer_value(val) < 1 ||
	    json_integer_value(val) > AUTH_TOKEN_MAX_DAYS))
		return result_fail(r, 400, "bad_request",
		    "expires_in_days must be an integer from 1 to 366.");
	val = json_object_get(body, "read_only");
	if (val != NULL && !json_is_boolean(val))
		return result_fail(r, 400, "bad_request", "read_only must be true or false.");
	return vault_write(v, auth_token_create_tx, &x);
}

static int
auth_token_revoke_tx(sqlite3 *db, void *arg)
{
	struct auth_simple *x = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	/* Only the owner's own tokens: someone else's id is simply not found. */
	if (sqlite3_prepare_v2(db, "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2", -1,
	    &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->arg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, x->id->user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if (sqlite3_changes(db) != 1)
		return result_fail(x->r, 404, "not_found", "You have no token with this id.");
	if ((rc = auth_audit(x->v, db, "auth.token.revoke", x->id->user_id, x->source, x->arg,
	    AUDIT_SUCCESS, NULL)) != 0)
		return rc;
	x->r->status = 204;
	return 0;
}

int
auth_token_revoke(struct auth *a, struct vault *v, const struct identity *id,
    const char *token_id, const char *source, struct result *r)
{
	struct auth_simple x = { a, v, id, source, token_id, NULL, r };

	if (token_id == NULL || strlen(token_id) != 32 || strspn(token_id,
	    "0123456789abcdef") != 32)
		return result_fail(r, 404, "not_found", "You have no token with this id.");
	return vault_write(v, auth_token_revoke_tx, &x);
}

static int
auth_me_tx(sqlite3 *db, void *arg)
{
	struct auth_simple *x = arg;
	const struct identity *id = x->id;
	struct auth_user u;
	int64_t now = time_real_us();
	json_t *user;
	uint64_t perms, pages;
	int required, rc;

	if ((rc = auth_user_load(db, "id", id->user_id, &u)) != 0 ||
	    (rc = auth_user_roles(db, u.id, &perms, &pages, &required, NULL)) != 0)
		return rc;
	if ((user = auth_user_json(db, &u, now)) == NULL)
		return ERR_NOMEM;
	x->r->status = 200;
	x->r->body = json_pack("{s:o, s:{s:s, s:s, s:s}, s:o, s:o, s:{s:b, s:b}, s:b, s:s, s:b}",
	    "user", user,
	    "tenant", "id", id->tenant_id, "slug", id->tenant_slug, "name", id->tenant_name,
	    "permissions", access_perms_to_json(id->perms),
	    "pages", access_pages_to_json(id->pages),
	    "two_factor", "enabled", u.has_totp, "required", required,
	    "password_expired", id->must_renew_password,
	    "via", id->via == ACCESS_VIA_TOKEN ? "token" : "session",
	    "read_only", id->read_only);
	sodium_memzero(&u, sizeof(u));
	return x->r->body ? 0 : ERR_NOMEM;
}

int
auth_me(struct auth *a, struct vault *v, const struct identity *id, struct result *r)
{
	struct auth_simple x = { a, v, id, NULL, NULL, NULL, r };

	return vault_read(v, auth_me_tx, &x);
}

struct auth_sweep {
	int64_t now;
	long removed;
};

static int
auth_sweep_tx(sqlite3 *db, void *arg)
{
	struct auth_sweep *x = arg;
	static const char *const sql[] = {
		"DELETE FROM sessions WHERE expires <= ?1",
		"DELETE FROM api_tokens WHERE expires <= ?1",
		"DELETE FROM auth_links WHERE expires <= ?1",
	};
	int rc;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_int64(st, 1, x->now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(rc);
		x->removed += sqlite3_changes(db);
	}
	return 0;
}

int
auth_vault_sweep(struct vault *v, int64_t now_us, long *removed)
{
	struct auth_sweep x = { now_us, 0 };
	int rc = vault_write(v, auth_sweep_tx, &x);

	*removed = x.removed;
	return rc;
}
