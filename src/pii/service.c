/*
 * service.c: the PII API's calls on a vault (service.h). A stored mapping is
 *
 *   sealed = 0x01 | nonce (12 bytes) | AES-256-GCM(mapping JSON) | tag (16 bytes)
 *
 * under HKDF-SHA-256(the vault's blob key, "coffre v1 pii mappings"), with the tenant id, the
 * mapping id and the user id as associated data: a row copied to another id, user or vault
 * does not open. The vault file is encrypted page by page as well; this second layer keeps
 * the values out of every plaintext page SQLite holds in memory, out of vault_tool's output
 * and out of anything that reads the database without this key.
 */
#include "pii/service.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "crypto/aead.h"
#include "pii/pii.h"
#include "store/db.h"
#include "store/vault.h"

#define SVC_SEAL_FORMAT 1
#define SVC_SEAL_OVERHEAD (1 + AEAD_NONCE_BYTES + AEAD_TAG_BYTES)
#define SVC_KEY_INFO "coffre v1 pii mappings"
#define SVC_AD_MAX 192
#define SVC_BATCH 100
#define SVC_NOT_FOUND "No such mapping (unknown, expired, or made by another user)."
#define US_PER_S INT64_C(1000000)

enum svc_kind { SVC_ANALYZE, SVC_PSEUDONYMIZE, SVC_RESTORE };

static const char *const svc_fields[][7] = {
	[SVC_ANALYZE] = { "text", "language", "entities", "threshold", NULL },
	[SVC_PSEUDONYMIZE] = { "text", "language", "entities", "threshold", "ttl_seconds",
	    "mapping_id", NULL },
	[SVC_RESTORE] = { "text", "mapping_id", NULL },
};

struct svc_input {
	const char *text;
	size_t len;
	struct pii_options opt;
	long long ttl;                  /* seconds; 0: the default */
	const char *mapping_id;         /* NULL: none */
};

struct svc_row {
	int64_t created, expires;
	long entries;
	unsigned char *sealed;
	size_t sealed_len;
};

struct svc_call {
	struct vault *v;
	const struct identity *id;
	const char *source;
	const struct svc_input *in;
	const struct pii_svc_limits *lim;
	const struct pii_hit *hits;
	size_t nhits;
	const char *lang;
	const char *mapping_id;
	int64_t now;
	struct result *r;
};

/* ---- checking a request ---- */

static int
svc_bad(struct result *r, int status, const char *code, const char *message)
{
	result_fail(r, status, code, message);
	return ERR_INVALID;
}

