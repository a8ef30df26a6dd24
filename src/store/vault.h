/*
 * vault.h: a tenant's vault (vault.db and blobs) as later modules use it.
 *
 * A vault is opened from the tenant id of an authenticated identity, never from an id a
 * client supplied (T1). Work happens in transactions through callbacks: vault_read runs on
 * one of a small pool of reader connections (readers run in parallel), vault_write on the
 * vault's single writer connection (BEGIN IMMEDIATE, COMMIT, or ROLLBACK when the callback
 * fails). Open vaults stay in a cache; the least recently used idle one is closed when the
 * cache is full. While a vault is open this process holds a shared lock on it, so that
 * `tenant delete` and `tenant rotate-key` refuse to run underneath.
 */
#ifndef COFFRE_VAULT_H
#define COFFRE_VAULT_H

#include <sqlite3.h>

#include "audit/audit.h"
#include "crypto/keyring.h"
#include "store/system.h"

struct vault;
struct vault_cache;

typedef int (*vault_fn)(sqlite3 *db, void *arg);

/* A cache of at most max_open vaults, each with at most readers reader connections. */
struct vault_cache *vault_cache_new(struct system *sys, unsigned max_open, unsigned readers);
/* Closes every vault; none may still be held. Accepts NULL. */
void vault_cache_free(struct vault_cache *c);
/*
 * Returns the open vault of tenant_id (opening it if needed), held until vault_release.
 * ERR_NOTFOUND for an unknown tenant, ERR_PERM for a suspended one, ERR_CRYPTO when its key
 * does not open it, ERR_BUSY while a rotation holds it.
 */
int vault_open(struct vault_cache *c, const char *tenant_id, struct vault **out);
void vault_release(struct vault *v);
/* One more hold on an open vault (a background task's), ended by vault_release. */
void vault_retain(struct vault *v);
/*
 * The vault's one slot of module state (the search module's in-memory index): made by make()
 * on first use, dropped by drop() when the vault closes, before its connections. NULL when
 * make fails (or is NULL and nothing was made).
 */
void *vault_ext(struct vault *v, void *(*make)(void), void (*drop)(void *));
/* Runs fn in a read transaction / in the single write transaction; returns fn's result. */
int vault_read(struct vault *v, vault_fn fn, void *arg);
int vault_write(struct vault *v, vault_fn fn, void *arg);
const char *vault_tenant_id(const struct vault *v);
/* The vault's audit trail: append inside vault_write callbacks with audit_append. */
const struct audit_chain *vault_audit(const struct vault *v);
/* audit_append on the vault's trail (inside a vault_write callback) for the common case;
 * actor NULL is "system"; takes detail (may be NULL) and releases it. */
int vault_record(const struct vault *v, sqlite3 *db, const char *event, const char *actor,
    const char *source, const char *target, enum audit_outcome outcome, json_t *detail_owned);
/* Signs a checkpoint of the vault's trail and keeps it in system.db too. */
int vault_checkpoint(struct vault *v, const char *reason);
/* Retention purge of the vault's trail, then a checkpoint when anything went. */
int vault_purge(struct vault *v, int64_t before_us, long *purged);
/* Checks the vault's trail, including against the checkpoint kept in system.db. */
int vault_verify(struct vault *v, struct audit_report *r);
/* Checkpoints every open vault (periodically, and at shutdown). Returns the first error. */
int vault_cache_checkpoint_all(struct vault_cache *c, const char *reason);
/* Calls fn on every tenant's vault in turn (opened, then released); what labels the log
 * line of a vault that cannot be opened (it is skipped). Returns the first error. */
int vault_cache_foreach(struct vault_cache *c, const char *what,
    int (*fn)(struct vault *v, void *arg), void *arg);
/* Calls fn on every vault open at this moment (held meanwhile), none being opened for it.
 * Returns the first error. */
int vault_cache_foreach_open(struct vault_cache *c, int (*fn)(struct vault *v, void *arg),
    void *arg);
/* Purges audit entries older than before_us in every tenant's vault and the platform's. */
int vault_cache_purge_all(struct vault_cache *c, int64_t before_us);
/* Where every vault's appended entries are announced (borrowed; NULL for nowhere). */
void vault_cache_set_alerts(struct vault_cache *c, struct alerts *alerts);
/* Folder and key of the vault's blobs (see crypto/blob.h). */
const char *vault_blob_dir(const struct vault *v);
const struct key *vault_blob_key(const struct vault *v);

#endif
