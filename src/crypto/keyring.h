/*
 * keyring.h: the key hierarchy. The master key (keys/master.key or COFFRE_MASTER_KEY)
 * derives the key of system.db and the key that wraps each tenant's data key (DEK); a
 * tenant may also bring its own key-encryption key (BYOK) that wraps its DEK first.
 * Every key lives in libsodium guarded memory and is wiped when freed.
 */
#ifndef COFFRE_KEYRING_H
#define COFFRE_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define KEYRING_KEY_BYTES 32
#define KEYRING_MASTER_FILE "keys/master.key"
#define KEYRING_MASTER_ENV "COFFRE_MASTER_KEY"
/* A wrapped DEK: format byte, flags, nonce, ciphertext, tag; BYOK nests one more layer. */
#define KEYRING_WRAPPED_MAX 160

/* A 256-bit secret in guarded memory (read-only once made). */
struct key {
	unsigned char *bytes;
};

struct keyring;

/* Creates a new random 256-bit master key at path (hex text, mode 0600, never overwritten). */
int keyring_create_master(const char *path);
/*
 * Loads the master key: COFFRE_MASTER_KEY (64 hex digits) when set, else DIR/keys/master.key,
 * which must not be readable by group or others. The master key itself is wiped as soon as
 * the system key and wrapping key are derived.
 */
struct keyring *keyring_open(const char *data_dir, int *err);
/* Same from a key file given explicitly (rotation, tests). */
struct keyring *keyring_open_file(const char *path, int *err);
void keyring_free(struct keyring *kr);
/* The key of system.db (owned by the keyring). */
const struct key *keyring_system_key(const struct keyring *kr);

/* A new random key, or a copy; free with key_free. */
int key_random(struct key *k);
int key_copy(struct key *dst, const struct key *src);
/* Loads a BYOK key-encryption key file (64 hex digits, or 32 raw bytes). */
int key_load_file(struct key *k, const char *path);
void key_free(struct key *k);
/* Derives a purpose key (HKDF-SHA-256, info names the purpose) from k. */
int key_derive(struct key *out, const struct key *k, const char *info);

/*
 * Wraps dek for tenant_id at version: AES-256-GCM under the master's wrapping key with
 * tenant id and version as associated data; when kek is given, under kek first.
 * out must hold KEYRING_WRAPPED_MAX bytes.
 */
int keyring_wrap_dek(const struct keyring *kr, const char *tenant_id, uint32_t version,
    const struct key *dek, const struct key *kek, unsigned char *out, size_t *outlen);
/* Reverses keyring_wrap_dek; ERR_CRYPTO for a wrong key, tenant, version or a missing kek. */
int keyring_unwrap_dek(const struct keyring *kr, const char *tenant_id, uint32_t version,
    const unsigned char *wrapped, size_t len, const struct key *kek, struct key *dek);
/*
 * Re-seals the outer layer of a wrapped DEK from one master key to another, without
 * touching (or needing) a tenant's key-encryption key. For master-key rotation.
 */
int keyring_rewrap_dek(const struct keyring *from, const struct keyring *to,
    const char *tenant_id, uint32_t version, const unsigned char *in, size_t inlen,
    unsigned char *out, size_t *outlen);
/* 1 when the wrapped DEK needs a tenant key-encryption key. */
int keyring_wrapped_needs_kek(const unsigned char *wrapped, size_t len);

#endif
