#include "store/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "crypto/vfs_crypt.h"
#include "search/analyze.h"

int
db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return ERR_NOMEM;
	case SQLITE_CONSTRAINT:
		return ERR_EXISTS;
	case SQLITE_NOTFOUND:
		return ERR_NOTFOUND;
	case SQLITE_TOOBIG:
		return ERR_TOOBIG;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return ERR_CRYPTO;
	case SQLITE_IOERR:
		return rc == SQLITE_IOERR_DATA ? ERR_CRYPTO : ERR_IO;
	default:
		return ERR_INTERNAL;
	}
}

int
db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_debug("sqlite: %s", msg ? msg : sqlite3_errstr(rc));
		rc = sqlite3_extended_errcode(db);
	}
	sqlite3_free(msg);
	return db_err(rc);
}

/*
 * Prepared statements kept per connection, keyed by the connection and the address of the
 * SQL text (a string constant), so that a request's dozen statements are compiled once per
 * connection rather than every time. A statement in use when asked for again (a nested use)
 * is prepared afresh and finalized after.
 */
#define DB_STMT_SLOTS 4096
#define DB_STMT_PROBE 16

struct db_stmt_slot {
	sqlite3 *db;
	const char *sql;
	sqlite3_stmt *st;
	int busy;
};

static struct db_stmt_slot db_stmts[DB_STMT_SLOTS];
static pthread_mutex_t db_stmts_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
db_stmt_home(const sqlite3 *db, const char *sql)
{
	uint64_t h = (uint64_t)(uintptr_t)db * 0x9e3779b97f4a7c15ull ^
	    (uint64_t)(uintptr_t)sql * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h >> 40) & (DB_STMT_SLOTS - 1);
}

int
db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	size_t home = db_stmt_home(db, sql);
	struct db_stmt_slot *empty = NULL;
	int known = 0;

	*st = NULL;
	pthread_mutex_lock(&db_stmts_lock);
	for (size_t i = 0; i < DB_STMT_PROBE && !known; i++) {
		struct db_stmt_slot *s = &db_stmts[(home + i) & (DB_STMT_SLOTS - 1)];
		if (s->db == db && s->sql == sql) {
			known = 1;      /* in use (a nested use): a fresh one, not kept */
			if (!s->busy) {
				s->busy = 1;
				*st = s->st;
			}
		} else if (s->db == NULL && empty == NULL) {
			empty = s;
		}
	}
	pthread_mutex_unlock(&db_stmts_lock);
	if (*st != NULL)
		return 0;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ERR_INTERNAL;
	}
	if (!known && empty != NULL) {
		pthread_mutex_lock(&db_stmts_lock);
		if (empty->db == NULL)
			*empty = (struct db_stmt_slot){ db, sql, *st, 1 };
		pthread_mutex_unlock(&db_stmts_lock);
	}
	return 0;
}

void
db_finish(sqlite3 *db, const char *sql, sqlite3_stmt *st)
{
	size_t home;

	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	home = db_stmt_home(db, sql);
	pthread_mutex_lock(&db_stmts_lock);
	for (size_t i = 0; i < DB_STMT_PROBE; i++) {
		struct db_stmt_slot *s = &db_stmts[(home + i) & (DB_STMT_SLOTS - 1)];
		if (s->st == st) {
			s->busy = 0;
			pthread_mutex_unlock(&db_stmts_lock);
			return;
		}
	}
	pthread_mutex_unlock(&db_stmts_lock);
	sqlite3_finalize(st);
}

/* Finalizes the statements kept for db (before it closes). */
static void
db_cache_forget(sqlite3 *db)
{
	pthread_mutex_lock(&db_stmts_lock);
	for (size_t i = 0; i < DB_STMT_SLOTS; i++) {
		if (db_stmts[i].db != db)
			continue;
		sqlite3_finalize(db_stmts[i].st);
		memset(&db_stmts[i], 0, sizeof(db_stmts[i]));
	}
	pthread_mutex_unlock(&db_stmts_lock);
}

void
db_close(sqlite3 *db)
{
	char *path;

	if (db == NULL)
		return;
	db_cache_forget(db);
	path = sqlite3_mprintf("%s", sqlite3_db_filename(db, "main"));
	sqlite3_close_v2(db);
	if (path != NULL) {
		vfs_crypt_detach(path);
		sqlite3_free(path);
	}
}

int
db_open(const char *path, const struct key *key, int create, sqlite3 **out)
{
	sqlite3 *db = NULL;
	struct stat st;
	int rc, fresh, reserve = VFS_CRYPT_RESERVE;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;

	*out = NULL;
	if ((rc = vfs_crypt_register()) != 0)
		return rc;
	fresh = stat(path, &st) != 0 || st.st_size == 0;
	if (fresh && !create)
		return ERR_NOTFOUND;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((rc = vfs_crypt_attach(path, key)) != 0)
		return rc;
	if (sqlite3_open_v2(path, &db, flags, VFS_CRYPT_NAME) != SQLITE_OK) {
		rc = db != NULL ? db_err(sqlite3_extended_errcode(db)) : ERR_NOMEM;
		if (db != NULL)
			sqlite3_close_v2(db);
		vfs_crypt_detach(path);
		return rc ? rc : ERR_IO;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	/*
	 * Temp files would escape the cipher: keep them in memory (the VFS refuses them).
	 * An 8 MiB page cache (SQLite's default is 2 MiB) saves a decryption per page it keeps.
	 */
	if ((rc = db_exec(db, "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0;"
	    "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192;")) != 0)
		goto fail;
	if (fresh) {
		if (sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) !=
		    SQLITE_OK || (rc = db_exec(db, "PRAGMA page_size = 4096;")) != 0) {
			rc = rc ? rc : ERR_INTERNAL;
			goto fail;
		}
	}
	/* Reading the schema is the key check: a wrong key fails authentication here. */
	if ((rc = db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    "SELECT count(*) FROM sqlite_schema;")) != 0)
		goto fail;
	/* The full-text index of a vault is tokenized by coffre's analyzer (search/analyze.h):
	 * every connection must know it before the index is created or read. */
	if ((rc = analyze_register(db)) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

int
db_migrate(sqlite3 *db, const struct migration *m, int n)
{
	sqlite3_stmt *st = NULL;
	int current = 0, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	if (sqlite3_step(st) == SQLITE_ROW)
		current = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		char *sql;
		if (m[i].version <= current)
			continue;
		if (m[i].version != current + 1) {
			log_error("migration %d (%s) does not follow %d", m[i].version, m[i].name,
			    current);
			return ERR_INTERNAL;
		}
		if ((rc = db_exec(db, "BEGIN IMMEDIATE")) != 0)
			return rc;
		if ((rc = db_exec(db, m[i].sql)) != 0) {
			log_error("migration %04d_%s failed", m[i].version, m[i].name);
			db_exec(db, "ROLLBACK");
			return rc;
		}
		sql = sqlite3_mprintf("PRAGMA user_version = %d", m[i].version);
		rc = sql ? db_exec(db, sql) : ERR_NOMEM;
		sqlite3_free(sql);
		if (rc != 0 || (rc = db_exec(db, "COMMIT")) != 0) {
			db_exec(db, "ROLLBACK");
			return rc;
		}
		current = m[i].version;
	}
	return 0;
}

int
db_backup(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (bk == NULL)
		return db_err(sqlite3_extended_errcode(dst));
	rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	return rc == SQLITE_DONE ? 0 : db_err(rc);
}
