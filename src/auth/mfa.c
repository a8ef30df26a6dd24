/* mfa.c: TOTP enrolment, confirmation with recovery codes, removal (I4). */
#include "auth/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "store/db.h"
#include "store/vault.h"

struct auth_mfa {
	struct auth *a;
	struct vault *v;
	const struct identity *id;
	const char *source, *code;
	struct result *r;
	unsigned char secret[TOTP_SECRET_BYTES];
	char codes[AUTH_RECOVERY_CODES][24];
	int failed;
};

static int
auth_mfa_enroll_tx(sqlite3 *db, void *arg)
{
	struct auth_mfa *x = arg;
	struct auth_user u;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = auth_user_load(db, "id", x->id->user_id, &u)) != 0)
		return rc;
	if (u.has_totp)
		return result_fail(x->r, 409, "two_factor_enabled",
		    "Two-factor authentication is on already; remove it first to enrol again.");
	randombytes_buf(x->secret, sizeof(x->secret));
	if (sqlite3_prepare_v2(db, "UPDATE users SET totp_pending = ?2 WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, u.id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, x->secret, sizeof(x->secret), SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	return auth_audit(x->v, db, "auth.totp.enroll", u.id, x->source, u.id, AUDIT_SUCCESS,
	    NULL);
}

int
auth_totp_enroll(struct auth *a, struct vault *v, const struct identity *id,
    const char *source, struct result *r)
{
	struct auth_mfa *x = sodium_malloc(sizeof(*x));
	char b32[TOTP_B32_MAX], issuer[128], *uri = NULL, *svg = NULL;
	size_t svglen;
	int rc;

	if (x == NULL)
		return ERR_NOMEM;
	memset(x, 0, sizeof(*x));
	*x = (struct auth_mfa){ .a = a, .v = v, .id = id, .source = source, .r = r };
	if ((rc = vault_write(v, auth_mfa_enroll_tx, x)) != 0 || r->status != 0)
		goto out;
	rc = ERR_NOMEM;
	snprintf(issuer, sizeof(issuer), "coffre %s", id->tenant_slug);
	if (totp_base32_encode(x->secret, sizeof(x->secret), b32, sizeof(b32)) != 0 ||
	    (uri = totp_uri(issuer, id->email, b32)) == NULL ||
	    (svg = totp_qr_svg(uri, &svglen)) == NULL)
		goto out;
	r->status = 200;
	r->body = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "secret", b32, "otpauth_uri", uri,
	    "qr_svg", svg, "digits", TOTP_DIGITS, "period", TOTP_STEP, "algorithm", "SHA1");
	rc = r->body ? 0 : ERR_NOMEM;
out:
	sodium_memzero(b32, sizeof(b32));
	if (uri != NULL) {
		sodium_memzero(uri, strlen(uri));
		free(uri);
	}
	if (svg != NULL) {
		sodium_memzero(svg, strlen(svg));
		free(svg);
	}
	sodium_memzero(x, sizeof(*x));
	sodium_free(x);
	return rc;
}

/* 80-bit codes, shown as XXXX-XXXX-XXXX-XXXX (base32), stored as SHA-256 of the bare form. */
static void
auth_recovery_code_new(char out[24], unsigned char hash[32])
{
	unsigned char raw[10];
	char b32[TOTP_B32_MAX];

	randombytes_buf(raw, sizeof(raw));
	totp_base32_encode(raw, sizeof(raw), b32, sizeof(b32));
	auth_secret_hash(b32, hash);
	snprintf(out, 24, "%.4s-%.4s-%.4s-%.4s", b32, b32 + 4, b32 + 8, b32 + 12);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b32, sizeof(b32));
}

