#include "store/system.h"

#include <errno.h>
#include <sodium.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "store/db.h"
#include "store/schema.h"

#define MASTER_NEW KEYRING_MASTER_FILE ".new"
#define PLATFORM_HEAD_FILE "audit-platform.head"
#define SYSTEM_DB_NEW SYSTEM_DB_FILE ".new"

struct system {
	char *data_dir;
	struct keyring *kr;
	sqlite3 *db;
	int lockfd;
	pthread_mutex_t mu;
	struct audit_signer *signer;
	struct audit_chain *audit;
};

static int
system_path(const char *dir, const char *name, char *out)
{
	return fs_join(out, 4096, dir, name);
}

/* Removes a database file and what SQLite keeps beside it. */
static void
system_unlink_db(const char *path)
{
	char side[4200];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);
}

/* 0 when the key file opens system.db; ERR_CRYPTO when it is the wrong key. */
static int
system_try_key(const char *dir, const char *keyfile)
{
	char kpath[4096], dbpath[4096];
	struct keyring *kr;
	sqlite3 *db;
	int rc;

	if (system_path(dir, keyfile, kpath) != 0 || system_path(dir, SYSTEM_DB_FILE, dbpath) != 0)
		return ERR_TOOBIG;
	if ((kr = keyring_open_file(kpath, &rc)) == NULL)
		return rc;
	rc = db_open(dbpath, keyring_system_key(kr), 0, &db);
	db_close(db);
	keyring_free(kr);
	return rc;
}

/* A master rotation stopped half-way: roll forward if system.db already moved, else back. */
static int
system_recover_master(const char *dir)
{
	char newkey[4096], key[4096], newdb[4096], keys[4096];
	int rc;

	if (system_path(dir, MASTER_NEW, newkey) != 0 || access(newkey, F_OK) != 0)
		return 0;
	if (getenv(KEYRING_MASTER_ENV) != NULL)
		return 0;
	system_path(dir, KEYRING_MASTER_FILE, key);
	system_path(dir, SYSTEM_DB_NEW, newdb);
	system_path(dir, "keys", keys);
	rc = system_try_key(dir, KEYRING_MASTER_FILE);
	if (rc == 0 || rc == ERR_NOTFOUND) {
		log_warnx("undoing an interrupted master key rotation");
		system_unlink_db(newdb);
		unlink(newkey);
		return fs_sync_dir(keys);
	}
	if (system_try_key(dir, MASTER_NEW) != 0) {
		log_error("system.db opens with neither %s nor %s", KEYRING_MASTER_FILE, MASTER_NEW);
		return ERR_CRYPTO;
	}
	log_warnx("completing an interrupted master key rotation");
	if (rename(newkey, key) != 0)
		return ERR_IO;
	return fs_sync_dir(keys);
}

struct system *
system_open(const char *data_dir, int exclusive, int *err)
{
	struct system *sys = calloc(1, sizeof(*sys));
	char path[4096];

	*err = ERR_NOMEM;
	if (sys == NULL || (sys->data_dir = strdup(data_dir)) == NULL)
		goto fail;
	sys->lockfd = -1;
	pthread_mutex_init(&sys->mu, NULL);
	if ((*err = system_path(data_dir, ".lock", path)) != 0)
		goto fail;
	/* Recovery needs the folder to itself: take the lock exclusively if anything is left. */
	if (system_path(data_dir, MASTER_NEW, path) == 0 && access(path, F_OK) == 0)
		exclusive = 1;
	system_path(data_dir, ".lock", path);
	if ((sys->lockfd = fs_lock(path, exclusive)) < 0) {
		*err = sys->lockfd;
		sys->lockfd = -1;
		goto fail;
	}
	if ((*err = system_recover_master(data_dir)) != 0)
		goto fail;
	if ((sys->kr = keyring_open(data_dir, err)) == NULL)
		goto fail;
	system_path(data_dir, SYSTEM_DB_FILE, path);
	if ((*err = db_open(path, keyring_system_key(sys->kr), 1, &sys->db)) != 0) {
		if (*err == ERR_CRYPTO)
			log_error("%s cannot be decrypted with this master key", path);
		goto fail;
	}
	if ((*err = db_migrate(sys->db, schema_system, schema_system_count)) != 0)
		goto fail;
	if ((sys->signer = audit_signer_open(data_dir, 1, err)) == NULL ||
	    (sys->audit = audit_chain_new(AUDIT_SCOPE_PLATFORM, keyring_system_key(sys->kr),
	    sys->signer, NULL)) == NULL) {
		*err = *err ? *err : ERR_NOMEM;
		goto fail;
	}
	system_path(data_dir, SYSTEM_VAULTS_DIR, path);
	if ((*err = fs_mkdir(path, 0700)) != 0 && *err != ERR_EXISTS)
		goto fail;
	*err = 0;
	return sys;
fail:
	system_close(sys);
	return NULL;
}

