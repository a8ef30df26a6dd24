/* auth.c: the auth service's settings, tenant policies, credentials and shared helpers. */
#include "auth/internal.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "http/ratelimit.h"
#include "mail/mail.h"
#include "store/db.h"
#include "store/tenant.h"
#include "store/vault.h"

#define AUTH_THROTTLE_WINDOW_S 900.0
#define AUTH_THROTTLE_SLOTS 4096

struct auth *
auth_new(const struct config *cfg, struct system *sys, struct vault_cache *vaults,
    struct mailer *mailer, int *err)
{
	struct auth *a;
	double n = (double)config_int(cfg, "auth.address_failures");

	*err = ERR_NOMEM;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->sys = sys;
	a->vaults = vaults;
	a->mailer = mailer;
	a->argon.passes = (unsigned long long)config_int(cfg, "password.argon2_passes");
	a->argon.memory_kib = (size_t)config_int(cfg, "password.argon2_memory_kib");
	a->session_idle_us = config_int(cfg, "auth.session_idle") * 1000000LL;
	a->session_absolute_us = config_int(cfg, "auth.session_absolute") * 1000000LL;
	a->lockout_threshold = (unsigned)config_int(cfg, "auth.lockout_threshold");
	a->lockout_minutes = (unsigned)config_int(cfg, "auth.lockout_minutes");
	a->invitation_us = config_int(cfg, "auth.invitation_hours") * 3600LL * 1000000LL;
	a->reset_us = config_int(cfg, "auth.reset_minutes") * 60LL * 1000000LL;
	snprintf(a->public_url, sizeof(a->public_url), "%s", config_str(cfg, "server.public_url"));
	{
		size_t len = strlen(a->public_url);
		while (len > 0 && a->public_url[len - 1] == '/')
			a->public_url[--len] = '\0';
	}
	/* The budget refills over 15 minutes: n failures per window, n at once. */
	if ((a->failures = ratelimit_new(n / AUTH_THROTTLE_WINDOW_S, n, AUTH_THROTTLE_SLOTS)) ==
	    NULL || (a->dummy = password_dummy_new(&a->argon)) == NULL) {
		auth_free(a);
		return NULL;
	}
	*err = 0;
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	ratelimit_free(a->failures);
	password_dummy_free(a->dummy);
	free(a);
}

int
auth_throttle_ok(struct auth *a, const unsigned char *addr, struct result *r)
{
	unsigned retry = 1;

	if (addr == NULL || ratelimit_peek(a->failures, addr, time_mono_ns(), &retry))
		return 1;
	r->retry_after = retry;
	result_fail(r, 429, "too_many_failures",
	    "Too many failed attempts from this address; retry later.");
	return 0;
}

void
auth_throttle_failed(struct auth *a, const unsigned char *addr)
{
	unsigned retry;

	if (addr != NULL)
		ratelimit_take(a->failures, addr, time_mono_ns(), &retry);
}

/* Tenant policy. */

static void
auth_policy_defaults(const struct auth *a, struct auth_policy *p)
{
	memset(p, 0, sizeof(*p));
	password_policy_default(&p->password);
	p->lockout_threshold = a->lockout_threshold;
	p->renewal_days = 0;
}

json_t *
auth_policy_to_json(const struct auth_policy *p)
{
	json_t *pw = password_policy_to_json(&p->password);

	if (pw == NULL)
		return NULL;
	return json_pack("{s:o, s:I, s:I}", "password", pw, "lockout_threshold",
	    (json_int_t)p->lockout_threshold, "password_renewal_days", (json_int_t)p->renewal_days);
}

static int
auth_uint_field(const json_t *v, const char *name, unsigned min, unsigned max, unsigned *out,
    char *msg, size_t msgsz)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < min || n > max) {
		snprintf(msg, msgsz, "%s must be an integer from %u to %u.", name, min, max);
		return ERR_INVALID;
	}
	*out = (unsigned)n;
	return 0;
}

int
auth_policy_from_json(const json_t *obj, const struct auth_policy *cur, struct auth_policy *out,
    char *msg, size_t msgsz)
{
	const char *k;
	json_t *v;
	struct auth_policy p = *cur;
	int rc;

	if (!json_is_object(obj)) {
		snprintf(msg, msgsz, "The policy must be a JSON object.");
		return ERR_INVALID;
	}
	json_object_foreach((json_t *)obj, k, v) {
		if (strcmp(k, "password") == 0 && json_is_object(v)) {
			/* Like the top level, fields left out keep their current values. */
			json_t *merged = password_policy_to_json(&p.password);
			if (merged == NULL || json_object_update(merged, v) != 0) {
				json_decref(merged);
				snprintf(msg, msgsz, "Out of memory.");
				return ERR_NOMEM;
			}
			rc = password_policy_from_json(merged, &p.password, msg, msgsz);
			json_decref(merged);
		} else if (strcmp(k, "password") == 0)
			rc = password_policy_from_json(v, &p.password, msg, msgsz);
		else if (strcmp(k, "lockout_threshold") == 0)
			rc = auth_uint_field(v, k, 1, 100, &p.lockout_threshold, msg, msgsz);
		else if (strcmp(k, "password_renewal_days") == 0)
			rc = auth_uint_field(v, k, 0, 3650, &p.renewal_days, msg, msgsz);
		else {
			snprintf(msg, msgsz, "Unknown field in the policy (allowed: password, "
			    "lockout_threshold, password_renewal_days).");
			rc = ERR_INVALID;
		}
		if (rc != 0)
			return rc;
	}
	*out = p;
	return 0;
}

