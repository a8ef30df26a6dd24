/*
 * login.c: signing in with lockout, changing a password, and the two one-time links that
 * set one (invitation, reset).
 *
 * Argon2id runs outside any write transaction (it takes tens to hundreds of milliseconds
 * and the vault has one writer): a read transaction loads what is needed, the hash is
 * checked or computed, then a write transaction re-reads the row and records the outcome.
 */
#include "auth/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "mail/mail.h"
#include "store/db.h"
#include "store/system.h"
#include "store/vault.h"

#define AUTH_LOCKOUT_MAX_US (24LL * 3600 * 1000000)
#define AUTH_HISTORY_MAX 25
#define AUTH_RESET_LINKS_MAX 3

/* The same answer for every kind of bad credential (ASVS 6.3.8, no enumeration). */
static int
auth_invalid_credentials(struct result *r)
{
	return result_fail(r, 401, "invalid_credentials",
	    "The tenant, e-mail or password is not right, or the account cannot sign in now.");
}

struct auth_login_tx {
	struct auth *a;
	struct vault *v;
	const struct auth_login *in;
	struct auth_policy policy;
	struct auth_user user;
	int found, password_ok;
	char rehash[PASSWORD_HASH_MAX];
	char tenant_id[33];
	struct result *r;
	/* outcomes for after the commit */
	int failed, locked_now;
	int64_t locked_until;
};

static int
auth_login_read(sqlite3 *db, void *arg)
{
	struct auth_login_tx *x = arg;
	int rc;

	if ((rc = auth_policy_load(x->a, db, &x->policy)) != 0)
		return rc;
	rc = auth_user_load(db, "email", x->in->email, &x->user);
	if (rc == ERR_NOTFOUND)
		return 0;
	x->found = rc == 0;
	return rc;
}

