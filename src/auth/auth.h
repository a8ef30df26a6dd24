/*
 * auth.h: identity (I1-I6): accounts, login with lockout, two-factor, sessions, API tokens,
 * invitation and reset links. Accounts live in each tenant's vault; every event is audited
 * in the same transaction as the change it records.
 *
 * Credentials a client holds (session cookie, API token, link token) have the form
 * "<tenant id>.<43 base64url characters>" (API tokens carry the prefix "cfr1."): the tenant
 * names the vault to look in, the secret's SHA-256 is what the vault stores. A credential of
 * tenant A shown with tenant B's id finds nothing in B's vault.
 */
#ifndef COFFRE_AUTH_H
#define COFFRE_AUTH_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "auth/password.h"
#include "common/result.h"

struct config;
struct system;
struct vault;
struct vault_cache;
struct mailer;

#define AUTH_SECRET_CHARS 43            /* 256 bits in base64url */
#define AUTH_CREDENTIAL_MAX 128
#define AUTH_SESSION_COOKIE "__Host-coffre_session"
#define AUTH_TOKEN_PREFIX "cfr1."
#define AUTH_TOKEN_NAME_MAX 64
#define AUTH_TOKEN_MAX_DAYS 366
#define AUTH_TOKENS_PER_USER 50
#define AUTH_RECOVERY_CODES 10
#define AUTH_USER_NAME_MAX 200

struct auth;

/* Settings from the server's configuration; sys, vaults and mailer are borrowed (mailer
 * may be NULL: links are then only logged as unsent). NULL with *err. */
struct auth *auth_new(const struct config *cfg, struct system *sys, struct vault_cache *vaults,
    struct mailer *mailer, int *err);
void auth_free(struct auth *a);

/* A tenant's own rules, kept in its vault (settings 'auth_policy'); absent: defaults. */
struct auth_policy {
	struct password_policy password;
	unsigned lockout_threshold;     /* consecutive failures that lock; 1..100 */
	unsigned renewal_days;          /* password expiry; 0: never (the default, as ASVS says) */
};
int auth_policy_load(const struct auth *a, sqlite3 *db, struct auth_policy *out);
json_t *auth_policy_to_json(const struct auth_policy *p);
/* Starts from the current policy cur; refuses unknown fields and out-of-range values. */
int auth_policy_from_json(const json_t *obj, const struct auth_policy *cur,
    struct auth_policy *out, char *msg, size_t msgsz);
/* Stores the policy and audits the change (vault write). */
int auth_policy_save(struct auth *a, struct vault *v, const struct identity *by,
    const char *source, const struct auth_policy *p);

/* Calls answer through struct result (common/result.h): refusals are in it. */

struct auth_login {
	const char *tenant;             /* slug */
	const char *email;
	const char *password;
	size_t password_len;
	const char *totp;               /* NULL when absent */
	const char *recovery_code;      /* NULL when absent */
	const char *source;             /* the client's address, for audit */
	const unsigned char *addr;      /* 16 bytes, for the per-address throttle */
};
/*
 * Signs in. Unknown tenant, unknown e-mail, wrong password, locked, invited or disabled
 * account: the same 401 "invalid_credentials" after the same work (one Argon2id
 * verification, one audited write). Then 401 "totp_required" / "totp_invalid" for the
 * second factor; 429 when the address made too many failures. Success: 200 with
 * {user, csrf_token, password_expired, two_factor_required} and r->cookie set.
 */
int auth_login(struct auth *a, const struct auth_login *in, struct result *r);

/*
 * Resolves a session cookie or an API token (exactly one of them non-NULL) into id and
 * the open vault *vault (held until vault_release). Refreshes the session's idle clock.
 * ERR_PERM for anything not valid now (unknown, expired, revoked, user not active).
 */
int auth_authenticate(struct auth *a, const char *cookie, const char *bearer,
    struct identity *id, struct vault **vault);
