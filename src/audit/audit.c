#include "audit/audit.h"

#include <ctype.h>
#include <stdarg.h>
#include <unistd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/alerts.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "store/db.h"

#define AUDIT_ENCODING_MAX (AUDIT_DETAIL_MAX + 1024)

struct audit_signer {
	unsigned char *sk;              /* guarded, 64 bytes */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	char key_id[17];
};

struct audit_chain {
	char scope[64];
	struct key mac;
	const struct audit_signer *signer;
	struct alerts *alerts;
};

static const char *const audit_outcomes[] = { "success", "failure", "denied" };

/* ---- signer ---- */

static void
audit_key_id(const unsigned char *pk, char out[17])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, crypto_sign_PUBLICKEYBYTES);
	sodium_bin2hex(out, 17, h, 8);
}

struct audit_signer *
audit_signer_open(const char *dir, int create, int *err)
{
	struct audit_signer *s = calloc(1, sizeof(*s));
	struct key seed = { NULL };
	char path[4096], pub[4096], hex[2 * crypto_sign_PUBLICKEYBYTES + 2];

	*err = ERR_NOMEM;
	if (s == NULL || (s->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		goto fail;
	if ((*err = fs_join(path, sizeof(path), dir, AUDIT_SIGNING_FILE)) != 0 ||
	    (*err = fs_join(pub, sizeof(pub), dir, AUDIT_SIGNING_PUBLIC)) != 0)
		goto fail;
	*err = key_load_file(&seed, path);
	if (*err == ERR_NOTFOUND && create) {
		/* A new key: the file holds its 256-bit seed, the public half goes beside it. */
		if ((*err = keyring_create_master(path)) != 0 ||
		    (*err = key_load_file(&seed, path)) != 0)
			goto fail;
		crypto_sign_seed_keypair(s->pk, s->sk, seed.bytes);
		sodium_bin2hex(hex, sizeof(hex), s->pk, sizeof(s->pk));
		hex[2 * crypto_sign_PUBLICKEYBYTES] = '\n';
		unlink(pub);
		if ((*err = fs_write_new(pub, hex, 2 * crypto_sign_PUBLICKEYBYTES + 1, 0644)) != 0)
			goto fail;
	} else if (*err != 0) {
		goto fail;
	} else {
		crypto_sign_seed_keypair(s->pk, s->sk, seed.bytes);
	}
	key_free(&seed);
	sodium_mprotect_readonly(s->sk);
	audit_key_id(s->pk, s->key_id);
	*err = 0;
	return s;
fail:
	key_free(&seed);
	audit_signer_free(s);
	return NULL;
}

void
audit_signer_free(struct audit_signer *s)
{
	if (s == NULL)
		return;
	if (s->sk != NULL)
		sodium_free(s->sk);
	free(s);
}

/* ---- chain ---- */

struct audit_chain *
audit_chain_new(const char *scope, const struct key *scope_key,
    const struct audit_signer *signer, struct alerts *alerts)
{
	struct audit_chain *c = calloc(1, sizeof(*c));

	if (c == NULL || strlen(scope) >= sizeof(c->scope) ||
	    key_derive(&c->mac, scope_key, "coffre v1 audit mac") != 0) {
		free(c);
		return NULL;
	}
	snprintf(c->scope, sizeof(c->scope), "%s", scope);
	c->signer = signer;
	c->alerts = alerts;
	return c;
}

void
audit_chain_free(struct audit_chain *c)
{
	if (c == NULL)
		return;
	key_free(&c->mac);
	free(c);
}

void
audit_chain_set_alerts(struct audit_chain *c, struct alerts *alerts)
{
	c->alerts = alerts;
}

const char *
audit_chain_scope(const struct audit_chain *c)
{
	return c->scope;
}

/* ---- canonical encoding ---- */

struct enc {
	unsigned char buf[AUDIT_ENCODING_MAX];
	size_t len;
	int overflow;
};

static void
enc_bytes(struct enc *e, const void *p, size_t n)
{
	if (e->overflow || n > sizeof(e->buf) - e->len) {
		e->overflow = 1;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void
enc_u64(struct enc *e, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (56 - 8 * i));
	enc_bytes(e, b, 8);
}

static void
enc_str(struct enc *e, const char *s)
{
	size_t n = strlen(s);

	enc_u64(e, n);
	enc_bytes(e, s, n);
}

struct row {
	int64_t seq, ts;
	const char *event, *actor, *tenant, *source, *target, *outcome, *detail;
	const unsigned char *prev;
};

/* Length-prefixed fields: no two different entries encode alike. */
static int
audit_encode(const struct audit_chain *c, const struct row *r, struct enc *e)
{
	e->len = 0;
	e->overflow = 0;
	enc_str(e, "coffre-audit-v1");
	enc_str(e, c->scope);
	enc_u64(e, (uint64_t)r->seq);
	enc_u64(e, (uint64_t)r->ts);
	enc_str(e, r->event);
	enc_str(e, r->actor);
	enc_str(e, r->tenant);
	enc_str(e, r->source);
	enc_str(e, r->target);
	enc_str(e, r->outcome);
	enc_str(e, r->detail);
	enc_bytes(e, r->prev, AUDIT_HASH_BYTES);
	return e->overflow ? ERR_TOOBIG : 0;
}

static void
audit_mac(const struct audit_chain *c, const struct enc *e, unsigned char mac[32])
{
	crypto_auth_hmacsha256(mac, e->buf, e->len, c->mac.bytes);
}

static void
audit_genesis(const struct audit_chain *c, unsigned char out[AUDIT_HASH_BYTES])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)"coffre-audit-genesis|", 21);
	crypto_hash_sha256_update(&st, (const unsigned char *)c->scope, strlen(c->scope));
	crypto_hash_sha256_final(&st, out);
}

