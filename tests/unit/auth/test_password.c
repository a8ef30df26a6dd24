/* Password hashing (Argon2id) and the password policy, against OWASP ASVS 5.0 V6.2 and V11.4.2. */
#include "../test.h"

#include <sodium.h>

#include "auth/password.h"
#include "common/err.h"

/* Small costs so that the suite stays fast; production costs are configured elsewhere. */
static const struct password_params small = { .passes = 1, .memory_kib = 8192 };

#define EMOJI "\xf0\x9f\x98\x80"       /* U+1F600, four bytes */

/* A password of n characters that is in no list: a cycle over a mixed alphabet. */
static char *
make_pw(size_t n)
{
	static const char alphabet[] = "k3#Zp-Wq9 x";
	char *s = malloc(n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[i % (sizeof(alphabet) - 1)];
	s[n] = '\0';
	return s;
}

/* pw must be refused by rule, with a message that does not quote it. */
static void
expect_rule(const struct password_policy *pol, const struct password_context *ctx,
    const char *pw, size_t len, const char *rule)
{
	const char *got = "unset";
	char msg[256] = "";

	assert_int_equal(password_check(pol, ctx, pw, len, &got, msg, sizeof(msg)), ERR_INVALID);
	assert_non_null(got);
	assert_string_equal(got, rule);
	assert_true(strlen(msg) > 10);
	if (len >= 4 && memchr(pw, '\0', len) == NULL && len < sizeof(msg))
		assert_null(memmem(msg, strlen(msg), pw, len));
}

static void
expect_ok(const struct password_policy *pol, const struct password_context *ctx,
    const char *pw, size_t len)
{
	const char *got = "unset";
	char msg[256] = "";

	assert_int_equal(password_check(pol, ctx, pw, len, &got, msg, sizeof(msg)), 0);
	assert_null(got);
}

/* ASVS 11.4.2: stored with Argon2id; ASVS 6.2.8: verified exactly as typed. */
static void
test_hash_verify_round_trip(void **state)
{
	const char pw[] = "Tr0ub4dor & 3 horses";
	char changed[sizeof(pw)];
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash(&small, pw, strlen(pw), h1), 0);
	assert_non_null(memchr(h1, '\0', sizeof(h1)));
	assert_int_equal(strncmp(h1, "$argon2id$v=19$m=8192,t=1,p=1$", 30), 0);
	assert_int_equal(password_verify(h1, pw, strlen(pw)), 0);
	/* Salted: the same password hashes differently each time, and both verify. */
	assert_int_equal(password_hash(&small, pw, strlen(pw), h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(password_verify(h2, pw, strlen(pw)), 0);
	/* A wrong password, a one-byte change, a prefix, a case change: all refused. */
	assert_int_equal(password_verify(h1, "Tr0ub4dor & 3 horsez", strlen(pw)), ERR_PERM);
	memcpy(changed, pw, sizeof(pw));
	changed[5] ^= 0x01;
	assert_int_equal(password_verify(h1, changed, strlen(changed)), ERR_PERM);
	assert_int_equal(password_verify(h1, pw, strlen(pw) - 1), ERR_PERM);
	assert_int_equal(password_verify(h1, "TR0UB4DOR & 3 HORSES", strlen(pw)), ERR_PERM);
	assert_int_equal(password_verify(h1, "", 0), ERR_PERM);
}

static void
test_verify_malformed_hash(void **state)
{
	char h[PASSWORD_HASH_MAX], unterminated[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash(&small, "pw", 2, h), 0);
	assert_int_equal(password_verify(NULL, "pw", 2), ERR_PERM);
	assert_int_equal(password_verify("", "pw", 2), ERR_PERM);
	assert_int_equal(password_verify("$argon2id$v=19$m=8192,t=1,p=1$garbage", "pw", 2),
	    ERR_PERM);
	memset(unterminated, 'a', sizeof(unterminated));
	memcpy(unterminated, h, strlen(h));
	assert_int_equal(password_verify(unterminated, "pw", 2), ERR_PERM);
	h[strlen(h) - 2] = h[strlen(h) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(password_verify(h, "pw", 2), ERR_PERM);
}

/* ASVS 11.2.2: costs can be raised and old hashes found and replaced. */
static void
test_needs_rehash(void **state)
{
	struct password_params more_passes = { .passes = 2, .memory_kib = 8192 };
	struct password_params more_memory = { .passes = 1, .memory_kib = 16384 };
	char h[PASSWORD_HASH_MAX], argon2i[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash(&small, "pw", 2, h), 0);
	assert_int_equal(password_needs_rehash(h, &small), 0);
	assert_int_equal(password_needs_rehash(h, &more_passes), 1);
	assert_int_equal(password_needs_rehash(h, &more_memory), 1);
	/* Another algorithm with the very same costs. */
	assert_int_equal(crypto_pwhash_str_alg(argon2i, "pw", 2, 3, 8192 * 1024,
	    crypto_pwhash_ALG_ARGON2I13), 0);
	assert_int_equal(password_needs_rehash(argon2i,
	    &(struct password_params){ .passes = 3, .memory_kib = 8192 }), 1);
	assert_int_equal(password_needs_rehash("not a hash", &small), 1);
	assert_int_equal(password_needs_rehash(NULL, &small), 1);
}

/* ASVS 6.2.8: never truncated: a long input is refused whole, and its last byte counts. */
static void
test_hash_limits(void **state)
{
	char *pw = make_pw(PASSWORD_MAX_BYTES + 1);
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash(&small, pw, PASSWORD_MAX_BYTES + 1, h), ERR_TOOBIG);
	assert_int_equal(password_hash(&small, pw, PASSWORD_MAX_BYTES, h), 0);
	assert_int_equal(password_verify(h, pw, PASSWORD_MAX_BYTES), 0);
	assert_int_equal(password_verify(h, pw, PASSWORD_MAX_BYTES + 1), ERR_PERM);
	pw[PASSWORD_MAX_BYTES - 1] ^= 0x01;
	assert_int_equal(password_verify(h, pw, PASSWORD_MAX_BYTES), ERR_PERM);
	assert_int_equal(password_hash(&(struct password_params){ .passes = 0, .memory_kib = 8192 },
	    pw, 8, h), ERR_INVALID);
	assert_int_equal(password_hash(&(struct password_params){ .passes = 1, .memory_kib = 1 },
	    pw, 8, h), ERR_INVALID);
	/* memory_kib * 1024 would wrap around to a valid 8 MiB. */
	assert_int_equal(password_hash(&(struct password_params){ .passes = 1,
	    .memory_kib = SIZE_MAX / 1024 + 1 + 8192 }, pw, 8, h), ERR_INVALID);
	free(pw);
}

/* ASVS 6.2.1 (at least 8, default 12) and ASVS 6.2.9 (at least 64 permitted). */
static void
test_length_in_code_points(void **state)
{
	struct password_policy pol;
	char *pw;
	char emoji[64 * 4 + 1] = "";

	(void)state;
	password_policy_default(&pol);
	assert_int_equal(pol.min_length, 12);
	assert_int_equal(pol.max_length, 128);
	pw = make_pw(11);
	expect_rule(&pol, NULL, pw, 11, "too_short");
	free(pw);
	pw = make_pw(12);
	expect_ok(&pol, NULL, pw, 12);
	free(pw);
	pw = make_pw(129);
	expect_ok(&pol, NULL, pw, 128);
	expect_rule(&pol, NULL, pw, 129, "too_long");         /* refused, not cut to 128 */
	free(pw);
	pw = make_pw(PASSWORD_MAX_BYTES + 1);
	expect_rule(&pol, NULL, pw, PASSWORD_MAX_BYTES + 1, "too_long");
	free(pw);
	/* 64 characters of 256 bytes are accepted; 11 of 44 bytes are too short. */
	for (int i = 0; i < 64; i++)
		strcat(emoji, EMOJI);
	expect_ok(&pol, NULL, emoji, strlen(emoji));
	expect_rule(&pol, NULL, emoji, 11 * 4, "too_short");
	/* The floor moves with the policy. */
	pol.min_length = 8;
	expect_ok(&pol, NULL, "k3#Zp-Wq", 8);
	pol.max_length = 64;
	pw = make_pw(65);
	expect_ok(&pol, NULL, pw, 64);
	expect_rule(&pol, NULL, pw, 65, "too_long");
	free(pw);
}

/* ASVS 6.2.5: any printable characters, spaces included; no composition rules by default. */
static void
test_any_characters(void **state)
{
	static const char *const ok[] = {
		"correct horse battery staple",
		"all lower case letters only",
		"p\xc3\xa4sswo\xcc\x88rd \xc3\xb1 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ok",
		"   leading and trailing   ",
		"family " "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"
		    " with zero-width joiners",
		"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
	};
	struct password_policy pol;

	(void)state;
	password_policy_default(&pol);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect_ok(&pol, NULL, ok[i], strlen(ok[i]));
}

static void
test_encoding_rules(void **state)
{
	static const char *const bad_utf8[] = {
		"valid-prefix-\xff-then",
		"overlong-slash-\xc0\xaf-x",
		"overlong-three-\xe0\x80\xaf-x",
		"surrogate-half-\xed\xa0\x80-x",
		"beyond-10ffff-\xf4\x90\x80\x80-x",
		"stray-continuation-\x80-x",
		"truncated-at-end-\xe2\x82",
	};
	static const char *const control[] = {
		"has a\nnewline in it",
		"has a\ttab in it too",
		"has a\rcarriage return",
		"has a \x7f delete char",
		"has a C1 \xc2\x85 next-line",
		"has a line \xe2\x80\xa8 separator",
	};
	struct password_policy pol;
	const char nul[] = "embedded\0nul-password";

	(void)state;
	password_policy_default(&pol);
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++)
		expect_rule(&pol, NULL, bad_utf8[i], strlen(bad_utf8[i]), "invalid_utf8");
	for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++)
		expect_rule(&pol, NULL, control[i], strlen(control[i]), "control_characters");
	expect_rule(&pol, NULL, nul, sizeof(nul) - 1, "control_characters");
}

