/* Pseudonyms, operators, restore and the mapping's JSON. */
#include "../test.h"

#include <sodium.h>

#include "common/err.h"
#include "pii/pii.h"

static char *
apply_text(const char *text, enum pii_operator op, const struct pii_op_params *p,
    struct pii_mapping *m)
{
	struct pii_options o = { .language = "fr", .threshold = 0.5 };
	struct pii_hit *hits = NULL;
	size_t n = 0, outlen = 0;
	char *out = NULL;

	assert_int_equal(pii_analyze(text, strlen(text), &o, &hits, &n, NULL), 0);
	assert_int_equal(pii_apply(text, strlen(text), hits, n, op, p, m, &out, &outlen), 0);
	assert_int_equal(strlen(out), outlen);
	free(hits);
	return out;
}

static char *
restore_text(const char *text, const struct pii_mapping *m)
{
	char *out = NULL;
	size_t outlen = 0;

	assert_int_equal(pii_restore(text, strlen(text), m, &out, &outlen), 0);
	assert_int_equal(strlen(out), outlen);
	return out;
}

static void
test_pseudonymize_stable(void **state)
{
	struct pii_mapping *m = pii_mapping_new();
	char *a, *b, tok[64];

	(void)state;
	a = apply_text("Bonjour, je m'appelle Jean Dupont. Mme Martin et Jean Dupont "
	    "écrivent à jean@exemple.fr et paul@exemple.fr.", PII_OP_PSEUDONYMIZE, NULL, m);
	assert_string_equal(a, "Bonjour, je m'appelle <PERSON_1>. Mme <PERSON_2> et <PERSON_1> "
	    "écrivent à <EMAIL_ADDRESS_1> et <EMAIL_ADDRESS_2>.");
	assert_int_equal(pii_mapping_count(m), 4);
	/* A second text with the same mapping: known values keep their tokens. */
	b = apply_text("Réponse de M. Martin à jean@exemple.fr, copie à Mme Durand.",
	    PII_OP_PSEUDONYMIZE, NULL, m);
	assert_string_equal(b, "Réponse de M. <PERSON_2> à <EMAIL_ADDRESS_1>, copie à Mme "
	    "<PERSON_3>.");
	assert_int_equal(pii_mapping_lookup(m, PII_PERSON, "Durand", 6, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "<PERSON_3>");
	assert_int_equal(pii_mapping_lookup(m, PII_EMAIL_ADDRESS, "Durand", 6, tok, sizeof(tok)),
	    ERR_NOTFOUND);
	free(a);
	free(b);
	pii_mapping_free(m);
}

static void
test_restore_mangled(void **state)
{
	struct pii_mapping *m = pii_mapping_new();
	char *a, *r;

	(void)state;
	a = apply_text("Mme Martin, M. Durand, Mme Petit, M. Leroy, Mme Moreau, M. Simon, "
	    "Mme Laurent, M. Michel, Mme Garcia, M. David et Mme Bertrand.",
	    PII_OP_PSEUDONYMIZE, NULL, m);
	assert_non_null(strstr(a, "<PERSON_10>"));
	assert_non_null(strstr(a, "<PERSON_11>"));
	r = restore_text(a, m);
	assert_string_equal(r, "Mme Martin, M. Durand, Mme Petit, M. Leroy, Mme Moreau, M. Simon, "
	    "Mme Laurent, M. Michel, Mme Garcia, M. David et Mme Bertrand.");
	free(r);
	/* What a model does to tokens. */
	r = restore_text("PERSON_1 a vu <PERSON_2, [PERSON_3], < PERSON_4 >, <person_5>, "
	    "Person_6> et {PERSON_7}.", m);
	assert_string_equal(r, "Martin a vu Durand, Petit, Leroy, Moreau, Simon et {Laurent}.");
	free(r);
	/* PERSON_10 is never PERSON_1 then 0; unknown numbers and near misses stay. */
	r = restore_text("<PERSON_10> <PERSON_1> PERSON_100 XPERSON_1 PERSON_1x PERSON_01 "
	    "<EMAIL_ADDRESS_1>", m);
	assert_string_equal(r, "David Martin PERSON_100 XPERSON_1 PERSON_1x PERSON_01 "
	    "<EMAIL_ADDRESS_1>");
	free(r);
	free(a);
	pii_mapping_free(m);
}

static void
test_operators(void **state)
{
	unsigned char key[PII_HASH_KEY_BYTES], key2[PII_HASH_KEY_BYTES];
	struct pii_op_params p = { .mask_keep = 4 };
	char *out, *again;

	(void)state;
	out = apply_text("Appelez Jean Dupont au 06 12 34 56 78.", PII_OP_REDACT, NULL, NULL);
	assert_string_equal(out, "Appelez <PERSON> au <PHONE_NUMBER>.");
	free(out);
	out = apply_text("Appelez Jean Dupont au 06 12 34 56 78.", PII_OP_MASK, &p, NULL);
	assert_string_equal(out, "Appelez *******pont au **********6 78.");
	free(out);
	p.mask_keep = 0;
	out = apply_text("Écrire à Zoé Lefèvre", PII_OP_MASK, &p, NULL);
	assert_string_equal(out, "Écrire à ***********");    /* one '*' per code point */
	free(out);
	memset(key, 1, sizeof(key));
	memset(key2, 2, sizeof(key2));
	p.hash_key = key;
	out = apply_text("Jean Dupont et Marie Curie, puis Jean Dupont.", PII_OP_HASH, &p, NULL);
	assert_int_equal(strlen(out), strlen("<PERSON_12345678> et <PERSON_12345678>, puis "
	    "<PERSON_12345678>."));
	assert_memory_equal(out, out + strlen("<PERSON_12345678> et <PERSON_12345678>, puis "),
	    17);                                                /* same value, same tag */
	assert_memory_not_equal(out, out + 21, 17);             /* other value, other tag */
	again = apply_text("Jean Dupont et Marie Curie, puis Jean Dupont.", PII_OP_HASH, &p, NULL);
	assert_string_equal(out, again);                        /* stable for a key */
	free(again);
	p.hash_key = key2;
	again = apply_text("Jean Dupont et Marie Curie, puis Jean Dupont.", PII_OP_HASH, &p, NULL);
	assert_string_not_equal(out, again);                    /* keyed */
	free(again);
	free(out);
}

static void
test_apply_refuses(void **state)
{
	struct pii_hit h[2] = { { .entity = PII_PERSON, .start = 0, .end = 4 },
		{ .entity = PII_PERSON, .start = 2, .end = 6 } };
	struct pii_op_params p = { .mask_keep = PII_MASK_KEEP_MAX + 1 };
	char *out = (char *)"x";
	size_t outlen;

	(void)state;
	/* Overlapping or out-of-range hits, a hit inside a code point, no mapping, no key. */
	assert_int_equal(pii_apply("abcdefgh", 8, h, 2, PII_OP_REDACT, NULL, NULL, &out, &outlen),
	    ERR_INVALID);
	assert_null(out);
	h[1].start = 6;
	h[1].end = 9;
	assert_int_equal(pii_apply("abcdefgh", 8, h, 2, PII_OP_REDACT, NULL, NULL, &out, &outlen),
	    ERR_INVALID);
	h[0].end = 2;
	assert_int_equal(pii_apply("aéb", 4, h, 1, PII_OP_REDACT, NULL, NULL, &out, &outlen),
	    ERR_INVALID);
	h[0].end = 1;
	assert_int_equal(pii_apply("ab", 2, h, 1, PII_OP_PSEUDONYMIZE, NULL, NULL, &out,
	    &outlen), ERR_INVALID);
	assert_int_equal(pii_apply("ab", 2, h, 1, PII_OP_HASH, NULL, NULL, &out, &outlen),
	    ERR_INVALID);
	assert_int_equal(pii_apply("ab", 2, h, 1, PII_OP_MASK, &p, NULL, &out, &outlen),
	    ERR_INVALID);
	assert_int_equal(pii_apply("a\xff", 2, h, 1, PII_OP_REDACT, NULL, NULL, &out, &outlen),
	    ERR_INVALID);
	assert_int_equal(pii_apply("ab", 2, h, 1, PII_OP_REDACT, NULL, NULL, &out, &outlen), 0);
	assert_string_equal(out, "<PERSON>b");
	free(out);
	assert_int_equal(pii_restore("a\0b", 3, NULL, &out, &outlen), ERR_INVALID);
}

static void
test_json_round_trip(void **state)
{
	/* Values with quotes, a backslash, a tab and a control byte go through the JSON. */
	static const char text[] = "A \"Jo\\\" B\tC\x01" "D Lefèvre";
	struct pii_hit h[3] = { { .entity = PII_PERSON, .start = 2, .end = 7 },
		{ .entity = PII_URL, .start = 8, .end = 13 },
		{ .entity = PII_PERSON, .start = 14, .end = 22 } };
	struct pii_mapping *m = pii_mapping_new(), *back = NULL;
	char *a, *json = NULL, *json2 = NULL, *r, *b;
	size_t alen;

	(void)state;
	assert_int_equal(pii_apply(text, strlen(text), h, 3, PII_OP_PSEUDONYMIZE, NULL, m, &a,
	    &alen), 0);
	assert_string_equal(a, "A <PERSON_1> <URL_1> <PERSON_2>");
	assert_int_equal(pii_mapping_to_json(m, &json), 0);
	assert_non_null(strstr(json, "\"version\":1"));
	assert_non_null(strstr(json, "\"value\":\"\\\"Jo\\\\\\\"\""));
	assert_non_null(strstr(json, "B\\u0009C\\u0001D"));
	assert_int_equal(pii_mapping_from_json(json, strlen(json), &back), 0);
	assert_int_equal(pii_mapping_count(back), 3);
	assert_int_equal(pii_mapping_to_json(back, &json2), 0);
	assert_string_equal(json, json2);
	r = restore_text(a, back);
	assert_string_equal(r, text);
	/* The counters go on from where they were. */
	b = apply_text("Mme Petit", PII_OP_PSEUDONYMIZE, NULL, back);
	assert_string_equal(b, "Mme <PERSON_3>");
	free(a);
	free(b);
	free(r);
	pii_json_free(json);
	pii_json_free(json2);
	pii_mapping_free(m);
	pii_mapping_free(back);
}

static void
test_json_refused(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"version\":2,\"counters\":{},\"entries\":[]}",
		"{\"version\":1,\"counters\":{},\"entries\":[{\"type\":\"PERSON\",\"n\":1,"
		    "\"value\":\"A\"}]}",                                /* counter missing */
		"{\"version\":1,\"counters\":{\"PERSON\":1},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":2,\"value\":\"A\"}]}",                        /* counter below n */
		"{\"version\":1,\"counters\":{\"PERSON\":2},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":1,\"value\":\"A\"},{\"type\":\"PERSON\",\"n\":2,\"value\":\"A\"}]}",
		"{\"version\":1,\"counters\":{\"PERSON\":2},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":1,\"value\":\"A\"},{\"type\":\"PERSON\",\"n\":1,\"value\":\"B\"}]}",
		"{\"version\":1,\"counters\":{\"NAME\":1},\"entries\":[]}",
		"{\"version\":1,\"counters\":{\"PERSON\":1},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":0,\"value\":\"A\"}]}",
		"{\"version\":1,\"counters\":{\"PERSON\":1},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":1,\"value\":\"A\\u0000B\"}]}",
		"{\"version\":1,\"counters\":{\"PERSON\":1},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":1,\"value\":\"\"}]}",
		"{\"version\":1,\"counters\":{\"PERSON\":1},\"entries\":[{\"type\":\"PERSON\","
		    "\"n\":1,\"value\":\"A\",\"extra\":1}]}",
	};
	struct pii_mapping *m = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pii_mapping_from_json(bad[i], strlen(bad[i]), &m) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_null(m);
	}
	assert_int_equal(pii_mapping_from_json("{}", PII_MAPPING_JSON_MAX + 1, &m), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pseudonymize_stable),
		cmocka_unit_test(test_restore_mangled),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_apply_refuses),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
