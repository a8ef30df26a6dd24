/* The audit trail: append, verify, and every kind of tampering found at the right entry. */
#include "../test.h"

#include <sodium.h>
#include <time.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypto/keyring.h"
#include "store/db.h"
#include "store/schema.h"

struct fx {
	char *dir;
	char path[600];
	struct key key;
	struct audit_signer *signer;
	struct audit_chain *chain;
	sqlite3 *db;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char keys[600];
	int rc;

	if (sodium_init() < 0)
		return -1;
	fx->dir = test_tmpdir();
	snprintf(keys, sizeof(keys), "%s/keys", fx->dir);
	fs_mkdir(keys, 0700);
	snprintf(fx->path, sizeof(fx->path), "%s/v.db", fx->dir);
	if (key_random(&fx->key) != 0 ||
	    (fx->signer = audit_signer_open(fx->dir, 1, &rc)) == NULL ||
	    (fx->chain = audit_chain_new("0123456789abcdef0123456789abcdef", &fx->key, fx->signer,
	    NULL)) == NULL ||
	    db_open(fx->path, &fx->key, 1, &fx->db) != 0 ||
	    db_migrate(fx->db, schema_vault, schema_vault_count) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	db_close(fx->db);
	audit_chain_free(fx->chain);
	audit_signer_free(fx->signer);
	key_free(&fx->key);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void
append(struct fx *fx, int n)
{
	char target[32];

	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	for (int i = 0; i < n; i++) {
		json_t *d = json_pack("{s:i,s:s}", "n", i, "role", "editor");
		snprintf(target, sizeof(target), "doc-%d", i);
		assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
		    .event = "doc.update", .actor = "user-42", .source = "192.0.2.7",
		    .target = target, .outcome = i % 3 ? AUDIT_SUCCESS : AUDIT_DENIED,
		    .detail = d }), 0);
		json_decref(d);
	}
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
}

static void
checkpoint(struct fx *fx, struct audit_head *h)
{
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(audit_checkpoint(fx->chain, fx->db, "test", h), 0);
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
}

static struct audit_report
verify(struct fx *fx, const struct audit_head *external)
{
	struct audit_report r;

	assert_int_equal(audit_verify(fx->chain, fx->db, external, &r), 0);
	return r;
}

static void
assert_broken_at(struct fx *fx, int64_t seq, const char *word)
{
	struct audit_report r = verify(fx, NULL);

	if (r.ok || r.bad_seq != seq || (word && strstr(r.problem, word) == NULL))
		fail_msg("expected a break at %lld (%s), got ok=%d at %lld: %s", (long long)seq,
		    word ? word : "", r.ok, (long long)r.bad_seq, r.problem);
}

static void
sql(struct fx *fx, const char *q)
{
	assert_int_equal(db_exec(fx->db, q), 0);
}

static void
test_intact_trail_verifies(void **state)
{
	struct fx *fx = *state;
	struct audit_report r;
	struct audit_head h;

	r = verify(fx, NULL);
	assert_true(r.ok);
	assert_int_equal(r.entries, 0);
	append(fx, 20);
	checkpoint(fx, &h);
	assert_int_equal(h.seq, 20);
	append(fx, 5);
	r = verify(fx, &h);
	assert_true(r.ok);
	assert_int_equal(r.entries, 25);
	assert_int_equal(r.first_seq, 1);
	assert_int_equal(r.last_seq, 25);
	assert_int_equal(r.checkpoints, 1);
}

/* Modifying any stored field of any entry is found at that entry. */
static void
test_any_modified_field(void **state)
{
	struct fx *fx = *state;
	const char *edits[] = {
		"UPDATE audit_log SET ts = ts + 1 WHERE seq = 7",
		"UPDATE audit_log SET event = 'doc.read' WHERE seq = 7",
		"UPDATE audit_log SET actor = 'user-1' WHERE seq = 7",
		"UPDATE audit_log SET tenant = 'other' WHERE seq = 7",
		"UPDATE audit_log SET source = '10.0.0.1' WHERE seq = 7",
		"UPDATE audit_log SET target = 'doc-x' WHERE seq = 7",
		"UPDATE audit_log SET outcome = 'success' WHERE seq = 7",
		"UPDATE audit_log SET detail = '{\"n\":6,\"role\":\"admin\"}' WHERE seq = 7",
		"UPDATE audit_log SET prev = zeroblob(32) WHERE seq = 7",
		"UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 7",
		"UPDATE audit_log SET mac = zeroblob(32) WHERE seq = 7",
	};

	append(fx, 12);
	assert_int_equal(db_exec(fx->db, "SAVEPOINT s"), 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		sql(fx, "SAVEPOINT t");
		sql(fx, edits[i]);
		assert_broken_at(fx, 7, NULL);
		sql(fx, "ROLLBACK TO t");
		sql(fx, "RELEASE t");
		assert_true(verify(fx, NULL).ok);
	}
	sql(fx, "RELEASE s");
}

