/*
 * service.h: the PII engine (pii.h) on a tenant's vault: the calls behind /api/v1/pii. A
 * request body is checked whole before anything runs; pseudonymize keeps its mapping in the
 * vault, sealed (AES-256-GCM under a key derived from the vault's keys, bound to the tenant,
 * the mapping and its user), for the user who made it and until it expires; restore and
 * erase answer "not found" alike for a mapping that is unknown, expired or another user's.
 * Values never reach the log, an error message or the audit trail (counts and ids only).
 */
#ifndef COFFRE_PII_SERVICE_H
#define COFFRE_PII_SERVICE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "common/result.h"
#include "crypto/keyring.h"

struct vault;

#define PII_SVC_TEXT_MAX (1024u * 1024)         /* bytes of one text (413 text_too_large) */
#define PII_SVC_ENTITIES_MAX 32                 /* names in an entities list */
#define PII_SVC_VALUES_MAX 10000                /* values one stored mapping holds */
#define PII_SVC_MAPPING_JSON_MAX (4u * 1024 * 1024)     /* bytes of one mapping's JSON */
#define PII_SVC_USER_MAPPINGS_MAX 1000          /* live mappings of one user */

/* Lifetimes of mappings, in seconds (pii.mapping_ttl, pii.mapping_ttl_max). */
struct pii_svc_limits {
	long long ttl_default, ttl_max;
};

/*
 * {text, language?, entities?, threshold?} -> 200 {language, hits:[{type, start, end,
 * score}]}, offsets in code points. 400 (unknown_field, bad_text, bad_language,
 * bad_entities, unknown_entity, bad_threshold) or 413 text_too_large in r.
 */
int pii_svc_analyze(const json_t *body, struct result *r);
/*
 * {text, language?, entities?, threshold?, ttl_seconds?, mapping_id?} -> 200 {text,
 * mapping_id, expires_us, entities:{TYPE: count}, language}. A new mapping for id's user, or
 * the user's live mapping_id extended (its tokens kept; it then expires at the later of its
 * expiry and now + ttl, never past its creation + ttl_max). Refusals as analyze, and 400
 * bad_ttl / bad_mapping_id, 404 not_found, 422 mapping_full / too_many_mappings.
 */
int pii_svc_pseudonymize(struct vault *v, const struct identity *id, const char *source,
    const json_t *body, const struct pii_svc_limits *lim, struct result *r);
/* {text, mapping_id} -> 200 {text} with the mapping's values back in place of its tokens
 * (mangled ones too); 404 not_found for a mapping unknown, expired or not id's user's. */
int pii_svc_restore(struct vault *v, const struct identity *id, const char *source,
    const json_t *body, struct result *r);
/* Erases id's user's mapping now: 204, or 404 not_found. */
int pii_svc_erase(struct vault *v, const struct identity *id, const char *source,
    const char *mapping_id, struct result *r);
/* Erases every mapping of the vault expired at now_us (background job, audited as system);
 * *erased counts them. */
int pii_svc_expire(struct vault *v, int64_t now_us, long *erased);
/*
 * Removes the entries whose value is one of values (n of them; equal ignoring ASCII case)
 * from every mapping of the vault: how an erasure request (G3) reaches pseudonym mappings.
 * Counters are kept, so a later pseudonym never reuses a removed one. Audited as
 * pii.mapping.forget (counts only) by actor. *removed counts the entries removed.
 */
int pii_svc_forget(struct vault *v, const char *actor, const char *const *values, size_t n,
    long *removed);
/*
 * Re-seals every mapping of the vault database db of tenant_id from the key derived from
 * old_blobs to the one derived from new_blobs, in one transaction (key rotation, before the
 * copy is put in place). A database without the table is left alone. *n counts them.
 */
int pii_svc_rekey(sqlite3 *db, const char *tenant_id, const struct key *old_blobs,
    const struct key *new_blobs, long *n);

#endif
