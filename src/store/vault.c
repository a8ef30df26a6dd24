#include "store/vault.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "store/db.h"
#include "store/schema.h"
#include "store/tenant.h"

#define VAULT_MAX_READERS 16

struct vault {
	struct vault_cache *cache;
	struct vault *prev, *next;      /* LRU list: most recently used first */
	char tenant_id[TENANT_ID_LEN + 1];
	char path[4200], blob_dir[4200];
	struct key pages, blobs;
	struct audit_chain *audit;
	int lockfd;
	unsigned refs;
	pthread_mutex_t write_lock;
	sqlite3 *writer;
	sqlite3 *idle[VAULT_MAX_READERS];       /* reader connections not in use */
	unsigned nidle, nreaders;
	pthread_mutex_t read_lock;
	pthread_cond_t read_cond;
	void *ext;                      /* the search module's state (vault_ext) */
	void (*ext_drop)(void *);
	pthread_mutex_t ext_lock;
};

struct vault_cache {
	struct system *sys;
	struct alerts *alerts;
	pthread_mutex_t lock;           /* the list, refs, and the system database */
	struct vault *head;
	unsigned count, max_open, readers;
};

struct vault_cache *
vault_cache_new(struct system *sys, unsigned max_open, unsigned readers)
{
	struct vault_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->sys = sys;
	c->max_open = max_open ? max_open : 1;
	c->readers = readers == 0 ? 1 : readers > VAULT_MAX_READERS ? VAULT_MAX_READERS : readers;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void
vault_close(struct vault *v)
{
	if (v == NULL)
		return;
	/* First: the state may have a thread reading this vault, which it stops and joins. */
	if (v->ext != NULL && v->ext_drop != NULL)
		v->ext_drop(v->ext);
	pthread_mutex_destroy(&v->ext_lock);
	for (unsigned i = 0; i < v->nidle; i++)
		db_close(v->idle[i]);
	db_close(v->writer);
	audit_chain_free(v->audit);
	key_free(&v->pages);
	key_free(&v->blobs);
	fs_unlock(v->lockfd);
	pthread_mutex_destroy(&v->write_lock);
	pthread_mutex_destroy(&v->read_lock);
	pthread_cond_destroy(&v->read_cond);
	free(v);
}

static void
vault_unlink(struct vault_cache *c, struct vault *v)
{
	if (v->prev != NULL)
		v->prev->next = v->next;
	else
		c->head = v->next;
	if (v->next != NULL)
		v->next->prev = v->prev;
	v->prev = v->next = NULL;
	c->count--;
}

static void
vault_push_front(struct vault_cache *c, struct vault *v)
{
	v->prev = NULL;
	v->next = c->head;
	if (c->head != NULL)
		c->head->prev = v;
	c->head = v;
	c->count++;
}

void
vault_cache_free(struct vault_cache *c)
{
	if (c == NULL)
		return;
	while (c->head != NULL) {
		struct vault *v = c->head;
		if (v->refs != 0)
			log_warnx("vault of tenant %s closed while still held", v->tenant_id);
		vault_unlink(c, v);
		vault_close(v);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Opens the files of a tenant's vault; called with the cache lock held. */
static int
vault_load(struct vault_cache *c, const char *tenant_id, struct vault **out)
{
	struct system *sys = c->sys;
	struct tenant t;
	struct key dek = { NULL };
	struct vault *v;
	char dir[4096];
	int rc;

	*out = NULL;
	if (strlen(tenant_id) != TENANT_ID_LEN || strspn(tenant_id, "0123456789abcdef") !=
	    TENANT_ID_LEN)
		return ERR_NOTFOUND;
	system_lock(sys);
	rc = tenant_find(sys, tenant_id, &t);
	system_unlock(sys);
	if (rc != 0)
		return rc;
	/* Only the id: a slug lookup here would let a name stand in for an identity. */
	if (strcmp(t.id, tenant_id) != 0)
		return ERR_NOTFOUND;
	if (strcmp(t.status, "active") != 0)
		return ERR_PERM;
	system_lock(sys);
	rc = tenant_recover(sys, &t);
	system_unlock(sys);
	if (rc != 0)
		return rc;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ERR_NOMEM;
	v->cache = c;
	v->lockfd = -1;
	pthread_mutex_init(&v->write_lock, NULL);
	pthread_mutex_init(&v->read_lock, NULL);
	pthread_cond_init(&v->read_cond, NULL);
	pthread_mutex_init(&v->ext_lock, NULL);
	snprintf(v->tenant_id, sizeof(v->tenant_id), "%s", t.id);
	if ((rc = system_vault_path(sys, t.id, dir, sizeof(dir))) != 0)
		goto fail;
	snprintf(v->blob_dir, sizeof(v->blob_dir), "%s/blobs", dir);
	snprintf(v->path, sizeof(v->path), "%s/vault.db", dir);
	if ((v->lockfd = tenant_lock(sys, t.id, 0)) < 0) {
		rc = v->lockfd;
		v->lockfd = -1;
		goto fail;
	}
	/*
	 * Read the tenant again now that delete and rotate-key are kept out: one may have run
	 * between the first look and the lock.
	 */
	{
		struct tenant now;
		system_lock(sys);
		rc = tenant_find(sys, tenant_id, &now);
		system_unlock(sys);
		if (rc == 0 && (now.key_version != t.key_version || now.rotation_pending ||
		    strcmp(now.status, "active") != 0 || now.wrapped_len != t.wrapped_len ||
		    memcmp(now.wrapped, t.wrapped, t.wrapped_len) != 0))
			rc = ERR_BUSY;
		sodium_memzero(&now, sizeof(now));
		if (rc != 0)
			goto fail;
	}
	if ((rc = tenant_unlock_dek(sys, &t, &dek)) != 0 ||
	    (rc = tenant_vault_keys(&dek, &v->pages, &v->blobs)) != 0)
		goto fail;
	if ((v->audit = audit_chain_new(t.id, &dek, system_signer(sys), c->alerts)) == NULL) {
		rc = ERR_NOMEM;
		goto fail;
	}
	if ((rc = db_open(v->path, &v->pages, 0, &v->writer)) != 0 ||
	    (rc = db_migrate(v->writer, schema_vault, schema_vault_count)) != 0)
		goto fail;
	key_free(&dek);
	sodium_memzero(&t, sizeof(t));
	*out = v;
	return 0;
fail:
	if (rc == ERR_CRYPTO)
		log_error("vault of tenant %s cannot be decrypted with its key", t.slug);
	key_free(&dek);
	sodium_memzero(&t, sizeof(t));
	vault_close(v);
	return rc;
}

int
vault_open(struct vault_cache *c, const char *tenant_id, struct vault **out)
{
	struct vault *v;
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	for (v = c->head; v != NULL; v = v->next)
		if (strcmp(v->tenant_id, tenant_id) == 0)
			break;
	if (v != NULL) {
		vault_unlink(c, v);
	} else {
		/* Make room: close the least recently used vault nobody holds. */
		struct vault *tail = c->head;
		while (tail != NULL && tail->next != NULL)
			tail = tail->next;
		while (c->count >= c->max_open && tail != NULL) {
			struct vault *prev = tail->prev;
			if (tail->refs == 0) {
				vault_unlink(c, tail);
				vault_close(tail);
			}
			tail = prev;
		}
		if ((rc = vault_load(c, tenant_id, &v)) != 0)
			goto out;
	}
	vault_push_front(c, v);
	v->refs++;
	*out = v;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
vault_retain(struct vault *v)
{
	pthread_mutex_lock(&v->cache->lock);
	v->refs++;
	pthread_mutex_unlock(&v->cache->lock);
}

void *
vault_ext(struct vault *v, void *(*make)(void), void (*drop)(void *))
{
	void *p;

	pthread_mutex_lock(&v->ext_lock);
	if (v->ext == NULL && make != NULL && (v->ext = make()) != NULL)
		v->ext_drop = drop;
	p = v->ext;
	pthread_mutex_unlock(&v->ext_lock);
	return p;
}

void
vault_release(struct vault *v)
{
	if (v == NULL)
		return;
	pthread_mutex_lock(&v->cache->lock);
	v->refs--;
	pthread_mutex_unlock(&v->cache->lock);
}

static sqlite3 *
vault_take_reader(struct vault *v, int *err)
{
	sqlite3 *db = NULL;

	*err = 0;
	pthread_mutex_lock(&v->read_lock);
	while (v->nidle == 0 && v->nreaders >= v->cache->readers)
		pthread_cond_wait(&v->read_cond, &v->read_lock);
	if (v->nidle > 0) {
		db = v->idle[--v->nidle];
	} else {
		v->nreaders++;
		pthread_mutex_unlock(&v->read_lock);
		if ((*err = db_open(v->path, &v->pages, 0, &db)) != 0) {
			pthread_mutex_lock(&v->read_lock);
			v->nreaders--;
			pthread_cond_signal(&v->read_cond);
			pthread_mutex_unlock(&v->read_lock);
			return NULL;
		}
		sqlite3_exec(db, "PRAGMA query_only = ON", NULL, NULL, NULL);
		return db;
	}
	pthread_mutex_unlock(&v->read_lock);
	return db;
}

static void
vault_give_reader(struct vault *v, sqlite3 *db)
{
	pthread_mutex_lock(&v->read_lock);
	v->idle[v->nidle++] = db;
	pthread_cond_signal(&v->read_cond);
	pthread_mutex_unlock(&v->read_lock);
}

static int
vault_run(sqlite3 *db, const char *begin, vault_fn fn, void *arg)
{
	int rc;

	if ((rc = db_exec(db, begin)) != 0)
		return rc;
	rc = fn(db, arg);
	if (rc == 0 && (rc = db_exec(db, "COMMIT")) == 0)
		return 0;
	db_exec(db, "ROLLBACK");
	return rc;
}

int
vault_read(struct vault *v, vault_fn fn, void *arg)
{
	int rc;
	sqlite3 *db = vault_take_reader(v, &rc);

	if (db == NULL)
		return rc;
	rc = vault_run(db, "BEGIN", fn, arg);
	vault_give_reader(v, db);
	return rc;
}

int
vault_write(struct vault *v, vault_fn fn, void *arg)
{
	int rc;

	pthread_mutex_lock(&v->write_lock);
	rc = vault_run(v->writer, "BEGIN IMMEDIATE", fn, arg);
	pthread_mutex_unlock(&v->write_lock);
	return rc;
}

const char *
vault_tenant_id(const struct vault *v)
{
	return v->tenant_id;
}

const char *
vault_blob_dir(const struct vault *v)
{
	return v->blob_dir;
}

const struct key *
vault_blob_key(const struct vault *v)
{
	return &v->blobs;
}

void
vault_cache_set_alerts(struct vault_cache *c, struct alerts *alerts)
{
	pthread_mutex_lock(&c->lock);
	c->alerts = alerts;
	for (struct vault *v = c->head; v != NULL; v = v->next)
		audit_chain_set_alerts(v->audit, alerts);
	pthread_mutex_unlock(&c->lock);
}

const struct audit_chain *
vault_audit(const struct vault *v)
{
	return v->audit;
}

struct checkpoint_arg {
	const struct audit_chain *audit;
	const char *reason;
	struct audit_head head;
};

static int
vault_checkpoint_cb(sqlite3 *db, void *arg)
{
	struct checkpoint_arg *a = arg;

	return audit_checkpoint(a->audit, db, a->reason, &a->head);
}

int
vault_checkpoint(struct vault *v, const char *reason)
{
	struct checkpoint_arg a = { v->audit, reason, { 0 } };
	struct system *sys = v->cache->sys;
	int rc = vault_write(v, vault_checkpoint_cb, &a);

	if (rc == ERR_NOTFOUND)
		return 0;       /* nothing recorded yet */
	if (rc != 0)
		return rc;
	system_lock(sys);
	rc = system_head_put(sys, v->tenant_id, &a.head);
	system_unlock(sys);
	return rc;
}

struct verify_arg {
	const struct audit_chain *audit;
	const struct audit_head *head;
	struct audit_report *report;
};

static int
vault_verify_cb(sqlite3 *db, void *arg)
{
	struct verify_arg *a = arg;

	return audit_verify(a->audit, db, a->head, a->report);
}

int
vault_verify(struct vault *v, struct audit_report *r)
{
	struct audit_head head;
	struct system *sys = v->cache->sys;
	struct verify_arg a = { v->audit, &head, r };
	int rc;

	system_lock(sys);
	rc = system_head_get(sys, v->tenant_id, &head);
	system_unlock(sys);
	if (rc == ERR_NOTFOUND)
		a.head = NULL;
	else if (rc != 0)
		return rc;
	return vault_read(v, vault_verify_cb, &a);
}

int
vault_cache_foreach_open(struct vault_cache *c, int (*fn)(struct vault *v, void *arg),
    void *arg)
{
	struct vault **held;
	size_t n = 0;
	int rc = 0, r;

	pthread_mutex_lock(&c->lock);
	if ((held = calloc(c->count + 1, sizeof(*held))) == NULL) {
		pthread_mutex_unlock(&c->lock);
		return ERR_NOMEM;
	}
	for (struct vault *v = c->head; v != NULL; v = v->next) {
		v->refs++;
		held[n++] = v;
	}
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < n; i++) {
		if ((r = fn(held[i], arg)) != 0 && rc == 0)
			rc = r;
		vault_release(held[i]);
	}
	free(held);
	return rc;
}

static int
vault_checkpoint_one(struct vault *v, void *arg)
{
	return vault_checkpoint(v, arg);
}

int
vault_cache_checkpoint_all(struct vault_cache *c, const char *reason)
{
	return vault_cache_foreach_open(c, vault_checkpoint_one, (void *)reason);
}

struct purge_arg {
	const struct audit_chain *audit;
	int64_t before;
	long purged;
};

static int
vault_purge_cb(sqlite3 *db, void *arg)
{
	struct purge_arg *a = arg;

	return audit_purge(a->audit, db, a->before, &a->purged);
}

int
vault_purge(struct vault *v, int64_t before_us, long *purged)
{
	struct purge_arg a = { v->audit, before_us, 0 };
	int rc = vault_write(v, vault_purge_cb, &a);

	*purged = a.purged;
	if (rc == 0 && a.purged > 0)
		rc = vault_checkpoint(v, "purge");
	return rc;
}

struct id_list {
	char (*ids)[TENANT_ID_LEN + 1];
	size_t n, cap;
};

static int
vault_collect_id(const struct tenant *t, void *arg)
{
	struct id_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->ids, cap * sizeof(*l->ids));
		if (p == NULL)
			return ERR_NOMEM;
		l->ids = p;
		l->cap = cap;
	}
	snprintf(l->ids[l->n++], TENANT_ID_LEN + 1, "%s", t->id);
	return 0;
}

int
vault_cache_foreach(struct vault_cache *c, const char *what,
    int (*fn)(struct vault *v, void *arg), void *arg)
{
	struct system *sys = c->sys;
	struct id_list ids = { NULL, 0, 0 };
	int rc, r;

	system_lock(sys);
	rc = tenant_list(sys, vault_collect_id, &ids);
	system_unlock(sys);
	for (size_t i = 0; i < ids.n; i++) {
		struct vault *v;

		if ((r = vault_open(c, ids.ids[i], &v)) != 0) {
			log_warnx("%s: tenant %s skipped: %s", what, ids.ids[i], err_str(r));
			continue;
		}
		if ((r = fn(v, arg)) != 0 && rc == 0)
			rc = r;
		vault_release(v);
	}
	free(ids.ids);
	return rc;
}

static int
vault_purge_one(struct vault *v, void *arg)
{
	long purged = 0;
	int rc = vault_purge(v, *(const int64_t *)arg, &purged);

	if (purged > 0)
		log_info("audit retention: %ld entr%s of tenant %s purged", purged,
		    purged == 1 ? "y" : "ies", vault_tenant_id(v));
	return rc;
}

int
vault_cache_purge_all(struct vault_cache *c, int64_t before_us)
{
	long purged = 0;
	int rc, r;

	rc = system_audit_purge(c->sys, before_us, &purged);
	if (purged > 0)
		log_info("audit retention: %ld platform entr%s purged", purged,
		    purged == 1 ? "y" : "ies");
	if ((r = vault_cache_foreach(c, "audit retention", vault_purge_one, &before_us)) != 0 &&
	    rc == 0)
		rc = r;
	return rc;
}

int
vault_record(const struct vault *v, sqlite3 *db, const char *event, const char *actor,
    const char *source, const char *target, enum audit_outcome outcome, json_t *detail_owned)
{
	int rc = audit_append(vault_audit(v), db, &(struct audit_event){ .event = event,
	    .actor = actor ? actor : "system", .source = source, .target = target,
	    .outcome = outcome, .detail = detail_owned });

	json_decref(detail_owned);
	return rc;
}
