/* TOTP: RFC 6238 and RFC 4226 known answers, verification window and replay, base32
 * (RFC 4648 vectors), agreement with oathtool, otpauth URIs and their QR code as SVG. */
#include "../test.h"

#include <qrencode.h>
#include <sodium.h>
#include <sys/wait.h>

#include "auth/totp.h"
#include "common/err.h"

/* RFC 6238 Appendix B: the seed is "1234567890" repeated to the hash's length. */
static void
rfc6238_key(unsigned char *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (unsigned char)('0' + (i + 1) % 10);
}

static const struct {
	int64_t t;
	uint32_t sha1, sha256, sha512;
} rfc6238[] = {
	{ 59, 94287082, 46119246, 90693936 },
	{ 1111111109, 7081804, 68084774, 25091201 },
	{ 1111111111, 14050471, 67062674, 99943326 },
	{ 1234567890, 89005924, 91819424, 93441116 },
	{ 2000000000, 69279037, 90698825, 38618901 },
	{ 20000000000, 65353130, 77737706, 47863826 },
};

static void
test_rfc6238_vectors(void **state)
{
	unsigned char k20[20], k32[32], k64[64];
	uint32_t code;

	(void)state;
	rfc6238_key(k20, sizeof(k20));
	rfc6238_key(k32, sizeof(k32));
	rfc6238_key(k64, sizeof(k64));
	assert_memory_equal(k20, "12345678901234567890", 20);
	for (size_t i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		uint64_t step = (uint64_t)(rfc6238[i].t / TOTP_STEP);

		code = 0;
		assert_int_equal(totp_hotp_alg(1, k20, sizeof(k20), step, 8, &code), 0);
		assert_int_equal(code, rfc6238[i].sha1);
		code = 0;
		assert_int_equal(totp_hotp(k20, sizeof(k20), step, 8, &code), 0);
		assert_int_equal(code, rfc6238[i].sha1);
		code = 0;
		assert_int_equal(totp_hotp_alg(256, k32, sizeof(k32), step, 8, &code), 0);
		assert_int_equal(code, rfc6238[i].sha256);
		code = 0;
		assert_int_equal(totp_hotp_alg(512, k64, sizeof(k64), step, 8, &code), 0);
		assert_int_equal(code, rfc6238[i].sha512);
	}
}

static void
test_rfc4226_hotp_vectors(void **state)
{
	static const uint32_t expect[10] = { 755224, 287082, 359152, 969429, 338314, 254676,
		287922, 162583, 399871, 520489 };
	unsigned char key[20];
	uint32_t code;

	(void)state;
	rfc6238_key(key, sizeof(key));
	for (uint64_t c = 0; c < 10; c++) {
		code = 0;
		assert_int_equal(totp_hotp(key, sizeof(key), c, 6, &code), 0);
		assert_int_equal(code, expect[c]);
	}
	/* Appendix D's truncated values, reduced to 7 digits. */
	assert_int_equal(totp_hotp(key, sizeof(key), 0, 7, &code), 0);
	assert_int_equal(code, 1284755224u % 10000000u);
}

static void
test_hotp_bad_arguments(void **state)
{
	unsigned char key[20] = { 1 };
	uint32_t code;

	(void)state;
	assert_int_equal(totp_hotp(key, sizeof(key), 0, 5, &code), ERR_INVALID);
	assert_int_equal(totp_hotp(key, sizeof(key), 0, 9, &code), ERR_INVALID);
	assert_int_equal(totp_hotp(key, 0, 0, 6, &code), ERR_INVALID);
	assert_int_equal(totp_hotp(NULL, 20, 0, 6, &code), ERR_INVALID);
	assert_int_equal(totp_hotp(key, sizeof(key), 0, 6, NULL), ERR_INVALID);
	assert_int_equal(totp_hotp_alg(2, key, sizeof(key), 0, 6, &code), ERR_INVALID);
	assert_int_equal(totp_hotp_alg(384, key, sizeof(key), 0, 6, &code), ERR_INVALID);
}

/* A fixed secret and time, in the middle of a step, and the codes of the steps around it. */
#define VERIFY_NOW ((int64_t)1767225600 + 17)

struct window {
	unsigned char key[TOTP_SECRET_BYTES];
	int64_t step;
	char code[5][8];        /* steps step-2 .. step+2 */
};