void
system_close(struct system *sys)
{
	if (sys == NULL)
		return;
	db_close(sys->db);
	audit_chain_free(sys->audit);
	audit_signer_free(sys->signer);
	keyring_free(sys->kr);
	fs_unlock(sys->lockfd);
	if (sys->data_dir != NULL)
		pthread_mutex_destroy(&sys->mu);
	free(sys->data_dir);
	free(sys);
}

sqlite3 *
system_db(const struct system *sys)
{
	return sys->db;
}

const struct keyring *
system_keyring(const struct system *sys)
{
	return sys->kr;
}

const char *
system_data_dir(const struct system *sys)
{
	return sys->data_dir;
}

struct audit_chain *
system_audit(const struct system *sys)
{
	return sys->audit;
}

const struct audit_signer *
system_signer(const struct system *sys)
{
	return sys->signer;
}

void
system_lock(struct system *sys)
{
	pthread_mutex_lock(&sys->mu);
}

void
system_unlock(struct system *sys)
{
	pthread_mutex_unlock(&sys->mu);
}

/* One line of hex fields: seq ts hash reason key_id signature. */
static int
system_head_format(const struct audit_head *h, char *out, size_t outsz)
{
	char hash[2 * AUDIT_HASH_BYTES + 1], sig[2 * 64 + 1];
	int n;

	sodium_bin2hex(hash, sizeof(hash), h->hash, AUDIT_HASH_BYTES);
	sodium_bin2hex(sig, sizeof(sig), h->signature, 64);
	n = snprintf(out, outsz, "coffre-audit-head-v1 %lld %lld %s %s %s %s\n",
	    (long long)h->seq, (long long)h->ts, hash, h->reason, h->key_id, sig);
	return n < 0 || (size_t)n >= outsz ? ERR_TOOBIG : n;
}

/* Writes the latest platform checkpoint to its file (temp, fsync, rename, fsync folder). */
static int
system_head_file_write(struct system *sys)
{
	sqlite3_stmt *st = NULL;
	struct audit_head h;
	char line[512], path[4096], tmp[4200];
	int rc = ERR_NOTFOUND, n;

	memset(&h, 0, sizeof(h));
	if (sqlite3_prepare_v2(sys->db, "SELECT seq, hash, ts, reason, key_id, signature FROM "
	    "audit_checkpoints ORDER BY seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == AUDIT_HASH_BYTES &&
	    sqlite3_column_bytes(st, 5) == 64) {
		h.seq = sqlite3_column_int64(st, 0);
		memcpy(h.hash, sqlite3_column_blob(st, 1), AUDIT_HASH_BYTES);
		h.ts = sqlite3_column_int64(st, 2);
		snprintf(h.reason, sizeof(h.reason), "%s", sqlite3_column_text(st, 3));
		snprintf(h.key_id, sizeof(h.key_id), "%s", sqlite3_column_text(st, 4));
		memcpy(h.signature, sqlite3_column_blob(st, 5), 64);
		rc = 0;
	}
	sqlite3_finalize(st);
	if (rc != 0 || strchr(h.reason, ' ') != NULL)
		return rc ? rc : ERR_INVALID;
	if ((n = system_head_format(&h, line, sizeof(line))) < 0 ||
	    (rc = system_path(sys->data_dir, PLATFORM_HEAD_FILE, path)) != 0)
		return n < 0 ? n : rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	if ((rc = fs_write_new(tmp, line, (size_t)n, 0600)) != 0)
		return rc;
	if (rename(tmp, path) != 0)
		return ERR_IO;
	return fs_sync_dir(sys->data_dir);
}

int
system_platform_head(struct system *sys, struct audit_head *out)
{
	char path[4096], *buf = NULL, hash[80], sig[160];
	long long seq, ts;
	size_t len, bin;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = system_path(sys->data_dir, PLATFORM_HEAD_FILE, path)) != 0 ||
	    (rc = fs_read_all(path, 1024, 0, &buf, &len)) != 0)
		return rc;
	rc = ERR_INVALID;
	if (sscanf(buf, "coffre-audit-head-v1 %lld %lld %79s %31s %16s %159s", &seq, &ts, hash,
	    out->reason, out->key_id, sig) == 6 &&
	    sodium_hex2bin(out->hash, AUDIT_HASH_BYTES, hash, strlen(hash), NULL, &bin, NULL) == 0 &&
	    bin == AUDIT_HASH_BYTES &&
	    sodium_hex2bin(out->signature, 64, sig, strlen(sig), NULL, &bin, NULL) == 0 &&
	    bin == 64) {
		out->seq = seq;
		out->ts = ts;
		rc = 0;
	}
	free(buf);
	return rc;
}

