/*
 * Database files through the encrypting VFS: whatever the bytes on disk (a page, a WAL),
 * opening and reading must fail cleanly, never crash or return unauthenticated data.
 * Input: first byte selects the file (database or WAL), the rest is its content.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/keyring.h"
#include "fuzz.h"
#include "store/db.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct key key;
	static char dir[64];
	char db[128], wal[160];
	sqlite3 *h = NULL;
	int fd;

	if (key.bytes == NULL) {
		if (sodium_init() < 0 || key_random(&key) != 0)
			abort();
		snprintf(dir, sizeof(dir), "/tmp/coffre-fuzz-vfs-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	if (size < 1 || size > (1 << 20))
		return 0;
	snprintf(db, sizeof(db), "%s/f.db", dir);
	snprintf(wal, sizeof(wal), "%s/f.db-wal", dir);
	unlink(db);
	unlink(wal);
	if (data[0] & 1) {
		/* A real (empty) database and a fuzzed WAL beside it. */
		if (db_open(db, &key, 1, &h) != 0)
			abort();
		db_exec(h, "CREATE TABLE t(x)");
		db_close(h);
		h = NULL;
		unlink(wal);
	}
	fd = open((data[0] & 1) ? wal : db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(fd);
	if (db_open(db, &key, 0, &h) == 0) {
		db_exec(h, "SELECT * FROM sqlite_schema; PRAGMA integrity_check;");
		db_close(h);
	}
	unlink(db);
	unlink(wal);
	return 0;
}