/* ASVS 6.2.4: checked against the most common passwords (here 10,000 and more). */
static void
test_common_passwords(void **state)
{
	struct password_policy pol;
	char long_pw[80];

	(void)state;
	assert_true(password_common_count() >= 10000);
	assert_int_equal(password_is_common("password", 8), 1);
	assert_int_equal(password_is_common("PASSWORD", 8), 1);
	assert_int_equal(password_is_common("123456", 6), 1);
	assert_int_equal(password_is_common("password1234", 12), 1);
	assert_int_equal(password_is_common("QwertyUiop12", 12), 1);
	assert_int_equal(password_is_common("k3#Zp-Wq9 xk3#Z", 15), 0);
	assert_int_equal(password_is_common("WinnieThePooh", 13), 1);
	assert_int_equal(password_is_common("winniethepoo", 12), 0);   /* a prefix of an entry */
	assert_int_equal(password_is_common("winniethepooh1", 14), 0); /* an entry is its prefix */
	assert_int_equal(password_is_common("", 0), 0);
	memset(long_pw, 'a', sizeof(long_pw));
	assert_int_equal(password_is_common(long_pw, sizeof(long_pw)), 0);
	/* First and last entries in byte order are found: the search reaches both ends. */
	assert_int_equal(password_is_common(password_common_blob,
	    strlen(password_common_blob)), 1);
	{
		const char *last = password_common_blob +
		    password_common_offsets[password_common_count() - 1];

		assert_int_equal(password_is_common(last, strlen(last)), 1);
	}
	password_policy_default(&pol);
	expect_rule(&pol, NULL, "Password1234", 12, "common_password");
	expect_rule(&pol, NULL, "qwertyuiop12", 12, "common_password");
	pol.check_common = 0;
	expect_ok(&pol, NULL, "Password1234", 12);
}

