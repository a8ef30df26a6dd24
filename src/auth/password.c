/* password.c: Argon2id hashing through libsodium, and the password policy (ASVS 5.0 V6.2). */
#include "auth/password.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/err.h"
#include "common/utf8.h"

#define PASSWORD_COMMON_MAX_BYTES 64   /* longest list entry, as scripts/build-common-passwords.sh keeps */
#define PASSWORD_CONTEXT_MIN_CHARS 3

struct password_dummy {
	char hash[PASSWORD_HASH_MAX];
};

static int
password_params_valid(const struct password_params *p)
{
	if (p == NULL || p->passes < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    p->passes > crypto_pwhash_argon2id_OPSLIMIT_MAX)
		return 0;
	if (p->memory_kib > SIZE_MAX / 1024 ||
	    p->memory_kib * 1024 < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    p->memory_kib * 1024 > crypto_pwhash_argon2id_MEMLIMIT_MAX)
		return 0;
	return 1;
}

int
password_hash(const struct password_params *p, const char *pw, size_t len,
    char out[PASSWORD_HASH_MAX])
{
	if (len > PASSWORD_MAX_BYTES)
		return ERR_TOOBIG;
	if (!password_params_valid(p) || (pw == NULL && len > 0))
		return ERR_INVALID;
	/* libsodium takes (pointer, length), so the caller's buffer is used as is: no copy. */
	if (crypto_pwhash_str_alg(out, pw != NULL ? pw : "", len, p->passes,
	    p->memory_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, PASSWORD_HASH_MAX);
		/* Parameters were checked above: what is left is the allocation. */
		return ERR_NOMEM;
	}
	return 0;
}

int
password_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL || strnlen(hash, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
		return ERR_PERM;
	/* Such a password could never have been hashed, so it matches nothing. */
	if (len > PASSWORD_MAX_BYTES || (pw == NULL && len > 0))
		return ERR_PERM;
	if (crypto_pwhash_str_verify(hash, pw != NULL ? pw : "", len) != 0)
		return ERR_PERM;
	return 0;
}

int
password_needs_rehash(const char *hash, const struct password_params *p)
{
	if (hash == NULL || strnlen(hash, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX ||
	    !password_params_valid(p))
		return 1;
	/* The Argon2id-specific call, not crypto_pwhash_str_needs_rehash: that one accepts an
	 * Argon2i hash with the same costs. Malformed hashes (-1) need replacing too. */
	return crypto_pwhash_argon2id_str_needs_rehash(hash, p->passes,
	    p->memory_kib * 1024) != 0;
}

struct password_dummy *
password_dummy_new(const struct password_params *p)
{
	struct password_dummy *d;
	unsigned char secret[32];

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	randombytes_buf(secret, sizeof(secret));
	if (password_hash(p, (const char *)secret, sizeof(secret), d->hash) != 0) {
		free(d);
		d = NULL;
	}
	sodium_memzero(secret, sizeof(secret));
	return d;
}

void
password_dummy_verify(const struct password_dummy *d, const char *pw, size_t len)
{
	/* The same path as password_verify, refusals included, so the cost is the same. */
	if (d != NULL)
		(void)password_verify(d->hash, pw, len);
}

void
password_dummy_free(struct password_dummy *d)
{
	free(d);
}

void
password_policy_default(struct password_policy *pol)
{
	pol->min_length = 12;
	pol->max_length = 128;
	pol->require_classes = 0;
	pol->history = 5;
	pol->check_common = 1;
}

static void __attribute__((format(printf, 3, 4)))
password_set_msg(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msgsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
}

int
password_policy_validate(const struct password_policy *pol, char *msg, size_t msgsz)
{
	if (pol->min_length < PASSWORD_MIN_LENGTH_FLOOR) {
		password_set_msg(msg, msgsz, "min_length must be at least %d.",
		    PASSWORD_MIN_LENGTH_FLOOR);
		return ERR_INVALID;
	}
	if (pol->max_length < PASSWORD_MAX_LENGTH_FLOOR ||
	    pol->max_length > PASSWORD_MAX_LENGTH_CEIL) {
		password_set_msg(msg, msgsz, "max_length must be between %d and %d.",
		    PASSWORD_MAX_LENGTH_FLOOR, PASSWORD_MAX_LENGTH_CEIL);
		return ERR_INVALID;
	}
	if (pol->min_length > pol->max_length) {
		password_set_msg(msg, msgsz, "min_length must not exceed max_length.");
		return ERR_INVALID;
	}
	if (pol->require_classes != 0 && pol->require_classes != 1) {
		password_set_msg(msg, msgsz, "require_classes must be 0 or 1.");
		return ERR_INVALID;
	}
	if (pol->history > PASSWORD_HISTORY_MAX) {
		password_set_msg(msg, msgsz, "history must be between 0 and %d.",
		    PASSWORD_HISTORY_MAX);
		return ERR_INVALID;
	}
	if (pol->check_common != 0 && pol->check_common != 1) {
		password_set_msg(msg, msgsz, "check_common must be 0 or 1.");
		return ERR_INVALID;
	}
	return 0;
}

json_t *
password_policy_to_json(const struct password_policy *pol)
{
	return json_pack("{s:I, s:I, s:b, s:I, s:b}",
	    "min_length", (json_int_t)pol->min_length,
	    "max_length", (json_int_t)pol->max_length,
	    "require_classes", pol->require_classes != 0,
	    "history", (json_int_t)pol->history,
	    "check_common", pol->check_common != 0);
}

/* Field names are echoed in messages only when they look like field names. */
static int
password_key_printable(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || key[i] == '_' ||
		    (key[i] >= '0' && key[i] <= '9')))
			return 0;
	return 1;
}

