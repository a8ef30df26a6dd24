/* The PII calls on a real vault: checks of requests, sealed mappings, owners, expiry,
 * erasure of values and key rotation. */
#include "../test.h"
#include "../store_fixture.h"

#include <sodium.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypto/keyring.h"
#include "pii/service.h"
#include "store/db.h"
#include "store/system.h"
#include "store/tenant.h"
#include "store/vault.h"

#define ALICE "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define BOB "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
#define TEXT "Bonjour, je suis Jean Dupont, mon e-mail est jean.dupont@exemple.fr. " \
	"Écrivez à jean.dupont@exemple.fr ou appelez le 06 12 34 56 78."

static const struct pii_svc_limits LIM = { 3600, 86400 };

struct fx {
	char *dir;
	struct system *sys;
	struct vault_cache *cache;
	struct vault *v;
	struct tenant t;
	struct identity alice, bob;
};

static int
add_users(sqlite3 *db, void *arg)
{
	(void)arg;
	return db_exec(db, "INSERT INTO users (id, email, email_key, status, created, updated) "
	    "VALUES ('" ALICE "', 'alice@x.example', 'alice@x.example', 'active', 1, 1), "
	    "('" BOB "', 'bob@x.example', 'bob@x.example', 'active', 1, 1)");
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->sys = test_store_open(&fx->dir)) == NULL ||
	    tenant_create(fx->sys, "acme", "Acme", "admin@acme.example", NULL, &fx->t) != 0 ||
	    (fx->cache = vault_cache_new(fx->sys, 4, 2)) == NULL ||
	    vault_open(fx->cache, fx->t.id, &fx->v) != 0 || vault_write(fx->v, add_users, NULL) != 0)
		return -1;
	snprintf(fx->alice.user_id, sizeof(fx->alice.user_id), "%s", ALICE);
	snprintf(fx->bob.user_id, sizeof(fx->bob.user_id), "%s", BOB);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	vault_release(fx->v);
	vault_cache_free(fx->cache);
	system_close(fx->sys);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* ---- reading the vault ---- */

struct probe {
	const char *sql;
	long long n;
	unsigned char *blob;
	size_t blen;
	char text[4096];
};

