/*
 * jobs.h: the server's background thread: signed audit checkpoints every
 * audit.checkpoint_interval, retention purges every audit.purge_interval, expired pseudonym
 * mappings erased every pii.expiry_interval, and a last checkpoint of everything when it
 * stops.
 */
#ifndef COFFRE_JOBS_H
#define COFFRE_JOBS_H

struct config;
struct system;
struct vault_cache;
struct jobs;

/* Starts the thread; NULL on failure. sys and cache are borrowed and must outlive it. */
struct jobs *jobs_start(const struct config *cfg, struct system *sys, struct vault_cache *cache);
/* Stops the thread after a final checkpoint of the platform and every open vault. */
void jobs_stop(struct jobs *j);
/* Runs the retention work now: audit entries older than retention_days (platform and every
 * tenant), expired sessions, tokens, links and pseudonym mappings, documents in the trash
 * for trash_days. */
int jobs_purge(struct vault_cache *cache, unsigned retention_days, unsigned trash_days);
/* Erases the expired pseudonym mappings of every open vault now. */
int jobs_pii_expire(struct vault_cache *cache);

#endif