static int
password_json_uint(const char *key, json_t *v, unsigned *out, char *msg, size_t msgsz)
{
	json_int_t n;

	if (!json_is_integer(v)) {
		password_set_msg(msg, msgsz, "%s must be an integer.", key);
		return ERR_INVALID;
	}
	n = json_integer_value(v);
	if (n < 0 || n > (json_int_t)UINT_MAX) {
		password_set_msg(msg, msgsz, "%s is out of range.", key);
		return ERR_INVALID;
	}
	*out = (unsigned)n;
	return 0;
}

static int
password_json_bool(const char *key, json_t *v, int *out, char *msg, size_t msgsz)
{
	if (!json_is_boolean(v)) {
		password_set_msg(msg, msgsz, "%s must be true or false.", key);
		return ERR_INVALID;
	}
	*out = json_is_true(v);
	return 0;
}

int
password_policy_from_json(const json_t *obj, struct password_policy *pol, char *msg,
    size_t msgsz)
{
	struct password_policy p;
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(obj)) {
		password_set_msg(msg, msgsz, "The password policy must be a JSON object.");
		return ERR_INVALID;
	}
	password_policy_default(&p);
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "min_length") == 0)
			rc = password_json_uint(key, v, &p.min_length, msg, msgsz);
		else if (strcmp(key, "max_length") == 0)
			rc = password_json_uint(key, v, &p.max_length, msg, msgsz);
		else if (strcmp(key, "history") == 0)
			rc = password_json_uint(key, v, &p.history, msg, msgsz);
		else if (strcmp(key, "require_classes") == 0)
			rc = password_json_bool(key, v, &p.require_classes, msg, msgsz);
		else if (strcmp(key, "check_common") == 0)
			rc = password_json_bool(key, v, &p.check_common, msg, msgsz);
		else {
			if (password_key_printable(key))
				password_set_msg(msg, msgsz,
				    "Unknown field %s in the password policy.", key);
			else
				password_set_msg(msg, msgsz,
				    "Unknown field in the password policy.");
			rc = ERR_INVALID;
		}
		if (rc != 0)
			return rc;
	}
	if ((rc = password_policy_validate(&p, msg, msgsz)) != 0)
		return rc;
	*pol = p;
	return 0;
}

static unsigned char
password_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* 1 when needle occurs in hay, ASCII case folded. */
static int
password_contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const unsigned char *h = (const unsigned char *)hay, *n = (const unsigned char *)needle;

	if (nlen == 0 || nlen > hlen)
		return 0;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t k = 0;

		while (k < nlen && password_lower(h[i + k]) == password_lower(n[k]))
			k++;
		if (k == nlen)
			return 1;
	}
	return 0;
}

/* Code points in s[0..len), counting lead bytes: good enough for a length floor. */
static size_t
password_count_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int
password_contains_word(const char *pw, size_t len, const char *word, size_t wlen)
{
	return password_count_chars(word, wlen) >= PASSWORD_CONTEXT_MIN_CHARS &&
	    password_contains(pw, len, word, wlen);
}

/* A tenant name or slug as given, and without its spaces and punctuation. */
static int
password_contains_name(const char *pw, size_t len, const char *name)
{
	char compact[PASSWORD_MAX_BYTES];
	size_t nlen, clen = 0;

	if (name == NULL)
		return 0;
	nlen = strlen(name);
	if (password_contains_word(pw, len, name, nlen))
		return 1;
	if (nlen > sizeof(compact))
		return 0;
	for (size_t i = 0; i < nlen; i++)
		if (name[i] != ' ' && name[i] != '-' && name[i] != '_' && name[i] != '.')
			compact[clen++] = name[i];
	return clen != nlen && password_contains_word(pw, len, compact, clen);
}