/* fr or en, optionally with a region or script (fr-CA, en_GB, fr-Latn-FR). */
static int
svc_language_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 16 || (strncasecmp(s, "fr", 2) != 0 && strncasecmp(s, "en", 2) != 0))
		return 0;
	if (n == 2)
		return 1;
	if ((s[2] != '-' && s[2] != '_') || n == 3)
		return 0;
	for (size_t i = 3; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static void
svc_append(char *buf, size_t sz, size_t *len, const char *a, const char *b)
{
	int n;

	if (*len >= sz)
		return;
	n = snprintf(buf + *len, sz - *len, "%s%s", a, b);
	*len = n < 0 ? sz : *len + (size_t)n;
}

/* Messages never quote the request: they name fields and positions, not content. */
static int
svc_parse(const json_t *body, enum svc_kind kind, const struct pii_svc_limits *lim,
    struct svc_input *in, struct result *r)
{
	const char *const *allowed = svc_fields[kind];
	const char *k;
	json_t *v;
	char msg[240];
	size_t i, len = 0;

	memset(in, 0, sizeof(*in));
	in->opt.threshold = PII_THRESHOLD_DEFAULT;
	if (!json_is_object(body))
		return svc_bad(r, 400, "bad_request", "The body must be a JSON object.");
	json_object_foreach((json_t *)body, k, v) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL) {
			msg[0] = '\0';
			for (i = 0; allowed[i] != NULL; i++)
				svc_append(msg, sizeof(msg), &len, i ? ", " : "Unknown field (allowed: ",
				    allowed[i]);
			svc_append(msg, sizeof(msg), &len, ").", "");
			return svc_bad(r, 400, "unknown_field", msg);
		}
	}
	v = json_object_get(body, "text");
	if (!json_is_string(v))
		return svc_bad(r, 400, "bad_text", "text is required: a string.");
	in->text = json_string_value(v);
	in->len = json_string_length(v);
	if (in->len > PII_SVC_TEXT_MAX)
		return svc_bad(r, 413, "text_too_large",
		    "text is over 1 MiB (1048576 bytes of UTF-8).");
	if (strlen(in->text) != in->len)
		return svc_bad(r, 400, "bad_text", "text may not contain a NUL character.");
	if (kind != SVC_RESTORE) {
		v = json_object_get(body, "language");
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_string(v) || !svc_language_ok(json_string_value(v)))
				return svc_bad(r, 400, "bad_language", "language is fr or en (a region "
				    "such as fr-CA is accepted), or null to detect it.");
			in->opt.language = json_string_value(v);
		}
		v = json_object_get(body, "entities");
		if (v != NULL && !json_is_null(v)) {
			json_t *e;

			if (!json_is_array(v) || json_array_size(v) == 0 ||
			    json_array_size(v) > PII_SVC_ENTITIES_MAX)
				return svc_bad(r, 400, "bad_entities", "entities is a non-empty array "
				    "of entity names, or null for all of them.");
			json_array_foreach(v, i, e) {
				enum pii_entity ent;

				if (!json_is_string(e))
					return svc_bad(r, 400, "bad_entities",
					    "entities is an array of entity names.");
				if (pii_entity_parse(json_string_value(e), &ent) != 0) {
					len = 0;
					snprintf(msg, sizeof(msg), "entities[%zu] is not an entity coffre "
					    "detects (", i);
					len = strlen(msg);
					for (int n = 0; n < PII_ENTITY_COUNT; n++)
						svc_append(msg, sizeof(msg), &len, n ? ", " : "",
						    pii_entity_name((enum pii_entity)n));
					svc_append(msg, sizeof(msg), &len, ").", "");
					return svc_bad(r, 400, "unknown_entity", msg);
				}
				in->opt.entities |= 1u << ent;
			}
		}
		v = json_object_get(body, "threshold");
		if (v != NULL && !json_is_null(v)) {
			double t = json_number_value(v);

			if (!json_is_number(v) || !(t >= 0.0 && t <= 1.0))
				return svc_bad(r, 400, "bad_threshold",
				    "threshold is a number from 0 to 1.");
			in->opt.threshold = t;
		}
	}
	if (kind == SVC_PSEUDONYMIZE) {
		v = json_object_get(body, "ttl_seconds");
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > lim->ttl_max) {
				snprintf(msg, sizeof(msg), "ttl_seconds is a whole number of seconds "
				    "from 1 to %lld.", lim->ttl_max);
				return svc_bad(r, 400, "bad_ttl", msg);
			}
			in->ttl = json_integer_value(v);
		}
	}
	if (kind != SVC_ANALYZE) {
		v = json_object_get(body, "mapping_id");
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_string(v))
				return svc_bad(r, 400, "bad_mapping_id",
				    "mapping_id is a string: the id pseudonymize answered.");
			in->mapping_id = json_string_value(v);
		} else if (kind == SVC_RESTORE) {
			return svc_bad(r, 400, "bad_mapping_id", "mapping_id is required.");
		}
	}
	return 0;
}

/* pii_analyze with the request's options; refusals into r (ERR_INVALID), else 0 or an
 * error. */
static int
svc_analyze_text(const struct svc_input *in, struct pii_hit **hits, size_t *n, char lang[3],
    struct result *r)
{
	int rc = pii_analyze(in->text, in->len, &in->opt, hits, n, lang);

	if (rc == ERR_TOOBIG)
		return svc_bad(r, 413, "text_too_large", "text is too large.");
	if (rc == ERR_INVALID)
		return svc_bad(r, 400, "bad_text", "text is not valid UTF-8 without NUL.");
	return rc;
}

/* ---- analyze ---- */

int
pii_svc_analyze(const json_t *body, struct result *r)
{
	struct svc_input in;
	struct pii_hit *hits = NULL;
	size_t n = 0;
	char lang[3];
	json_t *arr;
	int rc;

	if (svc_parse(body, SVC_ANALYZE, NULL, &in, r) != 0)
		return 0;
	if ((rc = svc_analyze_text(&in, &hits, &n, lang, r)) != 0)
		return rc == ERR_INVALID ? 0 : rc;
	if ((arr = json_array()) == NULL) {
		free(hits);
		return ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		/* Four decimals, as the command line prints them: no binary noise of the sums. */
		double score = round(hits[i].score * 10000.0) / 10000.0;

		if (json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:f}", "type",
		    pii_entity_name(hits[i].entity), "start", (json_int_t)hits[i].cstart, "end",
		    (json_int_t)hits[i].cend, "score", score)) != 0) {
			json_decref(arr);
			free(hits);
			return ERR_NOMEM;
		}
	}
	free(hits);
	return result_ok(r, 200, json_pack("{s:s, s:o}", "language", lang, "hits", arr));
}

