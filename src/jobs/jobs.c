#include "jobs/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "kb/kb.h"
#include "pii/service.h"
#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "store/system.h"
#include "search/search.h"
#include "store/vault.h"

struct jobs {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int stop;
	struct system *sys;
	struct vault_cache *cache;
	unsigned checkpoint_s, purge_s, retention_days, trash_days, pii_s;
	int64_t search_idle_us;
};

static int
jobs_trim_one(struct vault *v, void *arg)
{
	return search_memory_trim(v, *(const int64_t *)arg);
}

static int
jobs_checkpoint(struct system *sys, struct vault_cache *cache, const char *reason)
{
	int rc = system_audit_checkpoint(sys, reason), r;

	if ((r = vault_cache_checkpoint_all(cache, reason)) != 0 && rc == 0)
		rc = r;
	if (rc != 0)
		log_warnx("audit checkpoint (%s) failed: %s", reason, err_str(rc));
	return rc;
}

struct jobs_sweep {
	int64_t now, trash_before;
};

/* Per vault: pseudonym mappings of the PII API past their expiry. */
static int
jobs_pii_expire_one(struct vault *v, void *arg)
{
	long erased = 0;
	int rc = pii_svc_expire(v, *(const int64_t *)arg, &erased);

	if (erased > 0)
		log_info("tenant %s: %ld expired pseudonym mapping(s) erased", vault_tenant_id(v),
		    erased);
	return rc;
}

int
jobs_pii_expire(struct vault_cache *cache)
{
	int64_t now = time_real_us();
	int rc = vault_cache_foreach_open(cache, jobs_pii_expire_one, &now);

	if (rc != 0)
		log_warnx("erasing expired pseudonym mappings failed: %s", err_str(rc));
	return rc;
}

/* Per vault: expired credentials and pseudonym mappings, and documents past their time in
 * the trash. */
static int
jobs_sweep_one(struct vault *v, void *arg)
{
	const struct jobs_sweep *s = arg;
	long removed = 0, purged = 0;
	int rc = auth_vault_sweep(v, s->now, &removed), r;

	if (removed > 0)
		log_debug("tenant %s: %ld expired session(s), token(s) or link(s) removed",
		    vault_tenant_id(v), removed);
	if ((r = kb_trash_expire(v, s->trash_before, &purged)) != 0 && rc == 0)
		rc = r;
	if (purged > 0)
		log_info("tenant %s: %ld document(s) purged from the trash after retention",
		    vault_tenant_id(v), purged);
	if ((r = jobs_pii_expire_one(v, (void *)&s->now)) != 0 && rc == 0)
		rc = r;
	return rc;
}

int
jobs_purge(struct vault_cache *cache, unsigned retention_days, unsigned trash_days)
{
	int64_t now = time_real_us(), before = now - (int64_t)retention_days * 86400 * 1000000;
	struct jobs_sweep s = { now, now - (int64_t)trash_days * 86400 * 1000000 };
	int rc = vault_cache_purge_all(cache, before);

	if (rc != 0)
		log_warnx("audit retention purge failed: %s", err_str(rc));
	/* Retention of the rest goes on the same beat: nothing dead stays in a vault for long. */
	if (vault_cache_foreach(cache, "retention sweep", jobs_sweep_one, &s) != 0)
		log_warnx("sweeping expired sessions, links or trash failed");
	return rc;
}

static void *
jobs_main(void *arg)
{
	struct jobs *j = arg;
	uint64_t next_ckpt = time_mono_ns() + (uint64_t)j->checkpoint_s * 1000000000u;
	uint64_t next_purge = time_mono_ns() + 5000000000u;    /* soon after start, then often */
	uint64_t next_pii = time_mono_ns() + (uint64_t)j->pii_s * 1000000000u;

	pthread_mutex_lock(&j->mu);
	while (!j->stop) {
		uint64_t now = time_mono_ns(), wake = next_ckpt < next_purge ? next_ckpt : next_purge;
		struct timespec ts;

		if (next_pii < wake)
			wake = next_pii;
		if (now >= next_pii) {
			/* Only the vaults in use: a closed one is swept with the retention purge. */
			pthread_mutex_unlock(&j->mu);
			jobs_pii_expire(j->cache);
			pthread_mutex_lock(&j->mu);
			next_pii = time_mono_ns() + (uint64_t)j->pii_s * 1000000000u;
			continue;
		}

		if (now >= next_purge) {
			pthread_mutex_unlock(&j->mu);
			jobs_purge(j->cache, j->retention_days, j->trash_days);
			pthread_mutex_lock(&j->mu);
			next_purge = time_mono_ns() + (uint64_t)j->purge_s * 1000000000u;
			continue;
		}
		if (now >= next_ckpt) {
			pthread_mutex_unlock(&j->mu);
			jobs_checkpoint(j->sys, j->cache, "periodic");
			/* Memory of searches no one made for a while goes back on the same beat. */
			vault_cache_foreach_open(j->cache, jobs_trim_one, &j->search_idle_us);
			pthread_mutex_lock(&j->mu);
			next_ckpt = time_mono_ns() + (uint64_t)j->checkpoint_s * 1000000000u;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((wake - now) / 1000000000u);
		ts.tv_nsec += (long)((wake - now) % 1000000000u);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&j->cond, &j->mu, &ts);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

struct jobs *
jobs_start(const struct config *cfg, struct system *sys, struct vault_cache *cache)
{
	struct jobs *j = calloc(1, sizeof(*j));
	pthread_condattr_t attr;

	if (j == NULL)
		return NULL;
	j->sys = sys;
	j->cache = cache;
	j->checkpoint_s = (unsigned)config_int(cfg, "audit.checkpoint_interval");
	j->purge_s = (unsigned)config_int(cfg, "audit.purge_interval");
	j->retention_days = (unsigned)config_int(cfg, "audit.retention_days");
	j->trash_days = (unsigned)config_int(cfg, "kb.trash_retention_days");
	j->search_idle_us = (int64_t)config_int(cfg, "search.memory_idle") * 1000000;
	j->pii_s = (unsigned)config_int(cfg, "pii.expiry_interval");
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&j->thread, NULL, jobs_main, j) != 0) {
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->mu);
		free(j);
		return NULL;
	}
	return j;
}

void
jobs_stop(struct jobs *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	jobs_checkpoint(j->sys, j->cache, "shutdown");
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->mu);
	free(j);
}