static int
password_classes(const char *pw, size_t len)
{
	int lower = 0, upper = 0, digit = 0, other = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else
			other = 1;
	}
	return lower + upper + digit + other;
}

int
password_check(const struct password_policy *pol, const struct password_context *ctx,
    const char *pw, size_t len, const char **rule, char *msg, size_t msgsz)
{
	const char *r = NULL;
	size_t chars = 0, i = 0;
	int control = 0;

	if (rule != NULL)
		*rule = NULL;
	if (password_policy_validate(pol, msg, msgsz) != 0)
		return ERR_CONFIG;
	if (pw == NULL && len > 0)
		return ERR_INVALID;
	/* The hard limit first, so that nothing below works on unbounded input. */
	if (len > PASSWORD_MAX_BYTES) {
		r = "too_long";
		password_set_msg(msg, msgsz, "The password must be at most %u characters long.",
		    pol->max_length);
		goto out;
	}
	while (i < len) {
		long cp = utf8_next((const unsigned char *)pw, len, &i);

		if (cp < 0) {
			r = "invalid_utf8";
			password_set_msg(msg, msgsz, "The password is not valid UTF-8 text.");
			goto out;
		}
		control |= utf8_is_control(cp);
		chars++;
	}
	if (control) {
		r = "control_characters";
		password_set_msg(msg, msgsz,
		    "The password must not contain control characters or line breaks.");
		goto out;
	}
	if (chars < pol->min_length) {
		r = "too_short";
		password_set_msg(msg, msgsz, "The password must be at least %u characters long.",
		    pol->min_length);
		goto out;
	}
	if (chars > pol->max_length) {
		r = "too_long";
		password_set_msg(msg, msgsz, "The password must be at most %u characters long.",
		    pol->max_length);
		goto out;
	}
	if (ctx != NULL && ctx->email != NULL && *ctx->email != '\0') {
		const char *at = strrchr(ctx->email, '@');
		size_t elen = strlen(ctx->email);
		size_t local = at != NULL ? (size_t)(at - ctx->email) : elen;

		if (password_contains_word(pw, len, ctx->email, elen) ||
		    password_contains_word(pw, len, ctx->email, local)) {
			r = "contains_email";
			password_set_msg(msg, msgsz,
			    "The password must not contain the email address or its user name.");
			goto out;
		}
	}
	if (ctx != NULL && (password_contains_name(pw, len, ctx->tenant_name) ||
	    password_contains_name(pw, len, ctx->tenant_slug))) {
		r = "contains_tenant";
		password_set_msg(msg, msgsz,
		    "The password must not contain the name of the organisation.");
		goto out;
	}
	if (pol->check_common && password_is_common(pw, len)) {
		r = "common_password";
		password_set_msg(msg, msgsz,
		    "The password is among the most commonly used passwords; choose another.");
		goto out;
	}
	if (pol->require_classes && password_classes(pw, len) < 3) {
		r = "composition";
		password_set_msg(msg, msgsz, "The password must contain at least three of: "
		    "lower-case letters, upper-case letters, digits, other characters.");
		goto out;
	}
	if (ctx != NULL && ctx->previous_hashes != NULL) {
		size_t n = ctx->nprevious < pol->history ? ctx->nprevious : pol->history;

		for (size_t k = 0; k < n; k++) {
			if (ctx->previous_hashes[k] != NULL &&
			    password_verify(ctx->previous_hashes[k], pw, len) == 0) {
				r = "reused";
				password_set_msg(msg, msgsz, "The password must differ from the last "
				    "%u passwords.", pol->history);
				goto out;
			}
		}
	}
out:
	if (rule != NULL)
		*rule = r;
	return r != NULL ? ERR_INVALID : 0;
}

/* memcmp order of the candidate against a NUL-terminated list entry. */
static int
password_common_cmp(const unsigned char *w, size_t len, const char *entry)
{
	size_t elen = strlen(entry);
	int c = memcmp(w, entry, len < elen ? len : elen);

	if (c != 0)
		return c;
	return len < elen ? -1 : len > elen;
}

int
password_is_common(const char *pw, size_t len)
{
	unsigned char w[PASSWORD_COMMON_MAX_BYTES];
	size_t lo = 0, hi = password_common_nentries;
	int found = 0;

	if (pw == NULL || len == 0 || len > sizeof(w))
		return 0;
	for (size_t i = 0; i < len; i++)
		w[i] = password_lower((unsigned char)pw[i]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = password_common_cmp(w, len,
		    password_common_blob + password_common_offsets[mid]);

		if (c == 0) {
			found = 1;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	sodium_memzero(w, sizeof(w));
	return found;
}

size_t
password_common_count(void)
{
	return password_common_nentries;
}