/* Ends the caller's session (logout). */
int auth_logout(struct auth *a, struct vault *v, const struct identity *id, const char *source);

/* Changes the caller's password after checking the current one; ends the user's other
 * sessions and gives the caller a new one (r->cookie) when signed in by session. A wrong
 * current password spends from the address's failure budget, as a failed login does
 * (addr: 16 bytes; 429 once it is spent). */
int auth_password_change(struct auth *a, struct vault *v, const struct identity *id,
    const char *current, size_t current_len, const char *next, size_t next_len,
    const char *source, const unsigned char *addr, struct result *r);

/* Always 202 with the same body, whether the account exists; an active account gets a
 * mail with a single-use link valid auth.reset_minutes. */
int auth_reset_request(struct auth *a, const char *tenant, const char *email,
    const char *source, const unsigned char *addr, struct result *r);
/* Uses a reset link: sets the password (policy applies), unlocks, ends every session. */
int auth_reset(struct auth *a, const char *token, const char *password, size_t len,
    const char *source, const unsigned char *addr, struct result *r);

/*
 * Invites email with a role (an invited account is created): mails a single-use link
 * valid auth.invitation_hours. by is NULL for the command line (actor "system"). When
 * link_out is given the link is also written there (the CLI prints it).
 */
int auth_invite(struct auth *a, struct vault *v, const struct identity *by, const char *source,
    const char *email, const char *role, char *link_out, size_t link_outsz,
    struct result *r);
/* Accepts an invitation: the user sets a password under the tenant's policy. */
int auth_invitation_accept(struct auth *a, const char *token, const char *password, size_t len,
    const char *source, const unsigned char *addr, struct result *r);

/* Two-factor: enrol (returns the secret once, otpauth URI and SVG QR code), confirm with a
 * code (returns the 10 recovery codes once), remove (needs the password). */
int auth_totp_enroll(struct auth *a, struct vault *v, const struct identity *id,
    const char *source, struct result *r);
int auth_totp_confirm(struct auth *a, struct vault *v, const struct identity *id,
    const char *code, const char *source, const unsigned char *addr, struct result *r);
int auth_totp_remove(struct auth *a, struct vault *v, const struct identity *id,
    const char *password, size_t len, const char *source, const unsigned char *addr,
    struct result *r);

/* API tokens of the caller: list, create (the token is in the answer, once), revoke. */
int auth_tokens_list(struct auth *a, struct vault *v, const struct identity *id,
    struct result *r);
int auth_token_create(struct auth *a, struct vault *v, const struct identity *id,
    const json_t *body, const char *source, struct result *r);
int auth_token_revoke(struct auth *a, struct vault *v, const struct identity *id,
    const char *token_id, const char *source, struct result *r);

/* The caller: {user, tenant, permissions, pages, two_factor, password_expired, via}. */
int auth_me(struct auth *a, struct vault *v, const struct identity *id, struct result *r);

/* User administration (users.manage). */
int auth_users_list(struct auth *a, struct vault *v, struct result *r);
/* {status: "active"|"disabled", roles: [...], name} — the last active admin stays. */
int auth_user_update(struct auth *a, struct vault *v, const struct identity *by,
    const char *user_id, const json_t *body, const char *source, struct result *r);
int auth_user_unlock(struct auth *a, struct vault *v, const struct identity *by,
    const char *user_id, const char *source, struct result *r);

/* Periodic clean-up: expired sessions, links and tokens (background job). */
int auth_vault_sweep(struct vault *v, int64_t now_us, long *removed);

/* Helpers shared by the auth files (not for other modules). */
int auth_secret_new(char out[AUTH_SECRET_CHARS + 1]);
void auth_secret_hash(const char *secret, unsigned char out[32]);
/* Splits "<tenant id>.<secret>" (after an optional prefix); ERR_INVALID when malformed. */
int auth_credential_split(const char *cred, const char *prefix, char tenant_id[33],
    const char **secret);

#endif
