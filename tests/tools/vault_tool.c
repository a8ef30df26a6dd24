/*
 * vault_tool: drives one tenant's vault through the store API, for end-to-end tests.
 *   vault_tool DATA SLUG write [--keep-wal]  commit rows max+1, max+2... printing each id
 *                                            once committed, until killed
 *   vault_tool DATA SLUG check               {"rows":N,"max":M,"integrity":"ok",...} on stdout
 *   vault_tool DATA SLUG put-row TEXT [--keep-wal]
 *   vault_tool DATA SLUG put-blob TEXT       prints the blob id
 *   vault_tool DATA SLUG get-blob ID         prints the blob's content
 *   vault_tool DATA SLUG sql STATEMENT       runs SQL on the vault (tamper tests)
 *   vault_tool DATA SLUG query STATEMENT     prints each row as a JSON array, one per line
 * Exit 0 on success, 1 with the reason on stderr.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypto/blob.h"
#include "store/db.h"
#include "store/system.h"
#include "store/tenant.h"
#include "store/vault.h"

static int keep_wal;

static int
tool_prepare(sqlite3 *db, void *arg)
{
	(void)arg;
	if (keep_wal)
		sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	return db_exec(db, "CREATE TABLE IF NOT EXISTS crash(id INTEGER PRIMARY KEY, body TEXT);"
	    "CREATE TABLE IF NOT EXISTS notes(body TEXT)");
}

static int
tool_insert(sqlite3 *db, void *arg)
{
	long id = *(long *)arg;
	char *sql = sqlite3_mprintf("INSERT INTO crash(id, body) VALUES (%ld, printf('%%.*c', "
	    "1500, 'x'))", id);
	int rc = db_exec(db, sql);

	sqlite3_free(sql);
	return rc;
}

static int
tool_note(sqlite3 *db, void *arg)
{
	char *sql = sqlite3_mprintf("INSERT INTO notes(body) VALUES (%Q)", (const char *)arg);
	int rc = db_exec(db, sql);

	sqlite3_free(sql);
	return rc;
}

static long
tool_scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

static int
tool_sql(sqlite3 *db, void *arg)
{
	return db_exec(db, (const char *)arg);
}

/* Rows as JSON arrays: integers, reals, text and NULL as themselves, blobs as hex. */
static int
tool_query(sqlite3 *db, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, (const char *)arg, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s\n", sqlite3_errmsg(db));
		return ERR_INVALID;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_array();
		char *line;
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				json_array_append_new(row, json_integer(sqlite3_column_int64(st, i)));
				break;
			case SQLITE_FLOAT:
				json_array_append_new(row, json_real(sqlite3_column_double(st, i)));
				break;
			case SQLITE_NULL:
				json_array_append_new(row, json_null());
				break;
			case SQLITE_BLOB: {
				int n = sqlite3_column_bytes(st, i);
				char *hex = malloc((size_t)n * 2 + 1);
				if (hex != NULL) {
					sodium_bin2hex(hex, (size_t)n * 2 + 1, sqlite3_column_blob(st, i),
					    (size_t)n);
					json_array_append_new(row, json_string(hex));
				}
				free(hex);
				break;
			}
			default:
				json_array_append_new(row, json_stringn((const char *)
				    sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i)));
			}
		}
		if ((line = json_dumps(row, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL)
			printf("%s\n", line);
		free(line);
		json_decref(row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ERR_INVALID;
}

static int
tool_max(sqlite3 *db, void *arg)
{
	*(long *)arg = tool_scalar(db, "SELECT coalesce(max(id), 0) FROM crash");
	return *(long *)arg < 0 ? ERR_INTERNAL : 0;
}

static int
tool_check(sqlite3 *db, void *arg)
{
	sqlite3_stmt *st;
	const char *integrity = "?";
	char email[300] = "";

	(void)arg;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		integrity = (const char *)sqlite3_column_text(st, 0);
	else
		integrity = "unreadable";
	printf("{\"rows\": %ld, \"max\": %ld, \"notes\": %ld, \"integrity\": \"%s\", ",
	    tool_scalar(db, "SELECT count(*) FROM crash"),
	    tool_scalar(db, "SELECT coalesce(max(id), 0) FROM crash"),
	    tool_scalar(db, "SELECT count(*) FROM notes"), integrity);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'admin_email'", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(email, sizeof(email), "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	printf("\"admin_email\": \"%s\"}\n", email);
	return 0;
}

int
main(int argc, char **argv)
{
	struct system *sys = NULL;
	struct vault_cache *cache = NULL;
	struct vault *v = NULL;
	struct tenant t;
	const char *verb;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: vault_tool DATA SLUG VERB [ARG] [--keep-wal]\n");
		return 2;
	}
	keep_wal = strcmp(argv[argc - 1], "--keep-wal") == 0;
	verb = argv[3];
	if (sodium_init() < 0)
		return 1;
	if ((sys = system_open(argv[1], 0, &rc)) == NULL)
		goto fail;
	if ((rc = tenant_find(sys, argv[2], &t)) != 0)
		goto fail;
	if ((cache = vault_cache_new(sys, 2, 1)) == NULL || (rc = vault_open(cache, t.id, &v)) != 0)
		goto fail;
	if ((rc = vault_write(v, tool_prepare, NULL)) != 0)
		goto fail;
	if (strcmp(verb, "write") == 0) {
		long last = 0;
		if ((rc = vault_read(v, tool_max, &last)) != 0)
			goto fail;
		for (long id = last + 1;; id++) {
			if ((rc = vault_write(v, tool_insert, &id)) != 0)
				goto fail;
			printf("%ld\n", id);
			fflush(stdout);
		}
	} else if (strcmp(verb, "check") == 0) {
		rc = vault_read(v, tool_check, NULL);
	} else if (strcmp(verb, "put-row") == 0 && argc >= 5) {
		rc = vault_write(v, tool_note, argv[4]);
	} else if (strcmp(verb, "sql") == 0 && argc >= 5) {
		rc = vault_write(v, tool_sql, argv[4]);
	} else if (strcmp(verb, "query") == 0 && argc >= 5) {
		rc = vault_read(v, tool_query, argv[4]);
	} else if (strcmp(verb, "put-blob") == 0 && argc >= 5) {
		char id[BLOB_ID_LEN + 1];
		if ((rc = blob_put(vault_blob_dir(v), vault_blob_key(v), argv[4], strlen(argv[4]),
		    id)) == 0)
			printf("%s\n", id);
	} else if (strcmp(verb, "get-blob") == 0 && argc >= 5) {
		unsigned char *data;
		size_t len;
		if ((rc = blob_get(vault_blob_dir(v), vault_blob_key(v), argv[4], 1 << 24, &data,
		    &len)) == 0) {
			fwrite(data, 1, len, stdout);
			free(data);
		}
	} else {
		rc = ERR_INVALID;
	}
	if (rc != 0)
		goto fail;
	vault_release(v);
	vault_cache_free(cache);
	system_close(sys);
	return 0;
fail:
	fprintf(stderr, "vault_tool: %s: %s\n", verb, err_str(rc));
	vault_release(v);
	vault_cache_free(cache);
	system_close(sys);
	return 1;
}