static int
probe_tx(sqlite3 *db, void *arg)
{
	struct probe *p = arg;
	sqlite3_stmt *st;

	p->n = -1;
	p->text[0] = '\0';
	if (sqlite3_prepare_v2(db, p->sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->n = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 0) == SQLITE_BLOB) {
			p->blen = (size_t)sqlite3_column_bytes(st, 0);
			p->blob = malloc(p->blen);
			memcpy(p->blob, sqlite3_column_blob(st, 0), p->blen);
		} else if (sqlite3_column_type(st, 0) == SQLITE_TEXT) {
			snprintf(p->text, sizeof(p->text), "%s", sqlite3_column_text(st, 0));
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static long long
count(struct vault *v, const char *sql)
{
	struct probe p = { .sql = sql };

	assert_int_equal(vault_read(v, probe_tx, &p), 0);
	return p.n;
}

static int
exec_tx(sqlite3 *db, void *arg)
{
	return db_exec(db, arg);
}

/* Every detail of the trail, concatenated. */
static char *
trail(struct vault *v)
{
	struct probe p = { .sql = "SELECT group_concat(event || ' ' || target || ' ' || detail, "
	    "char(10)) FROM audit_log" };

	assert_int_equal(vault_read(v, probe_tx, &p), 0);
	return strdup(p.text);
}

static json_t *
body(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);

	assert_non_null(j);
	return j;
}

/* Calls one of the JSON calls and returns the result's status (r cleared by the caller). */
enum call { ANALYZE, PSEUDO, RESTORE };

static int
call(struct fx *fx, enum call c, const struct identity *id, const char *json, struct result *r)
{
	json_t *b = body(json);
	int rc;

	memset(r, 0, sizeof(*r));
	rc = c == ANALYZE ? pii_svc_analyze(b, r) : c == PSEUDO ?
	    pii_svc_pseudonymize(fx->v, id, "127.0.0.1", b, &LIM, r) :
	    pii_svc_restore(fx->v, id, "127.0.0.1", b, r);
	json_decref(b);
	assert_int_equal(rc, 0);
	return r->status;
}

static const char *
str(const struct result *r, const char *name)
{
	return json_string_value(json_object_get(r->body, name));
}

/* ---- tests ---- */

static void
test_bad_requests_store_nothing(void **state)
{
	struct fx *fx = *state;
	static const struct {
		enum call c;
		const char *json;
		int status;
		const char *code;
	} cases[] = {
		{ ANALYZE, "[]", 400, "bad_request" },
		{ ANALYZE, "{\"text\":\"x\",\"lang\":\"fr\"}", 400, "unknown_field" },
		{ ANALYZE, "{}", 400, "bad_text" },
		{ ANALYZE, "{\"text\":3}", 400, "bad_text" },
		{ ANALYZE, "{\"text\":\"x\",\"threshold\":2}", 400, "bad_threshold" },
		{ ANALYZE, "{\"text\":\"x\",\"threshold\":-0.1}", 400, "bad_threshold" },
		{ ANALYZE, "{\"text\":\"x\",\"threshold\":\"0.5\"}", 400, "bad_threshold" },
		{ ANALYZE, "{\"text\":\"x\",\"entities\":[\"PERSON\",\"PASSPORT\"]}", 400,
		  "unknown_entity" },
		{ ANALYZE, "{\"text\":\"x\",\"entities\":[]}", 400, "bad_entities" },
		{ ANALYZE, "{\"text\":\"x\",\"entities\":\"PERSON\"}", 400, "bad_entities" },
		{ ANALYZE, "{\"text\":\"x\",\"entities\":[1]}", 400, "bad_entities" },
		{ ANALYZE, "{\"text\":\"x\",\"language\":\"de\"}", 400, "bad_language" },
		{ ANALYZE, "{\"text\":\"x\",\"language\":\"fr-\"}", 400, "bad_language" },
		{ ANALYZE, "{\"text\":\"x\",\"ttl_seconds\":5}", 400, "unknown_field" },
		{ PSEUDO, "{\"text\":\"Jean Dupont\",\"ttl_seconds\":0}", 400, "bad_ttl" },
		{ PSEUDO, "{\"text\":\"Jean Dupont\",\"ttl_seconds\":86401}", 400, "bad_ttl" },
		{ PSEUDO, "{\"text\":\"Jean Dupont\",\"ttl_seconds\":1.5}", 400, "bad_ttl" },
		{ PSEUDO, "{\"text\":\"Jean Dupont\",\"mapping_id\":7}", 400, "bad_mapping_id" },
		{ PSEUDO, "{\"text\":\"Jean Dupont\",\"threshold\":2}", 400, "bad_threshold" },
		{ PSEUDO, "{\"text\":\"Jean Dupont\",\"mapping_id\":\"nope\"}", 404, "not_found" },
		{ RESTORE, "{\"text\":\"x\"}", 400, "bad_mapping_id" },
		{ RESTORE, "{\"text\":\"x\",\"mapping_id\":\"x\",\"language\":\"fr\"}", 400,
		  "unknown_field" },
	};
	struct result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(call(fx, cases[i].c, &fx->alice, cases[i].json, &r),
		    cases[i].status);
		assert_string_equal(r.code, cases[i].code);
		/* Messages never quote the request. */
		assert_null(strstr(r.message, "Dupont"));
		assert_null(strstr(r.message, "PASSPORT"));
		result_clear(&r);
	}
	assert_int_equal(count(fx->v, "SELECT count(*) FROM pii_mappings"), 0);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM audit_log WHERE event LIKE 'pii.%'"),
	    0);
}

