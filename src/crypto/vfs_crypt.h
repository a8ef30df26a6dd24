/*
 * vfs_crypt.h: an SQLite VFS shim that encrypts every byte SQLite writes.
 *
 * Main database: each 4096-byte page is AES-256-GCM encrypted in place; the last
 * VFS_CRYPT_RESERVE bytes of the page (SQLite "reserved bytes") hold nonce and tag; the
 * page number and file kind are associated data. Only bytes 16..23 of page 1 (page size,
 * format versions, reserved-byte count) stay readable, and they are authenticated.
 * WAL and rollback journal: written at arbitrary offsets, so they are cut into blocks of
 * 4068 bytes, each stored in its own 4096-byte slot as nonce|ciphertext|tag with the block
 * index and file kind as associated data; a slot never straddles a page, so a killed
 * process leaves no torn block.
 * Any other file (temp databases, sub-journals) is refused: temp_store must be MEMORY.
 * A page or block that fails authentication reads as SQLITE_IOERR_DATA, never as data.
 */
#ifndef COFFRE_VFS_CRYPT_H
#define COFFRE_VFS_CRYPT_H

#include <sqlite3.h>

#include "crypto/keyring.h"

#define VFS_CRYPT_NAME "coffre-crypt"
#define VFS_CRYPT_PAGE_SIZE 4096
#define VFS_CRYPT_RESERVE 64

/* Registers the shim over the default VFS (not as the default). Idempotent, thread-safe. */
int vfs_crypt_register(void);
/*
 * Makes key the page key of the database at path (and of its WAL and journal) until
 * vfs_crypt_detach. Reference counted per path; a different key for an attached path is
 * refused (ERR_EXISTS). path is resolved as SQLite resolves it.
 */
int vfs_crypt_attach(const char *path, const struct key *key);
void vfs_crypt_detach(const char *path);

#endif
