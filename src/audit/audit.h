/*
 * audit.h: the tamper-evident audit trail (A1-A3).
 *
 * One chain per scope: the platform (in system.db) and each tenant (in its vault). Every
 * entry stores the hash of the one before and an HMAC-SHA-256 of its canonical encoding
 * under a key derived from the scope's key; signed checkpoints (Ed25519, the platform's key)
 * pin (entry number, hash) so that a cut tail shows. audit_append is the one way in.
 */
#ifndef COFFRE_AUDIT_H
#define COFFRE_AUDIT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/keyring.h"

#define AUDIT_SCOPE_PLATFORM "platform"
#define AUDIT_SIGNING_FILE "keys/audit-signing.key"
#define AUDIT_SIGNING_PUBLIC "keys/audit-signing.pub"
#define AUDIT_HASH_BYTES 32
#define AUDIT_DETAIL_MAX 4096

enum audit_outcome { AUDIT_SUCCESS, AUDIT_FAILURE, AUDIT_DENIED };

struct audit_event {
	const char *event;      /* dotted name: "tenant.create", "auth.login.failed" */
	const char *actor;      /* a user id, or "system" */
	const char *source;     /* the client's address; NULL when local */
	const char *target;     /* what was acted on; NULL for nothing */
	enum audit_outcome outcome;
	const json_t *detail;   /* a small object, borrowed; NULL for {} */
};

/* A signed checkpoint: the trail had entry seq with this hash at time ts. */
struct audit_head {
	int64_t seq, ts;
	unsigned char hash[AUDIT_HASH_BYTES];
	char reason[32], key_id[17];
	unsigned char signature[64];
};

struct audit_report {
	int ok;
	int64_t first_seq, last_seq, bad_seq;   /* bad_seq: the first entry that is wrong */
	long entries, checkpoints;
	char problem[300];
};

struct audit_signer;
struct audit_chain;
struct alerts;

/* The platform's Ed25519 key (DIR/keys/audit-signing.key, 0600; the public half beside it);
 * created when missing and create is set. */
struct audit_signer *audit_signer_open(const char *data_dir, int create, int *err);
void audit_signer_free(struct audit_signer *s);

/*
 * A chain for scope (AUDIT_SCOPE_PLATFORM or a tenant id): its entries are MACed with a key
 * derived from scope_key; checkpoints are signed by signer (borrowed). alerts (borrowed,
 * may be NULL) receives every appended entry.
 */
struct audit_chain *audit_chain_new(const char *scope, const struct key *scope_key,
    const struct audit_signer *signer, struct alerts *alerts);
void audit_chain_free(struct audit_chain *c);
const char *audit_chain_scope(const struct audit_chain *c);

/*
 * Appends an entry inside the caller's write transaction on db, so that it commits or rolls
 * back with what it records. ERR_INVALID for a malformed event, an oversized detail, or a
 * detail key that names a secret (password, token, secret, key...).
 */
int audit_append(const struct audit_chain *c, sqlite3 *db, const struct audit_event *ev);
/* Signs and stores a checkpoint of the latest entry (inside the caller's transaction);
 * fills *head when given. ERR_NOTFOUND when the trail is empty. */
int audit_checkpoint(const struct audit_chain *c, sqlite3 *db, const char *reason,
    struct audit_head *head);
/*
 * Checks the whole retained trail: every MAC, every link, no gap from the signed anchor,
 * every checkpoint's signature and hash; external (may be NULL) is a checkpoint kept
 * elsewhere (system.db for a tenant). Returns 0 with r->ok = 1 when intact, 0 with
 * r->ok = 0 and the first bad entry when not, or an error when it could not read.
 */
int audit_verify(const struct audit_chain *c, sqlite3 *db, const struct audit_head *external,
    struct audit_report *r);
/*
 * Removes entries older than before_us (inside the caller's transaction): a signed anchor
 * records where the trail now starts, then the purge itself is appended and checkpointed.
 */
int audit_purge(const struct audit_chain *c, sqlite3 *db, int64_t before_us, long *purged);
/* Which entries a query or export returns; zero / NULL fields do not filter. */
struct audit_filter {
	int64_t from_us, to_us;         /* from_us <= ts < to_us */
	const char *actor;              /* exact */
	const char *event_prefix;       /* "auth." matches auth.login.failed */
	const char *outcome;            /* success, failure or denied */
};

#define AUDIT_PAGE_MAX 1000

/*
 * One page of entries after the cursor (0 for the first page), oldest first, at most limit
 * (1..AUDIT_PAGE_MAX). *items gets a JSON array (owned by the caller); *next the cursor of
 * the next page, or 0 when this was the last. ERR_INVALID for a bad filter or limit.
 */
int audit_query(sqlite3 *db, const struct audit_filter *f, int64_t cursor, int limit,
    json_t **items, int64_t *next);
/* Writes every entry the filter selects as JSON lines (through audit_query, page by page). */
int audit_export(sqlite3 *db, const struct audit_filter *f, FILE *out);
/*
 * Key rotation: re-computes every entry's MAC under to's key after checking it under
 * from's (same scope). Refuses (ERR_CRYPTO, nothing changed) a trail that does not verify,
 * so a rotation never launders tampering. Inside the caller's transaction.
 */
int audit_rekey(const struct audit_chain *from, const struct audit_chain *to, sqlite3 *db);
/* Sets where appended entries are announced (may be NULL). */
void audit_chain_set_alerts(struct audit_chain *c, struct alerts *alerts);
/* Checks a checkpoint's signature against the signer's key (0 or ERR_CRYPTO). */
int audit_head_check(const struct audit_chain *c, const struct audit_head *h);

#endif