static void
test_text_limit(void **state)
{
	size_t n = PII_SVC_TEXT_MAX + 1;
	char *big = malloc(n + 1);
	json_t *b;
	struct result r = { 0 };

	(void)state;
	memset(big, 'a', n);
	big[n] = '\0';
	b = json_pack("{s:s}", "text", big);
	assert_int_equal(pii_svc_analyze(b, &r), 0);
	assert_int_equal(r.status, 413);
	assert_string_equal(r.code, "text_too_large");
	result_clear(&r);
	json_decref(b);
	big[n - 1] = '\0';      /* exactly the limit */
	b = json_pack("{s:s}", "text", big);
	assert_int_equal(pii_svc_analyze(b, &r), 0);
	assert_int_equal(r.status, 200);
	result_clear(&r);
	json_decref(b);
	free(big);
}

static void
test_analyze_offsets_in_code_points(void **state)
{
	struct fx *fx = *state;
	struct result r;
	json_t *hits, *h;
	size_t i;
	int emails = 0;

	assert_int_equal(call(fx, ANALYZE, NULL, "{\"text\":\"\\u00c9t\\u00e9 \\ud83d\\ude00 "
	    "\\u00e9crire \\u00e0 jean.dupont@exemple.fr\",\"entities\":[\"email_address\"],"
	    "\"threshold\":0}", &r), 200);
	assert_string_equal(str(&r, "language"), "fr");
	hits = json_object_get(r.body, "hits");
	json_array_foreach(hits, i, h) {
		assert_string_equal(json_string_value(json_object_get(h, "type")), "EMAIL_ADDRESS");
		/* "Été 😀 écrire à " is 15 code points (and 22 bytes). */
		assert_int_equal(json_integer_value(json_object_get(h, "start")), 15);
		assert_int_equal(json_integer_value(json_object_get(h, "end")), 15 + 22);
		assert_null(json_object_get(h, "text"));
		emails++;
	}
	assert_int_equal(emails, 1);
	result_clear(&r);
}