static void
window_make(struct window *w)
{
	uint32_t c;

	for (size_t i = 0; i < sizeof(w->key); i++)
		w->key[i] = (unsigned char)(0xa5 ^ (i * 7));
	w->step = VERIFY_NOW / TOTP_STEP;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(totp_hotp(w->key, sizeof(w->key), (uint64_t)(w->step - 2 + i),
		    TOTP_DIGITS, &c), 0);
		snprintf(w->code[i], sizeof(w->code[i]), "%06u", (unsigned)c);
	}
	/* The refusals below mean something only if the five codes differ. */
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			assert_string_not_equal(w->code[i], w->code[j]);
}

/* ASVS 2.8.1 (time-based OTPs have a defined lifetime), RFC 6238 5.2. */
static void
test_verify_window(void **state)
{
	struct window w;
	int64_t m;

	(void)state;
	window_make(&w);
	m = -1;
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[2], VERIFY_NOW, 0, &m), 0);
	assert_int_equal(m, w.step);                                    /* current */
	m = -1;
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[1], VERIFY_NOW, 0, &m), 0);
	assert_int_equal(m, w.step - 1);                                /* previous */
	m = -1;
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[0], VERIFY_NOW, 0, &m),
	    ERR_PERM);                                                  /* two steps back */
	assert_int_equal(m, -1);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[3], VERIFY_NOW, 0, &m),
	    ERR_PERM);                                                  /* next */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[4], VERIFY_NOW, 0, &m),
	    ERR_PERM);
	assert_int_equal(m, -1);

	/* Step boundaries: the first and last second of a step see the same window. */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[2], w.step * TOTP_STEP, 0, &m),
	    0);
	assert_int_equal(m, w.step);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[1],
	    w.step * TOTP_STEP + TOTP_STEP - 1, 0, &m), 0);
	assert_int_equal(m, w.step - 1);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[1],
	    (w.step + 1) * TOTP_STEP, 0, &m), ERR_PERM);

	/* Another secret does not accept the code. */
	w.key[0] ^= 1;
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[2], VERIFY_NOW, 0, &m),
	    ERR_PERM);
}

/* ASVS 2.8.4 (a time-based OTP can be used only once). */
static void
test_verify_replay(void **state)
{
	struct window w;
	int64_t m = -1;

	(void)state;
	window_make(&w);
	/* Same step again. */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[2], VERIFY_NOW, w.step, &m),
	    ERR_PERM);
	/* An earlier step's code after a later one was used. */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[1], VERIFY_NOW, w.step, &m),
	    ERR_PERM);
	assert_int_equal(m, -1);
	/* The previous step was used: its code is refused, the current one still accepted. */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[1], VERIFY_NOW, w.step - 1, &m),
	    ERR_PERM);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[2], VERIFY_NOW, w.step - 1, &m),
	    0);
	assert_int_equal(m, w.step);
	/* A login that feeds matched_step back as last_step cannot use the code twice. */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), w.code[2], VERIFY_NOW + 5, m, &m),
	    ERR_PERM);
}

static void
test_verify_malformed(void **state)
{
	struct window w;
	char buf[4200];
	const char *c;
	int64_t m = -1;

	(void)state;
	window_make(&w);
	c = w.code[2];

	/* Spaces are ignored. */
	snprintf(buf, sizeof(buf), "%.3s %.3s", c, c + 3);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), 0);
	assert_int_equal(m, w.step);
	snprintf(buf, sizeof(buf), " %.2s %.2s %.2s ", c, c + 2, c + 4);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), 0);

	/* Variants of the valid code: each must be refused as malformed, not matched. */
	m = -1;
	snprintf(buf, sizeof(buf), "%.5s", c);                         /* 5 digits */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	snprintf(buf, sizeof(buf), "%s0", c);                          /* 7 digits */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	snprintf(buf, sizeof(buf), "0%s", c);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	snprintf(buf, sizeof(buf), "%.5sa", c);                        /* letters */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), "abcdef", VERIFY_NOW, 0, &m),
	    ERR_INVALID);
	snprintf(buf, sizeof(buf), "%s\n", c);                         /* other whitespace */
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	snprintf(buf, sizeof(buf), "-%.5s", c);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), "", VERIFY_NOW, 0, &m), ERR_INVALID);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), "      ", VERIFY_NOW, 0, &m),
	    ERR_INVALID);
	memcpy(buf, c, 3);                                             /* NUL-embedded */
	buf[3] = '\0';
	memcpy(buf + 4, c + 3, 4);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	memset(buf, '1', sizeof(buf) - 1);                              /* very long */
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	memset(buf, ' ', sizeof(buf) - 1);                              /* long, 6 digits at end */
	memcpy(buf + sizeof(buf) - 7, c, 6);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), buf, VERIFY_NOW, 0, &m), ERR_INVALID);
	assert_int_equal(totp_verify(w.key, sizeof(w.key), NULL, VERIFY_NOW, 0, &m), ERR_INVALID);
	assert_int_equal(m, -1);
}