/* Runs fn in a write transaction on the system database, under the lock; after a commit,
 * the platform trail's latest checkpoint is copied out of the database. */
static int
system_write(struct system *sys, int (*fn)(struct system *, void *), void *arg)
{
	int rc;

	system_lock(sys);
	if ((rc = db_exec(sys->db, "BEGIN IMMEDIATE")) == 0) {
		if ((rc = fn(sys, arg)) == 0)
			rc = db_exec(sys->db, "COMMIT");
		else
			db_exec(sys->db, "ROLLBACK");
	}
	if (rc == 0 && system_head_file_write(sys) != 0)
		log_warnx("cannot write %s", PLATFORM_HEAD_FILE);
	system_unlock(sys);
	return rc;
}

static int
system_checkpoint_cb(struct system *sys, void *arg)
{
	return audit_checkpoint(sys->audit, sys->db, arg, NULL);
}

int
system_audit_checkpoint(struct system *sys, const char *reason)
{
	int rc = system_write(sys, system_checkpoint_cb, (void *)reason);

	return rc == ERR_NOTFOUND ? 0 : rc;
}

struct system_purge {
	int64_t before;
	long purged;
};

static int
system_purge_cb(struct system *sys, void *arg)
{
	struct system_purge *p = arg;

	return audit_purge(sys->audit, sys->db, p->before, &p->purged);
}

int
system_audit_purge(struct system *sys, int64_t before_us, long *purged)
{
	struct system_purge p = { before_us, 0 };
	int rc = system_write(sys, system_purge_cb, &p);

	*purged = p.purged;
	return rc;
}

static int
system_record_cb(struct system *sys, void *arg)
{
	int rc = audit_append(sys->audit, sys->db, arg);

	return rc != 0 ? rc : audit_checkpoint(sys->audit, sys->db, "event", NULL);
}

int
system_record(struct system *sys, const struct audit_event *ev)
{
	int rc = system_write(sys, system_record_cb, (void *)ev);

	if (rc != 0)
		log_error("cannot record %s in the platform audit trail: %s", ev->event, err_str(rc));
	return rc;
}

