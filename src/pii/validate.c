/*
 * validate.c: the checks that tell a real identifier from a look-alike: Luhn, IBAN mod-97 and
 * registry lengths, card issuer ranges, NIR key, SIREN/SIRET (and La Poste's exception), IP
 * addresses, calendar dates, E.164 country codes. Pure functions over bounded inputs.
 */
#include "pii/internal.h"

#include <arpa/inet.h>
#include <string.h>

#define VALIDATE_DIGITS_MAX 40

/* The decimal digits of s, skipping the separators in skip; -1 on any other byte or too many. */
static int
validate_digits(const char *s, size_t len, const char *skip, char *out, size_t outsz)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (n + 1 >= outsz)
				return -1;
			out[n++] = s[i];
		} else if (s[i] == '\0' || strchr(skip, s[i]) == NULL)
			return -1;
	}
	out[n] = '\0';
	return (int)n;
}

static int
validate_luhn_digits(const char *d, size_t n)
{
	unsigned sum = 0;

	if (n == 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		unsigned v = (unsigned)(d[n - 1 - k] - '0');

		if (k % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

int
pii_luhn_valid(const char *s, size_t len)
{
	char d[VALIDATE_DIGITS_MAX + 1];
	size_t n = 0;

	for (size_t i = 0; i < len && n < VALIDATE_DIGITS_MAX; i++)
		if (s[i] >= '0' && s[i] <= '9')
			d[n++] = s[i];
	return validate_luhn_digits(d, n);
}

/* The SWIFT IBAN registry (release 99, 2024): country and total length. */
static const struct {
	char cc[3];
	unsigned char len;
} validate_iban_lengths[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
	{ "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BI", 27 }, { "BR", 29 }, { "BY", 28 },
	{ "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 },
	{ "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 },
	{ "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 }, { "GI", 23 },
	{ "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 }, { "IE", 22 },
	{ "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 }, { "KW", 30 },
	{ "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
	{ "LV", 21 }, { "LY", 25 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 },
	{ "MN", 20 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 },
	{ "NO", 15 }, { "OM", 23 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 },
	{ "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 }, { "SA", 24 }, { "SC", 31 },
	{ "SD", 18 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 }, { "SO", 23 },
	{ "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 },
	{ "VA", 22 }, { "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

int
pii_iban_length(const char *cc)
{
	size_t lo = 0, hi = sizeof(validate_iban_lengths) / sizeof(validate_iban_lengths[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(cc, validate_iban_lengths[mid].cc, 2);

		if (c == 0)
			return validate_iban_lengths[mid].len;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int
pii_iban_valid(const char *s, size_t len)
{
	char c[40];
	size_t n = 0;
	unsigned rem = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z')) || n == sizeof(c))
			return 0;
		c[n++] = ch;
	}
	if (n < 15 || !(c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z') ||
	    !(c[2] >= '0' && c[2] <= '9' && c[3] >= '0' && c[3] <= '9') ||
	    pii_iban_length(c) != (int)n)
		return 0;
	/* Move the first four characters to the end, letters as 10..35, remainder mod 97. */
	for (size_t k = 0; k < n; k++) {
		char ch = c[(k + 4) % n];

		if (ch >= 'A')
			rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
		else
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
	}
	return rem == 1;
}

static int
validate_prefix_in(const char *d, int digits, int lo, int hi)
{
	int v = 0;

	for (int i = 0; i < digits; i++)
		v = v * 10 + (d[i] - '0');
	return v >= lo && v <= hi;
}

int
pii_card_valid(const char *s, size_t len, const char **issuer)
{
	char d[VALIDATE_DIGITS_MAX + 1];
	int n = validate_digits(s, len, " -", d, sizeof(d));
	const char *who = NULL;

	if (n < 13 || n > 19 || !validate_luhn_digits(d, (size_t)n))
		return 0;
	if (d[0] == '4' && (n == 13 || n == 16 || n == 19))
		who = "visa";
	else if (n == 16 && (validate_prefix_in(d, 2, 51, 55) ||
	    validate_prefix_in(d, 4, 2221, 2720)))
		who = "mastercard";
	else if (n == 15 && (validate_prefix_in(d, 2, 34, 34) || validate_prefix_in(d, 2, 37, 37)))
		who = "amex";
	else if (n >= 16 && (validate_prefix_in(d, 4, 6011, 6011) ||
	    validate_prefix_in(d, 3, 644, 649) || validate_prefix_in(d, 2, 65, 65) ||
	    validate_prefix_in(d, 6, 622126, 622925)))
		who = "discover";
	else if (n >= 16 && validate_prefix_in(d, 4, 3528, 3589))
		who = "jcb";
	else if (n >= 16 && validate_prefix_in(d, 2, 62, 62))
		who = "unionpay";
	else if (n >= 16 && validate_prefix_in(d, 4, 2200, 2204))
		who = "mir";
	else if (n >= 14 && (validate_prefix_in(d, 3, 300, 305) || validate_prefix_in(d, 2, 36, 36) ||
	    validate_prefix_in(d, 2, 38, 39)))
		who = "diners";
	else if (validate_prefix_in(d, 4, 5018, 5018) || validate_prefix_in(d, 4, 5020, 5020) ||
	    validate_prefix_in(d, 4, 5038, 5038) || validate_prefix_in(d, 4, 5893, 5893) ||
	    validate_prefix_in(d, 4, 6304, 6304) || validate_prefix_in(d, 4, 6759, 6759) ||
	    validate_prefix_in(d, 4, 6761, 6763))
		who = "maestro";
	if (issuer != NULL)
		*issuer = who;
	return who != NULL;
}

int
pii_nir_valid(const char *s, size_t len)
{
	char c[16];
	size_t n = 0;
	unsigned long long num = 0;
	int month, dept, key;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '.')
			continue;
		if (n == 15)
			return 0;
		c[n++] = s[i];
	}
	if (n != 15)
		return 0;
	for (size_t i = 0; i < 15; i++) {
		int corsica = i == 6 && c[5] == '2' && (c[6] == 'A' || c[6] == 'B');

		if (!(c[i] >= '0' && c[i] <= '9') && !corsica)
			return 0;
	}
	if (strchr("123478", c[0]) == NULL)
		return 0;
	month = (c[3] - '0') * 10 + (c[4] - '0');
	if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50))
		return 0;
	dept = (c[5] - '0') * 10 + (c[6] >= 'A' ? 0 : c[6] - '0');
	if (dept == 0 || (c[10] == '0' && c[11] == '0' && c[12] == '0'))
		return 0;
	for (size_t i = 0; i < 13; i++) {
		int v = c[i] - '0';

		/* 2A counts as 19 and 2B as 18 (the number less 1 or 2 million). */
		if (i == 5 && c[6] >= 'A')
			v = 1;
		else if (i == 6 && c[6] >= 'A')
			v = c[6] == 'A' ? 9 : 8;
		num = num * 10 + (unsigned)v;
	}
	key = (c[13] - '0') * 10 + (c[14] - '0');
	return key == (int)(97 - num % 97);
}

#define VALIDATE_LA_POSTE "356000000"

int
pii_siren_valid(const char *s, size_t len)
{
	char d[VALIDATE_DIGITS_MAX + 1];

	return validate_digits(s, len, " .", d, sizeof(d)) == 9 && validate_luhn_digits(d, 9);
}

int
pii_siret_valid(const char *s, size_t len)
{
	char d[VALIDATE_DIGITS_MAX + 1];
	unsigned sum = 0;

	if (validate_digits(s, len, " .", d, sizeof(d)) != 14)
		return 0;
	if (validate_luhn_digits(d, 14))
		return 1;
	/* La Poste's establishments share one SIREN; their NICs follow a sum-of-digits rule. */
	if (memcmp(d, VALIDATE_LA_POSTE, 9) != 0)
		return 0;
	for (int i = 0; i < 14; i++)
		sum += (unsigned)(d[i] - '0');
	return sum % 5 == 0;
}

int
pii_ipv4_valid(const char *s, size_t len)
{
	int parts = 0, digits = 0, v = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (digits == 0 || v > 255 || ++parts > 4)
				return 0;
			digits = v = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && v == 0)
				return 0;       /* leading zero: octal in some parsers, a look-alike */
			if (++digits > 3)
				return 0;
			v = v * 10 + (s[i] - '0');
		} else
			return 0;
	}
	return parts == 4;
}

int
pii_ipv6_valid(const char *s, size_t len)
{
	char buf[46];
	unsigned char addr[16];

	if (len < 2 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

int
pii_date_valid(int day, int month, int year)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1] || year < 0 ||
	    year > 9999)
		return 0;
	if (month == 2 && day == 29 && year >= 100 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return 0;
	return 1;
}

/* Country calling codes and the lengths of their national significant numbers. */
static const struct {
	const char *cc;
	unsigned char min, max;
} validate_phone_cc[] = {
	{ "1", 10, 10 }, { "30", 10, 10 }, { "31", 9, 9 }, { "32", 8, 9 }, { "33", 9, 9 },
	{ "34", 9, 9 }, { "36", 8, 9 }, { "39", 6, 11 }, { "40", 9, 9 }, { "41", 9, 9 },
	{ "43", 4, 13 }, { "44", 9, 10 }, { "45", 8, 8 }, { "46", 7, 10 }, { "47", 8, 8 },
	{ "48", 9, 9 }, { "49", 6, 13 }, { "262", 9, 9 }, { "350", 8, 8 }, { "351", 9, 9 },
	{ "352", 4, 11 }, { "353", 7, 9 }, { "354", 7, 9 }, { "356", 8, 8 }, { "357", 8, 8 },
	{ "358", 5, 12 }, { "359", 7, 9 }, { "370", 8, 8 }, { "371", 8, 8 }, { "372", 7, 8 },
	{ "376", 6, 9 }, { "377", 8, 9 }, { "385", 8, 9 }, { "386", 8, 8 }, { "420", 9, 9 },
	{ "421", 9, 9 }, { "423", 7, 9 }, { "508", 6, 6 }, { "590", 9, 9 }, { "594", 9, 9 },
	{ "596", 9, 9 }, { "681", 6, 6 }, { "687", 6, 6 }, { "689", 8, 9 },
};

/* The other assigned codes (country codes are prefix-free: one entry matches at most). */
static const struct {
	const char *cc;
	unsigned char min, max;
} validate_phone_cc_world[] = {
	{ "7", 10, 10 }, { "20", 8, 10 }, { "27", 9, 9 }, { "51", 8, 9 }, { "52", 10, 10 },
	{ "53", 8, 8 }, { "54", 10, 11 }, { "55", 10, 11 }, { "56", 9, 9 }, { "57", 10, 10 },
	{ "58", 10, 10 }, { "60", 8, 10 }, { "61", 9, 9 }, { "62", 8, 12 }, { "63", 8, 10 },
	{ "64", 8, 10 }, { "65", 8, 8 }, { "66", 8, 9 }, { "81", 9, 10 }, { "82", 8, 10 },
	{ "84", 9, 10 }, { "86", 10, 11 }, { "90", 10, 10 }, { "91", 10, 10 }, { "92", 9, 10 },
	{ "93", 9, 9 }, { "94", 9, 9 }, { "95", 7, 10 }, { "98", 10, 10 }, { "212", 9, 9 },
	{ "213", 8, 9 }, { "216", 8, 8 }, { "218", 9, 9 }, { "220", 7, 7 }, { "221", 9, 9 },
	{ "223", 8, 8 }, { "225", 10, 10 }, { "229", 8, 10 }, { "233", 9, 9 }, { "234", 8, 10 },
	{ "237", 9, 9 }, { "243", 9, 9 }, { "244", 9, 9 }, { "251", 9, 9 }, { "254", 9, 9 },
	{ "255", 9, 9 }, { "256", 9, 9 }, { "260", 9, 9 }, { "263", 9, 9 }, { "355", 8, 9 },
	{ "373", 8, 8 }, { "374", 8, 8 }, { "375", 9, 9 }, { "378", 6, 10 }, { "380", 9, 9 },
	{ "381", 8, 9 }, { "382", 8, 8 }, { "383", 8, 8 }, { "387", 8, 8 }, { "389", 8, 8 },
	{ "501", 7, 7 }, { "502", 8, 8 }, { "503", 8, 8 }, { "504", 8, 8 }, { "505", 8, 8 },
	{ "506", 8, 8 }, { "507", 7, 8 }, { "509", 8, 8 }, { "591", 8, 8 }, { "593", 8, 9 },
	{ "595", 9, 9 }, { "598", 8, 8 }, { "675", 7, 8 }, { "679", 7, 7 }, { "852", 8, 8 },
	{ "853", 8, 8 }, { "855", 8, 9 }, { "856", 8, 10 }, { "880", 10, 10 }, { "886", 8, 9 },
	{ "960", 7, 7 }, { "961", 7, 8 }, { "962", 8, 9 }, { "963", 9, 9 }, { "964", 10, 10 },
	{ "965", 8, 8 }, { "966", 9, 9 }, { "967", 9, 9 }, { "968", 8, 8 }, { "970", 9, 9 },
	{ "971", 8, 9 }, { "972", 8, 9 }, { "973", 8, 8 }, { "974", 8, 8 }, { "975", 8, 8 },
	{ "976", 8, 8 }, { "977", 8, 10 }, { "992", 9, 9 }, { "993", 8, 8 }, { "994", 9, 9 },
	{ "995", 9, 9 }, { "996", 9, 9 }, { "998", 9, 9 },
};

/* -1 when no country code of the table starts digits, else whether the length fits. */
static int
validate_phone_cc_check(const char *digits, size_t n, const char *cc, unsigned min,
    unsigned max)
{
	size_t cl = strlen(cc), rest;

	if (n <= cl || memcmp(digits, cc, cl) != 0)
		return -1;
	rest = n - cl;
	/* The trunk 0 is dropped after a country code, except in Italy. */
	return (digits[cl] != '0' || (cl == 2 && memcmp(digits, "39", 2) == 0)) && rest >= min &&
	    rest <= max;
}

int
pii_phone_e164_valid(const char *digits, size_t n)
{
	if (n < 8 || n > 15 || digits[0] == '0')
		return 0;
	for (size_t i = 0; i < sizeof(validate_phone_cc) / sizeof(validate_phone_cc[0]); i++) {
		int r = validate_phone_cc_check(digits, n, validate_phone_cc[i].cc,
		    validate_phone_cc[i].min, validate_phone_cc[i].max);

		if (r >= 0)
			return r;
	}
	return 0;
}

int
pii_phone_e164_world_valid(const char *digits, size_t n)
{
	if (n < 8 || n > 15 || digits[0] == '0')
		return 0;
	if (pii_phone_e164_valid(digits, n))
		return 1;
	for (size_t i = 0; i < sizeof(validate_phone_cc_world) / sizeof(validate_phone_cc_world[0]);
	    i++) {
		int r = validate_phone_cc_check(digits, n, validate_phone_cc_world[i].cc,
		    validate_phone_cc_world[i].min, validate_phone_cc_world[i].max);

		if (r >= 0)
			return r;
	}
	return 0;
}