static const struct {
	const char *plain, *b32;
} rfc4648[] = {
	{ "", "" },
	{ "f", "MY" },
	{ "fo", "MZXQ" },
	{ "foo", "MZXW6" },
	{ "foob", "MZXW6YQ" },
	{ "fooba", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI" },
};

static void
test_base32_rfc4648_vectors(void **state)
{
	char enc[TOTP_B32_MAX];
	unsigned char dec[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t plen = strlen(rfc4648[i].plain);

		assert_int_equal(totp_base32_encode((const unsigned char *)rfc4648[i].plain, plen,
		    enc, sizeof(enc)), 0);
		assert_string_equal(enc, rfc4648[i].b32);
		n = 99;
		assert_int_equal(totp_base32_decode(rfc4648[i].b32, dec, sizeof(dec), &n), 0);
		assert_int_equal(n, plen);
		assert_memory_equal(dec, rfc4648[i].plain, plen);
	}
	/* Padding, lower case and spaces are accepted on input. */
	assert_int_equal(totp_base32_decode("MZXW6YQ=", dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(dec, "foob", 4);
	assert_int_equal(totp_base32_decode("mzxw 6ytb oi======", dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(dec, "foobar", 6);
	assert_int_equal(totp_base32_decode("MY======", dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dec[0], 'f');

	/* Output too small: encode needs 10 characters + NUL, decode 6 bytes. */
	assert_int_equal(totp_base32_encode((const unsigned char *)"foobar", 6, enc, 10),
	    ERR_TOOBIG);
	assert_int_equal(totp_base32_encode((const unsigned char *)"foobar", 6, enc, 11), 0);
	assert_string_equal(enc, "MZXW6YTBOI");
	assert_int_equal(totp_base32_encode((const unsigned char *)"f", 1, enc, 0), ERR_TOOBIG);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 5, &n), ERR_TOOBIG);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 6, &n), 0);
	assert_int_equal(n, 6);
}

static void
test_base32_round_trip(void **state)
{
	unsigned char in[64], out[64];
	char enc[TOTP_B32_MAX * 2];
	size_t n;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		randombytes_buf(in, len);
		assert_int_equal(totp_base32_encode(in, len, enc, sizeof(enc)), 0);
		assert_int_equal(strlen(enc), (len * 8 + 4) / 5);
		assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), strlen(enc));
		memset(out, 0, sizeof(out));
		assert_int_equal(totp_base32_decode(enc, out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
	}
	/* A secret of the recommended size fits TOTP_B32_MAX. */
	randombytes_buf(in, TOTP_SECRET_BYTES);
	assert_int_equal(totp_base32_encode(in, TOTP_SECRET_BYTES, enc, TOTP_B32_MAX), 0);
	assert_int_equal(strlen(enc), 32);
}

static void
test_base32_invalid(void **state)
{
	static const char *bad[] = {
		"MZXW1",        /* 0, 1, 8, 9 are not in the alphabet */
		"MZXW0",
		"MZXW8",
		"MZXW9",
		"MZ-XW6",
		"MZXW6!",
		"MZXW\t6",
		"MZXW6\xc3\xa9",
		"MY=A",         /* padding only at the end */
		"=MY",
		"M",            /* lengths no encoder produces */
		"MZX",
		"MZXW6Y",
		"MZXW6YTBO",
	};
	unsigned char out[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 77;
		assert_int_equal(totp_base32_decode(bad[i], out, sizeof(out), &n), ERR_INVALID);
		assert_int_equal(n, 0);
	}
	assert_int_equal(totp_base32_decode(NULL, out, sizeof(out), &n), ERR_INVALID);
}

/* Finds oathtool on PATH; NULL if it is not installed. */
static char *
oathtool_find(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;
	char full[4096];

	copy = strdup(path != NULL && *path != '\0' ? path : "/usr/bin:/bin");
	assert_non_null(copy);
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/oathtool", dir);
		if (access(full, X_OK) == 0) {
			found = strdup(full);
			break;
		}
	}
	free(copy);
	return found;
}