static const char AUTH_POLICY_SQL[] = "SELECT value FROM settings WHERE key = 'auth_policy'";

int
auth_policy_load(const struct auth *a, sqlite3 *db, struct auth_policy *out)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;
	struct auth_policy def;
	char msg[200];
	int rc;

	auth_policy_defaults(a, &def);
	*out = def;
	if (db_prepare(db, AUTH_POLICY_SQL, &st) != 0)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		j = s ? json_loads(s, 0, NULL) : NULL;
		/* A stored policy that no longer parses falls back to the defaults, loudly. */
		if (j == NULL || auth_policy_from_json(j, &def, out, msg, sizeof(msg)) != 0) {
			log_warnx("stored authentication policy is invalid; using the defaults");
			*out = def;
		}
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? 0 : db_err(rc);
	json_decref(j);
	db_finish(db, AUTH_POLICY_SQL, st);
	return rc;
}

struct auth_policy_save {
	struct auth *a;
	struct vault *v;
	const struct identity *by;
	const char *source;
	const struct auth_policy *p;
};

static int
auth_policy_save_tx(sqlite3 *db, void *arg)
{
	struct auth_policy_save *s = arg;
	json_t *j = auth_policy_to_json(s->p);
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	sqlite3_stmt *st = NULL;
	int rc = ERR_NOMEM;

	if (text == NULL)
		goto out;
	rc = ERR_INTERNAL;
	if (sqlite3_prepare_v2(db, "INSERT INTO settings (key, value, updated) VALUES "
	    "('auth_policy', ?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?1, updated = ?2",
	    -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_real_us());
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		rc = db_err(rc);
		goto out;
	}
	/* The trail refuses keys that name secrets ("password..."): the rules go under others. */
	rc = auth_audit(s->v, db, "settings.auth_policy.update", s->by->user_id, s->source,
	    "auth_policy", AUDIT_SUCCESS, json_pack("{s:O, s:I, s:I}", "rules",
	    json_object_get(j, "password"), "lockout_threshold",
	    (json_int_t)s->p->lockout_threshold, "renewal_days", (json_int_t)s->p->renewal_days));
out:
	sqlite3_finalize(st);
	free(text);
	json_decref(j);
	return rc;
}

int
auth_policy_save(struct auth *a, struct vault *v, const struct identity *by, const char *source,
    const struct auth_policy *p)
{
	struct auth_policy_save s = { a, v, by, source, p };

	return vault_write(v, auth_policy_save_tx, &s);
}

/* Credentials. */

int
auth_secret_new(char out[AUTH_SECRET_CHARS + 1])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, AUTH_SECRET_CHARS + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

void
auth_secret_hash(const char *secret, unsigned char out[32])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

int
auth_credential_split(const char *cred, const char *prefix, char tenant_id[33],
    const char **secret)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	const char *p;

	if (cred == NULL || strlen(cred) >= AUTH_CREDENTIAL_MAX)
		return ERR_INVALID;
	if (plen != 0 && strncmp(cred, prefix, plen) != 0)
		return ERR_INVALID;
	p = cred + plen;
	if (strspn(p, "0123456789abcdef") != 32 || p[32] != '.')
		return ERR_INVALID;
	if (strlen(p + 33) != AUTH_SECRET_CHARS || strspn(p + 33,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	    AUTH_SECRET_CHARS)
		return ERR_INVALID;
	memcpy(tenant_id, p, 32);
	tenant_id[32] = '\0';
	*secret = p + 33;
	return 0;
}

int
auth_email_key(const char *email, char *out, size_t outsz)
{
	size_t n = strlen(email);

	if (n >= outsz)
		return ERR_TOOBIG;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	return 0;
}

int
auth_audit(const struct vault *v, sqlite3 *db, const char *event, const char *actor,
    const char *source, const char *target, enum audit_outcome outcome, json_t *detail_owned)
{
	return vault_record(v, db, event, actor, source, target, outcome, detail_owned);
}

void
auth_mail(struct auth *a, const char *to, const char *subject, const char *body)
{
	int rc;

	/* A disabled mailer logs the unsent message itself (never its body: links are secrets). */
	if ((rc = mailer_send(a->mailer, to, subject, body)) != 0 && rc != ERR_NOTFOUND)
		log_warnx("cannot queue the mail \"%s\": %s", subject, err_str(rc));
}

int
auth_open_tenant(struct auth *a, const char *slug_or_id, struct vault **v, char tenant_id[33],
    char tenant_name[201], char tenant_slug[64])
{
	struct tenant t;
	int rc;

	*v = NULL;
	if (slug_or_id == NULL || slug_or_id[0] == '\0' || strlen(slug_or_id) > 64)
		return ERR_NOTFOUND;
	system_lock(a->sys);
	rc = tenant_find(a->sys, slug_or_id, &t);
	system_unlock(a->sys);
	if (rc != 0)
		return rc;
	if (strcmp(t.status, "active") != 0)
		return ERR_NOTFOUND;
	if ((rc = vault_open(a->vaults, t.id, v)) != 0)
		return rc;
	snprintf(tenant_id, 33, "%s", t.id);
	if (tenant_name != NULL)
		snprintf(tenant_name, 201, "%s", t.name);
	if (tenant_slug != NULL)
		snprintf(tenant_slug, 64, "%s", t.slug);
	return 0;
}