/* ASVS 6.2.11 (and 6.1.2): context-specific words: the user's email and the organisation. */
static void
test_context_words(void **state)
{
	struct password_policy pol;
	struct password_context ctx = {
		.email = "jean.dupont@example.org",
		.tenant_name = "Acme Corp",
		.tenant_slug = "acme-widgets",
	};
	struct password_context short_ctx = { .email = "jo@example.org", .tenant_name = "AB" };

	(void)state;
	password_policy_default(&pol);
	expect_rule(&pol, &ctx, "my Jean.Dupont 2024!", 20, "contains_email");
	expect_rule(&pol, &ctx, "JEAN.DUPONT@EXAMPLE.ORG!", 24, "contains_email");
	expect_rule(&pol, &ctx, "we love ACME CORP so", 20, "contains_tenant");
	expect_rule(&pol, &ctx, "acmecorp-rules-forever", 22, "contains_tenant");
	expect_rule(&pol, &ctx, "xx-Acme-Widgets-yy", 18, "contains_tenant");
	expect_rule(&pol, &ctx, "acmewidgets forever", 19, "contains_tenant");
	expect_ok(&pol, &ctx, "jean and his corporation", 24);
	/* Local parts and names under three characters are ignored. */
	expect_ok(&pol, &short_ctx, "joyful-mountain-river", 21);
	expect_ok(&pol, &short_ctx, "ABsolutely fine here", 20);
	/* An email without '@' is all local part. */
	ctx.email = "zorglub";
	expect_rule(&pol, &ctx, "the zorglub returns", 19, "contains_email");
	ctx = (struct password_context){ 0 };
	expect_ok(&pol, &ctx, "jean.dupont 2024!", 17);
}

