#include "store/tenant.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "crypto/blob.h"
#include "pii/service.h"
#include "store/db.h"
#include "store/schema.h"

#define TENANT_COLUMNS "id, slug, name, status, key_version, created, kek_file, " \
	"pending_dek IS NOT NULL, wrapped_dek"

int
tenant_slug_valid(const char *slug)
{
	size_t n = strlen(slug);

	if (n < 2 || n > TENANT_SLUG_MAX || slug[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((slug[i] >= 'a' && slug[i] <= 'z') || (slug[i] >= '0' && slug[i] <= '9') ||
		    slug[i] == '-'))
			return 0;
	return 1;
}

int
tenant_email_valid(const char *email)
{
	size_t n = strlen(email);
	const char *at = strchr(email, '@');

	if (n < 3 || n > TENANT_EMAIL_MAX || at == NULL || at == email || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)email[i] <= 0x20 || email[i] == 0x7f)
			return 0;
	return 1;
}

static int
tenant_text_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
tenant_now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
tenant_from_row(sqlite3_stmt *st, struct tenant *t)
{
	const void *w = sqlite3_column_blob(st, 8);
	int wlen = sqlite3_column_bytes(st, 8);

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(t->slug, sizeof(t->slug), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(t->status, sizeof(t->status), "%s", (const char *)sqlite3_column_text(st, 3));
	t->key_version = (unsigned)sqlite3_column_int64(st, 4);
	snprintf(t->created, sizeof(t->created), "%s", (const char *)sqlite3_column_text(st, 5));
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		snprintf(t->kek_file, sizeof(t->kek_file), "%s",
		    (const char *)sqlite3_column_text(st, 6));
	t->rotation_pending = sqlite3_column_int(st, 7);
	if (wlen > 0 && (size_t)wlen <= sizeof(t->wrapped)) {
		memcpy(t->wrapped, w, (size_t)wlen);
		t->wrapped_len = (size_t)wlen;
	}
}

static const char TENANT_FIND_SQL[] = "SELECT " TENANT_COLUMNS " FROM tenants WHERE slug = ?1 "
    "OR id = ?1";

int
tenant_find(struct system *sys, const char *key, struct tenant *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* Every request names its tenant: the statement is kept (the system lock is held). */
	if (db_prepare(system_db(sys), TENANT_FIND_SQL, &st) != 0)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		tenant_from_row(st, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? ERR_NOTFOUND : db_err(rc);
	}
	db_finish(system_db(sys), TENANT_FIND_SQL, st);
	return rc;
}

int
tenant_list(struct system *sys, int (*fn)(const struct tenant *t, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct tenant t;
	int rc;

	if (sqlite3_prepare_v2(system_db(sys), "SELECT " TENANT_COLUMNS " FROM tenants "
	    "ORDER BY slug", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tenant_from_row(st, &t);
		if ((rc = fn(&t, arg)) != 0)
			break;
	}
	sqlite3_finalize(st);
	sodium_memzero(&t, sizeof(t));
	return rc == SQLITE_DONE ? 0 : rc > 0 ? db_err(rc) : rc;
}

int
tenant_vault_keys(const struct key *dek, struct key *pages, struct key *blobs)
{
	int rc;

	pages->bytes = blobs->bytes = NULL;
	if ((rc = key_derive(pages, dek, "coffre v1 vault pages")) != 0)
		return rc;
	if ((rc = key_derive(blobs, dek, "coffre v1 vault blobs")) != 0)
		key_free(pages);
	return rc;
}

static int
tenant_load_kek(const struct tenant *t, struct key *kek)
{
	int rc;

	kek->bytes = NULL;
	if (t->kek_file[0] == '\0')
		return 0;
	if ((rc = key_load_file(kek, t->kek_file)) != 0)
		log_warnx("tenant %s: cannot use its key-encryption key %s: %s", t->slug,
		    t->kek_file, err_str(rc));
	return rc;
}

int
tenant_unlock_dek(struct system *sys, const struct tenant *t, struct key *dek)
{
	struct key kek;
	int rc;

	dek->bytes = NULL;
	if ((rc = tenant_load_kek(t, &kek)) != 0)
		return rc;
	rc = keyring_unwrap_dek(system_keyring(sys), t->id, t->key_version, t->wrapped,
	    t->wrapped_len, kek.bytes ? &kek : NULL, dek);
	key_free(&kek);
	return rc;
}

/* Creates vault.db in dir with the schema and the tenant's facts. */
static int
tenant_init_vault(struct system *sys, const char *dir, const struct key *dek, const char *id,
    const char *email, const char *created)
{
	struct key pages, blobs;
	struct audit_chain *audit = NULL;
	struct audit_head head;
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = tenant_vault_keys(dek, &pages, &blobs)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/vault.db", dir);
	if ((rc = db_open(path, &pages, 1, &db)) != 0 ||
	    (rc = db_migrate(db, schema_vault, schema_vault_count)) != 0)
		goto out;
	rc = ERR_INTERNAL;
	if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES ('tenant_id', ?1), "
	    "('created', ?2), ('admin_email', ?3)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, email, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(db));
	/* The vault's trail starts with its own creation. */
	if (rc == 0 && (audit = audit_chain_new(id, dek, system_signer(sys), NULL)) == NULL)
		rc = ERR_NOMEM;
	if (rc == 0 && (rc = db_exec(db, "BEGIN IMMEDIATE")) == 0) {
		if ((rc = audit_append(audit, db, &(struct audit_event){ .event = "vault.create",
		    .actor = "system", .target = id, .outcome = AUDIT_SUCCESS })) == 0 &&
		    (rc = audit_checkpoint(audit, db, "created", &head)) == 0)
			rc = db_exec(db, "COMMIT");
		if (rc != 0)
			db_exec(db, "ROLLBACK");
		else
			rc = system_head_put(sys, id, &head);
	}
	if (rc == 0)
		rc = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
out:
	sqlite3_finalize(st);
	audit_chain_free(audit);
	db_close(db);
	key_free(&pages);
	key_free(&blobs);
	return rc;
}

static int
tenant_insert(struct system *sys, const struct tenant *t)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(system_db(sys), "INSERT INTO tenants(id, slug, name, status, "
	    "wrapped_dek, key_version, kek_file, created) VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, t->wrapped, (int)t->wrapped_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, t->key_version);
	if (t->kek_file[0] != '\0')
		sqlite3_bind_text(st, 6, t->kek_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, t->created, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(system_db(sys)));
}

int
tenant_create(struct system *sys, const char *slug, const char *name, const char *email,
    const char *kek_file, struct tenant *out)
{
	struct tenant t, existing;
	struct key dek = { NULL }, kek = { NULL };
	unsigned char rnd[TENANT_ID_LEN / 2];
	char dir[4096], blobs[4200], kek_abs[PATH_MAX];
	int rc, made_dir = 0;

	if (!tenant_slug_valid(slug) || !tenant_text_valid(name, TENANT_NAME_MAX) ||
	    !tenant_email_valid(email))
		return ERR_INVALID;
	if (tenant_find(sys, slug, &existing) == 0)
		return ERR_EXISTS;
	memset(&t, 0, sizeof(t));
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(t.id, sizeof(t.id), rnd, sizeof(rnd));
	snprintf(t.slug, sizeof(t.slug), "%s", slug);
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.status, sizeof(t.status), "active");
	t.key_version = 1;
	tenant_now(t.created, sizeof(t.created));
	if (kek_file != NULL) {
		if (realpath(kek_file, kek_abs) == NULL)
			return ERR_NOTFOUND;
		snprintf(t.kek_file, sizeof(t.kek_file), "%s", kek_abs);
		if ((rc = key_load_file(&kek, t.kek_file)) != 0)
			return rc;
	}
	if ((rc = key_random(&dek)) != 0 ||
	    (rc = keyring_wrap_dek(system_keyring(sys), t.id, t.key_version, &dek,
	    kek.bytes ? &kek : NULL, t.wrapped, &t.wrapped_len)) != 0)
		goto out;
	if ((rc = system_vault_path(sys, t.id, dir, sizeof(dir))) != 0 ||
	    (rc = fs_mkdir(dir, 0700)) != 0)
		goto out;
	made_dir = 1;
	snprintf(blobs, sizeof(blobs), "%s/blobs", dir);
	if ((rc = fs_mkdir(blobs, 0700)) != 0 ||
	    (rc = tenant_init_vault(sys, dir, &dek, t.id, email, t.created)) != 0)
		goto out;
	/* The row goes in last: until then the folder is unreachable garbage. */
	if ((rc = tenant_insert(sys, &t)) != 0)
		goto out;
	{
		json_t *d = json_pack("{s:s,s:b}", "tenant_id", t.id, "byok", kek_file != NULL);
		system_record(sys, &(struct audit_event){ .event = "tenant.create",
		    .actor = "system", .target = t.slug, .outcome = AUDIT_SUCCESS, .detail = d });
		json_decref(d);
	}
	if (out != NULL)
		*out = t;
out:
	if (rc != 0 && made_dir)
		fs_remove_tree(dir);
	key_free(&dek);
	key_free(&kek);
	sodium_memzero(&t, sizeof(t));
	return rc;
}

int
tenant_lock(struct system *sys, const char *id, int exclusive)
{
	char path[4096];
	int rc;

	if ((rc = system_vault_path(sys, id, path, sizeof(path) - 8)) != 0)
		return rc;
	strcat(path, ".lock");
	return fs_lock(path, exclusive);
}

/* Checkpoints system.db to empty its WAL: a destroyed key must not linger there. */
static void
tenant_flush_system(struct system *sys)
{
	sqlite3 *db = system_db(sys);
	int busy = 0, logged = 0, moved = 0;

	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &logged, &moved) !=
	    SQLITE_OK || (busy = logged != moved))
		log_warnx("system.db could not be fully checkpointed%s; the old key material "
		    "leaves its WAL at the next checkpoint", busy ? " (readers active)" : "");
}