/* ---- sealing ---- */

static void
svc_wipe(char *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

static struct aead *
svc_aead(const struct key *blobs)
{
	struct key k = { NULL };
	struct aead *a = NULL;

	if (key_derive(&k, blobs, SVC_KEY_INFO) == 0)
		a = aead_new(k.bytes);
	key_free(&k);
	return a;
}

static size_t
svc_ad(char ad[SVC_AD_MAX], const char *tenant, const char *mid, const char *uid)
{
	int n = snprintf(ad, SVC_AD_MAX, "coffre pii mapping v1|%s|%s|%s", tenant, mid, uid);

	return n < 0 || n >= SVC_AD_MAX ? 0 : (size_t)n;
}

static int
svc_seal(struct aead *a, const char *tenant, const char *mid, const char *uid,
    const char *json, size_t len, unsigned char **out, size_t *outlen)
{
	char ad[SVC_AD_MAX];
	size_t adlen = svc_ad(ad, tenant, mid, uid);
	unsigned char *b;

	if (adlen == 0)
		return ERR_INVALID;
	if ((b = malloc(len + SVC_SEAL_OVERHEAD)) == NULL)
		return ERR_NOMEM;
	b[0] = SVC_SEAL_FORMAT;
	aead_random_nonce(b + 1);
	if (aead_encrypt(a, b + 1, ad, adlen, json, len, b + 1 + AEAD_NONCE_BYTES) != 0) {
		free(b);
		return ERR_CRYPTO;
	}
	*out = b;
	*outlen = len + SVC_SEAL_OVERHEAD;
	return 0;
}

/* The JSON of a sealed mapping (malloc'd, NUL-terminated: release with svc_wipe). */
static int
svc_unseal(struct aead *a, const char *tenant, const char *mid, const char *uid,
    const unsigned char *b, size_t blen, char **json, size_t *len)
{
	char ad[SVC_AD_MAX], *p;
	size_t adlen = svc_ad(ad, tenant, mid, uid), n;

	if (adlen == 0 || blen < SVC_SEAL_OVERHEAD || b[0] != SVC_SEAL_FORMAT ||
	    blen - SVC_SEAL_OVERHEAD > PII_SVC_MAPPING_JSON_MAX)
		return ERR_CRYPTO;
	n = blen - SVC_SEAL_OVERHEAD;
	if ((p = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	if (aead_decrypt(a, b + 1, ad, adlen, b + 1 + AEAD_NONCE_BYTES, n, p) != 0) {
		svc_wipe(p, n);
		return ERR_CRYPTO;
	}
	p[n] = '\0';
	*json = p;
	*len = n;
	return 0;
}

/* ---- rows ---- */

static void
svc_row_clear(struct svc_row *row)
{
	free(row->sealed);
	memset(row, 0, sizeof(*row));
}

static int
svc_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(rc);
}

/* Copies the sealed bytes of column col of st into row. */
static int
svc_row_blob(sqlite3_stmt *st, int col, struct svc_row *row)
{
	const void *b = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (b == NULL || n <= 0)
		return ERR_CRYPTO;
	if ((row->sealed = malloc((size_t)n)) == NULL)
		return ERR_NOMEM;
	memcpy(row->sealed, b, (size_t)n);
	row->sealed_len = (size_t)n;
	return 0;
}

/* The row of mapping mid if uid made it: 0, ERR_NOTFOUND, or an error. */
static int
svc_row_load(sqlite3 *db, const char *mid, const char *uid, struct svc_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(row, 0, sizeof(*row));
	if (!id_valid(mid))
		return ERR_NOTFOUND;
	if (sqlite3_prepare_v2(db, "SELECT created, expires, entries, sealed FROM pii_mappings "
	    "WHERE id = ?1 AND user_id = ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row->created = sqlite3_column_int64(st, 0);
		row->expires = sqlite3_column_int64(st, 1);
		row->entries = (long)sqlite3_column_int64(st, 2);
		rc = svc_row_blob(st, 3, row);
	} else {
		rc = rc == SQLITE_DONE ? ERR_NOTFOUND : db_err(rc);
	}
	sqlite3_finalize(st);
	if (rc != 0)
		svc_row_clear(row);
	return rc;
}

static int
svc_row_delete(sqlite3 *db, const char *mid)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "DELETE FROM pii_mappings WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	return svc_step_done(st);
}

/* Erases an expired mapping (the job, or the first access after expiry), as the system. */
static int
svc_expire_one(struct vault *v, sqlite3 *db, const char *mid, long entries)
{
	int rc = svc_row_delete(db, mid);

	if (rc != 0)
		return rc;
	return vault_record(v, db, "pii.mapping.expire", NULL, NULL, mid, AUDIT_SUCCESS,
	    json_pack("{s:s, s:I}", "reason", "expired", "values", (json_int_t)entries));
}

/*
 * The caller's live mapping mid into row: 0. Otherwise 404 in r and ERR_NOTFOUND, after
 * erasing it when it had expired (so the transaction must commit), or another error.
 */
static int
svc_row_live(struct svc_call *x, sqlite3 *db, const char *mid, struct svc_row *row)
{
	int rc = svc_row_load(db, mid, x->id->user_id, row);

	if (rc == 0 && row->expires <= x->now) {
		rc = svc_expire_one(x->v, db, mid, row->entries);
		svc_row_clear(row);
		if (rc != 0)
			return rc;
		rc = ERR_NOTFOUND;
	}
	if (rc == ERR_NOTFOUND)
		result_fail(x->r, 404, "not_found", SVC_NOT_FOUND);
	return rc;
}

/* The mapping a row holds. A row that does not open is an integrity failure, not a 404. */
static int
svc_mapping_open(struct vault *v, const char *mid, const char *uid, const struct svc_row *row,
    struct pii_mapping **m)
{
	struct aead *a = svc_aead(vault_blob_key(v));
	char *json = NULL;
	size_t len = 0;
	int rc;

	if (a == NULL)
		return ERR_NOMEM;
	rc = svc_unseal(a, vault_tenant_id(v), mid, uid, row->sealed, row->sealed_len, &json,
	    &len);
	aead_free(a);
	if (rc == 0) {
		rc = pii_mapping_from_json(json, len, m);
		svc_wipe(json, len);
	}
	if (rc == ERR_CRYPTO || rc == ERR_INVALID || rc == ERR_TOOBIG) {
		log_warnx("tenant %s: pseudonym mapping %s does not open: %s", vault_tenant_id(v),
		    mid, err_str(rc));
		rc = ERR_CRYPTO;
	}
	return rc;
}

/* Seals m for (mid, uid); 422 mapping_full (ERR_REFUSED) when its JSON passes the limit. */
static int
svc_mapping_seal(struct vault *v, const char *mid, const char *uid,
    const struct pii_mapping *m, unsigned char **sealed, size_t *slen, struct result *r)
{
	struct aead *a;
	char *json = NULL;
	size_t len;
	int rc;

	if ((rc = pii_mapping_to_json(m, &json)) != 0)
		return rc;
	len = strlen(json);
	if (len > PII_SVC_MAPPING_JSON_MAX) {
		pii_json_free(json);
		return result_refuse(r, 422, "mapping_full", "The mapping is full: start a new one.");
	}
	if ((a = svc_aead(vault_blob_key(v))) == NULL) {
		pii_json_free(json);
		return ERR_NOMEM;
	}
	rc = svc_seal(a, vault_tenant_id(v), mid, uid, json, len, sealed, slen);
	aead_free(a);
	pii_json_free(json);
	return rc;
}

/* ---- pseudonymize ---- */

static int
svc_count_live(sqlite3 *db, const char *uid, int64_t now, long *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pii_mappings WHERE user_id = ?1 AND "
	    "expires > ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (long)sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_err(rc);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
svc_store(sqlite3 *db, int update, const char *mid, const char *uid, int64_t created,
    int64_t now, int64_t expires, long entries, const unsigned char *sealed, size_t slen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, update ? "UPDATE pii_mappings SET updated = ?4, expires = ?5, "
	    "entries = ?6, sealed = ?7 WHERE id = ?1 AND user_id = ?2" :
	    "INSERT INTO pii_mappings (id, user_id, created, updated, expires, entries, sealed) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	if (!update)
		sqlite3_bind_int64(st, 3, created);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires);
	sqlite3_bind_int64(st, 6, entries);
	sqlite3_bind_blob(st, 7, sealed, (int)slen, SQLITE_STATIC);
	return svc_step_done(st);
}

/* {TYPE: number of replacements} of the hits. */
static json_t *
svc_counts(const struct pii_hit *hits, size_t n)
{
	size_t per[PII_ENTITY_COUNT] = { 0 };
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		per[hits[i].entity]++;
	for (int e = 0; o != NULL && e < PII_ENTITY_COUNT; e++)
		if (per[e] > 0 && json_object_set_new(o, pii_entity_name((enum pii_entity)e),
		    json_integer((json_int_t)per[e])) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static int
svc_pseudonymize_tx(sqlite3 *db, void *arg)
{
	struct svc_call *x = arg;
	const struct svc_input *in = x->in;
	const char *uid = x->id->user_id;
	struct svc_row row = { 0 };
	struct pii_mapping *m = NULL;
	unsigned char *sealed = NULL;
	size_t slen = 0, outlen = 0;
	char mid[ID_HEX + 1], *out = NULL;
	long long ttl = in->ttl ? in->ttl : x->lim->ttl_default < x->lim->ttl_max ?
	    x->lim->ttl_default : x->lim->ttl_max;
	int64_t created = x->now, expires = x->now + ttl * US_PER_S;
	int extend = in->mapping_id != NULL, rc;
	json_t *counts = NULL, *body;
	long live = 0;

	if (extend) {
		if ((rc = svc_row_live(x, db, in->mapping_id, &row)) != 0)
			return rc == ERR_NOTFOUND ? 0 : rc;
		snprintf(mid, sizeof(mid), "%s", in->mapping_id);
		if ((rc = svc_mapping_open(x->v, mid, uid, &row, &m)) != 0)
			goto out;
		/* A conversation keeps its tokens, but a mapping lives at most ttl_max. */
		created = row.created;
		if (expires < row.expires)
			expires = row.expires;
		if (expires > created + x->lim->ttl_max * US_PER_S)
			expires = created + x->lim->ttl_max * US_PER_S;
	} else {
		if ((rc = svc_count_live(db, uid, x->now, &live)) != 0)
			goto out;
		if (live >= PII_SVC_USER_MAPPINGS_MAX) {
			rc = result_fail(x->r, 422, "too_many_mappings", "You hold 1000 live "
			    "mappings: delete some, extend one, or wait until they expire.");
			goto out;
		}
		id_new(mid);
		if ((m = pii_mapping_new()) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	rc = pii_apply(in->text, in->len, x->hits, x->nhits, PII_OP_PSEUDONYMIZE, NULL, m, &out,
	    &outlen);
	if (rc == ERR_TOOBIG || (rc == 0 && pii_mapping_count(m) > PII_SVC_VALUES_MAX)) {
		rc = result_refuse(x->r, 422, "mapping_full", "The mapping is full (10000 values): "
		    "start a new one.");
		goto out;
	}
	if (rc == ERR_INVALID) {
		rc = result_refuse(x->r, 422, "value_too_long", "A value found is over 4096 bytes: "
		    "it cannot be pseudonymized.");
		goto out;
	}
	if (rc != 0 || (rc = svc_mapping_seal(x->v, mid, uid, m, &sealed, &slen, x->r)) != 0 ||
	    (rc = svc_store(db, extend, mid, uid, created, x->now, expires,
	    (long)pii_mapping_count(m), sealed, slen)) != 0)
		goto out;
	if ((counts = svc_counts(x->hits, x->nhits)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((rc = vault_record(x->v, db, "pii.pseudonymize", uid, x->source, mid, AUDIT_SUCCESS,
	    json_pack("{s:O, s:I, s:b, s:I}", "entities", counts, "values",
	    (json_int_t)pii_mapping_count(m), "extended", extend, "expires_us",
	    (json_int_t)expires))) != 0)
		goto out;
	body = json_pack("{s:s%, s:s, s:I, s:O, s:s}", "text", out, outlen, "mapping_id", mid,
	    "expires_us", (json_int_t)expires, "entities", counts, "language", x->lang);
	rc = result_ok(x->r, 200, body);
out:
	json_decref(counts);
	svc_wipe(out, outlen);
	free(sealed);
	pii_mapping_free(m);
	svc_row_clear(&row);
	return rc;
}

int
pii_svc_pseudonymize(struct vault *v, const struct identity *id, const char *source,
    const json_t *body, const struct pii_svc_limits *lim, struct result *r)
{
	struct svc_input in;
	struct pii_hit *hits = NULL;
	size_t n = 0;
	char lang[3];
	struct svc_call x = { .v = v, .id = id, .source = source, .in = &in, .lim = lim,
	    .lang = lang, .r = r };
	int rc;

	if (svc_parse(body, SVC_PSEUDONYMIZE, lim, &in, r) != 0)
		return 0;
	/* The analysis runs before the write transaction: it is the slow part. */
	if ((rc = svc_analyze_text(&in, &hits, &n, lang, r)) != 0)
		return rc == ERR_INVALID ? 0 : rc;
	x.hits = hits;
	x.nhits = n;
	x.now = time_real_us();
	rc = vault_write(v, svc_pseudonymize_tx, &x);
	free(hits);
	return rc == ERR_REFUSED ? 0 : rc;
}

/* ---- restore ---- */

static int
svc_restore_tx(sqlite3 *db, void *arg)
{
	struct svc_call *x = arg;
	const char *uid = x->id->user_id, *mid = x->in->mapping_id;
	struct svc_row row = { 0 };
	struct pii_mapping *m = NULL;
	char *out = NULL;
	size_t outlen = 0;
	int rc;

	if ((rc = svc_row_live(x, db, mid, &row)) != 0) {
		if (rc != ERR_NOTFOUND)
			return rc;
		/* Recorded: someone tried a mapping that is not theirs to use (or no more). */
		return vault_record(x->v, db, "pii.restore", uid, x->source, id_valid(mid) ? mid :
		    "-", AUDIT_FAILURE, json_pack("{s:s}", "reason", "not_found"));
	}
	if ((rc = svc_mapping_open(x->v, mid, uid, &row, &m)) != 0)
		goto out;
	rc = pii_restore(x->in->text, x->in->len, m, &out, &outlen);
	if (rc == ERR_TOOBIG) {
		rc = result_fail(x->r, 422, "result_too_large", "The restored text would be too "
		    "large.");
		goto out;
	}
	if (rc != 0 || (rc = vault_record(x->v, db, "pii.restore", uid, x->source, mid,
	    AUDIT_SUCCESS, json_pack("{s:I}", "values", (json_int_t)row.entries))) != 0)
		goto out;
	rc = result_ok(x->r, 200, json_pack("{s:s%}", "text", out, outlen));
out:
	svc_wipe(out, outlen);
	pii_mapping_free(m);
	svc_row_clear(&row);
	return rc;
}

int
pii_svc_restore(struct vault *v, const struct identity *id, const char *source,
    const json_t *body, struct result *r)
{
	struct svc_input in;
	struct svc_call x = { .v = v, .id = id, .source = source, .in = &in, .r = r };

	if (svc_parse(body, SVC_RESTORE, NULL, &in, r) != 0)
		return 0;
	x.now = time_real_us();
	return vault_write(v, svc_restore_tx, &x);
}

/* ---- erase ---- */

static int
svc_erase_tx(sqlite3 *db, void *arg)
{
	struct svc_call *x = arg;
	struct svc_row row = { 0 };
	long entries;
	int rc;

	if ((rc = svc_row_live(x, db, x->mapping_id, &row)) != 0)
		return rc == ERR_NOTFOUND ? 0 : rc;
	entries = row.entries;
	svc_row_clear(&row);
	if ((rc = svc_row_delete(db, x->mapping_id)) != 0 ||
	    (rc = vault_record(x->v, db, "pii.mapping.delete", x->id->user_id, x->source,
	    x->mapping_id, AUDIT_SUCCESS, json_pack("{s:I}", "values", (json_int_t)entries))) != 0)
		return rc;
	return result_ok(x->r, 204, NULL);
}

int
pii_svc_erase(struct vault *v, const struct identity *id, const char *source,
    const char *mapping_id, struct result *r)
{
	struct svc_call x = { .v = v, .id = id, .source = source, .mapping_id = mapping_id,
	    .now = time_real_us(), .r = r };

	if (!id_valid(mapping_id))
		return result_fail(r, 404, "not_found", SVC_NOT_FOUND);
	return vault_write(v, svc_erase_tx, &x);
}

/* ---- expiry ---- */

struct svc_expire {
	struct vault *v;
	int64_t now;
	long erased;
	int batch;
};

static int
svc_expire_tx(sqlite3 *db, void *arg)
{
	struct svc_expire *x = arg;
	sqlite3_stmt *st = NULL;
	char ids[SVC_BATCH][ID_HEX + 1];
	long entries[SVC_BATCH];
	int n = 0, rc;

	/* In batches, so that one transaction stays short. */
	if (sqlite3_prepare_v2(db, "SELECT id, entries FROM pii_mappings WHERE expires <= ?1 "
	    "LIMIT 100", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, x->now);
	while (n < SVC_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(ids[n], sizeof(ids[n]), "%s", (const char *)sqlite3_column_text(st, 0));
		entries[n++] = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		if ((rc = svc_expire_one(x->v, db, ids[i], entries[i])) != 0)
			return rc;
	x->batch = n;
	x->erased += n;
	return 0;
}

static int
svc_any_expired_tx(sqlite3 *db, void *arg)
{
	struct svc_expire *x = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pii_mappings WHERE expires <= ?1 LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, x->now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	x->batch = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(rc);
}

int
pii_svc_expire(struct vault *v, int64_t now_us, long *erased)
{
	struct svc_expire x = { v, now_us, 0, 0 };
	int rc;

	/* A reader first: most runs find nothing, and need not wait for the writer. */
	*erased = 0;
	if ((rc = vault_read(v, svc_any_expired_tx, &x)) != 0 || !x.batch)
		return rc;
	do {
		x.batch = 0;
		rc = vault_write(v, svc_expire_tx, &x);
	} while (rc == 0 && x.batch == SVC_BATCH);
	*erased = x.erased;
	return rc;
}

/* ---- erasure of values (G3) ---- */

struct svc_forget {
	struct vault *v;
	const char *actor;
	const char *const *values;
	size_t n;
	char after[ID_HEX + 1];         /* the batches go by id */
	int batch;                      /* mappings read by the last batch */
	long removed, mappings;         /* in all */
	long batch_removed, batch_mappings;
};

static int
svc_value_listed(const struct svc_forget *f, const char *s, size_t len)
{
	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->values[i]) == len && strncasecmp(f->values[i], s, len) == 0)
			return 1;
	return 0;
}

/* Drops the listed values from one mapping's JSON; *out (NULL when nothing was removed) is
 * the new JSON, to release with pii_json_free. */
static int
svc_forget_json(const struct svc_forget *f, const char *json, size_t len, char **out,
    long *removed, long *left)
{
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL), *entries, *e;
	size_t i;
	int rc = 0;

	*out = NULL;
	*removed = 0;
	entries = json_object_get(root, "entries");
	if (!json_is_array(entries)) {
		json_decref(root);
		return ERR_INVALID;
	}
	for (i = 0; i < json_array_size(entries);) {
		json_t *v = json_object_get(json_array_get(entries, i), "value");

		if (json_is_string(v) && svc_value_listed(f, json_string_value(v),
		    json_string_length(v))) {
			sodium_memzero((char *)json_string_value(v), json_string_length(v));
			json_array_remove(entries, i);
			(*removed)++;
		} else {
			i++;
		}
	}
	*left = (long)json_array_size(entries);
	if (*removed > 0 && (*out = json_dumps(root, JSON_COMPACT)) == NULL)
		rc = ERR_NOMEM;
	json_array_foreach(entries, i, e) {
		json_t *v = json_object_get(e, "value");
		if (json_is_string(v))
			sodium_memzero((char *)json_string_value(v), json_string_length(v));
	}
	json_decref(root);
	return rc;
}

static int
svc_forget_tx(sqlite3 *db, void *arg)
{
	struct svc_forget *f = arg;
	sqlite3_stmt *st = NULL;
	struct aead *a = svc_aead(vault_blob_key(f->v));
	const char *tenant = vault_tenant_id(f->v);
	int rc = 0;

	f->batch = 0;
	f->batch_removed = f->batch_mappings = 0;
	if (a == NULL)
		return ERR_NOMEM;
	if (sqlite3_prepare_v2(db, "SELECT id, user_id, sealed FROM pii_mappings WHERE id > ?1 "
	    "ORDER BY id LIMIT 100", -1, &st, NULL) != SQLITE_OK) {
		aead_free(a);
		return ERR_INTERNAL;
	}
	sqlite3_bind_text(st, 1, f->after, -1, SQLITE_TRANSIENT);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		char mid[ID_HEX + 1], uid[ID_HEX + 1], *json = NULL, *next = NULL;
		struct svc_row row = { 0 };
		unsigned char *sealed = NULL;
		size_t len = 0, slen = 0;
		long removed = 0, left = 0;

		snprintf(mid, sizeof(mid), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(uid, sizeof(uid), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(f->after, sizeof(f->after), "%s", mid);
		f->batch++;
		if ((rc = svc_row_blob(st, 2, &row)) == 0 &&
		    (rc = svc_unseal(a, tenant, mid, uid, row.sealed, row.sealed_len, &json,
		    &len)) == 0 &&
		    (rc = svc_forget_json(f, json, len, &next, &removed, &left)) == 0 &&
		    next != NULL &&
		    (rc = svc_seal(a, tenant, mid, uid, next, strlen(next), &sealed, &slen)) == 0) {
			sqlite3_stmt *up = NULL;

			if (sqlite3_prepare_v2(db, "UPDATE pii_mappings SET sealed = ?2, entries = ?3 "
			    "WHERE id = ?1", -1, &up, NULL) != SQLITE_OK) {
				rc = ERR_INTERNAL;
			} else {
				sqlite3_bind_text(up, 1, mid, -1, SQLITE_STATIC);
				sqlite3_bind_blob(up, 2, sealed, (int)slen, SQLITE_STATIC);
				sqlite3_bind_int64(up, 3, left);
				rc = svc_step_done(up);
			}
			if (rc == 0) {
				f->batch_removed += removed;
				f->batch_mappings++;
			}
		}
		if (rc == ERR_CRYPTO || rc == ERR_INVALID)
			log_warnx("tenant %s: pseudonym mapping %s does not open: %s", tenant, mid,
			    err_str(rc));
		pii_json_free(next);
		svc_wipe(json, len);
		free(sealed);
		svc_row_clear(&row);
	}
	sqlite3_finalize(st);
	aead_free(a);
	if (rc != 0 || f->batch_mappings == 0)
		return rc;
	/* With the change it records, in the same transaction: counts, never the values. */
	if ((rc = vault_record(f->v, db, "pii.mapping.forget", f->actor, NULL, NULL,
	    AUDIT_SUCCESS, json_pack("{s:I, s:I}", "mappings", (json_int_t)f->batch_mappings,
	    "entries", (json_int_t)f->batch_removed))) == 0) {
		f->mappings += f->batch_mappings;
		f->removed += f->batch_removed;
	}
	return rc;
}

int
pii_svc_forget(struct vault *v, const char *actor, const char *const *values, size_t n,
    long *removed)
{
	struct svc_forget f = { .v = v, .actor = actor, .values = values, .n = n };
	int rc;

	*removed = 0;
	if (n == 0)
		return 0;
	do {
		rc = vault_write(v, svc_forget_tx, &f);
	} while (rc == 0 && f.batch == SVC_BATCH);
	*removed = f.removed;
	return rc;
}

/* ---- key rotation ---- */

int
pii_svc_rekey(sqlite3 *db, const char *tenant_id, const struct key *old_blobs,
    const struct key *new_blobs, long *n)
{
	struct { char id[ID_HEX + 1], uid[ID_HEX + 1]; } *list = NULL;
	size_t count = 0, cap = 0;
	struct aead *from = NULL, *to = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
	    "name = 'pii_mappings'", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : db_err(rc);
	if ((from = svc_aead(old_blobs)) == NULL || (to = svc_aead(new_blobs)) == NULL) {
		aead_free(from);
		return ERR_NOMEM;
	}
	if ((rc = db_exec(db, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT id, user_id FROM pii_mappings", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = ERR_INTERNAL;
		goto rollback;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			void *p = realloc(list, (cap = cap ? cap * 2 : 64) * sizeof(*list));
			if (p == NULL) {
				sqlite3_finalize(st);
				rc = ERR_NOMEM;
				goto rollback;
			}
			list = p;
		}
		snprintf(list[count].id, sizeof(list[count].id), "%s", sqlite3_column_text(st, 0));
		snprintf(list[count].uid, sizeof(list[count].uid), "%s",
		    sqlite3_column_text(st, 1));
		count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = db_err(rc);
		goto rollback;
	}
	rc = 0;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		struct svc_row row = { 0 };
		unsigned char *sealed = NULL;
		char *json = NULL;
		size_t len = 0, slen = 0;

		if (sqlite3_prepare_v2(db, "SELECT sealed FROM pii_mappings WHERE id = ?1", -1, &st,
		    NULL) != SQLITE_OK) {
			rc = ERR_INTERNAL;
			break;
		}
		sqlite3_bind_text(st, 1, list[i].id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_ROW ? svc_row_blob(st, 0, &row) : ERR_INTERNAL;
		sqlite3_finalize(st);
		if (rc == 0 && (rc = svc_unseal(from, tenant_id, list[i].id, list[i].uid,
		    row.sealed, row.sealed_len, &json, &len)) == 0 &&
		    (rc = svc_seal(to, tenant_id, list[i].id, list[i].uid, json, len, &sealed,
		    &slen)) == 0) {
			if (sqlite3_prepare_v2(db, "UPDATE pii_mappings SET sealed = ?2 WHERE id = ?1",
			    -1, &st, NULL) != SQLITE_OK) {
				rc = ERR_INTERNAL;
			} else {
				sqlite3_bind_text(st, 1, list[i].id, -1, SQLITE_STATIC);
				sqlite3_bind_blob(st, 2, sealed, (int)slen, SQLITE_STATIC);
				rc = svc_step_done(st);
			}
		}
		if (rc == ERR_CRYPTO)
			log_warnx("tenant %s: pseudonym mapping %s does not open", tenant_id,
			    list[i].id);
		svc_wipe(json, len);
		free(sealed);
		svc_row_clear(&row);
	}
	if (rc == 0 && (rc = db_exec(db, "COMMIT")) == 0) {
		*n = (long)count;
		goto out;
	}
rollback:
	db_exec(db, "ROLLBACK");
out:
	free(list);
	aead_free(from);
	aead_free(to);
	return rc;
}