/* Composition rules are off by default (ASVS 6.2.5) and can be turned on. */
static void
test_composition(void **state)
{
	struct password_policy pol;

	(void)state;
	password_policy_default(&pol);
	assert_int_equal(pol.require_classes, 0);
	expect_ok(&pol, NULL, "onlylowercaseletters", 20);
	pol.require_classes = 1;
	expect_rule(&pol, NULL, "onlylowercaseletters", 20, "composition");
	expect_rule(&pol, NULL, "lowerAndUpperOnly", 17, "composition");
	expect_ok(&pol, NULL, "lowerAndUpper and space", 23);
	expect_ok(&pol, NULL, "lower 1234 digits", 17);
	expect_ok(&pol, NULL, "UPPER 1234 \xc3\xa9t\xc3\xa9", 16);
}

static void
test_history(void **state)
{
	static const char *const pws[6] = {
		"newest river password", "second river password", "third river password",
		"fourth river password", "fifth river password", "sixth, oldest password",
	};
	char hashes[6][PASSWORD_HASH_MAX];
	const char *ptrs[6];
	struct password_policy pol;
	struct password_context ctx = { .previous_hashes = ptrs, .nprevious = 6 };

	(void)state;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(password_hash(&small, pws[i], strlen(pws[i]), hashes[i]), 0);
		ptrs[i] = hashes[i];
	}
	password_policy_default(&pol);
	assert_int_equal(pol.history, 5);
	for (int i = 0; i < 5; i++)
		expect_rule(&pol, &ctx, pws[i], strlen(pws[i]), "reused");
	expect_ok(&pol, &ctx, pws[5], strlen(pws[5]));
	expect_ok(&pol, &ctx, "a brand new password", 20);
	pol.history = 0;
	expect_ok(&pol, &ctx, pws[0], strlen(pws[0]));
	/* Fewer previous hashes than the history, and holes, are fine. */
	pol.history = 5;
	ptrs[0] = NULL;
	ctx.nprevious = 2;
	expect_ok(&pol, &ctx, pws[0], strlen(pws[0]));
	expect_rule(&pol, &ctx, pws[1], strlen(pws[1]), "reused");
	expect_ok(&pol, &ctx, pws[2], strlen(pws[2]));
}