int
tenant_delete(struct system *sys, const char *key)
{
	struct tenant t;
	sqlite3_stmt *st = NULL;
	char dir[4096], lock[4200];
	int rc, lockfd;

	if ((rc = tenant_find(sys, key, &t)) != 0)
		return rc;
	if ((lockfd = tenant_lock(sys, t.id, 1)) < 0)
		return lockfd;
	/* First the key: once this commits, every copy of the vault is unreadable. */
	rc = ERR_INTERNAL;
	if (db_exec(system_db(sys), "BEGIN IMMEDIATE") != 0)
		goto out;
	if (sqlite3_prepare_v2(system_db(sys), "UPDATE tenants SET wrapped_dek = "
	    "zeroblob(length(wrapped_dek)), pending_dek = NULL WHERE id = ?1; ", -1, &st,
	    NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, t.id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto rollback;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(system_db(sys), "DELETE FROM tenants WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, t.id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE || db_exec(system_db(sys), "COMMIT") != 0)
		goto rollback;
	{
		json_t *d = json_pack("{s:s}", "tenant_id", t.id);
		system_record(sys, &(struct audit_event){ .event = "tenant.delete",
		    .actor = "system", .target = t.slug, .outcome = AUDIT_SUCCESS, .detail = d });
		json_decref(d);
	}
	tenant_flush_system(sys);
	fs_fault_point("tenant-delete.after-key");
	/* Then the files, which are now noise. */
	system_vault_path(sys, t.id, dir, sizeof(dir));
	rc = fs_remove_tree(dir);
	snprintf(lock, sizeof(lock), "%s.lock", dir);
	unlink(lock);
	if (rc == ERR_NOTFOUND)
		rc = 0;
	goto out;
rollback:
	db_exec(system_db(sys), "ROLLBACK");
out:
	sqlite3_finalize(st);
	fs_unlock(lockfd);
	sodium_memzero(&t, sizeof(t));
	return rc;
}

/* ---- key rotation ---- */

static int
tenant_set_pending(struct system *sys, const struct tenant *t, const unsigned char *w,
    size_t wlen, unsigned version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(system_db(sys), "UPDATE tenants SET pending_dek = ?2, "
	    "pending_version = ?3 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
	if (w != NULL) {
		sqlite3_bind_blob(st, 2, w, (int)wlen, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, version);
	} else {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_null(st, 3);
	}
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(system_db(sys)));
	sqlite3_finalize(st);
	return rc;
}

/* The pending key becomes the key; the old wrapped key is overwritten and flushed. */
static int
tenant_commit_pending(struct system *sys, const struct tenant *t)
{
	char now[32], *sql;
	int rc;

	tenant_now(now, sizeof(now));
	sql = sqlite3_mprintf("UPDATE tenants SET wrapped_dek = pending_dek, key_version = "
	    "pending_version, pending_dek = NULL, pending_version = NULL, rotated = %Q "
	    "WHERE id = %Q AND pending_dek IS NOT NULL", now, t->id);
	if (sql == NULL)
		return ERR_NOMEM;
	rc = db_exec(system_db(sys), sql);
	sqlite3_free(sql);
	if (rc == 0)
		tenant_flush_system(sys);
	return rc;
}

/* Copies vault.db (backup API) and every blob of src, re-encrypted under new_dek, into dst. */
/* The vault's trail is MACed under its DEK: carry it over to the new key, then say so. */
static int
tenant_rekey_audit(struct system *sys, sqlite3 *db, const char *id, const struct key *old_dek,
    const struct key *new_dek, unsigned version, struct audit_head *head)
{
	struct audit_chain *from = audit_chain_new(id, old_dek, system_signer(sys), NULL);
	struct audit_chain *to = audit_chain_new(id, new_dek, system_signer(sys), NULL);
	json_t *d = json_pack("{s:I}", "key_version", (json_int_t)version);
	int rc = ERR_NOMEM;

	if (from != NULL && to != NULL && (rc = db_exec(db, "BEGIN IMMEDIATE")) == 0) {
		if ((rc = audit_rekey(from, to, db)) == 0 &&
		    (rc = audit_append(to, db, &(struct audit_event){ .event = "key.rotate",
		    .actor = "system", .target = id, .outcome = AUDIT_SUCCESS, .detail = d })) == 0 &&
		    (rc = audit_checkpoint(to, db, "key rotation", head)) == 0)
			rc = db_exec(db, "COMMIT");
		if (rc != 0)
			db_exec(db, "ROLLBACK");
	}
	json_decref(d);
	audit_chain_free(from);
	audit_chain_free(to);
	return rc;
}

static int
tenant_reencrypt(struct system *sys, const char *id, unsigned version, const char *src,
    const char *dst, const struct key *old_dek, const struct key *new_dek,
    struct audit_head *head)
{
	struct key op, ob, np, nb;
	char a[4400], b[4400];
	sqlite3 *from = NULL, *to = NULL;
	DIR *d = NULL;
	struct dirent *e;
	unsigned char *buf = NULL;
	long resealed = 0;
	int rc;

	if ((rc = tenant_vault_keys(old_dek, &op, &ob)) != 0)
		return rc;
	if ((rc = tenant_vault_keys(new_dek, &np, &nb)) != 0) {
		key_free(&op);
		key_free(&ob);
		return rc;
	}
	snprintf(a, sizeof(a), "%s/vault.db", src);
	snprintf(b, sizeof(b), "%s/vault.db", dst);
	if ((rc = db_open(a, &op, 0, &from)) != 0 || (rc = db_open(b, &np, 1, &to)) != 0)
		goto out;
	/* Pseudonym mappings are sealed under a key of the blob key's: re-sealed, not lost. */
	if ((rc = db_backup(to, from)) != 0 ||
	    (rc = pii_svc_rekey(to, id, &ob, &nb, &resealed)) != 0 ||
	    (rc = tenant_rekey_audit(sys, to, id, old_dek, new_dek, version, head)) != 0 ||
	    (rc = db_exec(to, "PRAGMA wal_checkpoint(TRUNCATE)")) != 0)
		goto out;
	snprintf(a, sizeof(a), "%s/blobs", src);
	snprintf(b, sizeof(b), "%s/blobs", dst);
	if ((rc = fs_mkdir(b, 0700)) != 0)
		goto out;
	rc = ERR_IO;
	if ((d = opendir(a)) == NULL || (buf = malloc(BLOB_CHUNK)) == NULL)
		goto out;
	while ((e = readdir(d)) != NULL) {
		struct blob_reader *r;
		struct blob_writer *w;
		size_t n;

		if (!blob_id_valid(e->d_name))
			continue;
		if ((r = blob_reader_open(a, &ob, e->d_name, &rc)) == NULL)
			goto out;
		if ((w = blob_writer_open_as(b, &nb, e->d_name, &rc)) == NULL) {
			blob_reader_close(r);
			goto out;
		}
		while ((rc = blob_reader_read(r, buf, BLOB_CHUNK, &n)) == 0 && n > 0)
			if ((rc = blob_writer_write(w, buf, n)) != 0)
				break;
		blob_reader_close(r);
		if (rc != 0) {
			blob_writer_abort(w);
			goto out;
		}
		char blob_id[BLOB_ID_LEN + 1];
		if ((rc = blob_writer_commit(w, blob_id)) != 0)
			goto out;
	}
	rc = fs_sync_dir(b);
out:
	if (d != NULL)
		closedir(d);
	free(buf);
	db_close(from);
	db_close(to);
	key_free(&op);
	key_free(&ob);
	key_free(&np);
	key_free(&nb);
	return rc;
}

static int
tenant_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/*
 * The states a crash can leave, with P = a pending key in system.db:
 *   P, <id>.rotating, <id>      copy unfinished            -> drop the copy and P
 *   P, <id>.rotating, <id>.old  between the two renames    -> finish the renames, commit P
 *   P, <id>, <id>.old           renamed, not committed     -> commit P
 *   P, <id> only                nothing copied yet         -> drop P
 *   <id>.old without P          committed, not cleaned     -> remove <id>.old
 */
static int
tenant_recover_locked(struct system *sys, struct tenant *t)
{
	char cur[4096], rot[4200], old[4200], parent[4096];
	int rc = 0;

	system_vault_path(sys, "", parent, sizeof(parent));
	system_vault_path(sys, t->id, cur, sizeof(cur));
	snprintf(rot, sizeof(rot), "%s.rotating", cur);
	snprintf(old, sizeof(old), "%s.old", cur);
	if (t->rotation_pending) {
		if (tenant_exists(rot) && tenant_exists(cur)) {
			log_warnx("tenant %s: undoing an interrupted key rotation", t->slug);
			fs_remove_tree(rot);
			rc = tenant_set_pending(sys, t, NULL, 0, 0);
		} else if (tenant_exists(rot) && tenant_exists(old)) {
			log_warnx("tenant %s: completing an interrupted key rotation", t->slug);
			if (rename(rot, cur) != 0 || fs_sync_dir(parent) != 0)
				return ERR_IO;
			rc = tenant_commit_pending(sys, t);
		} else if (tenant_exists(old) && tenant_exists(cur)) {
			log_warnx("tenant %s: completing an interrupted key rotation", t->slug);
			rc = tenant_commit_pending(sys, t);
		} else {
			rc = tenant_set_pending(sys, t, NULL, 0, 0);
		}
		if (rc != 0)
			return rc;
	}
	/*
	 * The key was committed but a power cut undid the folder renames: the copy under the
	 * new key is .rotating, and it is the only one the current key opens. Put it in place.
	 */
	if (!tenant_exists(cur) && tenant_exists(rot)) {
		log_warnx("tenant %s: restoring the re-encrypted vault after an interrupted switch",
		    t->slug);
		if (rename(rot, cur) != 0 || fs_sync_dir(parent) != 0)
			return ERR_IO;
	}
	if (tenant_exists(old))
		fs_remove_tree(old);
	if (tenant_exists(rot))
		fs_remove_tree(rot);
	return tenant_find(sys, t->id, t);
}

int
tenant_recover(struct system *sys, struct tenant *t)
{
	int lockfd, rc;

	if (!t->rotation_pending) {
		char base[4096], old[4200], rot[4200];
		if (system_vault_path(sys, t->id, base, sizeof(base)) != 0)
			return ERR_TOOBIG;
		snprintf(old, sizeof(old), "%s.old", base);
		snprintf(rot, sizeof(rot), "%s.rotating", base);
		if (!tenant_exists(old) && !tenant_exists(rot))
			return 0;
	}
	if ((lockfd = tenant_lock(sys, t->id, 1)) < 0)
		return lockfd;
	rc = tenant_recover_locked(sys, t);
	fs_unlock(lockfd);
	return rc;
}

int
tenant_rotate_key(struct system *sys, const char *key, struct tenant *out)
{
	struct tenant t;
	struct key old = { NULL }, fresh = { NULL }, kek = { NULL };
	struct audit_head head;
	unsigned char w[KEYRING_WRAPPED_MAX];
	size_t wlen;
	char cur[4096], rot[4200], old_dir[4200], parent[4096];
	int rc, lockfd;

	if ((rc = tenant_find(sys, key, &t)) != 0)
		return rc;
	if ((lockfd = tenant_lock(sys, t.id, 1)) < 0)
		return lockfd;
	if ((rc = tenant_recover_locked(sys, &t)) != 0)
		goto out;
	system_vault_path(sys, t.id, cur, sizeof(cur));
	snprintf(rot, sizeof(rot), "%s.rotating", cur);
	snprintf(old_dir, sizeof(old_dir), "%s.old", cur);
	system_vault_path(sys, "", parent, sizeof(parent));
	if ((rc = tenant_unlock_dek(sys, &t, &old)) != 0 || (rc = tenant_load_kek(&t, &kek)) != 0 ||
	    (rc = key_random(&fresh)) != 0 ||
	    (rc = keyring_wrap_dek(system_keyring(sys), t.id, t.key_version + 1, &fresh,
	    kek.bytes ? &kek : NULL, w, &wlen)) != 0)
		goto out;
	/* 1. The new key is recorded (wrapped) before anything is encrypted with it. */
	if ((rc = tenant_set_pending(sys, &t, w, wlen, t.key_version + 1)) != 0)
		goto out;
	fs_fault_point("rotate-key.after-pending");
	/* 2. A complete re-encrypted copy beside the vault. */
	if ((rc = fs_mkdir(rot, 0700)) != 0 ||
	    (rc = tenant_reencrypt(sys, t.id, t.key_version + 1, cur, rot, &old, &fresh,
	    &head)) != 0) {
		fs_remove_tree(rot);
		tenant_set_pending(sys, &t, NULL, 0, 0);
		goto out;
	}
	if ((rc = fs_sync_dir(rot)) != 0)
		goto out;
	fs_fault_point("rotate-key.after-copy");
	/* 3. Switch folders; 4. commit the key, destroying the old wrapped key. */
	if (rename(cur, old_dir) != 0) {
		rc = ERR_IO;
		goto out;
	}
	fs_fault_point("rotate-key.between-renames");
	if (rename(rot, cur) != 0 || fs_sync_dir(parent) != 0) {
		rc = ERR_IO;
		goto out;
	}
	fs_fault_point("rotate-key.before-commit");
	if ((rc = tenant_commit_pending(sys, &t)) != 0)
		goto out;
	system_head_put(sys, t.id, &head);
	{
		json_t *d = json_pack("{s:s,s:I}", "tenant_id", t.id, "key_version",
		    (json_int_t)(t.key_version + 1));
		system_record(sys, &(struct audit_event){ .event = "key.rotate", .actor = "system",
		    .target = t.slug, .outcome = AUDIT_SUCCESS, .detail = d });
		json_decref(d);
	}
	fs_fault_point("rotate-key.after-commit");
	fs_remove_tree(old_dir);
	rc = tenant_find(sys, t.id, &t);
	if (rc == 0 && out != NULL)
		*out = t;
out:
	fs_unlock(lockfd);
	key_free(&old);
	key_free(&fresh);
	key_free(&kek);
	sodium_memzero(&t, sizeof(t));
	sodium_memzero(w, sizeof(w));
	return rc;
}
