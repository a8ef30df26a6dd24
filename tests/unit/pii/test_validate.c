/* Known-answer vectors for the PII validators (STYLE.md: IBAN, NIR, Luhn...). */
#include "../test.h"

#include "pii/internal.h"

#define S(x) x, strlen(x)

static void
test_luhn(void **state)
{
	(void)state;
	assert_true(pii_luhn_valid(S("79927398713")));
	assert_false(pii_luhn_valid(S("79927398710")));
	assert_true(pii_luhn_valid(S("4111 1111 1111 1111")));
	assert_false(pii_luhn_valid(S("")));
}

static void
test_iban(void **state)
{
	static const char *const valid[] = {
		"FR1420041010050500013M02606", "FR76 3000 6000 0112 3456 7890 189",
		"DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19",
		"GB82WEST12345698765432", "BE68 5390 0754 7034", "NL91ABNA0417164300",
		"ES9121000418450200051332", "IT60X0542811101000000123456", "CH9300762011623852957",
	};
	static const char *const invalid[] = {
		"FR76 3000 6000 0112 3456 7890 188",    /* wrong key */
		"FR76 3000 6000 0112 3456 7890 18",     /* FR is 27 long */
		"DE89 3704 0044 0532 0130 001",         /* DE is 22 long */
		"GB29 NWBK 6016 1331 9268 18",          /* wrong key */
		"BE68 5390 0754 70345",                 /* BE is 16 long */
		"BE69 5390 0754 7034",                  /* wrong key */
		"XX89 3704 0044 0532 0130 00",          /* no such country */
		"FR76-3000-6000-0112-3456-7890-189",    /* dashes are not IBAN separators */
		"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (!pii_iban_valid(S(valid[i])))
			fail_msg("%s should be valid", valid[i]);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		if (pii_iban_valid(S(invalid[i])))
			fail_msg("%s should be invalid", invalid[i]);
	assert_int_equal(pii_iban_length("FR"), 27);
	assert_int_equal(pii_iban_length("NO"), 15);
	assert_int_equal(pii_iban_length("US"), 0);
}

static void
test_cards(void **state)
{
	const char *who = NULL;

	(void)state;
	assert_true(pii_card_valid(S("4111111111111111"), &who));
	assert_string_equal(who, "visa");
	assert_true(pii_card_valid(S("4970 1012 3456 7893"), &who));
	assert_string_equal(who, "visa");
	assert_true(pii_card_valid(S("5555-5555-5555-4444"), &who));
	assert_string_equal(who, "mastercard");
	assert_true(pii_card_valid(S("2221000000000009"), &who));
	assert_string_equal(who, "mastercard");
	assert_true(pii_card_valid(S("378282246310005"), &who));
	assert_string_equal(who, "amex");
	assert_true(pii_card_valid(S("3714 496353 98431"), &who));
	assert_string_equal(who, "amex");
	assert_true(pii_card_valid(S("6011111111111117"), &who));
	assert_string_equal(who, "discover");
	assert_true(pii_card_valid(S("36227206271667"), &who));
	assert_string_equal(who, "diners");
	/* Look-alikes: bad Luhn, no issuer, a length the issuer does not use, too short. */
	assert_false(pii_card_valid(S("4111111111111112"), NULL));
	assert_false(pii_card_valid(S("1234567812345670"), NULL));
	assert_false(pii_card_valid(S("411111111111116"), NULL));
	assert_false(pii_card_valid(S("5105105105105100 1"), NULL));
	assert_false(pii_card_valid(S("424242424242"), NULL));
	assert_false(pii_card_valid(S("4111.1111.1111.1111"), NULL));
}

static void
test_nir(void **state)
{
	(void)state;
	assert_true(pii_nir_valid(S("1 85 05 78 006 084 91")));
	assert_true(pii_nir_valid(S("185057800608491")));
	assert_true(pii_nir_valid(S("1.85.05.78.006.084.91")));
	assert_true(pii_nir_valid(S("2 69 02 99 341 732 85")));      /* born abroad (99) */
	assert_true(pii_nir_valid(S("1 85 05 2A 006 084 35")));      /* Corse-du-Sud: 2A = 19 */
	assert_true(pii_nir_valid(S("2 85 02 2B 123 456 59")));      /* Haute-Corse: 2B = 18 */
	assert_false(pii_nir_valid(S("1 85 05 78 006 084 92")));     /* wrong key */
	assert_false(pii_nir_valid(S("1 85 05 2A 006 084 91")));     /* 2A is not 20 */
	assert_false(pii_nir_valid(S("1 85 05 2B 006 084 35")));     /* 2B is not 2A */
	assert_false(pii_nir_valid(S("1 85 13 78 006 084 25")));     /* month 13, key right */
	assert_false(pii_nir_valid(S("5 85 05 78 006 084 91")));     /* sex digit */
	assert_false(pii_nir_valid(S("1 85 05 78 006 084 9")));      /* 14 characters */
	assert_false(pii_nir_valid(S("1 85 05 3A 006 084 35")));     /* only 2A/2B */
}

static void
test_siren_siret(void **state)
{
	(void)state;
	assert_true(pii_siren_valid(S("732 829 320")));
	assert_true(pii_siren_valid(S("732829320")));
	assert_true(pii_siren_valid(S("356000000")));                 /* La Poste itself */
	assert_false(pii_siren_valid(S("732 829 321")));
	assert_false(pii_siren_valid(S("73282932")));
	assert_true(pii_siret_valid(S("732 829 320 00074")));
	assert_false(pii_siret_valid(S("732 829 320 00075")));
	/* La Poste's SIRETs fail Luhn; their digit sum is a multiple of 5. */
	assert_true(pii_siret_valid(S("356 000 000 00001")));
	assert_false(pii_siret_valid(S("356 000 000 00000")));        /* sum 14 */
	/* The exception is La Poste's alone. */
	assert_false(pii_siret_valid(S("732 829 320 00004")));
}

static void
test_ip(void **state)
{
	(void)state;
	assert_true(pii_ipv4_valid(S("192.168.1.1")));
	assert_true(pii_ipv4_valid(S("0.0.0.0")));
	assert_true(pii_ipv4_valid(S("255.255.255.255")));
	assert_false(pii_ipv4_valid(S("256.1.1.1")));
	assert_false(pii_ipv4_valid(S("1.2.3.999")));
	assert_false(pii_ipv4_valid(S("1.2.3")));
	assert_false(pii_ipv4_valid(S("1.2.3.4.5")));
	assert_false(pii_ipv4_valid(S("01.2.3.4")));
	assert_false(pii_ipv4_valid(S("1..2.3")));
	assert_true(pii_ipv6_valid(S("::1")));
	assert_true(pii_ipv6_valid(S("2001:db8::1")));
	assert_true(pii_ipv6_valid(S("fe80::1ff:fe23:4567:890a")));
	assert_true(pii_ipv6_valid(S("::ffff:192.0.2.1")));
	assert_true(pii_ipv6_valid(S("2001:0db8:85a3:0000:0000:8a2e:0370:7334")));
	assert_false(pii_ipv6_valid(S("2001:db8::g")));
	assert_false(pii_ipv6_valid(S("1:2:3:4:5:6:7:8:9")));
	assert_false(pii_ipv6_valid(S("12:30")));
	assert_false(pii_ipv6_valid(S("1::2::3")));
}

static void
test_dates_phones(void **state)
{
	(void)state;
	assert_true(pii_date_valid(29, 2, 2024));
	assert_false(pii_date_valid(29, 2, 2023));
	assert_false(pii_date_valid(31, 4, 2024));
	assert_false(pii_date_valid(1, 13, 2024));
	assert_false(pii_date_valid(0, 1, 2024));
	assert_true(pii_phone_e164_valid(S("33612345678")));
	assert_false(pii_phone_e164_valid(S("3361234567")));         /* FR has 9 digits */
	assert_false(pii_phone_e164_valid(S("330612345678")));       /* trunk 0 kept */
	assert_true(pii_phone_e164_valid(S("390612345678")));        /* but Italy keeps it */
	assert_true(pii_phone_e164_valid(S("442079460958")));
	assert_true(pii_phone_e164_valid(S("12025550123")));
	assert_true(pii_phone_e164_valid(S("262262123456")));        /* La Réunion */
	assert_true(pii_phone_e164_valid(S("596696123456")));        /* Martinique mobile */
	assert_false(pii_phone_e164_valid(S("99912345678")));        /* no such country */
	assert_false(pii_phone_e164_valid(S("1202555012")));         /* NANP has 10 digits */
	/* The world table: the rest of the assigned country codes, for '+' numbers. */
	assert_true(pii_phone_e164_world_valid(S("61731234567")));     /* Australia */
	assert_true(pii_phone_e164_world_valid(S("919876543210")));    /* India */
	assert_true(pii_phone_e164_world_valid(S("2348031234567")));   /* Nigeria */
	assert_true(pii_phone_e164_world_valid(S("33612345678")));     /* the first table too */
	assert_false(pii_phone_e164_world_valid(S("9191234567")));     /* India has 10 digits */
	assert_false(pii_phone_e164_world_valid(S("99912345678")));    /* unassigned */
	assert_false(pii_phone_e164_world_valid(S("2800012345")));     /* 28x is spare */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luhn),
		cmocka_unit_test(test_iban),
		cmocka_unit_test(test_cards),
		cmocka_unit_test(test_nir),
		cmocka_unit_test(test_siren_siret),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_dates_phones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
