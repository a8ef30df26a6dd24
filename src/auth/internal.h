/* internal.h: what the files of src/auth share; nothing outside src/auth includes it. */
#ifndef COFFRE_AUTH_INTERNAL_H
#define COFFRE_AUTH_INTERNAL_H

#include "audit/audit.h"
#include "auth/auth.h"
#include "auth/totp.h"

struct ratelimit;

struct auth {
	struct system *sys;
	struct vault_cache *vaults;
	struct mailer *mailer;
	struct password_params argon;
	struct password_dummy *dummy;
	struct ratelimit *failures;     /* failed attempts per client address */
	int64_t session_idle_us, session_absolute_us;
	unsigned lockout_threshold, lockout_minutes;
	int64_t invitation_us, reset_us;
	char public_url[520];
};

/* An account row. */
struct auth_user {
	char id[33];
	char email[ACCESS_EMAIL_MAX + 1];
	char name[AUTH_USER_NAME_MAX + 1];
	char status[16];
	char password_hash[PASSWORD_HASH_MAX];
	int64_t password_changed, locked_until, last_login, created;
	long failed_logins, lockouts;
	unsigned char totp_secret[TOTP_SECRET_BYTES];
	int has_totp, has_pending;
	int64_t totp_last_step;
};

/* Loads by "id" or "email" (compared lower-cased). ERR_NOTFOUND. */
int auth_user_load(sqlite3 *db, const char *by, const char *value, struct auth_user *u);
/* The union of the user's roles: permissions, pages, whether one requires 2FA, and the
 * role ids as a JSON array (when names is given). */
int auth_user_roles(sqlite3 *db, const char *user_id, uint64_t *perms, uint64_t *pages,
    int *require_2fa, json_t **names);
/* 0 when role exists and by (NULL: the command line) holds every permission it grants;
 * ERR_NOTFOUND for no such role, ERR_PERM when it grants more than by holds. */
int auth_role_check(sqlite3 *db, const char *role, const struct identity *by);
/* Lower-cases an e-mail into out (ASCII letters only: the domain and most local parts). */
int auth_email_key(const char *email, char *out, size_t outsz);
/* Appends ev to the vault's trail inside a write callback. */
int auth_audit(const struct vault *v, sqlite3 *db, const char *event, const char *actor,
    const char *source, const char *target, enum audit_outcome outcome, json_t *detail_owned);
/* 1 when addr may still fail (per-address throttle), else fills r with 429. */
int auth_throttle_ok(struct auth *a, const unsigned char *addr, struct result *r);
void auth_throttle_failed(struct auth *a, const unsigned char *addr);
/* The user's password history hashes, newest first (current hash first), for the policy. */
int auth_password_history(sqlite3 *db, const char *user_id, const char *current,
    char hashes[][PASSWORD_HASH_MAX], size_t max, size_t *n);
/* Stores a new password hash (history kept, failures and lock cleared) inside a write. */
int auth_password_store(sqlite3 *db, const char *user_id, const char *hash, int64_t now);
/* Creates a session for user inside a write; cookie gets the credential, csrf the token. */
int auth_session_create(struct auth *a, sqlite3 *db, const char *tenant_id,
    const char *user_id, const char *source, char cookie[AUTH_CREDENTIAL_MAX], char csrf[64]);
/* Ends the user's sessions (all, or all but keep_hash). Returns the number ended. */
int auth_sessions_end(sqlite3 *db, const char *user_id, const unsigned char *keep_hash);
/* Sends a mail through the mailer, or logs that none is configured (without the body). */
void auth_mail(struct auth *a, const char *to, const char *subject, const char *body);
/* The user as the API shows it. */
json_t *auth_user_json(sqlite3 *db, const struct auth_user *u, int64_t now);
/* Opens the vault of the tenant named by slug (NULL with ERR_NOTFOUND when unknown). */
int auth_open_tenant(struct auth *a, const char *slug_or_id, struct vault **v,
    char tenant_id[33], char tenant_name[201], char tenant_slug[64]);

#endif