static int
auth_mfa_confirm_tx(sqlite3 *db, void *arg)
{
	struct auth_mfa *x = arg;
	sqlite3_stmt *st = NULL, *ins = NULL;
	const void *pending;
	int64_t step = 0, now = time_real_us();
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT totp_pending FROM users WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	pending = rc == SQLITE_ROW ? sqlite3_column_blob(st, 0) : NULL;
	if (pending == NULL || sqlite3_column_bytes(st, 0) != TOTP_SECRET_BYTES) {
		sqlite3_finalize(st);
		return result_fail(x->r, 409, "not_enrolling",
		    "Start with POST /api/v1/auth/totp/enroll.");
	}
	memcpy(x->secret, pending, TOTP_SECRET_BYTES);
	sqlite3_finalize(st);
	rc = totp_verify(x->secret, TOTP_SECRET_BYTES, x->code, now / 1000000, 0, &step);
	if (rc != 0) {
		x->failed = 1;
		result_fail(x->r, 422, "totp_invalid", "The code does not match; check the time of "
		    "your device and try the next code.");
		return auth_audit(x->v, db, "auth.totp.confirm", x->id->user_id, x->source,
		    x->id->user_id, AUDIT_FAILURE, NULL);
	}
	if (sqlite3_prepare_v2(db, "UPDATE users SET totp_secret = totp_pending, totp_pending = "
	    "NULL, totp_last_step = ?2, updated = ?3 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, step);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if (sqlite3_prepare_v2(db, "DELETE FROM recovery_codes WHERE user_id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if (sqlite3_prepare_v2(db, "INSERT INTO recovery_codes (user_id, hash) VALUES (?1, ?2)",
	    -1, &ins, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
		unsigned char h[32];
		auth_recovery_code_new(x->codes[i], h);
		sqlite3_bind_text(ins, 1, x->id->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 2, h, sizeof(h), SQLITE_TRANSIENT);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(ins);
			return db_err(rc);
		}
	}
	sqlite3_finalize(ins);
	return auth_audit(x->v, db, "auth.totp.confirm", x->id->user_id, x->source,
	    x->id->user_id, AUDIT_SUCCESS, json_pack("{s:i}", "backup_codes",
	    AUTH_RECOVERY_CODES));
}

int
auth_totp_confirm(struct auth *a, struct vault *v, const struct identity *id, const char *code,
    const char *source, const unsigned char *addr, struct result *r)
{
	struct auth_mfa *x;
	json_t *codes;
	int rc;

	if (!auth_throttle_ok(a, addr, r))
		return 0;
	if ((x = sodium_malloc(sizeof(*x))) == NULL)
		return ERR_NOMEM;
	memset(x, 0, sizeof(*x));
	*x = (struct auth_mfa){ .a = a, .v = v, .id = id, .source = source, .code = code,
	    .r = r };
	rc = vault_write(v, auth_mfa_confirm_tx, x);
	if (rc == 0 && x->failed)
		auth_throttle_failed(a, addr);
	if (rc == 0 && r->status == 0) {
		rc = ERR_NOMEM;
		if ((codes = json_array()) != NULL) {
			for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
				json_array_append_new(codes, json_string(x->codes[i]));
			r->status = 200;
			r->body = json_pack("{s:b, s:o}", "enabled", 1, "recovery_codes", codes);
			rc = r->body ? 0 : ERR_NOMEM;
		}
	}
	sodium_memzero(x, sizeof(*x));
	sodium_free(x);
	return rc;
}

struct auth_mfa_remove {
	struct auth *a;
	struct vault *v;
	const struct identity *id;
	const char *source;
	struct result *r;
	char hash[PASSWORD_HASH_MAX];
	int required, ok;
};

static int
auth_mfa_remove_read(sqlite3 *db, void *arg)
{
	struct auth_mfa_remove *x = arg;
	struct auth_user u;
	uint64_t perms, pages;
	int rc;

	if ((rc = auth_user_load(db, "id", x->id->user_id, &u)) != 0 ||
	    (rc = auth_user_roles(db, u.id, &perms, &pages, &x->required, NULL)) != 0)
		return rc;
	snprintf(x->hash, sizeof(x->hash), "%s", u.password_hash);
	sodium_memzero(&u, sizeof(u));
	return 0;
}

static int
auth_mfa_remove_tx(sqlite3 *db, void *arg)
{
	struct auth_mfa_remove *x = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!x->ok)
		return auth_audit(x->v, db, "auth.totp.remove", x->id->user_id, x->source,
		    x->id->user_id, AUDIT_FAILURE, json_pack("{s:s}", "reason", "wrong_password"));
	if (sqlite3_prepare_v2(db, "UPDATE users SET totp_secret = NULL, totp_pending = NULL "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	if (sqlite3_prepare_v2(db, "DELETE FROM recovery_codes WHERE user_id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, x->id->user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	x->r->status = 204;
	return auth_audit(x->v, db, "auth.totp.remove", x->id->user_id, x->source,
	    x->id->user_id, AUDIT_SUCCESS, NULL);
}

int
auth_totp_remove(struct auth *a, struct vault *v, const struct identity *id,
    const char *password, size_t len, const char *source, const unsigned char *addr,
    struct result *r)
{
	struct auth_mfa_remove x = { .a = a, .v = v, .id = id, .source = source, .r = r };
	int rc;

	/* The password is a guess like a login's: the same per-address budget. */
	if (!auth_throttle_ok(a, addr, r))
		return 0;
	if ((rc = vault_read(v, auth_mfa_remove_read, &x)) != 0)
		return rc;
	if (x.required) {
		sodium_memzero(&x, sizeof(x));
		return result_fail(r, 422, "two_factor_required",
		    "Your role requires two-factor authentication; it cannot be removed.");
	}
	x.ok = x.hash[0] != '\0' && password_verify(x.hash, password, len) == 0;
	if (!x.ok) {
		result_fail(r, 403, "wrong_password", "The password is not right.");
		auth_throttle_failed(a, addr);
	}
	rc = vault_write(v, auth_mfa_remove_tx, &x);
	sodium_memzero(&x, sizeof(x));
	return rc;
}