/* Runs oathtool for the base32 secret at time now (a "@unix" or date string). */
static uint32_t
oathtool_run(const char *tool, const char *mode, unsigned digits, const char *now,
    const char *b32)
{
	char cmd[512], line[64];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "'%s' --totp=%s -b -d %u -N '%s' %s 2>&1", tool, mode, digits,
	    now, b32);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("oathtool failed (status %d): %s", status, line);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	assert_int_equal(n, digits);            /* zero-padded */
	assert_int_equal(strspn(line, "0123456789"), digits);
	return (uint32_t)strtoul(line, NULL, 10);
}

static void
test_against_oathtool(void **state)
{
	static const struct {
		const char *arg;
		int64_t t;
	} times[] = {
		{ "@59", 59 },
		{ "@1111111109", 1111111109 },
		{ "@1234567890", 1234567890 },
		{ "@1767225629", 1767225629 },                         /* last second of a step */
		{ "@20000000000", 20000000000 },
		{ "2026-01-01 00:00:00 UTC", 1767225600 },
		{ "2031-07-14 12:34:56 UTC", 1941798896 },
	};
	static const size_t lens[] = { TOTP_SECRET_BYTES, TOTP_SECRET_BYTES, 32, 64 };
	unsigned char key[64];
	char b32[TOTP_B32_MAX * 2], code[8];
	char *tool = oathtool_find();
	uint32_t ours, theirs;
	int64_t m;

	(void)state;
	if (tool == NULL)
		fail_msg("oathtool is not installed (Debian package oathtool): run scripts/deps.sh");
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		randombytes_buf(key, lens[k]);
		assert_int_equal(totp_base32_encode(key, lens[k], b32, sizeof(b32)), 0);
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			uint64_t step = (uint64_t)(times[i].t / TOTP_STEP);

			theirs = oathtool_run(tool, "SHA1", 6, times[i].arg, b32);
			assert_int_equal(totp_hotp(key, lens[k], step, 6, &ours), 0);
			assert_int_equal(ours, theirs);
			snprintf(code, sizeof(code), "%06u", (unsigned)theirs);
			m = -1;
			assert_int_equal(totp_verify(key, lens[k], code, times[i].t, -1, &m), 0);
			assert_int_equal(m, (int64_t)step);

			theirs = oathtool_run(tool, "SHA256", 8, times[i].arg, b32);
			assert_int_equal(totp_hotp_alg(256, key, lens[k], step, 8, &ours), 0);
			assert_int_equal(ours, theirs);
			theirs = oathtool_run(tool, "SHA512", 8, times[i].arg, b32);
			assert_int_equal(totp_hotp_alg(512, key, lens[k], step, 8, &ours), 0);
			assert_int_equal(ours, theirs);
		}
	}
	sodium_memzero(key, sizeof(key));
	free(tool);
}

static void
test_uri(void **state)
{
	char *uri;
	char long_name[300];

	(void)state;
	uri = totp_uri("Coffre Vault: Ops", "alice smith@example.com", "JBSWY3DPEHPK3PXP");
	assert_non_null(uri);
	assert_string_equal(uri, "otpauth://totp/Coffre%20Vault%3A%20Ops:"
	    "alice%20smith%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Coffre%20Vault%3A%20Ops"
	    "&algorithm=SHA1&digits=6&period=30");
	free(uri);
	/* Unreserved characters kept, everything else (UTF-8 bytes too) encoded. */
	uri = totp_uri("a-b.c_d~e", "R\xc3\xa9mi/x?y&z=1#f+g%", "MZXW6YTBOI");
	assert_non_null(uri);
	assert_string_equal(uri, "otpauth://totp/a-b.c_d~e:R%C3%A9mi%2Fx%3Fy%26z%3D1%23f%2Bg%25"
	    "?secret=MZXW6YTBOI&issuer=a-b.c_d~e&algorithm=SHA1&digits=6&period=30");
	free(uri);

	assert_null(totp_uri(NULL, "a", "MZXW6YTBOI"));
	assert_null(totp_uri("i", NULL, "MZXW6YTBOI"));
	assert_null(totp_uri("i", "a", NULL));
	assert_null(totp_uri("", "a", "MZXW6YTBOI"));
	assert_null(totp_uri("i", "", "MZXW6YTBOI"));
	assert_null(totp_uri("i", "a", ""));
	assert_null(totp_uri("i", "a", "mzxw6ytboi"));               /* not canonical base32 */
	assert_null(totp_uri("i", "a", "MZXW6&x=1"));                /* no parameter injection */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_null(totp_uri(long_name, "a", "MZXW6YTBOI"));
	assert_null(totp_uri("i", long_name, "MZXW6YTBOI"));
}