static void
test_pseudonymize_restore_and_owner(void **state)
{
	struct fx *fx = *state;
	struct result r, r2;
	char mid[64], req[1024], *t;
	struct probe p = { .sql = "SELECT sealed FROM pii_mappings" };
	json_t *ents;

	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"" TEXT "\"}", &r), 200);
	snprintf(mid, sizeof(mid), "%s", str(&r, "mapping_id"));
	assert_int_equal(strlen(mid), 32);
	t = strdup(str(&r, "text"));
	assert_null(strstr(t, "Dupont"));
	assert_null(strstr(t, "06 12"));
	/* The same value, the same token. */
	assert_non_null(strstr(t, "<EMAIL_ADDRESS_1>"));
	assert_non_null(strstr(strstr(t, "<EMAIL_ADDRESS_1>") + 1, "<EMAIL_ADDRESS_1>"));
	assert_null(strstr(t, "<EMAIL_ADDRESS_2>"));
	ents = json_object_get(r.body, "entities");
	assert_int_equal(json_integer_value(json_object_get(ents, "EMAIL_ADDRESS")), 2);
	assert_int_equal(json_integer_value(json_object_get(ents, "PERSON")), 1);
	assert_true(json_integer_value(json_object_get(r.body, "expires_us")) >
	    time_real_us() + INT64_C(3590) * 1000000);
	result_clear(&r);

	/* Stored sealed: the values are not in the row. */
	assert_int_equal(count(fx->v, "SELECT entries FROM pii_mappings"), 3);
	assert_int_equal(vault_read(fx->v, probe_tx, &p), 0);
	assert_true(p.blen > 16);
	assert_null(memmem(p.blob, p.blen, "Dupont", 6));
	assert_null(memmem(p.blob, p.blen, "exemple", 7));
	free(p.blob);

	/* Restore, with the tokens as a model may mangle them. */
	snprintf(req, sizeof(req), "{\"text\":\"%s / EMAIL_ADDRESS_1 [PERSON_1] <person_1> "
	    "PERSON_10\",\"mapping_id\":\"%s\"}", t, mid);
	assert_int_equal(call(fx, RESTORE, &fx->alice, req, &r), 200);
	assert_string_equal(str(&r, "text"), TEXT " / jean.dupont@exemple.fr Jean Dupont "
	    "Jean Dupont PERSON_10");
	result_clear(&r);
	/* Bob gets what an unknown id gets. */
	assert_int_equal(call(fx, RESTORE, &fx->bob, req, &r), 404);
	snprintf(req, sizeof(req), "{\"text\":\"x\",\"mapping_id\":\"%s\"}",
	    "0123456789abcdef0123456789abcdef");
	assert_int_equal(call(fx, RESTORE, &fx->alice, req, &r2), 404);
	assert_string_equal(r.code, r2.code);
	assert_string_equal(r.message, r2.message);
	result_clear(&r);
	result_clear(&r2);
	snprintf(req, sizeof(req), "{\"text\":\"Marie Curie\",\"mapping_id\":\"%s\"}", mid);
	assert_int_equal(call(fx, PSEUDO, &fx->bob, req, &r), 404);
	result_clear(&r);
	assert_int_equal(pii_svc_erase(fx->v, &fx->bob, NULL, mid, &r), 0);
	assert_int_equal(r.status, 404);
	result_clear(&r);

	/* Alice extends it: old tokens kept, new values numbered on. */
	snprintf(req, sizeof(req), "{\"text\":\"Madame Marie Curie et jean.dupont@exemple.fr\","
	    "\"mapping_id\":\"%s\"}", mid);
	assert_int_equal(call(fx, PSEUDO, &fx->alice, req, &r), 200);
	assert_string_equal(str(&r, "mapping_id"), mid);
	assert_string_equal(str(&r, "text"), "Madame <PERSON_2> et <EMAIL_ADDRESS_1>");
	result_clear(&r);
	assert_int_equal(count(fx->v, "SELECT entries FROM pii_mappings"), 4);

	/* The trail has counts and ids, never a value. */
	free(t);
	t = trail(fx->v);
	assert_non_null(strstr(t, "pii.pseudonymize"));
	assert_non_null(strstr(t, "pii.restore"));
	assert_non_null(strstr(t, mid));
	assert_null(strstr(t, "Dupont"));
	assert_null(strstr(t, "Curie"));
	assert_null(strstr(t, "exemple"));
	assert_null(strstr(t, "06 12"));
	free(t);

	/* Erased by its owner. */
	assert_int_equal(pii_svc_erase(fx->v, &fx->alice, NULL, mid, &r), 0);
	assert_int_equal(r.status, 204);
	result_clear(&r);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM pii_mappings"), 0);
	assert_int_equal(pii_svc_erase(fx->v, &fx->alice, NULL, mid, &r), 0);
	assert_int_equal(r.status, 404);
	result_clear(&r);
}

static void
test_expiry(void **state)
{
	struct fx *fx = *state;
	struct result r;
	char a[40], b[40], req[256];
	long erased = -1;

	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"Jean Dupont\","
	    "\"ttl_seconds\":60}", &r), 200);
	snprintf(a, sizeof(a), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	assert_int_equal(call(fx, PSEUDO, &fx->bob, "{\"text\":\"Marie Curie\"}", &r), 200);
	snprintf(b, sizeof(b), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	/* Nothing expired yet. */
	assert_int_equal(pii_svc_expire(fx->v, time_real_us(), &erased), 0);
	assert_int_equal(erased, 0);
	/* An hour later the first is gone and the second (one hour by default) too. */
	assert_int_equal(pii_svc_expire(fx->v, time_real_us() + INT64_C(120) * 1000000, &erased),
	    0);
	assert_int_equal(erased, 1);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM pii_mappings"), 1);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM audit_log WHERE event = "
	    "'pii.mapping.expire' AND actor = 'system'"), 1);
	assert_int_equal(pii_svc_expire(fx->v, time_real_us() + INT64_C(3601) * 1000000,
	    &erased), 0);
	assert_int_equal(erased, 1);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM pii_mappings"), 0);

	/* At access: an expired row is erased and answered as unknown. */
	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"Jean Dupont\"}", &r), 200);
	snprintf(a, sizeof(a), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	assert_int_equal(vault_write(fx->v, exec_tx, "UPDATE pii_mappings SET expires = 1"), 0);
	snprintf(req, sizeof(req), "{\"text\":\"<PERSON_1>\",\"mapping_id\":\"%s\"}", a);
	assert_int_equal(call(fx, RESTORE, &fx->alice, req, &r), 404);
	result_clear(&r);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM pii_mappings"), 0);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM audit_log WHERE event = "
	    "'pii.mapping.expire'"), 3);
}

