/* The encrypting VFS through real SQLite: confidentiality, integrity, and SQLite features. */
#include "../test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sodium.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypto/keyring.h"
#include "crypto/vfs_crypt.h"
#include "store/db.h"

#define CANARY "CANARY-7f3a9c-plaintext-must-never-hit-disk"

struct fx {
	char *dir;
	char db[512], wal[512];
	struct key key, other;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (sodium_init() < 0)
		return -1;
	fx->dir = test_tmpdir();
	snprintf(fx->db, sizeof(fx->db), "%s/v.db", fx->dir);
	snprintf(fx->wal, sizeof(fx->wal), "%s/v.db-wal", fx->dir);
	if (key_random(&fx->key) != 0 || key_random(&fx->other) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	key_free(&fx->key);
	key_free(&fx->other);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	*len = 0;
	if (fs_read_all(path, 1 << 28, 0, &buf, len) != 0)
		return NULL;
	return (unsigned char *)buf;
}

static int
file_contains(const char *path, const char *needle)
{
	size_t len, n = strlen(needle);
	unsigned char *buf = slurp(path, &len);
	int found = 0;

	if (buf == NULL)
		return 0;
	for (size_t i = 0; i + n <= len && !found; i++)
		found = memcmp(buf + i, needle, n) == 0;
	free(buf);
	return found;
}

static void
patch(const char *path, long off, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, n, off), (ssize_t)n);
	close(fd);
}

static void
read_at(const char *path, long off, void *data, size_t n)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, data, n, off), (ssize_t)n);
	close(fd);
}

static void
fill(sqlite3 *db, int rows)
{
	char sql[256];

	assert_int_equal(db_exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, "
	    "body TEXT)"), 0);
	assert_int_equal(db_exec(db, "BEGIN"), 0);
	for (int i = 0; i < rows; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO t(body) VALUES ('%s row %d %s')", CANARY,
		    i, "padding padding padding padding padding padding padding padding");
		assert_int_equal(db_exec(db, sql), 0);
	}
	assert_int_equal(db_exec(db, "COMMIT"), 0);
}

static int
count_rows(sqlite3 *db, int *rc_out)
{
	sqlite3_stmt *st;
	int n = -1, rc;

	rc = sqlite3_prepare_v2(db, "SELECT count(*), sum(length(body)) FROM t", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			n = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
	}
	*rc_out = rc;
	return n;
}

static void
assert_integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

static void
test_canary_never_on_disk(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	int rc;
	unsigned char hdr[16];

	assert_int_equal(db_open(fx->db, &fx->key, 1, &db), 0);
	fill(db, 2000);
	/* Before checkpoint the rows are in the WAL; after it, in the database. */
	assert_false(file_contains(fx->db, CANARY));
	assert_false(file_contains(fx->wal, CANARY));
	assert_false(file_contains(fx->wal, "row 1999"));
	assert_int_equal(db_exec(db, "PRAGMA wal_checkpoint(FULL)"), 0);
	assert_false(file_contains(fx->db, CANARY));
	assert_false(file_contains(fx->db, "CREATE TABLE"));
	assert_false(file_contains(fx->wal, CANARY));
	assert_int_equal(count_rows(db, &rc), 2000);
	db_close(db);
	/* Not even SQLite's magic string: only bytes 16..23 of page 1 are readable. */
	read_at(fx->db, 0, hdr, sizeof(hdr));
	assert_int_not_equal(memcmp(hdr, "SQLite format 3", 15), 0);
	assert_false(file_contains(fx->db, "SQLite format 3"));
	assert_int_equal(db_open(fx->db, &fx->key, 0, &db), 0);
	assert_int_equal(count_rows(db, &rc), 2000);
	assert_integrity_ok(db);
	db_close(db);
}