/* One more failure for u: locks the account at the threshold (longer on each repeat). */
static int
auth_count_failure(struct auth_login_tx *x, sqlite3 *db, const char *reason, int64_t now)
{
	struct auth_user *u = &x->user;
	sqlite3_stmt *st = NULL;
	long failed = u->failed_logins + 1, lockouts = u->lockouts;
	int64_t until = u->locked_until;
	int rc;

	if ((unsigned long)failed >= x->policy.lockout_threshold) {
		int64_t dur = (int64_t)x->a->lockout_minutes * 60 * 1000000;
		for (long i = 0; i < lockouts && dur < AUTH_LOCKOUT_MAX_US; i++)
			dur *= 2;
		if (dur > AUTH_LOCKOUT_MAX_US)
			dur = AUTH_LOCKOUT_MAX_US;
		until = now + dur;
		lockouts++;
		failed = 0;
		x->locked_now = 1;
		x->locked_until = until;
	}
	if (sqlite3_prepare_v2(db, "UPDATE users SET failed_logins = ?2, lockouts = ?3, "
	    "locked_until = ?4 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, failed);
	sqlite3_bind_int64(st, 3, lockouts);
	sqlite3_bind_int64(st, 4, until);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if ((rc = auth_audit(x->v, db, "auth.login.failed", u->id, x->in->source, u->id,
	    AUDIT_FAILURE, json_pack("{s:s}", "reason", reason))) != 0)
		return rc;
	if (x->locked_now)
		rc = auth_audit(x->v, db, "auth.lockout", "system", x->in->source, u->id,
		    AUDIT_SUCCESS, json_pack("{s:I, s:i}", "until_us", (json_int_t)until,
		    "lockouts_in_a_row", (int)lockouts));
	x->failed = 1;
	return rc;
}

/* A recovery code: normalised (case, dashes and spaces), used once. */
static int
auth_recovery_use(sqlite3 *db, const char *user_id, const char *code, int64_t now)
{
	char norm[64];
	size_t n = 0;
	unsigned char h[32];
	sqlite3_stmt *st = NULL;
	int rc;

	for (const char *p = code; *p != '\0'; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		if (n + 1 >= sizeof(norm))
			return ERR_PERM;
		norm[n++] = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
	}
	norm[n] = '\0';
	auth_secret_hash(norm, h);
	sodium_memzero(norm, sizeof(norm));
	if (sqlite3_prepare_v2(db, "UPDATE recovery_codes SET used = ?3 WHERE user_id = ?1 AND "
	    "hash = ?2 AND used = 0", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	return sqlite3_changes(db) == 1 ? 0 : ERR_PERM;
}

static int
auth_login_write(sqlite3 *db, void *arg)
{
	struct auth_login_tx *x = arg;
	struct auth_user *u = &x->user;
	const struct auth_login *in = x->in;
	int64_t now = time_real_us();
	const char *factor = "password";
	char csrf[64];
	uint64_t perms, pages;
	int require_2fa, rc, expired;
	json_t *user;

	if (!x->found) {
		x->failed = 1;
		auth_invalid_credentials(x->r);
		return auth_audit(x->v, db, "auth.login.failed", "anonymous", in->source, NULL,
		    AUDIT_FAILURE, json_pack("{s:s}", "reason", "unknown_account"));
	}
	/* Re-read: another attempt may have locked the account while we hashed. */
	if ((rc = auth_user_load(db, "id", x->user.id, u)) != 0)
		return rc;
	if (strcmp(u->status, "active") != 0) {
		x->failed = 1;
		auth_invalid_credentials(x->r);
		return auth_audit(x->v, db, "auth.login.failed", u->id, in->source, u->id,
		    AUDIT_FAILURE, json_pack("{s:s}", "reason", u->status));
	}
	if (u->locked_until > now) {
		x->failed = 1;
		auth_invalid_credentials(x->r);
		return auth_audit(x->v, db, "auth.login.failed", u->id, in->source, u->id,
		    AUDIT_FAILURE, json_pack("{s:s}", "reason", "locked"));
	}
	if (!x->password_ok) {
		auth_invalid_credentials(x->r);
		return auth_count_failure(x, db, "wrong_password", now);
	}
	if (u->has_totp) {
		int64_t step = 0;
		if (in->totp == NULL && in->recovery_code == NULL)
			return result_fail(x->r, 401, "totp_required",
			    "Enter the code of your authenticator app (or a recovery code).");
		if (in->totp != NULL) {
			rc = totp_verify(u->totp_secret, TOTP_SECRET_BYTES, in->totp, now / 1000000,
			    u->totp_last_step, &step);
			factor = "totp";
		} else {
			rc = auth_recovery_use(db, u->id, in->recovery_code, now);
			factor = "recovery_code";
		}
		if (rc != 0) {
			result_fail(x->r, 401, "totp_invalid", "The code is not valid (codes are "
			    "accepted once, for 30 seconds after they change).");
			return auth_count_failure(x, db, in->totp ? "wrong_totp" :
			    "wrong_recovery_code", now);
		}
		if (step != 0) {
			sqlite3_stmt *st = NULL;
			if (sqlite3_prepare_v2(db, "UPDATE users SET totp_last_step = ?2 WHERE id = ?1",
			    -1, &st, NULL) != SQLITE_OK)
				return ERR_INTERNAL;
			sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, step);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				return db_err(rc);
		}
	}
	{
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "UPDATE users SET failed_logins = 0, lockouts = 0, "
		    "last_login = ?2, password_hash = coalesce(?3, password_hash) WHERE id = ?1", -1,
		    &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		if (x->rehash[0] != '\0')
			sqlite3_bind_text(st, 3, x->rehash, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(rc);
	}
	if ((rc = auth_user_roles(db, u->id, &perms, &pages, &require_2fa, NULL)) != 0)
		return rc;
	expired = x->policy.renewal_days > 0 && u->password_changed +
	    (int64_t)x->policy.renewal_days * 86400 * 1000000 < now;
	if ((rc = auth_session_create(x->a, db, x->tenant_id, u->id, in->source, x->r->cookie,
	    csrf)) != 0)
		return rc;
	if ((rc = auth_audit(x->v, db, "auth.login", u->id, in->source, u->id, AUDIT_SUCCESS,
	    json_pack("{s:s, s:b, s:b}", "factor", factor, "rehashed", x->rehash[0] != '\0',
	    "renewal_due", expired))) != 0)
		return rc;
	u->last_login = now;
	if ((user = auth_user_json(db, u, now)) == NULL)
		return ERR_NOMEM;
	x->r->status = 200;
	x->r->body = json_pack("{s:o, s:s, s:b, s:b}", "user", user, "csrf_token", csrf,
	    "password_expired", expired, "two_factor_required", require_2fa && !u->has_totp);
	sodium_memzero(csrf, sizeof(csrf));
	return x->r->body ? 0 : ERR_NOMEM;
}

static void
auth_lockout_mail(struct auth *a, const struct auth_user *u, int64_t until, const char *slug)
{
	char body[1024], when[64];
	time_t t = (time_t)(until / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(body, sizeof(body),
	    "Hello,\n\nYour coffre account in the workspace \"%s\" was locked after several failed "
	    "sign-in attempts. It unlocks by itself at %s; an administrator can unlock it sooner, "
	    "and resetting your password unlocks it too:\n%s/reset\n\nIf these attempts were not "
	    "yours, someone may be guessing your password: tell your administrator.\n",
	    slug, when, a->public_url);
	auth_mail(a, u->email, "Your coffre account was locked", body);
}

int
auth_login(struct auth *a, const struct auth_login *in, struct result *r)
{
	struct auth_login_tx *x;
	struct vault *v = NULL;
	char slug[64];
	int rc;

	if (!auth_throttle_ok(a, in->addr, r))
		return 0;
	if ((x = sodium_malloc(sizeof(*x))) == NULL)
		return ERR_NOMEM;
	memset(x, 0, sizeof(*x));
	x->a = a;
	x->in = in;
	x->r = r;
	rc = auth_open_tenant(a, in->tenant, &v, x->tenant_id, NULL, slug);
	if (rc == ERR_NOTFOUND) {
		password_dummy_verify(a->dummy, in->password, in->password_len);
		system_record(a->sys, &(struct audit_event){ .event = "auth.login.failed",
		    .actor = "anonymous", .source = in->source, .outcome = AUDIT_FAILURE,
		    .detail = NULL });
		auth_throttle_failed(a, in->addr);
		auth_invalid_credentials(r);
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	x->v = v;
	if ((rc = vault_read(v, auth_login_read, x)) != 0)
		goto out;
	if (x->found && x->user.password_hash[0] != '\0') {
		x->password_ok = password_verify(x->user.password_hash, in->password,
		    in->password_len) == 0;
		if (x->password_ok && password_needs_rehash(x->user.password_hash, &a->argon) &&
		    password_hash(&a->argon, in->password, in->password_len, x->rehash) != 0)
			x->rehash[0] = '\0';
	} else
		password_dummy_verify(a->dummy, in->password, in->password_len);
	rc = vault_write(v, auth_login_write, x);
	if (rc == 0 && x->failed)
		auth_throttle_failed(a, in->addr);
	if (rc == 0 && x->locked_now)
		auth_lockout_mail(a, &x->user, x->locked_until, slug);
out:
	vault_release(v);
	sodium_memzero(x, sizeof(*x));
	sodium_free(x);
	return rc;
}

/* Setting a password: change, reset and invitation share the policy check and hashing. */

struct auth_setpw {
	struct auth *a;
	struct vault *v;
	struct auth_policy policy;
	struct auth_user user;
	char history[AUTH_HISTORY_MAX][PASSWORD_HASH_MAX];
	size_t nhistory;
	char tenant_name[201], tenant_slug[64], tenant_id[33];
	char hash[PASSWORD_HASH_MAX];
	unsigned char link_hash[32];
	const char *kind;               /* "invitation", "reset" or NULL for a change */
	const char *source;
	const struct identity *id;
	struct result *r;
	int link_ok;
	char csrf[64];
};

static int
auth_setpw_load(sqlite3 *db, void *arg)
{
	struct auth_setpw *x = arg;
	int rc;

	if ((rc = auth_policy_load(x->a, db, &x->policy)) != 0)
		return rc;
	if (x->kind != NULL) {
		sqlite3_stmt *st = NULL;
		char uid[33] = "";
		if (sqlite3_prepare_v2(db, "SELECT user_id FROM auth_links WHERE hash = ?1 AND "
		    "kind = ?2 AND used = 0 AND expires > ?3", -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_blob(st, 1, x->link_hash, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, time_real_us());
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(uid, sizeof(uid), "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (uid[0] == '\0')
			return 0;
		if ((rc = auth_user_load(db, "id", uid, &x->user)) != 0)
			return rc == ERR_NOTFOUND ? 0 : rc;
		x->link_ok = 1;
	} else if ((rc = auth_user_load(db, "id", x->id->user_id, &x->user)) != 0)
		return rc;
	return auth_password_history(db, x->user.id, x->user.password_hash, x->history,
	    x->policy.password.history < AUTH_HISTORY_MAX ? x->policy.password.history :
	    AUTH_HISTORY_MAX, &x->nhistory);
}

/* Checks the new password against the policy and hashes it; 1 when r holds a refusal. */
static int
auth_setpw_prepare(struct auth_setpw *x, const char *pw, size_t len)
{
	const char *prev[AUTH_HISTORY_MAX], *rule = NULL;
	char msg[200];
	struct password_context ctx = { x->user.email, x->tenant_name, x->tenant_slug, prev,
	    x->nhistory };
	int rc;

	for (size_t i = 0; i < x->nhistory; i++)
		prev[i] = x->history[i];
	rc = password_check(&x->policy.password, &ctx, pw, len, &rule, msg, sizeof(msg));
	if (rc == ERR_INVALID) {
		result_fail(x->r, 422, "password_rejected", msg);
		x->r->body = json_pack("{s:s}", "rule", rule ? rule : "invalid");
		return 1;
	}
	if (rc != 0)
		return rc;
	return password_hash(&x->a->argon, pw, len, x->hash);
}

static int
auth_setpw_write(sqlite3 *db, void *arg)
{
	struct auth_setpw *x = arg;
	int64_t now = time_real_us();
	sqlite3_stmt *st = NULL;
	const char *event;
	int rc, ended;

	if (x->kind != NULL) {
		/* Single use: the link is spent here, once, or the call fails. */
		if (sqlite3_prepare_v2(db, "UPDATE auth_links SET used = ?3 WHERE hash = ?1 AND "
		    "kind = ?2 AND used = 0 AND expires > ?3", -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_blob(st, 1, x->link_hash, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(rc);
		if (sqlite3_changes(db) != 1)
			return result_fail(x->r, 400, "invalid_token",
			    "This link is not valid: it was used already, expired or never existed.");
		/* Other links of the same kind for this user die with it. */
		if (sqlite3_prepare_v2(db, "UPDATE auth_links SET used = ?3 WHERE user_id = ?1 AND "
		    "kind = ?2 AND used = 0", -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, x->user.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(rc);
		if (strcmp(x->kind, "invitation") == 0) {
			if (strcmp(x->user.status, "invited") != 0)
				return result_fail(x->r, 400, "invalid_token",
				    "This link is not valid: it was used already, expired or never "
				    "existed.");
			if (sqlite3_prepare_v2(db, "UPDATE users SET status = 'active' WHERE id = ?1",
			    -1, &st, NULL) != SQLITE_OK)
				return ERR_INTERNAL;
			sqlite3_bind_text(st, 1, x->user.id, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				return db_err(rc);
		} else if (strcmp(x->user.status, "active") != 0)
			return result_fail(x->r, 400, "invalid_token",
			    "This link is not valid: it was used already, expired or never existed.");
	}
	if ((rc = auth_password_store(db, x->user.id, x->hash, now)) != 0)
		return rc;
	/* A new password ends every session; a change keeps the caller signed in with a new one. */
	if ((ended = auth_sessions_end(db, x->user.id, NULL)) < 0)
		return ended;
	if (x->kind == NULL && x->id->via == ACCESS_VIA_SESSION &&
	    (rc = auth_session_create(x->a, db, x->tenant_id, x->user.id, x->source,
	    x->r->cookie, x->csrf)) != 0)
		return rc;
	event = x->kind == NULL ? "auth.password.change" : strcmp(x->kind, "reset") == 0 ?
	    "auth.password.reset" : "user.invitation.accept";
	if ((rc = auth_audit(x->v, db, event, x->user.id, x->source, x->user.id, AUDIT_SUCCESS,
	    json_pack("{s:i}", "signed_out", ended))) != 0)
		return rc;
	x->r->status = 200;
	if (x->kind == NULL && x->csrf[0] != '\0')
		x->r->body = json_pack("{s:b, s:s}", "password_changed", 1, "csrf_token", x->csrf);
	else
		x->r->body = json_pack("{s:b, s:s}", "password_changed", 1, "email", x->user.email);
	return x->r->body ? 0 : ERR_NOMEM;
}

static struct auth_setpw *
auth_setpw_new(struct auth *a, struct vault *v, const char *kind, const char *source,
    const struct identity *id, struct result *r)
{
	struct auth_setpw *x = sodium_malloc(sizeof(*x));

	if (x == NULL)
		return NULL;
	memset(x, 0, sizeof(*x));
	x->a = a;
	x->v = v;
	x->kind = kind;
	x->source = source;
	x->id = id;
	x->r = r;
	return x;
}

static void
auth_setpw_free(struct auth_setpw *x)
{
	if (x == NULL)
		return;
	sodium_memzero(x, sizeof(*x));
	sodium_free(x);
}

static int
auth_setpw_refused(sqlite3 *db, void *arg)
{
	struct auth_setpw *x = arg;

	return auth_audit(x->v, db, "auth.password.change", x->user.id, x->source, x->user.id,
	    AUDIT_FAILURE, json_pack("{s:s}", "reason", "wrong_password"));
}

int
auth_password_change(struct auth *a, struct vault *v, const struct identity *id,
    const char *current, size_t current_len, const char *next, size_t next_len,
    const char *source, const unsigned char *addr, struct result *r)
{
	struct auth_setpw *x;
	int rc;

	/* The current password is a guess like a login's: the same per-address budget. */
	if (!auth_throttle_ok(a, addr, r))
		return 0;
	if ((x = auth_setpw_new(a, v, NULL, source, id, r)) == NULL)
		return ERR_NOMEM;
	snprintf(x->tenant_id, sizeof(x->tenant_id), "%s", id->tenant_id);
	snprintf(x->tenant_name, sizeof(x->tenant_name), "%s", id->tenant_name);
	snprintf(x->tenant_slug, sizeof(x->tenant_slug), "%s", id->tenant_slug);
	if ((rc = vault_read(v, auth_setpw_load, x)) != 0)
		goto out;
	if (x->user.password_hash[0] == '\0' || password_verify(x->user.password_hash, current,
	    current_len) != 0) {
		result_fail(r, 403, "wrong_password", "The current password is not right.");
		auth_throttle_failed(a, addr);
		rc = vault_write(v, auth_setpw_refused, x);
		goto out;
	}
	if ((rc = auth_setpw_prepare(x, next, next_len)) != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	rc = vault_write(v, auth_setpw_write, x);
out:
	auth_setpw_free(x);
	return rc;
}

/* Invitation and reset links: the shared path from token to new password. */
static int
auth_link_use(struct auth *a, const char *kind, const char *token, const char *pw, size_t len,
    const char *source, const unsigned char *addr, struct result *r)
{
	struct auth_setpw *x = NULL;
	struct vault *v = NULL;
	const char *secret;
	char tid[33];
	int rc;

	if (!auth_throttle_ok(a, addr, r))
		return 0;
	if ((x = auth_setpw_new(a, NULL, kind, source, NULL, r)) == NULL)
		return ERR_NOMEM;
	if (auth_credential_split(token, NULL, tid, &secret) != 0 ||
	    (rc = auth_open_tenant(a, tid, &v, x->tenant_id, x->tenant_name, x->tenant_slug)) ==
	    ERR_NOTFOUND) {
		auth_throttle_failed(a, addr);
		result_fail(r, 400, "invalid_token",
		    "This link is not valid: it was used already, expired or never existed.");
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	x->v = v;
	auth_secret_hash(secret, x->link_hash);
	if ((rc = vault_read(v, auth_setpw_load, x)) != 0)
		goto out;
	if (!x->link_ok) {
		auth_throttle_failed(a, addr);
		result_fail(r, 400, "invalid_token",
		    "This link is not valid: it was used already, expired or never existed.");
		goto out;
	}
	if ((rc = auth_setpw_prepare(x, pw, len)) != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	rc = vault_write(v, auth_setpw_write, x);
out:
	auth_setpw_free(x);
	vault_release(v);
	return rc;
}

int
auth_reset(struct auth *a, const char *token, const char *password, size_t len,
    const char *source, const unsigned char *addr, struct result *r)
{
	return auth_link_use(a, "reset", token, password, len, source, addr, r);
}

int
auth_invitation_accept(struct auth *a, const char *token, const char *password, size_t len,
    const char *source, const unsigned char *addr, struct result *r)
{
	return auth_link_use(a, "invitation", token, password, len, source, addr, r);
}

/* Creating links. */

static int
auth_link_insert(sqlite3 *db, const char *kind, const char *user_id, const char *by,
    const char *secret, int64_t now, int64_t ttl)
{
	sqlite3_stmt *st = NULL;
	unsigned char h[32];
	int rc;

	auth_secret_hash(secret, h);
	if (sqlite3_prepare_v2(db, "INSERT INTO auth_links (hash, kind, user_id, created_by, "
	    "created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now + ttl);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(rc);
}

struct auth_reset_tx {
	struct auth *a;
	struct vault *v;
	const char *email, *source, *tenant_id;
	struct auth_user user;
	char secret[AUTH_SECRET_CHARS + 1];
	int send;
};

static int
auth_reset_request_tx(sqlite3 *db, void *arg)
{
	struct auth_reset_tx *x = arg;
	int64_t now = time_real_us();
	sqlite3_stmt *st = NULL;
	int live = 0, rc;

	rc = auth_user_load(db, "email", x->email, &x->user);
	if (rc == ERR_NOTFOUND || (rc == 0 && strcmp(x->user.status, "active") != 0))
		return auth_audit(x->v, db, "auth.reset.request", "anonymous", x->source,
		    rc == 0 ? x->user.id : NULL, AUDIT_FAILURE, json_pack("{s:s}", "reason",
		    rc == 0 ? x->user.status : "unknown_account"));
	if (rc != 0)
		return rc;
	/* A few live links per account at most: the form cannot be used to flood a mailbox. */
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM auth_links WHERE user_id = ?1 AND "
	    "kind = 'reset' AND used = 0 AND expires > ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->user.id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW)
		live = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (live >= AUTH_RESET_LINKS_MAX)
		return auth_audit(x->v, db, "auth.reset.request", x->user.id, x->source, x->user.id,
		    AUDIT_FAILURE, json_pack("{s:s}", "reason", "too_many_live_links"));
	auth_secret_new(x->secret);
	if ((rc = auth_link_insert(db, "reset", x->user.id, x->user.id, x->secret, now,
	    x->a->reset_us)) != 0)
		return rc;
	x->send = 1;
	return auth_audit(x->v, db, "auth.reset.request", x->user.id, x->source, x->user.id,
	    AUDIT_SUCCESS, NULL);
}

int
auth_reset_request(struct auth *a, const char *tenant, const char *email, const char *source,
    const unsigned char *addr, struct result *r)
{
	struct auth_reset_tx *x;
	struct vault *v = NULL;
	char tid[33], slug[64];
	int rc;

	if (!auth_throttle_ok(a, addr, r))
		return 0;
	/* Every request spends from the address's budget: the form is no mail cannon. */
	auth_throttle_failed(a, addr);
	if ((x = sodium_malloc(sizeof(*x))) == NULL)
		return ERR_NOMEM;
	memset(x, 0, sizeof(*x));
	x->a = a;
	x->email = email;
	x->source = source;
	rc = auth_open_tenant(a, tenant, &v, tid, NULL, slug);
	if (rc == ERR_NOTFOUND) {
		system_record(a->sys, &(struct audit_event){ .event = "auth.reset.request",
		    .actor = "anonymous", .source = source, .outcome = AUDIT_FAILURE });
		rc = 0;
	} else if (rc == 0) {
		x->v = v;
		x->tenant_id = tid;
		rc = vault_write(v, auth_reset_request_tx, x);
	}
	if (rc == 0 && x->send) {
		char body[2048];
		snprintf(body, sizeof(body),
		    "Hello,\n\nSomeone (hopefully you) asked to reset the password of your coffre "
		    "account in the workspace \"%s\". This link sets a new password; it works once, "
		    "within %lld minutes:\n\n%s/reset#token=%s.%s\n\nIf you did not ask for it, "
		    "ignore this mail: your password stays as it is.\n", slug,
		    (long long)(a->reset_us / 60000000), a->public_url, tid, x->secret);
		auth_mail(a, x->user.email, "Reset your coffre password", body);
		sodium_memzero(body, sizeof(body));
	}
	vault_release(v);
	sodium_memzero(x, sizeof(*x));
	sodium_free(x);
	if (rc != 0)
		return rc;
	r->status = 202;
	r->body = json_pack("{s:s}", "status", "If this account exists, a reset link is on its "
	    "way to its e-mail address.");
	return r->body ? 0 : ERR_NOMEM;
}

struct auth_invite_tx {
	struct auth *a;
	struct vault *v;
	const struct identity *by;
	const char *email, *role, *source;
	char user_id[33];
	char secret[AUTH_SECRET_CHARS + 1];
	struct result *r;
	int send;
};

static int
auth_invite_tx(sqlite3 *db, void *arg)
{
	struct auth_invite_tx *x = arg;
	struct auth_user u;
	int64_t now = time_real_us();
	sqlite3_stmt *st = NULL;
	char key[ACCESS_EMAIL_MAX + 1];
	const char *actor = x->by ? x->by->user_id : "system";
	int rc;

	rc = auth_user_load(db, "email", x->email, &u);
	if (rc == 0 && strcmp(u.status, "invited") != 0)
		return result_fail(x->r, 409, "user_exists", "An account with this e-mail exists.");
	if (rc != 0 && rc != ERR_NOTFOUND)
		return rc;
	rc = auth_role_check(db, x->role, x->by);
	if (rc == ERR_PERM)
		return result_fail(x->r, 403, "role_above_yours", "You cannot give a role with "
		    "permissions you do not hold yourself.");
	if (rc == ERR_NOTFOUND || rc == ERR_INVALID)
		return result_fail(x->r, 422, "unknown_role", "No role has this id.");
	if (rc != 0)
		return rc;
	if (u.id[0] != '\0') {
		/* Inviting again: the old links stop working, the role is the new one. */
		snprintf(x->user_id, sizeof(x->user_id), "%s", u.id);
		if (sqlite3_prepare_v2(db, "UPDATE auth_links SET used = ?2 WHERE user_id = ?1 AND "
		    "kind = 'invitation' AND used = 0", -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, u.id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(rc);
		if (db_exec(db, "SAVEPOINT x") != 0)
			return ERR_INTERNAL;
		if (sqlite3_prepare_v2(db, "DELETE FROM user_roles WHERE user_id = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, u.id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		db_exec(db, "RELEASE x");
		if (rc != SQLITE_DONE)
			return db_err(rc);
	} else {
		id_new(x->user_id);
		auth_email_key(x->email, key, sizeof(key));
		if (sqlite3_prepare_v2(db, "INSERT INTO users (id, email, email_key, status, created, "
		    "updated) VALUES (?1, ?2, ?3, 'invited', ?4, ?4)", -1, &st, NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_text(st, 1, x->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(rc);
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO user_roles VALUES (?1, ?2)", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, x->role, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	auth_secret_new(x->secret);
	if ((rc = auth_link_insert(db, "invitation", x->user_id, actor, x->secret, now,
	    x->a->invitation_us)) != 0)
		return rc;
	if ((rc = auth_audit(x->v, db, "user.invite", actor, x->source, x->user_id,
	    AUDIT_SUCCESS, json_pack("{s:s, s:I}", "role", x->role, "expires_us",
	    (json_int_t)(now + x->a->invitation_us)))) != 0)
		return rc;
	x->send = 1;
	x->r->status = 201;
	x->r->body = json_pack("{s:s, s:s, s:s, s:I}", "user_id", x->user_id, "email", x->email,
	    "role", x->role, "expires_us", (json_int_t)(now + x->a->invitation_us));
	return x->r->body ? 0 : ERR_NOMEM;
}

int
auth_invite(struct auth *a, struct vault *v, const struct identity *by, const char *source,
    const char *email, const char *role, char *link_out, size_t link_outsz,
    struct result *r)
{
	struct auth_invite_tx *x;
	char link[700];
	int rc;

	if (email == NULL || !mail_address_valid(email))
		return result_fail(r, 400, "invalid_email", "The e-mail address is not valid.");
	if (role == NULL || strlen(role) > 64)
		return result_fail(r, 400, "bad_request", "role must be a role id.");
	if ((x = sodium_malloc(sizeof(*x))) == NULL)
		return ERR_NOMEM;
	memset(x, 0, sizeof(*x));
	*x = (struct auth_invite_tx){ .a = a, .v = v, .by = by, .email = email, .role = role,
	    .source = source, .r = r };
	rc = vault_write(v, auth_invite_tx, x);
	if (rc == 0 && x->send) {
		char body[2048];
		snprintf(link, sizeof(link), "%s/invitation#token=%s.%s", a->public_url,
		    vault_tenant_id(v), x->secret);
		snprintf(body, sizeof(body),
		    "Hello,\n\nYou are invited to a coffre knowledge vault%s%s. Choose your password "
		    "with this link; it works once, within %lld hours:\n\n%s\n\nIf you did not "
		    "expect this invitation, ignore this mail.\n", by ? " by " : "",
		    by ? by->email : "", (long long)(a->invitation_us / 3600000000LL), link);
		if (by != NULL)
			auth_mail(a, email, "You are invited to coffre", body);
		if (link_out != NULL)
			snprintf(link_out, link_outsz, "%s", link);
		sodium_memzero(body, sizeof(body));
		sodium_memzero(link, sizeof(link));
	}
	sodium_memzero(x, sizeof(*x));
	sodium_free(x);
	return rc;
}