static void
test_extension_is_capped_by_ttl_max(void **state)
{
	struct fx *fx = *state;
	struct result r;
	char mid[40], req[256];
	int64_t created;

	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"Jean Dupont\","
	    "\"ttl_seconds\":86400}", &r), 200);
	snprintf(mid, sizeof(mid), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	/* Pretend it was made 23 hours ago: extending by an hour stops at 24 hours. */
	created = time_real_us() - INT64_C(23) * 3600 * 1000000;
	snprintf(req, sizeof(req), "UPDATE pii_mappings SET created = %lld",
	    (long long)created);
	assert_int_equal(vault_write(fx->v, exec_tx, req), 0);
	snprintf(req, sizeof(req), "{\"text\":\"Marie Curie\",\"mapping_id\":\"%s\","
	    "\"ttl_seconds\":7200}", mid);
	assert_int_equal(call(fx, PSEUDO, &fx->alice, req, &r), 200);
	assert_int_equal(json_integer_value(json_object_get(r.body, "expires_us")),
	    created + INT64_C(86400) * 1000000);
	result_clear(&r);
}

static void
test_tampered_rows_do_not_open(void **state)
{
	struct fx *fx = *state;
	struct result r;
	char a[40], b[40], req[512];

	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"Jean Dupont\"}", &r), 200);
	snprintf(a, sizeof(a), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"Marie Curie\"}", &r), 200);
	snprintf(b, sizeof(b), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	/* b's sealed bytes copied onto a: bound to b's id, they do not open as a. */
	snprintf(req, sizeof(req), "UPDATE pii_mappings SET sealed = (SELECT sealed FROM "
	    "pii_mappings WHERE id = '%s') WHERE id = '%s'", b, a);
	assert_int_equal(vault_write(fx->v, exec_tx, req), 0);
	snprintf(req, sizeof(req), "{\"text\":\"<PERSON_1>\",\"mapping_id\":\"%s\"}", a);
	{
		json_t *j = body(req);
		memset(&r, 0, sizeof(r));
		assert_int_equal(pii_svc_restore(fx->v, &fx->alice, NULL, j, &r), ERR_CRYPTO);
		result_clear(&r);
		json_decref(j);
	}
	/* Given to bob, a's row does not open for him either (and is not his: 404). */
	snprintf(req, sizeof(req), "UPDATE pii_mappings SET user_id = '%s' WHERE id = '%s'", BOB,
	    b);
	assert_int_equal(vault_write(fx->v, exec_tx, req), 0);
	snprintf(req, sizeof(req), "{\"text\":\"<PERSON_1>\",\"mapping_id\":\"%s\"}", b);
	{
		json_t *j = body(req);
		memset(&r, 0, sizeof(r));
		assert_int_equal(pii_svc_restore(fx->v, &fx->bob, NULL, j, &r), ERR_CRYPTO);
		result_clear(&r);
		assert_int_equal(pii_svc_restore(fx->v, &fx->alice, NULL, j, &r), 0);
		assert_int_equal(r.status, 404);
		result_clear(&r);
		json_decref(j);
	}
}

