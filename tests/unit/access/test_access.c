#include "../test.h"

#include "access/access.h"
#include "common/err.h"

static int
h(struct request *req, struct response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const struct route pub = { HTTP_POST, "/api/v1/auth/login", h, 0, NULL };
static const struct route signed_in = { HTTP_GET, "/api/v1/me", h, ROUTE_RESTRICTED_OK,
	ACCESS_SIGNED_IN };
static const struct route tokens = { HTTP_POST, "/api/v1/tokens", h, 0, ACCESS_SIGNED_IN };
static const struct route users = { HTTP_GET, "/api/v1/users", h, 0, "users.manage" };
static const struct route audit = { HTTP_GET, "/api/v1/audit", h, 0, "audit.read" };
static const struct route typo = { HTTP_GET, "/api/v1/x", h, 0, "users.mange" };
static const struct route analyze = { HTTP_POST, "/api/v1/pii/analyze", h,
	ROUTE_JSON_BODY | ROUTE_READ_ONLY_OK, "pii.use" };
static const struct route pseudo = { HTTP_POST, "/api/v1/pii/pseudonymize", h,
	ROUTE_JSON_BODY, "pii.use" };

static struct identity
who(const char *const *perms)
{
	struct identity id;

	memset(&id, 0, sizeof(id));
	id.via = ACCESS_VIA_SESSION;
	for (; perms != NULL && *perms != NULL; perms++)
		id.perms |= access_perm_bit(*perms);
	return id;
}

/* ASVS 8.2.1: deny by default; every route names what it needs. */
static void
test_decide_matrix(void **state)
{
	static const char *const admin_perms[] = { "users.manage", "audit.read", NULL };
	static const char *const reader_perms[] = { "documents.read", NULL };
	struct identity admin = who(admin_perms), reader = who(reader_perms);
	const char *missing;

	(void)state;
	assert_int_equal(access_decide(NULL, &pub, HTTP_POST, &missing), ACCESS_ALLOW);
	assert_int_equal(access_decide(NULL, &signed_in, HTTP_GET, &missing),
	    ACCESS_DENY_UNAUTHENTICATED);
	assert_int_equal(access_decide(&reader, &signed_in, HTTP_GET, &missing), ACCESS_ALLOW);
	assert_int_equal(access_decide(&reader, &users, HTTP_GET, &missing),
	    ACCESS_DENY_PERMISSION);
	assert_string_equal(missing, "users.manage");
	assert_int_equal(access_decide(&reader, &audit, HTTP_GET, &missing),
	    ACCESS_DENY_PERMISSION);
	assert_string_equal(missing, "audit.read");
	assert_int_equal(access_decide(&admin, &users, HTTP_GET, &missing), ACCESS_ALLOW);
	assert_int_equal(access_decide(&admin, &audit, HTTP_GET, &missing), ACCESS_ALLOW);
	/* A misspelt permission in a route matches nothing, not everything. */
	assert_int_equal(access_decide(&admin, &typo, HTTP_GET, &missing),
	    ACCESS_DENY_PERMISSION);
	assert_int_equal(access_decide(&admin, NULL, HTTP_GET, &missing),
	    ACCESS_DENY_PERMISSION);
}

static void
test_read_only_tokens_and_restrictions(void **state)
{
	static const char *const admin_perms[] = { "users.manage", "audit.read", NULL };
	struct identity id = who(admin_perms);
	const char *missing;

	(void)state;
	id.via = ACCESS_VIA_TOKEN;
	id.read_only = 1;
	assert_int_equal(access_decide(&id, &audit, HTTP_GET, &missing), ACCESS_ALLOW);
	assert_int_equal(access_decide(&id, &tokens, HTTP_POST, &missing),
	    ACCESS_DENY_READ_ONLY);
	/* A POST marked as changing nothing is open to the token, and still needs its
	 * permission; one not marked is refused for the scope before the permission. */
	assert_int_equal(access_decide(&id, &analyze, HTTP_POST, &missing),
	    ACCESS_DENY_PERMISSION);
	assert_string_equal(missing, "pii.use");
	assert_int_equal(access_decide(&id, &pseudo, HTTP_POST, &missing),
	    ACCESS_DENY_READ_ONLY);
	id.perms |= access_perm_bit("pii.use");
	assert_int_equal(access_decide(&id, &analyze, HTTP_POST, &missing), ACCESS_ALLOW);
	assert_int_equal(access_decide(&id, &pseudo, HTTP_POST, &missing),
	    ACCESS_DENY_READ_ONLY);
	id.read_only = 0;
	assert_int_equal(access_decide(&id, &pseudo, HTTP_POST, &missing), ACCESS_ALLOW);
	id.must_enrol_2fa = 1;
	assert_int_equal(access_decide(&id, &users, HTTP_GET, &missing),
	    ACCESS_DENY_RESTRICTED);
	assert_string_equal(missing, "two_factor_enrolment");
	assert_int_equal(access_decide(&id, &signed_in, HTTP_GET, &missing), ACCESS_ALLOW);
	id.must_enrol_2fa = 0;
	id.must_renew_password = 1;
	assert_int_equal(access_decide(&id, &audit, HTTP_GET, &missing),
	    ACCESS_DENY_RESTRICTED);
	assert_string_equal(missing, "password_renewal");
}

static void
test_permission_names(void **state)
{
	char msg[200];
	uint64_t mask;
	json_t *arr, *back;

	(void)state;
	assert_true(access_perm_count() >= 14);
	assert_int_not_equal(access_perm_bit("pii.use"), 0);
	for (size_t i = 0; i < access_perm_count(); i++)
		assert_int_equal(access_perm_bit(access_perm_name(i)), UINT64_C(1) << i);
	assert_int_equal(access_perm_bit("documents.READ"), 0);
	assert_int_equal(access_perm_bit(""), 0);
	assert_int_equal(access_perm_bit(NULL), 0);
	arr = json_pack("[s,s]", "audit.read", "documents.read");
	assert_int_equal(access_perms_from_json(arr, &mask, msg, sizeof(msg)), 0);
	back = access_perms_to_json(mask);
	assert_int_equal(json_array_size(back), 2);
	json_decref(back);
	json_decref(arr);
	arr = json_pack("[s,i]", "audit.read", 3);
	assert_int_equal(access_perms_from_json(arr, &mask, msg, sizeof(msg)), ERR_INVALID);
	json_decref(arr);
	arr = json_pack("[s]", "root");
	assert_int_equal(access_perms_from_json(arr, &mask, msg, sizeof(msg)), ERR_INVALID);
	json_decref(arr);
	arr = json_pack("{}");
	assert_int_equal(access_pages_from_json(arr, &mask, msg, sizeof(msg)), ERR_INVALID);
	json_decref(arr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_matrix),
		cmocka_unit_test(test_read_only_tokens_and_restrictions),
		cmocka_unit_test(test_permission_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
