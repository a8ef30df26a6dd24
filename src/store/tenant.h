/*
 * tenant.h: tenants of system.db and the files of their vaults
 * (DIR/vaults/<id>/vault.db and DIR/vaults/<id>/blobs/).
 */
#ifndef COFFRE_TENANT_H
#define COFFRE_TENANT_H

#include <stddef.h>

#include "crypto/keyring.h"
#include "store/system.h"

#define TENANT_ID_LEN 32
#define TENANT_SLUG_MAX 63
#define TENANT_NAME_MAX 200
#define TENANT_EMAIL_MAX 254

struct tenant {
	char id[TENANT_ID_LEN + 1];
	char slug[TENANT_SLUG_MAX + 1];
	char name[TENANT_NAME_MAX + 1];
	char status[16];
	unsigned key_version;
	char created[32];
	char kek_file[4096];            /* empty when the tenant has no key-encryption key */
	int rotation_pending;
	unsigned char wrapped[KEYRING_WRAPPED_MAX];
	size_t wrapped_len;
};

/* 1 when slug is 2..63 of [a-z0-9-], starting with a letter or digit. */
int tenant_slug_valid(const char *slug);
int tenant_email_valid(const char *email);

/*
 * Creates a tenant: a random id and DEK (wrapped by the master key, and first by the key in
 * kek_file when given), its vault folder, vault.db with the schema, the first admin's e-mail
 * recorded in the vault. ERR_EXISTS for a taken slug, ERR_INVALID for bad input.
 */
int tenant_create(struct system *sys, const char *slug, const char *name,
    const char *admin_email, const char *kek_file, struct tenant *out);
/* Finds a tenant by slug or id. ERR_NOTFOUND. */
int tenant_find(struct system *sys, const char *slug_or_id, struct tenant *out);
/* Calls fn for each tenant in slug order; stops at the first non-zero return. */
int tenant_list(struct system *sys, int (*fn)(const struct tenant *t, void *arg), void *arg);
/*
 * Crypto-shreds a tenant: its wrapped DEK is destroyed (row deleted with secure_delete,
 * system.db's WAL checkpointed and truncated) before its files are removed. ERR_BUSY while
 * a server has the vault open.
 */
int tenant_delete(struct system *sys, const char *slug_or_id);
/*
 * New DEK: vault.db and every blob re-encrypted into a new folder, switched in place of
 * the old one, then the new wrapped DEK committed and the old one destroyed. A crash at
 * any point leaves a vault that opens with one of the two keys (see tenant_recover).
 */
int tenant_rotate_key(struct system *sys, const char *slug_or_id, struct tenant *out);
/* Completes or undoes an interrupted rotation (needs the vault's lock: ERR_BUSY). */
int tenant_recover(struct system *sys, struct tenant *t);
/* Takes the advisory lock of a tenant's vault (DIR/vaults/<id>.lock): shared while a process
 * has the vault open, exclusive for delete and rotation. The descriptor, or ERR_BUSY. */
int tenant_lock(struct system *sys, const char *id, int exclusive);
/* Unwraps the tenant's DEK (reading its key-encryption key file when it has one). */
int tenant_unlock_dek(struct system *sys, const struct tenant *t, struct key *dek);
/* Derives the page key and blob key of a vault from its DEK. */
int tenant_vault_keys(const struct key *dek, struct key *pages, struct key *blobs);

#endif
