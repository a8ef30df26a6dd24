/*
 * system.h: the platform database (system.db): tenants and their wrapped data keys.
 * Encrypted with a key derived from the master key. Opening it takes a lock on
 * DIR/.lock: shared for the server and day-to-day commands, exclusive for master-key
 * rotation, which therefore refuses to run beside a server.
 */
#ifndef COFFRE_SYSTEM_H
#define COFFRE_SYSTEM_H

#include <sqlite3.h>

#include "crypto/keyring.h"

#define SYSTEM_DB_FILE "system.db"
#define SYSTEM_VAULTS_DIR "vaults"

struct system;

/* Opens (creating and migrating) system.db; finishes or undoes an interrupted master-key
 * rotation first. exclusive: take the data folder's lock exclusively (ERR_BUSY if held). */
struct system *system_open(const char *data_dir, int exclusive, int *err);
void system_close(struct system *sys);
sqlite3 *system_db(const struct system *sys);
const struct keyring *system_keyring(const struct system *sys);
const char *system_data_dir(const struct system *sys);
/* Path of a file or folder under DIR/vaults: "<id>", "<id>.lock"... */
int system_vault_path(const struct system *sys, const char *name, char *out, size_t outsz);

/*
 * New master key; system.db re-encrypted with its new derived key and every tenant DEK
 * re-wrapped, then both switched in place. Crash-safe: the next open completes or undoes
 * it. Refused while COFFRE_MASTER_KEY is set (the key must be a file to be replaced).
 */
int system_rotate_master(const char *data_dir);

#endif