static void
test_deleted_entry(void **state)
{
	struct fx *fx = *state;

	append(fx, 12);
	sql(fx, "DELETE FROM audit_log WHERE seq = 5");
	assert_broken_at(fx, 5, "missing");
}

static void
test_inserted_entry(void **state)
{
	struct fx *fx = *state;

	append(fx, 12);
	/* Make room at 5 and forge an entry there (without the key, its MAC is a guess). */
	sql(fx, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 5");
	sql(fx, "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 105");
	sql(fx, "INSERT INTO audit_log SELECT 5, ts, 'auth.login', actor, tenant, source, target, "
	    "outcome, detail, prev, hash, mac FROM audit_log WHERE seq = 4");
	assert_broken_at(fx, 5, NULL);
}

static void
test_reordered_entries(void **state)
{
	struct fx *fx = *state;

	append(fx, 12);
	sql(fx, "UPDATE audit_log SET seq = -1 WHERE seq = 4");
	sql(fx, "UPDATE audit_log SET seq = 4 WHERE seq = 5");
	sql(fx, "UPDATE audit_log SET seq = 5 WHERE seq = -1");
	assert_broken_at(fx, 4, "reordered");
}

static void
test_truncated_tail_after_checkpoint(void **state)
{
	struct fx *fx = *state;
	struct audit_head h;
	struct audit_report r;

	append(fx, 10);
	checkpoint(fx, &h);
	sql(fx, "DELETE FROM audit_log WHERE seq >= 8");
	assert_broken_at(fx, 8, "truncated");
	/* Even with the vault's checkpoints removed too, the copy kept elsewhere shows it. */
	sql(fx, "DELETE FROM audit_checkpoints");
	assert_true(verify(fx, NULL).ok);
	r = verify(fx, &h);
	assert_false(r.ok);
	assert_int_equal(r.bad_seq, 8);
}

static void
test_forged_checkpoint_and_anchor(void **state)
{
	struct fx *fx = *state;

	append(fx, 6);
	checkpoint(fx, NULL);
	sql(fx, "SAVEPOINT a");
	sql(fx, "UPDATE audit_checkpoints SET signature = zeroblob(64)");
	assert_broken_at(fx, 6, "signature");
	sql(fx, "ROLLBACK TO a");
	sql(fx, "RELEASE a");
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	{
		long purged;
		assert_int_equal(audit_purge(fx->chain, fx->db, time_real_us() + 1000000, &purged),
		    0);
		assert_int_equal(purged, 6);
	}
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
	assert_true(verify(fx, NULL).ok);
	/* Moving the anchor to hide a deletion breaks its signature. */
	sql(fx, "UPDATE audit_anchor SET seq = seq + 1");
	assert_false(verify(fx, NULL).ok);
}

static void
test_purge_keeps_trail_verifiable(void **state)
{
	struct fx *fx = *state;
	struct audit_report r;
	struct audit_head h;
	struct timespec pause = { 0, 20 * 1000000 };
	int64_t boundary;
	long purged;
	sqlite3_stmt *st;

	append(fx, 8);
	checkpoint(fx, NULL);
	nanosleep(&pause, NULL);
	boundary = time_real_us();
	nanosleep(&pause, NULL);
	append(fx, 4);
	checkpoint(fx, &h);
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(audit_purge(fx->chain, fx->db, boundary, &purged), 0);
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
	assert_int_equal(purged, 8);
	r = verify(fx, &h);
	assert_true(r.ok);
	assert_int_equal(r.first_seq, 9);
	assert_int_equal(r.last_seq, 13);               /* 4 kept + the purge itself */
	assert_int_equal(sqlite3_prepare_v2(fx->db, "SELECT event, detail FROM audit_log "
	    "WHERE seq = 13", -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "audit.purge");
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 1), "\"removed\":8"));
	sqlite3_finalize(st);
	/* A second purge with nothing old is a no-op; deleting the first kept entry shows. */
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(audit_purge(fx->chain, fx->db, boundary, &purged), 0);
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
	assert_int_equal(purged, 0);
	sql(fx, "DELETE FROM audit_log WHERE seq = 9");
	assert_broken_at(fx, 9, "missing");
}

/* Found in review: ageing recent entries (or cutting them out) must not let a purge hide it. */
static void
test_purge_refuses_a_broken_trail(void **state)
{
	struct fx *fx = *state;
	long purged = -1;

	append(fx, 10);
	sql(fx, "UPDATE audit_log SET ts = 1 WHERE seq < 10");
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(audit_purge(fx->chain, fx->db, time_real_us() - 86400000000LL, &purged),
	    ERR_CRYPTO);
	assert_int_equal(db_exec(fx->db, "ROLLBACK"), 0);
	assert_int_equal(purged, 0);
	assert_broken_at(fx, 1, NULL);
}