static void
test_policy_validate(void **state)
{
	static const struct {
		struct password_policy pol;
		const char *field;
	} bad[] = {
		{ { 7, 128, 0, 5, 1 }, "min_length" },
		{ { 12, 63, 0, 5, 1 }, "max_length" },
		{ { 12, 257, 0, 5, 1 }, "max_length" },
		{ { 100, 64, 0, 5, 1 }, "min_length" },
		{ { 12, 128, 2, 5, 1 }, "require_classes" },
		{ { 12, 128, 0, 25, 1 }, "history" },
		{ { 12, 128, 0, 5, -1 }, "check_common" },
	};
	struct password_policy pol;
	char msg[128];
	const char *rule = "unset";

	(void)state;
	password_policy_default(&pol);
	assert_int_equal(password_policy_validate(&pol, msg, sizeof(msg)), 0);
	pol = (struct password_policy){ 8, 64, 1, 0, 0 };
	assert_int_equal(password_policy_validate(&pol, msg, sizeof(msg)), 0);
	pol = (struct password_policy){ 256, 256, 0, 24, 1 };
	assert_int_equal(password_policy_validate(&pol, msg, sizeof(msg)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		assert_int_equal(password_policy_validate(&bad[i].pol, msg, sizeof(msg)),
		    ERR_INVALID);
		assert_non_null(strstr(msg, bad[i].field));
	}
	/* A broken policy is a configuration error, not a verdict on the password. */
	assert_int_equal(password_check(&bad[0].pol, NULL, "whatever password", 17, &rule, msg,
	    sizeof(msg)), ERR_CONFIG);
	assert_null(rule);
}

static void
test_policy_json(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"min_length\": 12, \"colour\": \"red\"}", "colour" },
		{ "{\"min_length\": \"12\"}", "min_length" },
		{ "{\"min_length\": 12.0}", "min_length" },
		{ "{\"min_length\": 7}", "min_length" },
		{ "{\"min_length\": -1}", "min_length" },
		{ "{\"min_length\": 4294967308}", "min_length" },
		{ "{\"max_length\": 63}", "max_length" },
		{ "{\"max_length\": 100000}", "max_length" },
		{ "{\"min_length\": 100, \"max_length\": 64}", "min_length" },
		{ "{\"require_classes\": 1}", "require_classes" },
		{ "{\"check_common\": null}", "check_common" },
		{ "{\"history\": 25}", "history" },
		{ "[]", "object" },
	};
	struct password_policy pol, back, custom = { 15, 200, 1, 10, 0 };
	json_t *j, *v;
	char msg[128];

	(void)state;
	password_policy_default(&pol);
	j = password_policy_to_json(&pol);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 5);
	assert_true(json_is_false(json_object_get(j, "require_classes")));
	assert_true(json_is_true(json_object_get(j, "check_common")));
	memset(&back, 0xff, sizeof(back));
	assert_int_equal(password_policy_from_json(j, &back, msg, sizeof(msg)), 0);
	assert_memory_equal(&back, &pol, sizeof(pol));
	json_decref(j);
	j = password_policy_to_json(&custom);
	assert_int_equal(password_policy_from_json(j, &back, msg, sizeof(msg)), 0);
	assert_memory_equal(&back, &custom, sizeof(custom));
	json_decref(j);
	/* Absent fields take the defaults. */
	j = json_pack("{s:I}", "history", (json_int_t)3);
	assert_int_equal(password_policy_from_json(j, &back, msg, sizeof(msg)), 0);
	assert_int_equal(back.history, 3);
	assert_int_equal(back.min_length, 12);
	assert_int_equal(back.check_common, 1);
	json_decref(j);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		back = custom;
		msg[0] = '\0';
		v = json_loads(bad[i][0], 0, NULL);
		assert_non_null(v);
		assert_int_equal(password_policy_from_json(v, &back, msg, sizeof(msg)), ERR_INVALID);
		assert_non_null(strstr(msg, bad[i][1]));
		assert_memory_equal(&back, &custom, sizeof(custom));   /* untouched */
		json_decref(v);
	}
}

/* ASVS 6.3.8: unknown accounts cost a verification too (timings not asserted here). */
static void
test_dummy_verify(void **state)
{
	struct password_dummy *d;
	char *big = make_pw(PASSWORD_MAX_BYTES + 1);

	(void)state;
	d = password_dummy_new(&small);
	assert_non_null(d);
	password_dummy_verify(d, "some guess", 10);
	password_dummy_verify(d, "", 0);
	password_dummy_verify(d, big, PASSWORD_MAX_BYTES + 1);
	password_dummy_free(d);
	password_dummy_free(NULL);
	assert_null(password_dummy_new(&(struct password_params){ .passes = 0,
	    .memory_kib = 8192 }));
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify_round_trip),
		cmocka_unit_test(test_verify_malformed_hash),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_hash_limits),
		cmocka_unit_test(test_length_in_code_points),
		cmocka_unit_test(test_any_characters),
		cmocka_unit_test(test_encoding_rules),
		cmocka_unit_test(test_common_passwords),
		cmocka_unit_test(test_context_words),
		cmocka_unit_test(test_composition),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_policy_validate),
		cmocka_unit_test(test_policy_json),
		cmocka_unit_test(test_dummy_verify),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