/*
 * Draws the path of the SVG into a bitmap of size x size modules; returns the number of dark
 * modules drawn, failing on anything but "Mx yhNv1h-Nz" runs or a module drawn twice.
 */
static int
svg_draw(const char *svg, unsigned char *bitmap, int size)
{
	const char *d = strstr(svg, " d=\"");
	int dark = 0, x, y, run, run2, used;

	assert_non_null(d);
	d += 4;
	while (*d != '"') {
		assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used), 4);
		assert_int_equal(run, run2);
		assert_true(run >= 1 && x >= 0 && y >= 0 && x + run <= size && y < size);
		for (int i = 0; i < run; i++) {
			assert_int_equal(bitmap[y * size + x + i], 0);
			bitmap[y * size + x + i] = 1;
			dark++;
		}
		d += used;
	}
	return dark;
}

static void
test_qr_svg(void **state)
{
	char *uri, *svg, viewbox[64];
	unsigned char *bitmap;
	QRcode *qr;
	size_t len = 0;
	int size, dark = 0;

	(void)state;
	uri = totp_uri("Coffre", "alice@example.com", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
	assert_non_null(uri);
	svg = totp_qr_svg(uri, &len);
	assert_non_null(svg);
	assert_int_equal(strlen(svg), len);
	assert_memory_equal(svg, "<svg", 4);
	assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "url("));
	assert_null(strstr(svg, " on"));        /* no event handlers (onload=...) */
	assert_non_null(strstr(svg, "</svg>"));

	/* The same symbol, recounted from libqrencode. */
	qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	assert_non_null(qr);
	size = qr->width + 8;
	snprintf(viewbox, sizeof(viewbox), "viewBox=\"0 0 %d %d\"", size, size);
	assert_non_null(strstr(svg, viewbox));
	snprintf(viewbox, sizeof(viewbox), "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>",
	    size, size);
	assert_non_null(strstr(svg, viewbox));
	bitmap = calloc((size_t)size * (size_t)size, 1);
	assert_non_null(bitmap);
	for (int i = 0; i < qr->width * qr->width; i++)
		dark += qr->data[i] & 1;
	assert_true(dark > 0);
	assert_int_equal(svg_draw(svg, bitmap, size), dark);
	/* Module by module, with the 4-module quiet zone left white. */
	for (int y = 0; y < size; y++) {
		for (int x = 0; x < size; x++) {
			int in = x >= 4 && y >= 4 && x < size - 4 && y < size - 4;
			int want = in ? qr->data[(y - 4) * qr->width + (x - 4)] & 1 : 0;

			assert_int_equal(bitmap[y * size + x], want);
		}
	}
	free(bitmap);
	QRcode_free(qr);
	free(svg);
	free(uri);

	assert_null(totp_qr_svg(NULL, &len));
	assert_null(totp_qr_svg("x", NULL));
	assert_null(totp_qr_svg("", &len));
	assert_int_equal(len, 0);
	{
		char big[4000];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_null(totp_qr_svg(big, &len));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_rfc4226_hotp_vectors),
		cmocka_unit_test(test_hotp_bad_arguments),
		cmocka_unit_test(test_verify_window),
		cmocka_unit_test(test_verify_replay),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_base32_rfc4648_vectors),
		cmocka_unit_test(test_base32_round_trip),
		cmocka_unit_test(test_base32_invalid),
		cmocka_unit_test(test_against_oathtool),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_qr_svg),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
