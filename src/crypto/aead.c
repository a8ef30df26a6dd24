#include "crypto/aead.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <string.h>

#include "common/err.h"

struct aead {
	gnutls_aead_cipher_hd_t h;
};

struct aead *
aead_new(const unsigned char key[AEAD_KEY_BYTES])
{
	struct aead *a = calloc(1, sizeof(*a));
	unsigned char *k = sodium_malloc(AEAD_KEY_BYTES);
	gnutls_datum_t d;

	if (a == NULL || k == NULL)
		goto fail;
	memcpy(k, key, AEAD_KEY_BYTES);
	d.data = k;
	d.size = AEAD_KEY_BYTES;
	if (gnutls_aead_cipher_init(&a->h, GNUTLS_CIPHER_AES_256_GCM, &d) < 0)
		goto fail;
	sodium_memzero(k, AEAD_KEY_BYTES);
	sodium_free(k);
	return a;
fail:
	if (k != NULL) {
		sodium_memzero(k, AEAD_KEY_BYTES);
		sodium_free(k);
	}
	free(a);
	return NULL;
}

void
aead_free(struct aead *a)
{
	if (a == NULL)
		return;
	gnutls_aead_cipher_deinit(a->h);        /* GnuTLS wipes its key schedule */
	free(a);
}

void
aead_random_nonce(unsigned char nonce[AEAD_NONCE_BYTES])
{
	if (gnutls_rnd(GNUTLS_RND_NONCE, nonce, AEAD_NONCE_BYTES) < 0)
		randombytes_buf(nonce, AEAD_NONCE_BYTES);
}

int
aead_seal_iov(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const struct iovec *iov, int iovcnt, unsigned char tag[AEAD_TAG_BYTES])
{
	giovec_t auth = { (void *)ad, adlen };
	size_t taglen = AEAD_TAG_BYTES;

	if (gnutls_aead_cipher_encryptv2(a->h, nonce, AEAD_NONCE_BYTES, &auth, ad ? 1 : 0,
	    (const giovec_t *)iov, iovcnt, tag, &taglen) < 0 || taglen != AEAD_TAG_BYTES)
		return ERR_CRYPTO;
	return 0;
}

int
aead_open_iov(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const struct iovec *iov, int iovcnt, const unsigned char tag[AEAD_TAG_BYTES])
{
	giovec_t auth = { (void *)ad, adlen };

	if (gnutls_aead_cipher_decryptv2(a->h, nonce, AEAD_NONCE_BYTES, &auth, ad ? 1 : 0,
	    (const giovec_t *)iov, iovcnt, (void *)tag, AEAD_TAG_BYTES) < 0)
		return ERR_CRYPTO;
	return 0;
}

int
aead_seal(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, void *buf, size_t len, unsigned char tag[AEAD_TAG_BYTES])
{
	struct iovec iov = { buf, len };

	return aead_seal_iov(a, nonce, ad, adlen, &iov, 1, tag);
}

int
aead_open(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, void *buf, size_t len, const unsigned char tag[AEAD_TAG_BYTES])
{
	struct iovec iov = { buf, len };

	return aead_open_iov(a, nonce, ad, adlen, &iov, 1, tag);
}

int
aead_encrypt(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const void *in, size_t len, void *out)
{
	size_t outlen = len + AEAD_TAG_BYTES;

	if (gnutls_aead_cipher_encrypt(a->h, nonce, AEAD_NONCE_BYTES, ad, adlen, AEAD_TAG_BYTES,
	    in, len, out, &outlen) < 0 || outlen != len + AEAD_TAG_BYTES)
		return ERR_CRYPTO;
	return 0;
}

int
aead_decrypt(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const void *in, size_t len, void *out)
{
	size_t outlen = len;

	if (gnutls_aead_cipher_decrypt(a->h, nonce, AEAD_NONCE_BYTES, ad, adlen, AEAD_TAG_BYTES,
	    in, len + AEAD_TAG_BYTES, out, &outlen) < 0 || outlen != len) {
		sodium_memzero(out, len);
		return ERR_CRYPTO;
	}
	return 0;
}

int
kdf_derive(const unsigned char *ikm, size_t ikmlen, const char *info, unsigned char *out,
    size_t outlen)
{
	static const char salt[] = "coffre";
	unsigned char *prk = sodium_malloc(32);
	gnutls_datum_t k = { (unsigned char *)ikm, (unsigned)ikmlen };
	gnutls_datum_t s = { (unsigned char *)salt, sizeof(salt) - 1 };
	gnutls_datum_t p, i = { (unsigned char *)info, (unsigned)strlen(info) };
	int rc = ERR_CRYPTO;

	if (prk == NULL)
		return ERR_NOMEM;
	p.data = prk;
	p.size = 32;
	if (gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &k, &s, prk) >= 0 &&
	    gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &p, &i, out, outlen) >= 0)
		rc = 0;
	sodium_memzero(prk, 32);
	sodium_free(prk);
	return rc;
}
