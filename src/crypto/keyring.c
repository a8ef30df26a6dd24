#include "crypto/keyring.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "crypto/aead.h"

#define WRAP_FORMAT 1
#define WRAP_FLAG_KEK 1
#define WRAP_LAYER (AEAD_NONCE_BYTES + AEAD_TAG_BYTES)

struct keyring {
	struct key system;      /* encrypts system.db pages */
	struct key wrap;        /* wraps tenant DEKs */
};

int
key_random(struct key *k)
{
	if ((k->bytes = sodium_malloc(KEYRING_KEY_BYTES)) == NULL)
		return ERR_NOMEM;
	randombytes_buf(k->bytes, KEYRING_KEY_BYTES);
	sodium_mprotect_readonly(k->bytes);
	return 0;
}

int
key_copy(struct key *dst, const struct key *src)
{
	if ((dst->bytes = sodium_malloc(KEYRING_KEY_BYTES)) == NULL)
		return ERR_NOMEM;
	memcpy(dst->bytes, src->bytes, KEYRING_KEY_BYTES);
	sodium_mprotect_readonly(dst->bytes);
	return 0;
}

void
key_free(struct key *k)
{
	if (k == NULL || k->bytes == NULL)
		return;
	sodium_free(k->bytes);  /* sodium_free wipes before unmapping */
	k->bytes = NULL;
}

int
key_derive(struct key *out, const struct key *k, const char *info)
{
	int rc;

	if ((out->bytes = sodium_malloc(KEYRING_KEY_BYTES)) == NULL)
		return ERR_NOMEM;
	rc = kdf_derive(k->bytes, KEYRING_KEY_BYTES, info, out->bytes, KEYRING_KEY_BYTES);
	if (rc != 0) {
		key_free(out);
		return rc;
	}
	sodium_mprotect_readonly(out->bytes);
	return 0;
}

/* Parses 64 hex digits (surrounding whitespace allowed) or exactly 32 raw bytes. */
static int
key_parse(struct key *k, const char *text, size_t len, int allow_raw)
{
	size_t binlen = 0;
	const char *end = NULL;

	if ((k->bytes = sodium_malloc(KEYRING_KEY_BYTES)) == NULL)
		return ERR_NOMEM;
	if (allow_raw && len == KEYRING_KEY_BYTES) {
		memcpy(k->bytes, text, KEYRING_KEY_BYTES);
	} else {
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		    text[len - 1] == ' '))
			len--;
		if (len != 2 * KEYRING_KEY_BYTES ||
		    sodium_hex2bin(k->bytes, KEYRING_KEY_BYTES, text, len, NULL, &binlen, &end) != 0 ||
		    binlen != KEYRING_KEY_BYTES) {
			key_free(k);
			return ERR_INVALID;
		}
	}
	sodium_mprotect_readonly(k->bytes);
	return 0;
}

int
key_load_file(struct key *k, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	k->bytes = NULL;
	if ((rc = fs_check_private(path)) != 0)
		return rc;
	if ((rc = fs_read_all(path, 256, 1, &buf, &len)) != 0)
		return rc;
	rc = key_parse(k, buf, len, 1);
	fs_free_secure(buf, len + 1);
	return rc;
}