static void
test_wrong_key_and_no_key_fail(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db = NULL, *raw = NULL;

	assert_int_equal(db_open(fx->db, &fx->key, 1, &db), 0);
	fill(db, 10);
	db_close(db);
	assert_int_equal(db_open(fx->db, &fx->other, 0, &db), ERR_CRYPTO);
	assert_null(db);
	/* Plain SQLite sees no database at all. */
	assert_int_equal(sqlite3_open_v2(fx->db, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "SELECT * FROM sqlite_schema", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(raw);
	/* The VFS without an attached key refuses to open anything. */
	assert_int_equal(sqlite3_open_v2(fx->db, &raw, SQLITE_OPEN_READWRITE, VFS_CRYPT_NAME),
	    SQLITE_CANTOPEN);
	sqlite3_close(raw);
	assert_int_equal(db_open(fx->db, &fx->key, 0, &db), 0);
	db_close(db);
}

/* Every single-byte flip of a page is detected, in the database and in the WAL. */
static void
test_flipped_bytes_are_detected(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	unsigned char b;
	int rc;
	const long db_offsets[] = { 4096 + 0, 4096 + 2000, 4096 + 4031, 4096 + 4032 /* tag */,
		4096 + 4048 /* nonce */, 4096 + 4080 /* zero padding */, 8192 + 100 };

	assert_int_equal(db_open(fx->db, &fx->key, 1, &db), 0);
	fill(db, 300);
	assert_int_equal(db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	db_close(db);
	for (size_t i = 0; i < sizeof(db_offsets) / sizeof(db_offsets[0]); i++) {
		read_at(fx->db, db_offsets[i], &b, 1);
		b ^= 0x01;
		patch(fx->db, db_offsets[i], &b, 1);
		rc = db_open(fx->db, &fx->key, 0, &db);
		if (rc == 0) {
			assert_int_equal(count_rows(db, &rc), -1);
			assert_int_equal(rc, SQLITE_IOERR_DATA);
			db_close(db);
		} else {
			assert_int_equal(rc, ERR_CRYPTO);
		}
		b ^= 0x01;
		patch(fx->db, db_offsets[i], &b, 1);
	}
	/* The readable header bytes of page 1 are authenticated too. */
	read_at(fx->db, 21, &b, 1);
	b ^= 0x01;
	patch(fx->db, 21, &b, 1);
	assert_int_not_equal(db_open(fx->db, &fx->key, 0, &db), 0);
	b ^= 0x01;
	patch(fx->db, 21, &b, 1);
	assert_int_equal(db_open(fx->db, &fx->key, 0, &db), 0);
	assert_int_equal(count_rows(db, &rc), 300);

	/*
	 * WAL: leave committed transactions in it and close without checkpointing, so that
	 * the next open recovers from the WAL and reads every byte of it.
	 */
	assert_int_equal(db_exec(db, "PRAGMA wal_autocheckpoint = 0"), 0);
	assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL), 0);
	fill(db, 50);
	db_close(db);
	{
		size_t len;
		unsigned char *wal = slurp(fx->wal, &len);
		/* Header slot, its padding, a frame's header, page, tag, padding, the last byte. */
		const long wal_offsets[] = { 3, 20, 40, 1000, 4096 + 5, 4096 + 12 + 20,
			4096 + 2060, 4096 + 4070, 4096 + 4090, 8192 + 24, 8192 + 4000, (long)len - 1 };
		assert_non_null(wal);
		assert_true(len > 8000);
		for (size_t i = 0; i < sizeof(wal_offsets) / sizeof(wal_offsets[0]); i++) {
			wal[wal_offsets[i]] ^= 0x80;
			patch(fx->wal, 0, wal, len);
			rc = db_open(fx->db, &fx->key, 0, &db);
			if (rc == 0) {
				assert_int_equal(count_rows(db, &rc), -1);
				assert_int_equal(rc, SQLITE_IOERR_DATA);
				assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
				    1, NULL), 0);
				db_close(db);
			} else {
				assert_int_equal(rc, ERR_CRYPTO);
			}
			wal[wal_offsets[i]] ^= 0x80;
			patch(fx->wal, 0, wal, len);
		}
		free(wal);
	}
	assert_int_equal(db_open(fx->db, &fx->key, 0, &db), 0);
	assert_int_equal(count_rows(db, &rc), 350);
	assert_integrity_ok(db);
	db_close(db);
}

