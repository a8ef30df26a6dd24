/*
 * password.h: Argon2id password hashing and the password policy (OWASP ASVS 5.0, V6.2, V11.4.2).
 *
 * Passwords are bytes as typed: no Unicode normalisation, no trimming, no case change, never
 * truncated (ASVS 6.2.8). The same password typed in another normalisation form (say, a
 * precomposed "é" against "e" + combining accent) is a different password. Only the
 * common-password lookup folds ASCII case.
 */
#ifndef COFFRE_AUTH_PASSWORD_H
#define COFFRE_AUTH_PASSWORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_HASH_MAX 128          /* crypto_pwhash_STRBYTES */
#define PASSWORD_MAX_BYTES 1024        /* hard input limit: longer is refused, never truncated */

/* Argon2id cost: passes is opslimit, memory_kib * 1024 is memlimit. */
struct password_params {
	unsigned long long passes;
	size_t memory_kib;
};

/*
 * Argon2id (crypto_pwhash_str_alg, ALG_ARGON2ID13) of pw (len bytes) into out, NUL-terminated.
 * ERR_TOOBIG over PASSWORD_MAX_BYTES, ERR_INVALID for parameters libsodium refuses, ERR_NOMEM
 * when the memory cannot be had.
 */
int password_hash(const struct password_params *p, const char *pw, size_t len,
    char out[PASSWORD_HASH_MAX]);

/*
 * 0 when pw matches hash (a NUL-terminated string as made by password_hash), ERR_PERM when not,
 * when the hash is malformed, or when pw is over PASSWORD_MAX_BYTES (it could not have been set).
 */
int password_verify(const char *hash, const char *pw, size_t len);

/* 1 when hash was made with other parameters than p or is not Argon2id (or is malformed), else 0. */
int password_needs_rehash(const char *hash, const struct password_params *p);

/*
 * A verifier that costs what a real verification costs, for unknown accounts (ASVS 6.3.8): it
 * holds a hash of a random password made with p. new returns NULL on failure; free accepts NULL.
 */
struct password_dummy;
struct password_dummy *password_dummy_new(const struct password_params *p);
void password_dummy_verify(const struct password_dummy *d, const char *pw, size_t len);
void password_dummy_free(struct password_dummy *d);

#define PASSWORD_MIN_LENGTH_FLOOR 8    /* ASVS 6.2.1 */
#define PASSWORD_MAX_LENGTH_FLOOR 64   /* ASVS 6.2.9 */
/* 256 code points of at most 4 bytes always fit PASSWORD_MAX_BYTES. */
#define PASSWORD_MAX_LENGTH_CEIL (PASSWORD_MAX_BYTES / 4)
#define PASSWORD_HISTORY_MAX 24

struct password_policy {
	unsigned min_length;        /* in characters (Unicode code points); default 12, floor 8 */
	unsigned max_length;        /* default 128, 64..256 */
	/*
	 * Composition rules: 0 off (default); 1 = at least 3 of lower/upper/digit/other (ASCII
	 * classes; any non-ASCII character counts as other). Turning it on departs from ASVS 6.2.5.
	 */
	int require_classes;
	unsigned history;           /* last N passwords refused; default 5, 0..24 */
	int check_common;           /* default 1 */
};

/* Fills pol with the defaults above. */
void password_policy_default(struct password_policy *pol);

/* Checks a policy's own values: 0, or ERR_INVALID with a message naming the field. */
int password_policy_validate(const struct password_policy *pol, char *msg, size_t msgsz);

/*
 * Policy <-> JSON object {min_length, max_length, require_classes (bool), history,
 * check_common (bool)}. to_json returns a new reference, NULL on allocation failure. from_json
 * starts from the defaults for absent fields and refuses unknown fields, wrong types and
 * out-of-range values (ERR_INVALID + message); pol is only written on success.
 */
json_t *password_policy_to_json(const struct password_policy *pol);
int password_policy_from_json(const json_t *obj, struct password_policy *pol, char *msg,
    size_t msgsz);

struct password_context {
	/* Refused when the password contains it or its local part (case-insensitive; local parts
	 * shorter than 3 characters are ignored). */
	const char *email;
	/* Refused when contained (case-insensitive, same 3-character floor), also with spaces,
	 * '-', '_' and '.' removed ("Acme Corp" catches "acmecorp"); the slug likewise. */
	const char *tenant_name;
	const char *tenant_slug;
	const char *const *previous_hashes;   /* newest first; the first pol->history are compared */
	size_t nprevious;
};

/*
 * Checks pw (len bytes) against the policy; ctx and its fields may be NULL. Returns 0, or
 * ERR_INVALID with *rule set to a static snake_case rule name among: "invalid_utf8",
 * "control_characters", "too_short", "too_long", "contains_email", "contains_tenant",
 * "common_password", "composition", "reused" and msg set to a sentence saying what failed (never
 * quoting the password). ERR_CONFIG (rule NULL) when pol itself fails password_policy_validate.
 * Case folding is ASCII only. Costs one Argon2id verification per compared previous hash.
 */
int password_check(const struct password_policy *pol, const struct password_context *ctx,
    const char *pw, size_t len, const char **rule, char *msg, size_t msgsz);

/* 1 when pw (ASCII case-insensitive) is in the common-password list, else 0. */
int password_is_common(const char *pw, size_t len);

/* Number of entries in the common-password list. */
size_t password_common_count(void);

/*
 * The common-password list, generated at build time from data/common-passwords.txt: entries
 * sorted in byte order, each NUL-terminated in the blob at its offset. Internal to password.c.
 */
extern const char password_common_blob[];
extern const uint32_t password_common_offsets[];
extern const size_t password_common_nentries;

#endif
