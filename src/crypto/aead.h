/*
 * aead.h: AES-256-GCM (GnuTLS, hardware accelerated) with 96-bit nonces and 128-bit tags.
 * A context is not thread-safe: give each thread or open file its own.
 */
#ifndef COFFRE_AEAD_H
#define COFFRE_AEAD_H

#include <stddef.h>
#include <sys/uio.h>

#define AEAD_KEY_BYTES 32
#define AEAD_NONCE_BYTES 12
#define AEAD_TAG_BYTES 16

struct aead;

/* Returns a context holding a copy of key in guarded memory, or NULL. */
struct aead *aead_new(const unsigned char key[AEAD_KEY_BYTES]);
/* Wipes and frees; accepts NULL. */
void aead_free(struct aead *a);
/* Fills nonce with fresh random bytes. */
void aead_random_nonce(unsigned char nonce[AEAD_NONCE_BYTES]);
/* Encrypts the iov segments in place and writes the tag. 0 or ERR_CRYPTO. */
int aead_seal_iov(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const struct iovec *iov, int iovcnt, unsigned char tag[AEAD_TAG_BYTES]);
/* Verifies and decrypts in place; ERR_CRYPTO (and the data unchanged or garbage) on failure. */
int aead_open_iov(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const struct iovec *iov, int iovcnt, const unsigned char tag[AEAD_TAG_BYTES]);
/* Single-buffer forms of the two above. */
int aead_seal(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, void *buf, size_t len, unsigned char tag[AEAD_TAG_BYTES]);
int aead_open(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, void *buf, size_t len, const unsigned char tag[AEAD_TAG_BYTES]);

/*
 * Copying forms (faster in GnuTLS than the in-place ones): encrypt len bytes of in into
 * out, which receives len bytes of ciphertext followed by the tag; decrypt len bytes of
 * ciphertext followed by its tag into out (zeroed on failure). Buffers must not overlap.
 */
int aead_encrypt(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const void *in, size_t len, void *out);
int aead_decrypt(struct aead *a, const unsigned char nonce[AEAD_NONCE_BYTES], const void *ad,
    size_t adlen, const void *in, size_t len, void *out);

/* HKDF-SHA-256 (RFC 5869): out = Expand(Extract(salt "coffre", ikm), info, outlen). */
int kdf_derive(const unsigned char *ikm, size_t ikmlen, const char *info, unsigned char *out,
    size_t outlen);

#endif