static void
test_append_refuses_bad_events_and_secrets(void **state)
{
	struct fx *fx = *state;
	json_t *secret = json_pack("{s:s}", "password", "hunter2");
	json_t *nested = json_pack("{s:{s:s}}", "user", "api_token", "t0k3n");
	json_t *fine = json_pack("{s:i,s:s}", "key_version", 2, "key_id", "abc");
	json_t *notobj = json_pack("[i]", 1);
	const char *bad_names[] = { "", "nodot", "Upper.case", "a..b", "trailing.", "sp ace.x",
		".lead" };

	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
		    .event = bad_names[i], .actor = "system" }), ERR_INVALID);
	assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
	    .event = "auth.login", .actor = "system", .detail = secret }), ERR_INVALID);
	assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
	    .event = "auth.login", .actor = "system", .detail = nested }), ERR_INVALID);
	assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
	    .event = "auth.login", .actor = "system", .detail = notobj }), ERR_INVALID);
	assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
	    .event = "auth.login", .actor = "bad\nactor" }), ERR_INVALID);
	assert_int_equal(audit_append(fx->chain, fx->db, &(struct audit_event){
	    .event = "key.rotate", .actor = "system", .detail = fine }), 0);
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
	assert_true(verify(fx, NULL).ok);
	json_decref(secret);
	json_decref(nested);
	json_decref(fine);
	json_decref(notobj);
}

static void
test_rekey_and_wrong_key(void **state)
{
	struct fx *fx = *state;
	struct key other;
	struct audit_chain *next;
	struct audit_report r;

	append(fx, 5);
	key_random(&other);
	next = audit_chain_new("0123456789abcdef0123456789abcdef", &other, fx->signer, NULL);
	assert_int_equal(audit_verify(next, fx->db, NULL, &r), 0);
	assert_false(r.ok);                     /* another key: nothing verifies */
	assert_int_equal(r.bad_seq, 1);
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(audit_rekey(fx->chain, next, fx->db), 0);
	assert_int_equal(db_exec(fx->db, "COMMIT"), 0);
	assert_int_equal(audit_verify(next, fx->db, NULL, &r), 0);
	assert_true(r.ok);
	assert_false(verify(fx, NULL).ok);
	/* A broken trail is never re-keyed (that would launder the tampering). */
	sql(fx, "UPDATE audit_log SET actor = 'x' WHERE seq = 2");
	assert_int_equal(db_exec(fx->db, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(audit_rekey(next, fx->chain, fx->db), ERR_CRYPTO);
	assert_int_equal(db_exec(fx->db, "ROLLBACK"), 0);
	audit_chain_free(next);
	key_free(&other);
}

static void
test_query_filters_and_pages(void **state)
{
	struct fx *fx = *state;
	struct audit_filter all = { 0 }, denied = { .outcome = "denied" };
	struct audit_filter prefix = { .event_prefix = "doc." }, none = { .event_prefix = "auth." };
	struct audit_filter actor = { .actor = "user-42" }, bad = { .outcome = "maybe" };
	json_t *items;
	int64_t next, cursor = 0, seen = 0;

	append(fx, 25);
	/* Pages of 10: 10, 10, 5, each page continuing where the last stopped. */
	for (int page = 0; page < 3; page++) {
		assert_int_equal(audit_query(fx->db, &all, cursor, 10, &items, &next), 0);
		assert_int_equal(json_array_size(items), page < 2 ? 10 : 5);
		assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "seq")),
		    seen + 1);
		seen += (int64_t)json_array_size(items);
		json_decref(items);
		assert_int_equal(next, page < 2 ? seen : 0);
		cursor = next;
	}
	assert_int_equal(audit_query(fx->db, &denied, 0, 100, &items, &next), 0);
	assert_int_equal(json_array_size(items), 9);        /* i % 3 == 0 for i in 0..24 */
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "outcome")),
	    "denied");
	json_decref(items);
	assert_int_equal(audit_query(fx->db, &prefix, 0, 100, &items, &next), 0);
	assert_int_equal(json_array_size(items), 25);
	json_decref(items);
	assert_int_equal(audit_query(fx->db, &none, 0, 100, &items, &next), 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	assert_int_equal(audit_query(fx->db, &actor, 0, 100, &items, &next), 0);
	assert_int_equal(json_array_size(items), 25);
	json_decref(items);
	assert_int_equal(audit_query(fx->db, &bad, 0, 10, &items, &next), ERR_INVALID);
	assert_int_equal(audit_query(fx->db, &all, 0, 0, &items, &next), ERR_INVALID);
	assert_int_equal(audit_query(fx->db, &all, 0, AUDIT_PAGE_MAX + 1, &items, &next),
	    ERR_INVALID);
	assert_int_equal(audit_query(fx->db, &all, -5, 10, &items, &next), ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intact_trail_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_modified_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inserted_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_tail_after_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forged_checkpoint_and_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_keeps_trail_verifiable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses_bad_events_and_secrets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rekey_and_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_filters_and_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_refuses_a_broken_trail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
