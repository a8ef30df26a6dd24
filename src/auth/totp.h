/*
 * totp.h: time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 6 digits,
 * 30-second steps), base32 secrets, otpauth:// enrolment URIs and their QR code as SVG.
 * Secrets are never logged; callers keep them in sodium_malloc memory.
 */
#ifndef COFFRE_TOTP_H
#define COFFRE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20      /* 160-bit secrets, as RFC 4226 recommends */
#define TOTP_STEP 30
#define TOTP_DIGITS 6
#define TOTP_B32_MAX 64           /* room for a base32 secret + NUL */

/*
 * HOTP value (RFC 4226, HMAC-SHA-1, dynamic truncation) of counter, reduced to digits (6..8)
 * digits, in *code. 0, ERR_INVALID (digits, empty or oversized secret) or ERR_CRYPTO.
 */
int totp_hotp(const unsigned char *secret, size_t len, uint64_t counter, unsigned digits,
    uint32_t *code);
/* Same with the hash selectable, for the RFC 6238 test vectors: alg 1 = SHA1, 256, 512. */
int totp_hotp_alg(int alg, const unsigned char *secret, size_t len, uint64_t counter,
    unsigned digits, uint32_t *code);

/*
 * Checks a code typed by a user against the steps of now_s and now_s - 30 only (RFC 6238 5.2),
 * both compared in constant time; a step is accepted only if it is > last_step, so each code,
 * and any code of an earlier step, is accepted once. Spaces are ignored; anything but 6 digits
 * is ERR_INVALID. Returns 0 and sets *matched_step, or ERR_PERM when no step matches.
 */
int totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
    int64_t last_step, int64_t *matched_step);

/* RFC 4648 base32, upper case, without padding, NUL-terminated; ERR_TOOBIG if out is too small. */
int totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t outsz);
/*
 * Decodes base32 (either case; spaces and trailing '=' padding ignored) into out, setting
 * *outlen. ERR_INVALID on any other character or an impossible length, ERR_TOOBIG if out is full.
 */
int totp_base32_decode(const char *in, unsigned char *out, size_t outsz, size_t *outlen);

/*
 * The URI and its QR code spell out the secret: wipe them (sodium_memzero) before free().
 * otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30,
 * issuer and account percent-encoded (RFC 3986 unreserved kept). malloc'd, NULL on failure.
 */
char *totp_uri(const char *issuer, const char *account, const char *secret_b32);

/*
 * SVG image of the QR code of text (libqrencode, level M, 8-bit, case-sensitive): white
 * background, one black path, 4-module quiet zone, viewBox in modules, no scripts or external
 * references. malloc'd and NUL-terminated with its length in *len; NULL on failure.
 */
char *totp_qr_svg(const char *text, size_t *len);

#endif