static void
test_swapped_pages_are_detected(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	unsigned char p2[4096], p3[4096];
	int rc;

	assert_int_equal(db_open(fx->db, &fx->key, 1, &db), 0);
	fill(db, 300);
	assert_int_equal(db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	db_close(db);
	read_at(fx->db, 4096, p2, sizeof(p2));
	read_at(fx->db, 8192, p3, sizeof(p3));
	patch(fx->db, 4096, p3, sizeof(p3));
	patch(fx->db, 8192, p2, sizeof(p2));
	rc = db_open(fx->db, &fx->key, 0, &db);
	if (rc == 0) {
		assert_int_equal(count_rows(db, &rc), -1);
		assert_int_equal(rc, SQLITE_IOERR_DATA);
		db_close(db);
	}
	/* A page of another database under the same key does not fit either. */
	patch(fx->db, 4096, p2, sizeof(p2));
	patch(fx->db, 8192, p3, sizeof(p3));
}

static int
backup_to(sqlite3 *src, const char *path, const struct key *key)
{
	sqlite3 *dst;
	int rc;

	if ((rc = db_open(path, key, 1, &dst)) != 0)
		return rc;
	rc = db_backup(dst, src);
	db_close(dst);
	return rc;
}

static void
test_vacuum_backup_and_fts(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db, *copy;
	char path[600];
	int rc;

	assert_int_equal(db_open(fx->db, &fx->key, 1, &db), 0);
	fill(db, 1000);
	assert_int_equal(db_exec(db, "DELETE FROM t WHERE id % 2 = 0"), 0);
	assert_int_equal(db_exec(db, "VACUUM"), 0);
	assert_int_equal(count_rows(db, &rc), 500);
	assert_integrity_ok(db);
	assert_int_equal(db_exec(db, "CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5(body);"
	    "INSERT INTO f SELECT body FROM t;"), 0);
	assert_false(file_contains(fx->wal, CANARY));
	snprintf(path, sizeof(path), "%s/copy.db", fx->dir);
	assert_int_equal(backup_to(db, path, &fx->other), 0);
	assert_false(file_contains(path, CANARY));
	assert_int_equal(db_open(path, &fx->other, 0, &copy), 0);
	assert_int_equal(count_rows(copy, &rc), 500);
	assert_integrity_ok(copy);
	db_close(copy);
	assert_int_equal(db_open(path, &fx->key, 0, &copy), ERR_CRYPTO);
	/* A large sort stays in memory: temp files are refused by the VFS, so this proves it. */
	assert_int_equal(db_exec(db, "CREATE TEMP TABLE scratch AS SELECT * FROM t;"
	    "SELECT body FROM scratch ORDER BY random();"), 0);
	db_close(db);
}

static void
test_rollback_journal_is_encrypted(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	char path[600], jpath[640];
	int rc;

	snprintf(path, sizeof(path), "%s/j.db", fx->dir);
	snprintf(jpath, sizeof(jpath), "%s/j.db-journal", fx->dir);
	assert_int_equal(db_open(path, &fx->key, 1, &db), 0);
	assert_int_equal(db_exec(db, "PRAGMA journal_mode = PERSIST"), 0);
	fill(db, 200);
	assert_int_equal(db_exec(db, "UPDATE t SET body = 'x' WHERE id < 100"), 0);
	assert_false(file_contains(path, CANARY));
	assert_false(file_contains(jpath, CANARY));
	assert_int_equal(db_exec(db, "BEGIN; DELETE FROM t; ROLLBACK;"), 0);
	assert_int_equal(count_rows(db, &rc), 200);
	assert_integrity_ok(db);
	db_close(db);
}

static long
scalar(sqlite3 *db, const char *q)
{
	sqlite3_stmt *st;
	long v = -1;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A transaction larger than the page cache spills pages to the WAL; changing a spilled page
 * again makes SQLite rewrite frame headers in place at commit (walRewriteChecksums). Killed
 * right after COMMIT returns, the commit must survive (a held header once lost it).
 */
static void
test_commit_survives_kill_after_checksum_rewrite(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	pid_t pid;
	int status;

	assert_int_equal(db_open(fx->db, &fx->key, 1, &db), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
	    "CREATE TABLE m(x)"), 0);
	db_close(db);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (db_open(fx->db, &fx->key, 0, &db) != 0 ||
		    db_exec(db, "PRAGMA wal_autocheckpoint = 0; BEGIN; INSERT INTO m VALUES (1);"
		    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4000)"
		    " INSERT INTO t(v) SELECT randomblob(3000) FROM c; UPDATE m SET x = 2;") != 0 ||
		    db_exec(db, "COMMIT") != 0)
			_exit(1);
		raise(SIGKILL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(db_open(fx->db, &fx->key, 0, &db), 0);
	assert_int_equal(scalar(db, "SELECT x FROM m"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 4000);
	assert_integrity_ok(db);
	db_close(db);
}

static void
test_attach_refuses_a_second_key(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(vfs_crypt_register(), 0);
	assert_int_equal(vfs_crypt_attach(fx->db, &fx->key), 0);
	assert_int_equal(vfs_crypt_attach(fx->db, &fx->other), ERR_EXISTS);
	vfs_crypt_detach(fx->db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_canary_never_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_and_no_key_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_bytes_are_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_pages_are_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vacuum_backup_and_fts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_journal_is_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_refuses_a_second_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_survives_kill_after_checksum_rewrite,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