static void
test_forget_values(void **state)
{
	struct fx *fx = *state;
	struct result r;
	char a[40], req[512], *t;
	const char *values[] = { "JEAN.DUPONT@EXEMPLE.FR", "nobody@nowhere.example" };
	long removed = -1;

	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"" TEXT "\"}", &r), 200);
	snprintf(a, sizeof(a), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	assert_int_equal(call(fx, PSEUDO, &fx->bob, "{\"text\":\"Marie Curie\"}", &r), 200);
	result_clear(&r);
	assert_int_equal(pii_svc_forget(fx->v, "dpo", values, 2, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(count(fx->v, "SELECT entries FROM pii_mappings WHERE user_id = '" ALICE
	    "'"), 2);
	/* The e-mail no longer comes back; the name does; a new value does not take the
	 * erased number. */
	snprintf(req, sizeof(req), "{\"text\":\"<EMAIL_ADDRESS_1> <PERSON_1>\",\"mapping_id\":"
	    "\"%s\"}", a);
	assert_int_equal(call(fx, RESTORE, &fx->alice, req, &r), 200);
	assert_string_equal(str(&r, "text"), "<EMAIL_ADDRESS_1> Jean Dupont");
	result_clear(&r);
	snprintf(req, sizeof(req), "{\"text\":\"marie.curie@exemple.fr\",\"mapping_id\":\"%s\"}",
	    a);
	assert_int_equal(call(fx, PSEUDO, &fx->alice, req, &r), 200);
	assert_string_equal(str(&r, "text"), "<EMAIL_ADDRESS_2>");
	result_clear(&r);
	t = trail(fx->v);
	assert_non_null(strstr(t, "pii.mapping.forget"));
	assert_null(strstr(t, "DUPONT"));
	assert_null(strstr(t, "dupont"));
	free(t);
	assert_int_equal(pii_svc_forget(fx->v, "dpo", values, 2, &removed), 0);
	assert_int_equal(removed, 0);
}

static void
test_key_rotation_reseals(void **state)
{
	struct fx *fx = *state;
	struct result r;
	char a[40], req[512];

	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"" TEXT "\"}", &r), 200);
	snprintf(a, sizeof(a), "%s", str(&r, "mapping_id"));
	result_clear(&r);
	vault_release(fx->v);
	vault_cache_free(fx->cache);
	assert_int_equal(tenant_rotate_key(fx->sys, "acme", NULL), 0);
	fx->cache = vault_cache_new(fx->sys, 4, 2);
	assert_int_equal(vault_open(fx->cache, fx->t.id, &fx->v), 0);
	snprintf(req, sizeof(req), "{\"text\":\"<PERSON_1>, <EMAIL_ADDRESS_1>\","
	    "\"mapping_id\":\"%s\"}", a);
	assert_int_equal(call(fx, RESTORE, &fx->alice, req, &r), 200);
	assert_string_equal(str(&r, "text"), "Jean Dupont, jean.dupont@exemple.fr");
	result_clear(&r);
}

static void
test_too_many_mappings(void **state)
{
	struct fx *fx = *state;
	struct result r;
	char sql[256];

	/* 1000 live mappings of alice (rows only: the limit counts rows). */
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM "
	    "n WHERE i < 1000) INSERT INTO pii_mappings SELECT printf('%%032x', i), '%s', 1, 1, "
	    "%lld, 0, x'00' FROM n", ALICE, (long long)(time_real_us() + INT64_C(3600000000)));
	assert_int_equal(vault_write(fx->v, exec_tx, sql), 0);
	assert_int_equal(call(fx, PSEUDO, &fx->alice, "{\"text\":\"Jean Dupont\"}", &r), 422);
	assert_string_equal(r.code, "too_many_mappings");
	result_clear(&r);
	assert_int_equal(call(fx, PSEUDO, &fx->bob, "{\"text\":\"Jean Dupont\"}", &r), 200);
	result_clear(&r);
	assert_int_equal(count(fx->v, "SELECT count(*) FROM pii_mappings"), 1001);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_requests_store_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_analyze_offsets_in_code_points, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pseudonymize_restore_and_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extension_is_capped_by_ttl_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tampered_rows_do_not_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_rotation_reseals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_mappings, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
