/* keyring.h: the master key. Tenant data keys come with the vault issue. */
#ifndef COFFRE_KEYRING_H
#define COFFRE_KEYRING_H

#define KEYRING_KEY_BYTES 32
#define KEYRING_MASTER_FILE "keys/master.key"

/* Creates a new random 256-bit master key at path (hex text, mode 0600, never overwritten). */
int keyring_create_master(const char *path);

#endif
