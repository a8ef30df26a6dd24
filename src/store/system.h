/*
 * system.h: the platform database (system.db): tenants and their wrapped data keys.
 * Encrypted with a key derived from the master key. Opening it takes a lock on
 * DIR/.lock: shared for the server and day-to-day commands, exclusive for master-key
 * rotation, which therefore refuses to run beside a server.
 */
#ifndef COFFRE_SYSTEM_H
#define COFFRE_SYSTEM_H

#include <sqlite3.h>

#include "audit/audit.h"
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
/* The platform's audit trail and its signing key (owned by sys). */
struct audit_chain *system_audit(const struct system *sys);
const struct audit_signer *system_signer(const struct system *sys);
/* Serialises use of the system database between threads (transactions included). */
void system_lock(struct system *sys);
void system_unlock(struct system *sys);
/* Appends a platform event and a signed checkpoint in one transaction (takes the lock). */
int system_record(struct system *sys, const struct audit_event *ev);
/* Signs a checkpoint of the platform trail (nothing to do when it is empty). */
int system_audit_checkpoint(struct system *sys, const char *reason);
/* Retention purge of the platform trail (see audit_purge), in its own transaction. */
int system_audit_purge(struct system *sys, int64_t before_us, long *purged);
/*
 * The latest signed checkpoint of the platform trail, also kept outside system.db in
 * DIR/audit-platform.head (rewritten atomically after each platform commit), so that
 * cutting system.db's trail and its checkpoints together still shows. ERR_NOTFOUND.
 */
int system_platform_head(struct system *sys, struct audit_head *out);
/* The latest signed checkpoint of a tenant's trail, kept in system.db (ERR_NOTFOUND). */
int system_head_get(struct system *sys, const char *tenant_id, struct audit_head *out);
int system_head_put(struct system *sys, const char *tenant_id, const struct audit_head *h);
/* Path of a file or folder under DIR/vaults: "<id>", "<id>.lock"... */
int system_vault_path(const struct system *sys, const char *name, char *out, size_t outsz);

/*
 * New master key; system.db re-encrypted with its new derived key and every tenant DEK
 * re-wrapped, then both switched in place. Crash-safe: the next open completes or undoes
 * it. Refused while COFFRE_MASTER_KEY is set (the key must be a file to be replaced).
 */
int system_rotate_master(const char *data_dir);

#endif
