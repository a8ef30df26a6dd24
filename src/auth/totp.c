#include "auth/totp.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define TOTP_SECRET_MAX 128       /* HMAC keys longer than a SHA-512 block make no sense */
#define TOTP_CODE_MAX 32          /* characters of a typed code, spaces included */
#define TOTP_LABEL_MAX 256        /* issuer or account name in an otpauth URI */
#define TOTP_QR_TEXT_MAX 2048     /* under the 2331 bytes a version 40-M symbol holds */
#define TOTP_QR_QUIET 4           /* quiet zone, in modules (ISO/IEC 18004) */
#define TOTP_QR_WIDTH_MAX 177     /* version 40 */

int
totp_hotp_alg(int alg, const unsigned char *secret, size_t len, uint64_t counter,
    unsigned digits, uint32_t *code)
{
	static const uint32_t modulus[] = { 1000000, 10000000, 100000000 };
	unsigned char msg[8], mac[64];
	gnutls_mac_algorithm_t mac_alg;
	size_t maclen, off;
	uint32_t bin = 0;
	int err, i;

	if (secret == NULL || code == NULL || len == 0 || len > TOTP_SECRET_MAX || digits < 6 ||
	    digits > 8)
		return ERR_INVALID;
	switch (alg) {
	case 1:
		mac_alg = GNUTLS_MAC_SHA1;
		maclen = 20;
		break;
	case 256:
		mac_alg = GNUTLS_MAC_SHA256;
		maclen = 32;
		break;
	case 512:
		mac_alg = GNUTLS_MAC_SHA512;
		maclen = 64;
		break;
	default:
		return ERR_INVALID;
	}
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (gnutls_hmac_fast(mac_alg, secret, len, msg, sizeof(msg), mac) < 0) {
		err = ERR_CRYPTO;
		goto out;
	}
	/* Dynamic truncation (RFC 4226 5.3); RFC 6238 uses the last byte for every hash. */
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | (uint32_t)mac[off + 3];
	*code = bin % modulus[digits - 6];
	err = 0;
out:
	sodium_memzero(mac, sizeof(mac));
	sodium_memzero(&bin, sizeof(bin));
	return err;
}

int
totp_hotp(const unsigned char *secret, size_t len, uint64_t counter, unsigned digits,
    uint32_t *code)
{
	return totp_hotp_alg(1, secret, len, counter, digits, code);
}

int
totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
    int64_t last_step, int64_t *matched_step)
{
	uint32_t want = 0, cand[2] = { 0, 0 };
	int64_t steps[2];
	int match[2];
	size_t i, n = 0;
	int err;

	if (secret == NULL || code == NULL || matched_step == NULL || now_s < 0)
		return ERR_INVALID;
	for (i = 0; code[i] != '\0'; i++) {
		if (i >= TOTP_CODE_MAX) {
			err = ERR_INVALID;
			goto out;
		}
		if (code[i] == ' ')
			continue;
		if (code[i] < '0' || code[i] > '9' || n == TOTP_DIGITS) {
			err = ERR_INVALID;
			goto out;
		}
		want = want * 10 + (uint32_t)(code[i] - '0');
		n++;
	}
	if (n != TOTP_DIGITS) {
		err = ERR_INVALID;
		goto out;
	}

	/* RFC 6238 5.2: the current step and the one before, nothing else. */
	steps[0] = now_s / TOTP_STEP;
	steps[1] = steps[0] - 1;
	for (i = 0; i < 2; i++) {
		/* Both candidates always computed and compared, so timing tells nothing. */
		err = totp_hotp(secret, len, (uint64_t)(steps[i] < 0 ? 0 : steps[i]), TOTP_DIGITS,
		    &cand[i]);
		if (err != 0)
			goto out;
		match[i] = sodium_memcmp(&cand[i], &want, sizeof(want)) == 0;
	}
	err = ERR_PERM;
	for (i = 0; i < 2; i++) {
		/* Replay: a step at or before the last accepted one never counts again. */
		if (match[i] && steps[i] >= 0 && steps[i] > last_step) {
			*matched_step = steps[i];
			err = 0;
			break;
		}
	}
out:
	sodium_memzero(cand, sizeof(cand));
	sodium_memzero(&want, sizeof(want));
	return err;
}

/*
 * Base32 carries secrets, so characters are mapped without tables or branches indexed by
 * secret data (as libsodium does for base64).
 */
static unsigned
ct_in_range(unsigned c, unsigned lo, unsigned hi)
{
	return (((c - lo) | (hi - c)) >> 31) - 1u;      /* all ones if lo <= c <= hi, else 0 */
}

static char
b32_char(unsigned v)
{
	return (char)('A' + v - (41u & ~ct_in_range(v, 0, 25)));      /* 26 -> '2' */
}

static int
b32_value(unsigned char ch)
{
	unsigned c = ch, v = 0, ok = 0, m;

	m = ct_in_range(c, 'A', 'Z');
	v |= m & (c - 'A');
	ok |= m;
	m = ct_in_range(c, 'a', 'z');
	v |= m & (c - 'a');
	ok |= m;
	m = ct_in_range(c, '2', '7');
	v |= m & (c - '2' + 26);
	ok |= m;
	return ok ? (int)v : -1;
}

