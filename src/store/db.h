/* db.h: opening an encrypted SQLite database and applying numbered migrations. */
#ifndef COFFRE_DB_H
#define COFFRE_DB_H

#include <sqlite3.h>

#include "crypto/keyring.h"

struct migration {
	int version;            /* 1, 2, 3...: applied in order, recorded in user_version */
	const char *name;
	const char *sql;
};

/*
 * Opens (creating it when create is set) the database at path through the encrypting VFS
 * with key: 4096-byte pages with reserved bytes for nonce and tag, WAL, temp files in
 * memory, no memory mapping, secure delete, foreign keys, a busy timeout, coffre's FTS5
 * tokenizer registered. Checks the key
 * by reading the schema: ERR_CRYPTO for a wrong key or damaged file, ERR_NOTFOUND when the
 * file is missing and create is not set. Close with db_close.
 */
int db_open(const char *path, const struct key *key, int create, sqlite3 **out);
/*
 * A prepared statement of sql on db from the connection's cache (sql must be a string
 * constant: its address is the key); give it back with db_finish(db, sql, st), which resets
 * it. 0 or ERR_INTERNAL. For statements run on every request.
 */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);
void db_finish(sqlite3 *db, const char *sql, sqlite3_stmt *st);
/* Closes (finalizing its cached statements) and forgets the key of path; accepts NULL. */
void db_close(sqlite3 *db);
/* Applies the migrations above the database's user_version, each in its own transaction. */
int db_migrate(sqlite3 *db, const struct migration *m, int n);
/* Copies the whole main database of src into dst (SQLite's backup API, one step). */
int db_backup(sqlite3 *dst, sqlite3 *src);
/* Runs SQL without results; 0 or an error code (the message goes to the debug log). */
int db_exec(sqlite3 *db, const char *sql);
/* Maps an SQLite result code to an err code (IOERR_DATA -> ERR_CRYPTO). */
int db_err(int sqlite_rc);

#endif