int
system_head_get(struct system *sys, const char *tenant_id, struct audit_head *out)
{
	sqlite3_stmt *st = NULL;
	int rc = ERR_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(sys->db, "SELECT seq, hash, ts, reason, key_id, signature FROM "
	    "audit_heads WHERE tenant = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == AUDIT_HASH_BYTES &&
	    sqlite3_column_bytes(st, 5) == 64) {
		out->seq = sqlite3_column_int64(st, 0);
		memcpy(out->hash, sqlite3_column_blob(st, 1), AUDIT_HASH_BYTES);
		out->ts = sqlite3_column_int64(st, 2);
		snprintf(out->reason, sizeof(out->reason), "%s", sqlite3_column_text(st, 3));
		snprintf(out->key_id, sizeof(out->key_id), "%s", sqlite3_column_text(st, 4));
		memcpy(out->signature, sqlite3_column_blob(st, 5), 64);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
system_head_put(struct system *sys, const char *tenant_id, const struct audit_head *h)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* Never backwards: two checkpoints racing must leave the later one. */
	if (sqlite3_prepare_v2(sys->db, "INSERT INTO audit_heads(tenant, seq, hash, ts, reason, "
	    "key_id, signature) VALUES (?,?,?,?,?,?,?) ON CONFLICT(tenant) DO UPDATE SET "
	    "seq = excluded.seq, hash = excluded.hash, ts = excluded.ts, reason = excluded.reason, "
	    "key_id = excluded.key_id, signature = excluded.signature "
	    "WHERE excluded.seq >= audit_heads.seq", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, h->seq);
	sqlite3_bind_blob(st, 3, h->hash, AUDIT_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, h->ts);
	sqlite3_bind_text(st, 5, h->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, h->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, h->signature, 64, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(sys->db));
	sqlite3_finalize(st);
	return rc;
}

int
system_vault_path(const struct system *sys, const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s/%s", sys->data_dir, SYSTEM_VAULTS_DIR, name);

	return n < 0 || (size_t)n >= outsz ? ERR_TOOBIG : 0;
}

/* Re-wraps every DEK of db (a copy of system.db) from one master to another. */
static int
system_rewrap_all(sqlite3 *db, const struct keyring *from, const struct keyring *to)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	int rc = ERR_INTERNAL;

	if (sqlite3_prepare_v2(db, "SELECT id, key_version, wrapped_dek, pending_version, "
	    "pending_dek FROM tenants", -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE tenants SET wrapped_dek = ?2, pending_dek = ?3 "
	    "WHERE id = ?1", -1, &upd, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		unsigned char w[KEYRING_WRAPPED_MAX], p[KEYRING_WRAPPED_MAX];
		size_t wlen = 0, plen = 0;
		const char *id = (const char *)sqlite3_column_text(sel, 0);
		int has_pending = sqlite3_column_type(sel, 4) != SQLITE_NULL;

		rc = keyring_rewrap_dek(from, to, id, (uint32_t)sqlite3_column_int64(sel, 1),
		    sqlite3_column_blob(sel, 2), (size_t)sqlite3_column_bytes(sel, 2), w, &wlen);
		if (rc == 0 && has_pending)
			rc = keyring_rewrap_dek(from, to, id, (uint32_t)sqlite3_column_int64(sel, 3),
			    sqlite3_column_blob(sel, 4), (size_t)sqlite3_column_bytes(sel, 4), p,
			    &plen);
		if (rc != 0)
			goto out;
		sqlite3_bind_text(upd, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(upd, 2, w, (int)wlen, SQLITE_TRANSIENT);
		if (has_pending)
			sqlite3_bind_blob(upd, 3, p, (int)plen, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(upd, 3);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rc = db_err(sqlite3_extended_errcode(db));
			goto out;
		}
		sqlite3_reset(upd);
		sodium_memzero(w, sizeof(w));
		sodium_memzero(p, sizeof(p));
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(rc);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

/* The platform trail's MACs follow the system key: re-key them, then record the rotation. */
static int
system_rekey_audit(struct system *sys, sqlite3 *copy, const struct keyring *kr_new)
{
	struct audit_chain *to = audit_chain_new(AUDIT_SCOPE_PLATFORM, keyring_system_key(kr_new),
	    sys->signer, NULL);
	int rc;

	if (to == NULL)
		return ERR_NOMEM;
	if ((rc = audit_rekey(sys->audit, to, copy)) == 0 &&
	    (rc = audit_append(to, copy, &(struct audit_event){ .event = "key.rotate_master",
	    .actor = "system", .outcome = AUDIT_SUCCESS })) == 0)
		rc = audit_checkpoint(to, copy, "key rotation", NULL);
	audit_chain_free(to);
	return rc;
}

int
system_rotate_master(const char *dir)
{
	struct system *sys = NULL;
	struct keyring *kr_new = NULL;
	sqlite3 *copy = NULL;
	char newkey[4096], key[4096], newdb[4096], dbpath[4096], keys[4096];
	int rc;

	if (getenv(KEYRING_MASTER_ENV) != NULL) {
		log_error("the master key comes from %s; put it in %s to rotate it",
		    KEYRING_MASTER_ENV, KEYRING_MASTER_FILE);
		return ERR_CONFIG;
	}
	if ((sys = system_open(dir, 1, &rc)) == NULL)
		return rc;
	system_path(dir, MASTER_NEW, newkey);
	system_path(dir, KEYRING_MASTER_FILE, key);
	system_path(dir, SYSTEM_DB_NEW, newdb);
	system_path(dir, SYSTEM_DB_FILE, dbpath);
	system_path(dir, "keys", keys);
	system_unlink_db(newdb);
	if ((rc = keyring_create_master(newkey)) != 0 ||
	    (kr_new = keyring_open_file(newkey, &rc)) == NULL)
		goto fail;
	if ((rc = db_open(newdb, keyring_system_key(kr_new), 1, &copy)) != 0)
		goto fail;
	if ((rc = db_backup(copy, sys->db)) != 0)
		goto fail;
	if ((rc = db_exec(copy, "BEGIN IMMEDIATE")) != 0)
		goto fail;
	if ((rc = system_rewrap_all(copy, sys->kr, kr_new)) != 0 ||
	    (rc = system_rekey_audit(sys, copy, kr_new)) != 0) {
		db_exec(copy, "ROLLBACK");
		goto fail;
	}
	if ((rc = db_exec(copy, "COMMIT")) != 0 ||
	    (rc = db_exec(copy, "PRAGMA wal_checkpoint(TRUNCATE)")) != 0)
		goto fail;
	db_close(copy);
	copy = NULL;
	/* Hold the lock while switching: reopen nothing, close only the database. */
	db_close(sys->db);
	sys->db = NULL;
	fs_fault_point("rotate-master.before-switch");
	if (rename(newdb, dbpath) != 0 || fs_sync_dir(dir) != 0) {
		rc = ERR_IO;
		goto fail;
	}
	fs_fault_point("rotate-master.between-renames");
	if (rename(newkey, key) != 0 || fs_sync_dir(keys) != 0) {
		rc = ERR_IO;
		goto fail;      /* the next open rolls forward */
	}
	keyring_free(kr_new);
	system_close(sys);
	return 0;
fail:
	db_close(copy);
	keyring_free(kr_new);
	if (sys != NULL && sys->db != NULL) {
		/* system.db was not switched: the new key and copy are worthless. */
		system_unlink_db(newdb);
		unlink(newkey);
	}
	system_close(sys);
	return rc;
}