int
keyring_create_master(const char *path)
{
	struct key k = { NULL };
	char *hex = NULL;
	const size_t hexlen = 2 * KEYRING_KEY_BYTES + 1;
	int rc;

	if ((rc = key_random(&k)) != 0)
		return rc;
	if ((hex = sodium_malloc(hexlen + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	sodium_bin2hex(hex, hexlen, k.bytes, KEYRING_KEY_BYTES);
	hex[hexlen - 1] = '\n';
	rc = fs_write_new(path, hex, hexlen, 0600);
out:
	if (hex != NULL)
		sodium_free(hex);
	key_free(&k);
	return rc;
}

static struct keyring *
keyring_from_master(struct key *master, int *err)
{
	struct keyring *kr = calloc(1, sizeof(*kr));

	*err = ERR_NOMEM;
	if (kr == NULL)
		goto fail;
	if ((*err = key_derive(&kr->system, master, "coffre v1 system.db pages")) != 0 ||
	    (*err = key_derive(&kr->wrap, master, "coffre v1 tenant key wrapping")) != 0)
		goto fail;
	key_free(master);
	*err = 0;
	return kr;
fail:
	key_free(master);
	keyring_free(kr);
	return NULL;
}

struct keyring *
keyring_open_file(const char *path, int *err)
{
	struct key master = { NULL };

	if ((*err = fs_check_private(path)) != 0) {
		if (*err == ERR_PERM)
			log_warnx("%s is readable by group or others; refusing it (chmod 600)", path);
		return NULL;
	}
	if ((*err = key_load_file(&master, path)) != 0)
		return NULL;
	return keyring_from_master(&master, err);
}

struct keyring *
keyring_open(const char *data_dir, int *err)
{
	const char *env = getenv(KEYRING_MASTER_ENV);
	struct key master = { NULL };
	char path[4096];

	if (env != NULL && env[0] != '\0') {
		if ((*err = key_parse(&master, env, strlen(env), 0)) != 0) {
			log_warnx("%s must be 64 hexadecimal digits", KEYRING_MASTER_ENV);
			return NULL;
		}
		return keyring_from_master(&master, err);
	}
	if ((*err = fs_join(path, sizeof(path), data_dir, KEYRING_MASTER_FILE)) != 0)
		return NULL;
	return keyring_open_file(path, err);
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	key_free(&kr->system);
	key_free(&kr->wrap);
	free(kr);
}

const struct key *
keyring_system_key(const struct keyring *kr)
{
	return &kr->system;
}

/* Associated data of a wrapped DEK: purpose, format, flags, tenant id, version. */
static size_t
keyring_wrap_ad(unsigned char *ad, size_t cap, const char *tenant_id, uint32_t version,
    unsigned char flags, unsigned char layer)
{
	size_t n = (size_t)snprintf((char *)ad, cap, "coffre-dek|%u|%u|%u|%s|", WRAP_FORMAT,
	    flags, layer, tenant_id);

	if (n + 4 > cap)
		return 0;
	ad[n++] = (unsigned char)(version >> 24);
	ad[n++] = (unsigned char)(version >> 16);
	ad[n++] = (unsigned char)(version >> 8);
	ad[n++] = (unsigned char)version;
	return n;
}

/* One layer: out = nonce | Enc(in) | tag. */
static int
keyring_seal_layer(const struct key *k, const unsigned char *ad, size_t adlen,
    const unsigned char *in, size_t inlen, unsigned char *out)
{
	struct aead *a = aead_new(k->bytes);
	int rc;

	if (a == NULL)
		return ERR_NOMEM;
	aead_random_nonce(out);
	memcpy(out + AEAD_NONCE_BYTES, in, inlen);
	rc = aead_seal(a, out, ad, adlen, out + AEAD_NONCE_BYTES, inlen,
	    out + AEAD_NONCE_BYTES + inlen);
	aead_free(a);
	return rc;
}

static int
keyring_open_layer(const struct key *k, const unsigned char *ad, size_t adlen,
    const unsigned char *in, size_t inlen, unsigned char *out)
{
	struct aead *a = aead_new(k->bytes);
	size_t len = inlen - WRAP_LAYER;
	int rc;

	if (a == NULL)
		return ERR_NOMEM;
	memcpy(out, in + AEAD_NONCE_BYTES, len);
	rc = aead_open(a, in, ad, adlen, out, len, in + AEAD_NONCE_BYTES + len);
	aead_free(a);
	if (rc != 0)
		sodium_memzero(out, len);
	return rc;
}

int
keyring_wrap_dek(const struct keyring *kr, const char *tenant_id, uint32_t version,
    const struct key *dek, const struct key *kek, unsigned char *out, size_t *outlen)
{
	unsigned char ad[256], *inner = NULL;
	unsigned char flags = kek ? WRAP_FLAG_KEK : 0;
	size_t adlen, innerlen = KEYRING_KEY_BYTES;
	int rc = ERR_NOMEM;

	if ((inner = sodium_malloc(KEYRING_KEY_BYTES + WRAP_LAYER)) == NULL)
		return ERR_NOMEM;
	if (kek != NULL) {
		adlen = keyring_wrap_ad(ad, sizeof(ad), tenant_id, version, flags, 1);
		if (adlen == 0 || (rc = keyring_seal_layer(kek, ad, adlen, dek->bytes,
		    KEYRING_KEY_BYTES, inner)) != 0)
			goto out;
		innerlen += WRAP_LAYER;
	} else {
		memcpy(inner, dek->bytes, KEYRING_KEY_BYTES);
	}
	out[0] = WRAP_FORMAT;
	out[1] = flags;
	adlen = keyring_wrap_ad(ad, sizeof(ad), tenant_id, version, flags, 0);
	rc = ERR_INVALID;
	if (adlen == 0 || (rc = keyring_seal_layer(&kr->wrap, ad, adlen, inner, innerlen,
	    out + 2)) != 0)
		goto out;
	*outlen = 2 + innerlen + WRAP_LAYER;
out:
	sodium_free(inner);
	return rc;
}

int
keyring_wrapped_needs_kek(const unsigned char *wrapped, size_t len)
{
	return len >= 2 && (wrapped[1] & WRAP_FLAG_KEK) != 0;
}

int
keyring_unwrap_dek(const struct keyring *kr, const char *tenant_id, uint32_t version,
    const unsigned char *wrapped, size_t len, const struct key *kek, struct key *dek)
{
	unsigned char ad[256], *inner = NULL;
	unsigned char flags;
	size_t adlen, innerlen;
	int rc = ERR_CRYPTO;

	dek->bytes = NULL;
	if (len < 2 || wrapped[0] != WRAP_FORMAT)
		return ERR_INVALID;
	flags = wrapped[1];
	innerlen = (flags & WRAP_FLAG_KEK) ? KEYRING_KEY_BYTES + WRAP_LAYER : KEYRING_KEY_BYTES;
	if (len != 2 + innerlen + WRAP_LAYER)
		return ERR_INVALID;
	if ((flags & WRAP_FLAG_KEK) && kek == NULL)
		return ERR_CRYPTO;
	if ((inner = sodium_malloc(innerlen)) == NULL ||
	    (dek->bytes = sodium_malloc(KEYRING_KEY_BYTES)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	adlen = keyring_wrap_ad(ad, sizeof(ad), tenant_id, version, flags, 0);
	if (adlen == 0 || keyring_open_layer(&kr->wrap, ad, adlen, wrapped + 2,
	    innerlen + WRAP_LAYER, inner) != 0)
		goto out;
	if (flags & WRAP_FLAG_KEK) {
		adlen = keyring_wrap_ad(ad, sizeof(ad), tenant_id, version, flags, 1);
		if (keyring_open_layer(kek, ad, adlen, inner, innerlen, dek->bytes) != 0)
			goto out;
	} else {
		memcpy(dek->bytes, inner, KEYRING_KEY_BYTES);
	}
	sodium_mprotect_readonly(dek->bytes);
	rc = 0;
out:
	if (inner != NULL)
		sodium_free(inner);
	if (rc != 0)
		key_free(dek);
	return rc;
}

int
keyring_rewrap_dek(const struct keyring *from, const struct keyring *to,
    const char *tenant_id, uint32_t version, const unsigned char *in, size_t inlen,
    unsigned char *out, size_t *outlen)
{
	unsigned char ad[256], *inner;
	size_t adlen, innerlen;
	int rc = ERR_CRYPTO;

	if (inlen < 2 + WRAP_LAYER || inlen > KEYRING_WRAPPED_MAX || in[0] != WRAP_FORMAT)
		return ERR_INVALID;
	innerlen = inlen - 2 - WRAP_LAYER;
	if ((inner = sodium_malloc(innerlen)) == NULL)
		return ERR_NOMEM;
	adlen = keyring_wrap_ad(ad, sizeof(ad), tenant_id, version, in[1], 0);
	if (adlen == 0 || keyring_open_layer(&from->wrap, ad, adlen, in + 2, inlen - 2,
	    inner) != 0)
		goto out;
	out[0] = in[0];
	out[1] = in[1];
	if ((rc = keyring_seal_layer(&to->wrap, ad, adlen, inner, innerlen, out + 2)) != 0)
		goto out;
	*outlen = inlen;
out:
	sodium_free(inner);
	return rc;
}