int
totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t outsz)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	if ((in == NULL && len > 0) || out == NULL)
		return ERR_INVALID;
	if (outsz == 0)
		return ERR_TOOBIG;
	out[0] = '\0';
	if (len > (SIZE_MAX - 5) / 8 || outsz - 1 < (len * 8 + 4) / 5)
		return ERR_TOOBIG;
	for (i = 0; i < len; i++) {
		acc = ((acc << 8) | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_char((acc >> (bits - 5)) & 31);
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_char((acc << (5 - bits)) & 31);
	out[o] = '\0';
	sodium_memzero(&acc, sizeof(acc));
	return 0;
}

int
totp_base32_decode(const char *in, unsigned char *out, size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, nchars = 0;
	int err, pad = 0, v;

	if (in == NULL || outlen == NULL || (out == NULL && outsz > 0))
		return ERR_INVALID;
	*outlen = 0;
	for (; *in != '\0'; in++) {
		if (*in == ' ')
			continue;
		if (*in == '=') {
			pad = 1;
			continue;
		}
		v = b32_value((unsigned char)*in);
		if (v < 0 || pad) {             /* '=' is padding, only at the end */
			err = ERR_INVALID;
			goto out;
		}
		acc = ((acc << 5) | (uint32_t)v) & 0x1fff;
		bits += 5;
		nchars++;
		if (bits >= 8) {
			if (o == outsz) {
				err = ERR_TOOBIG;
				goto out;
			}
			out[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 1, 3 or 6 characters in a last group cannot come out of an encoder. */
	if (nchars % 8 == 1 || nchars % 8 == 3 || nchars % 8 == 6) {
		err = ERR_INVALID;
		goto out;
	}
	*outlen = o;
	err = 0;
out:
	if (err != 0 && o > 0)
		sodium_memzero(out, o);
	sodium_memzero(&acc, sizeof(acc));
	return err;
}

/* Appends s percent-encoded (RFC 3986: only unreserved characters kept); dst has 3 * strlen. */
static size_t
uri_encode(char *dst, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			dst[n++] = (char)c;
		} else {
			dst[n++] = '%';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		}
	}
	return n;
}

static size_t
uri_append(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return n;
}

char *
totp_uri(const char *issuer, const char *account, const char *secret_b32)
{
	char params[64];
	size_t ilen, alen, slen, cap, n = 0, i;
	char *uri;

	if (issuer == NULL || account == NULL || secret_b32 == NULL)
		return NULL;
	ilen = strnlen(issuer, TOTP_LABEL_MAX + 1);
	alen = strnlen(account, TOTP_LABEL_MAX + 1);
	slen = strnlen(secret_b32, TOTP_B32_MAX);
	if (ilen == 0 || ilen > TOTP_LABEL_MAX || alen == 0 || alen > TOTP_LABEL_MAX ||
	    slen == 0 || slen >= TOTP_B32_MAX)
		return NULL;
	for (i = 0; i < slen; i++) {
		if (!((secret_b32[i] >= 'A' && secret_b32[i] <= 'Z') ||
		    (secret_b32[i] >= '2' && secret_b32[i] <= '7')))
			return NULL;
	}
	snprintf(params, sizeof(params), "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS,
	    TOTP_STEP);
	cap = sizeof("otpauth://totp/:?secret=&issuer=") + 6 * ilen + 3 * alen + slen +
	    strlen(params);
	if ((uri = malloc(cap)) == NULL)
		return NULL;
	n += uri_append(uri + n, "otpauth://totp/");
	n += uri_encode(uri + n, issuer);
	n += uri_append(uri + n, ":");
	n += uri_encode(uri + n, account);
	n += uri_append(uri + n, "?secret=");
	n += uri_append(uri + n, secret_b32);
	n += uri_append(uri + n, "&issuer=");
	n += uri_encode(uri + n, issuer);
	n += uri_append(uri + n, params);
	uri[n] = '\0';
	return uri;
}

__attribute__((format(printf, 4, 5)))
static int
svg_printf(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= cap - *pos)
		return ERR_INTERNAL;
	*pos += (size_t)r;
	return 0;
}

char *
totp_qr_svg(const char *text, size_t *len)
{
	QRcode *qr = NULL;
	char *svg = NULL, *ret = NULL;
	size_t cap = 0, n = 0, tlen;
	int w = 0, size, x, y, run;

	if (len != NULL)
		*len = 0;
	if (text == NULL || len == NULL)
		return NULL;
	tlen = strnlen(text, TOTP_QR_TEXT_MAX + 1);
	if (tlen == 0 || tlen > TOTP_QR_TEXT_MAX)
		return NULL;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL || qr->width <= 0 || qr->width > TOTP_QR_WIDTH_MAX)
		goto out;
	w = qr->width;
	size = w + 2 * TOTP_QR_QUIET;
	/* Worst case: every other module dark, each run "Mxxx yyyhzzzv1h-zzzz". */
	cap = 512 + (size_t)w * (size_t)((w + 1) / 2) * 24;
	if ((svg = malloc(cap)) == NULL)
		goto out;
	if (svg_printf(svg, cap, &n, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    size, size, size, size) != 0)
		goto out;
	for (y = 0; y < w; y++) {
		for (x = 0; x < w; x++) {
			if (!(qr->data[y * w + x] & 1))
				continue;
			for (run = 1; x + run < w && (qr->data[y * w + x + run] & 1); run++)
				;
			if (svg_printf(svg, cap, &n, "M%d %dh%dv1h-%dz", x + TOTP_QR_QUIET,
			    y + TOTP_QR_QUIET, run, run) != 0)
				goto out;
			x += run - 1;
		}
	}
	if (svg_printf(svg, cap, &n, "\"/></svg>\n") != 0)
		goto out;
	*len = n;
	ret = svg;
	svg = NULL;
out:
	/* The symbol spells out the secret of the otpauth URI. */
	if (svg != NULL) {
		sodium_memzero(svg, cap);
		free(svg);
	}
	if (qr != NULL) {
		if (w > 0)
			sodium_memzero(qr->data, (size_t)w * (size_t)w);
		QRcode_free(qr);
	}
	return ret;
}