/* ---- validation ---- */

static int
audit_name_valid(const char *s)
{
	size_t n = strlen(s);
	int dots = 0;

	if (n < 3 || n > 64 || !islower((unsigned char)s[0]) || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			dots++;
		} else if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '_') {
			return 0;
		}
	}
	return dots >= 1;
}

static int
audit_text_valid(const char *s, size_t max, int allow_empty)
{
	size_t n = strlen(s);

	if ((!allow_empty && n == 0) || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Keys that name a secret never go into the trail, however deep. */
static int
audit_detail_clean(const json_t *v, int depth)
{
	static const char *const banned[] = { "password", "passwd", "secret", "token", "cookie",
		"session", "totp", "otp", "private", "credential", "recovery", "seed" };
	const char *k;
	json_t *child;
	size_t i;

	if (depth > 4)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, child) {
			char low[128];
			size_t n = strlen(k);
			if (n == 0 || n >= sizeof(low))
				return 0;
			for (size_t j = 0; j <= n; j++)
				low[j] = (char)tolower((unsigned char)k[j]);
			for (size_t b = 0; b < sizeof(banned) / sizeof(banned[0]); b++)
				if (strstr(low, banned[b]) != NULL)
					return 0;
			if (strcmp(low, "key") == 0 || (n > 4 && strcmp(low + n - 4, "_key") == 0))
				return 0;
			if (!audit_detail_clean(child, depth + 1))
				return 0;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if (!audit_detail_clean(child, depth + 1))
				return 0;
	}
	return 1;
}

/* ---- append ---- */

/* The last entry (seq, hash), or where the next one starts: the anchor or the beginning. */
static int
audit_tail(const struct audit_chain *c, sqlite3 *db, int64_t *next, unsigned char prev[32])
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == AUDIT_HASH_BYTES) {
		*next = sqlite3_column_int64(st, 0) + 1;
		memcpy(prev, sqlite3_column_blob(st, 1), AUDIT_HASH_BYTES);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_err(rc);
	if (sqlite3_prepare_v2(db, "SELECT seq, prev FROM audit_anchor WHERE id = 1", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == AUDIT_HASH_BYTES) {
		*next = sqlite3_column_int64(st, 0);
		memcpy(prev, sqlite3_column_blob(st, 1), AUDIT_HASH_BYTES);
	} else {
		*next = 1;
		audit_genesis(c, prev);
	}
	sqlite3_finalize(st);
	return 0;
}

int
audit_append(const struct audit_chain *c, sqlite3 *db, const struct audit_event *ev)
{
	struct enc e, *enc = &e;
	unsigned char prev[32], hash[32], mac[32];
	const char *tenant = strcmp(c->scope, AUDIT_SCOPE_PLATFORM) == 0 ? "" : c->scope;
	char *detail = NULL;
	sqlite3_stmt *st = NULL;
	struct row r;
	int rc;

	if (ev->event == NULL || !audit_name_valid(ev->event) || ev->actor == NULL ||
	    !audit_text_valid(ev->actor, 128, 0) ||
	    (ev->source != NULL && !audit_text_valid(ev->source, 64, 1)) ||
	    (ev->target != NULL && !audit_text_valid(ev->target, 256, 1)) ||
	    ev->outcome < AUDIT_SUCCESS || ev->outcome > AUDIT_DENIED ||
	    (ev->detail != NULL && (!json_is_object(ev->detail) ||
	    !audit_detail_clean(ev->detail, 0))))
		return ERR_INVALID;
	detail = ev->detail ? json_dumps(ev->detail, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (detail == NULL)
		return ERR_NOMEM;
	if (strlen(detail) > AUDIT_DETAIL_MAX) {
		rc = ERR_TOOBIG;
		goto out;
	}
	memset(&r, 0, sizeof(r));
	if ((rc = audit_tail(c, db, &r.seq, prev)) != 0)
		goto out;
	r.ts = time_real_us();
	r.event = ev->event;
	r.actor = ev->actor;
	r.tenant = tenant;
	r.source = ev->source ? ev->source : "";
	r.target = ev->target ? ev->target : "";
	r.outcome = audit_outcomes[ev->outcome];
	r.detail = detail;
	r.prev = prev;
	if ((rc = audit_encode(c, &r, enc)) != 0)
		goto out;
	crypto_hash_sha256(hash, enc->buf, enc->len);
	audit_mac(c, enc, mac);
	rc = ERR_INTERNAL;
	if (sqlite3_prepare_v2(db, "INSERT INTO audit_log(seq, ts, event, actor, tenant, source, "
	    "target, outcome, detail, prev, hash, mac) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, r.seq);
	sqlite3_bind_int64(st, 2, r.ts);
	sqlite3_bind_text(st, 3, r.event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r.actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r.tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r.source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r.target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r.outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r.detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 12, mac, 32, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(db));
	if (rc == 0 && c->alerts != NULL) {
		json_t *payload = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "scope",
		    c->scope, "seq", (json_int_t)r.seq, "ts_us", (json_int_t)r.ts, "event", r.event,
		    "actor", r.actor, "source", r.source, "target", r.target, "outcome", r.outcome,
		    "detail", json_loads(detail, 0, NULL));
		if (payload != NULL)
			alerts_notify(c->alerts, r.event, payload);
		json_decref(payload);
	}
out:
	sqlite3_finalize(st);
	free(detail);
	return rc;
}

/* ---- checkpoints and anchors ---- */

static void
audit_checkpoint_message(const struct audit_chain *c, const struct audit_head *h, struct enc *e)
{
	e->len = 0;
	e->overflow = 0;
	enc_str(e, "coffre-audit-checkpoint-v1");
	enc_str(e, c->scope);
	enc_u64(e, (uint64_t)h->seq);
	enc_bytes(e, h->hash, AUDIT_HASH_BYTES);
	enc_u64(e, (uint64_t)h->ts);
	enc_str(e, h->reason);
}

int
audit_head_check(const struct audit_chain *c, const struct audit_head *h)
{
	struct enc e;

	audit_checkpoint_message(c, h, &e);
	if (strcmp(h->key_id, c->signer->key_id) != 0 ||
	    crypto_sign_verify_detached(h->signature, e.buf, e.len, c->signer->pk) != 0)
		return ERR_CRYPTO;
	return 0;
}

int
audit_checkpoint(const struct audit_chain *c, sqlite3 *db, const char *reason,
    struct audit_head *out)
{
	struct audit_head h;
	unsigned char prev[32];
	struct enc e;
	sqlite3_stmt *st = NULL;
	int rc;

	memset(&h, 0, sizeof(h));
	if ((rc = audit_tail(c, db, &h.seq, prev)) != 0)
		return rc;
	h.seq--;                        /* the last entry, whose hash prev now holds */
	if (h.seq < 1)
		return ERR_NOTFOUND;
	memcpy(h.hash, prev, AUDIT_HASH_BYTES);
	h.ts = time_real_us();
	snprintf(h.reason, sizeof(h.reason), "%s", reason);
	snprintf(h.key_id, sizeof(h.key_id), "%s", c->signer->key_id);
	audit_checkpoint_message(c, &h, &e);
	crypto_sign_detached(h.signature, NULL, e.buf, e.len, c->signer->sk);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO audit_checkpoints(seq, hash, ts, reason, "
	    "key_id, signature) VALUES (?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, h.seq);
	sqlite3_bind_blob(st, 2, h.hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, h.ts);
	sqlite3_bind_text(st, 4, h.reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, h.key_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, h.signature, 64, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(db));
	sqlite3_finalize(st);
	if (rc == 0 && out != NULL)
		*out = h;
	return rc;
}

static void
audit_anchor_message(const struct audit_chain *c, int64_t seq, const unsigned char *prev,
    int64_t ts, struct enc *e)
{
	e->len = 0;
	e->overflow = 0;
	enc_str(e, "coffre-audit-anchor-v1");
	enc_str(e, c->scope);
	enc_u64(e, (uint64_t)seq);
	enc_bytes(e, prev, AUDIT_HASH_BYTES);
	enc_u64(e, (uint64_t)ts);
}

/* ---- verification ---- */

static int
audit_fail(struct audit_report *r, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
audit_fail(struct audit_report *r, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	r->ok = 0;
	r->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
	return 0;
}

static void
audit_row_from(sqlite3_stmt *st, struct row *r)
{
	r->seq = sqlite3_column_int64(st, 0);
	r->ts = sqlite3_column_int64(st, 1);
	r->event = (const char *)sqlite3_column_text(st, 2);
	r->actor = (const char *)sqlite3_column_text(st, 3);
	r->tenant = (const char *)sqlite3_column_text(st, 4);
	r->source = (const char *)sqlite3_column_text(st, 5);
	r->target = (const char *)sqlite3_column_text(st, 6);
	r->outcome = (const char *)sqlite3_column_text(st, 7);
	r->detail = (const char *)sqlite3_column_text(st, 8);
	r->prev = sqlite3_column_blob(st, 9);
}

#define AUDIT_MOVE_WINDOW 4096

/* Where a misplaced entry's MAC does verify, searched near its place; -1 if nowhere. */
static int64_t
audit_original_place(const struct audit_chain *c, struct row *r, const unsigned char *mac)
{
	int64_t here = r->seq, found = -1;
	unsigned char m[32];
	struct enc e;

	for (int64_t d = 1; d <= AUDIT_MOVE_WINDOW && found < 0; d++) {
		for (int sign = -1; sign <= 1 && found < 0; sign += 2) {
			r->seq = here + sign * d;
			if (r->seq < 1 || audit_encode(c, r, &e) != 0)
				continue;
			audit_mac(c, &e, m);
			if (sodium_memcmp(m, mac, 32) == 0)
				found = r->seq;
		}
	}
	r->seq = here;
	return found;
}

/* Checks one signed checkpoint against the trail; records the problem in r. */
static void
audit_check_head(const struct audit_chain *c, sqlite3 *db, const struct audit_head *h,
    int64_t start, int64_t last, const char *what, struct audit_report *r)
{
	sqlite3_stmt *st = NULL;
	int same = 0;

	if (audit_head_check(c, h) != 0) {
		audit_fail(r, h->seq, "%s at entry %lld has an invalid signature", what,
		    (long long)h->seq);
		return;
	}
	if (h->seq < start)
		return;         /* purged since: the anchor's signature covers the boundary */
	if (h->seq > last) {
		audit_fail(r, last + 1, "trail truncated: %s signed entry %lld but the trail ends "
		    "at entry %lld", what, (long long)h->seq, (long long)last);
		return;
	}
	if (sqlite3_prepare_v2(db, "SELECT hash FROM audit_log WHERE seq = ?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, h->seq);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == AUDIT_HASH_BYTES)
			same = sodium_memcmp(sqlite3_column_blob(st, 0), h->hash,
			    AUDIT_HASH_BYTES) == 0;
		sqlite3_finalize(st);
	}
	if (!same)
		audit_fail(r, h->seq, "entry %lld differs from its signed %s", (long long)h->seq,
		    what);
}

int
audit_verify(const struct audit_chain *c, sqlite3 *db, const struct audit_head *external,
    struct audit_report *r)
{
	sqlite3_stmt *st = NULL;
	unsigned char prev[32], start_prev[32], mac[32], hash[32];
	int64_t start = 1, expect;
	struct enc e;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ok = 1;
	audit_genesis(c, start_prev);
	/* The anchor left by a purge says where the retained trail starts; it is signed. */
	if (sqlite3_prepare_v2(db, "SELECT seq, prev, ts, key_id, signature FROM audit_anchor "
	    "WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		start = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != AUDIT_HASH_BYTES ||
		    sqlite3_column_bytes(st, 4) != 64) {
			sqlite3_finalize(st);
			return audit_fail(r, start, "the retention anchor is malformed");
		}
		memcpy(start_prev, sqlite3_column_blob(st, 1), AUDIT_HASH_BYTES);
		audit_anchor_message(c, start, start_prev, sqlite3_column_int64(st, 2), &e);
		if (strcmp((const char *)sqlite3_column_text(st, 3), c->signer->key_id) != 0 ||
		    crypto_sign_verify_detached(sqlite3_column_blob(st, 4), e.buf, e.len,
		    c->signer->pk) != 0) {
			sqlite3_finalize(st);
			return audit_fail(r, start, "the retention anchor at entry %lld has an invalid "
			    "signature", (long long)start);
		}
	}
	sqlite3_finalize(st);
	memcpy(prev, start_prev, sizeof(prev));
	expect = start;
	r->first_seq = start;
	r->last_seq = start - 1;
	if (sqlite3_prepare_v2(db, "SELECT seq, ts, event, actor, tenant, source, target, outcome, "
	    "detail, prev, hash, mac FROM audit_log ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row row;

		audit_row_from(st, &row);
		if (row.seq < expect) {
			audit_fail(r, row.seq, "entry %lld lies before the start of the retained trail "
			    "(inserted)", (long long)row.seq);
			break;
		}
		if (row.seq > expect) {
			audit_fail(r, expect, "entry %lld is missing (deleted)", (long long)expect);
			break;
		}
		if (sqlite3_column_bytes(st, 9) != 32 || sqlite3_column_bytes(st, 10) != 32 ||
		    sqlite3_column_bytes(st, 11) != 32 || row.event == NULL || row.actor == NULL ||
		    row.tenant == NULL || row.source == NULL || row.target == NULL ||
		    row.outcome == NULL || row.detail == NULL || audit_encode(c, &row, &e) != 0) {
			audit_fail(r, row.seq, "entry %lld is malformed (modified)", (long long)row.seq);
			break;
		}
		audit_mac(c, &e, mac);
		crypto_hash_sha256(hash, e.buf, e.len);
		if (sodium_memcmp(mac, sqlite3_column_blob(st, 11), 32) != 0) {
			int64_t from = audit_original_place(c, &row, sqlite3_column_blob(st, 11));
			if (from > 0)
				audit_fail(r, row.seq, "entry %lld holds entry %lld (entries reordered)",
				    (long long)row.seq, (long long)from);
			else
				audit_fail(r, row.seq, "entry %lld was modified or forged (its MAC does not "
				    "verify)", (long long)row.seq);
			break;
		}
		if (sodium_memcmp(hash, sqlite3_column_blob(st, 10), 32) != 0) {
			audit_fail(r, row.seq, "entry %lld was modified (stored hash)",
			    (long long)row.seq);
			break;
		}
		if (sodium_memcmp(row.prev, prev, 32) != 0) {
			audit_fail(r, row.seq, "entry %lld does not follow entry %lld (inserted, "
			    "removed or reordered)", (long long)row.seq, (long long)row.seq - 1);
			break;
		}
		memcpy(prev, hash, 32);
		r->last_seq = row.seq;
		r->entries++;
		expect++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(rc);
	if (!r->ok)
		return 0;
	/* Checkpoints: each signed, each matching the entry it names; none beyond the end. */
	if (sqlite3_prepare_v2(db, "SELECT seq, hash, ts, reason, key_id, signature FROM "
	    "audit_checkpoints ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	while (r->ok && sqlite3_step(st) == SQLITE_ROW) {
		struct audit_head h;

		memset(&h, 0, sizeof(h));
		h.seq = sqlite3_column_int64(st, 0);
		h.ts = sqlite3_column_int64(st, 2);
		if (sqlite3_column_bytes(st, 1) != 32 || sqlite3_column_bytes(st, 5) != 64) {
			audit_fail(r, h.seq, "checkpoint at entry %lld is malformed", (long long)h.seq);
			break;
		}
		memcpy(h.hash, sqlite3_column_blob(st, 1), 32);
		snprintf(h.reason, sizeof(h.reason), "%s", sqlite3_column_text(st, 3));
		snprintf(h.key_id, sizeof(h.key_id), "%s", sqlite3_column_text(st, 4));
		memcpy(h.signature, sqlite3_column_blob(st, 5), 64);
		audit_check_head(c, db, &h, start, r->last_seq, "checkpoint", r);
		r->checkpoints++;
	}
	sqlite3_finalize(st);
	if (r->ok && external != NULL)
		audit_check_head(c, db, external, start, r->last_seq, "platform checkpoint", r);
	return 0;
}

/* ---- key rotation ---- */

int
audit_rekey(const struct audit_chain *from, const struct audit_chain *to, sqlite3 *db)
{
	struct audit_report r;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	unsigned char mac[32];
	struct enc e;
	int rc;

	if (strcmp(from->scope, to->scope) != 0)
		return ERR_INVALID;
	if ((rc = audit_verify(from, db, NULL, &r)) != 0)
		return rc;
	if (!r.ok) {
		log_error("audit trail of %s is broken at entry %lld (%s); not re-keying it",
		    from->scope, (long long)r.bad_seq, r.problem);
		return ERR_CRYPTO;
	}
	rc = ERR_INTERNAL;
	if (sqlite3_prepare_v2(db, "SELECT seq, ts, event, actor, tenant, source, target, outcome, "
	    "detail, prev FROM audit_log ORDER BY seq", -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE audit_log SET mac = ?2 WHERE seq = ?1", -1, &upd,
	    NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct row row;
		audit_row_from(sel, &row);
		if (audit_encode(to, &row, &e) != 0) {
			rc = ERR_TOOBIG;
			goto out;
		}
		audit_mac(to, &e, mac);
		sqlite3_bind_int64(upd, 1, row.seq);
		sqlite3_bind_blob(upd, 2, mac, 32, SQLITE_STATIC);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rc = db_err(sqlite3_extended_errcode(db));
			goto out;
		}
		sqlite3_reset(upd);
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(rc);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

/* ---- retention ---- */

int
audit_purge(const struct audit_chain *c, sqlite3 *db, int64_t before_us, long *purged)
{
	sqlite3_stmt *st = NULL;
	int64_t boundary = 0, start = 1, next, ts = time_real_us();
	unsigned char prev[32], sig[64];
	struct enc e;
	json_t *detail;
	int rc;

	*purged = 0;
	/*
	 * Only an intact trail is purged: timestamps and links are checked under the MAC first,
	 * so that nobody can age recent entries (or cut them out) and let the purge sign it.
	 */
	{
		struct audit_report r;
		if ((rc = audit_verify(c, db, NULL, &r)) != 0)
			return rc;
		if (!r.ok) {
			log_error("audit trail of %s is broken at entry %lld (%s); not purging it",
			    c->scope, (long long)r.bad_seq, r.problem);
			return ERR_CRYPTO;
		}
	}
	if ((rc = audit_tail(c, db, &next, prev)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT coalesce((SELECT min(seq) FROM audit_log WHERE ts >= ?1),"
	    " ?2), coalesce((SELECT min(seq) FROM audit_log), ?2)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, before_us);
	sqlite3_bind_int64(st, 2, next);
	if (sqlite3_step(st) == SQLITE_ROW) {
		boundary = sqlite3_column_int64(st, 0);
		start = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (boundary <= start)
		return 0;
	/* The new start is linked to what came before it by its own authenticated prev. */
	if (boundary < next) {
		if (sqlite3_prepare_v2(db, "SELECT prev FROM audit_log WHERE seq = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			return ERR_INTERNAL;
		sqlite3_bind_int64(st, 1, boundary);
		rc = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 ? 0 :
		    ERR_INTERNAL;
		if (rc == 0)
			memcpy(prev, sqlite3_column_blob(st, 0), 32);
		sqlite3_finalize(st);
		if (rc != 0)
			return rc;
	}
	audit_anchor_message(c, boundary, prev, ts, &e);
	crypto_sign_detached(sig, NULL, e.buf, e.len, c->signer->sk);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO audit_anchor(id, seq, prev, ts, key_id, "
	    "signature) VALUES (1, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, boundary);
	sqlite3_bind_blob(st, 2, prev, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_text(st, 4, c->signer->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, sig, 64, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(sqlite3_extended_errcode(db));
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM audit_log WHERE seq < ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, boundary);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ERR_INTERNAL;
	*purged = sqlite3_changes(db);
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM audit_checkpoints WHERE seq < ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_int64(st, 1, boundary);
	sqlite3_step(st);
	sqlite3_finalize(st);
	detail = json_pack("{s:I,s:I,s:I}", "removed", (json_int_t)*purged, "first_retained",
	    (json_int_t)boundary, "before_us", (json_int_t)before_us);
	rc = audit_append(c, db, &(struct audit_event){ .event = "audit.purge", .actor = "system",
	    .outcome = AUDIT_SUCCESS, .detail = detail });
	json_decref(detail);
	if (rc == 0)
		rc = audit_checkpoint(c, db, "purge", NULL);
	return rc;
}

/* ---- query and export ---- */

static json_t *
audit_entry_json(sqlite3_stmt *st)
{
	int64_t ts = sqlite3_column_int64(st, 1);
	time_t secs = (time_t)(ts / 1000000);
	struct tm tm;
	char when[40], stamp[64];

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s.%06lldZ", when, (long long)(ts % 1000000));
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s}",
	    "seq", (json_int_t)sqlite3_column_int64(st, 0), "time", stamp,
	    "event", sqlite3_column_text(st, 2), "actor", sqlite3_column_text(st, 3),
	    "tenant", sqlite3_column_text(st, 4), "source", sqlite3_column_text(st, 5),
	    "target", sqlite3_column_text(st, 6), "outcome", sqlite3_column_text(st, 7),
	    "detail", json_loads((const char *)sqlite3_column_text(st, 8), 0, NULL),
	    "hash", sqlite3_column_text(st, 9));
}

int
audit_query(sqlite3 *db, const struct audit_filter *f, int64_t cursor, int limit,
    json_t **items, int64_t *next)
{
	sqlite3_stmt *st = NULL;
	json_t *list;
	int rc, n = 0;

	*items = NULL;
	*next = 0;
	if (limit < 1 || limit > AUDIT_PAGE_MAX || cursor < 0 ||
	    (f->actor && !audit_text_valid(f->actor, 128, 0)) ||
	    (f->event_prefix && !audit_text_valid(f->event_prefix, 64, 0)) ||
	    (f->outcome && strcmp(f->outcome, "success") != 0 && strcmp(f->outcome, "failure") != 0 &&
	    strcmp(f->outcome, "denied") != 0))
		return ERR_INVALID;
	if (sqlite3_prepare_v2(db, "SELECT seq, ts, event, actor, tenant, source, target, outcome, "
	    "detail, lower(hex(hash)) FROM audit_log WHERE seq > ?1 AND ts >= ?2 "
	    "AND (?3 = 0 OR ts < ?3) AND (?4 IS NULL OR actor = ?4) "
	    "AND (?5 IS NULL OR substr(event, 1, length(?5)) = ?5) "
	    "AND (?6 IS NULL OR outcome = ?6) ORDER BY seq LIMIT ?7", -1, &st, NULL) != SQLITE_OK)
		return db_err(sqlite3_extended_errcode(db));
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, f->from_us);
	sqlite3_bind_int64(st, 3, f->to_us);
	sqlite3_bind_text(st, 4, f->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, f->event_prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, f->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, limit + 1);     /* one more says whether a next page exists */
	if ((list = json_array()) == NULL) {
		sqlite3_finalize(st);
		return ERR_NOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			*next = json_integer_value(json_object_get(json_array_get(list, (size_t)n - 1),
			    "seq"));
			break;
		}
		if (json_array_append_new(list, audit_entry_json(st)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(list);
		return db_err(rc);
	}
	*items = list;
	return 0;
}

int
audit_export(sqlite3 *db, const struct audit_filter *f, FILE *out)
{
	int64_t cursor = 0, next;
	json_t *items, *item;
	size_t i;
	int rc;

	do {
		if ((rc = audit_query(db, f, cursor, AUDIT_PAGE_MAX, &items, &next)) != 0)
			return rc;
		json_array_foreach(items, i, item) {
			char *s = json_dumps(item, JSON_COMPACT);
			if (s != NULL)
				fprintf(out, "%s\n", s);
			free(s);
		}
		json_decref(items);
		cursor = next;
	} while (next != 0);
	return ferror(out) ? ERR_IO : 0;
}
