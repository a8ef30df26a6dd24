/* utf8.h: strict UTF-8 (RFC 3629) decoding and the text checks every module applies. */
#ifndef COFFRE_UTF8_H
#define COFFRE_UTF8_H

#include <stddef.h>

/*
 * Decodes the sequence at s[*i] (i < len) and advances *i past it. Returns the code point,
 * or -1 for anything RFC 3629 forbids: stray continuation bytes, truncated, overlong forms,
 * surrogates, beyond U+10FFFF (then *i is not moved).
 */
long utf8_next(const unsigned char *s, size_t len, size_t *i);
/* 1 for the C0 and C1 controls, DEL, and U+2028/U+2029 (which some readers take for line
 * breaks). */
int utf8_is_control(long cp);

enum utf8_flags {
	UTF8_LINES = 1 << 0,            /* tab, LF and CR allowed (bodies, not names) */
};
/*
 * 0 when s (len bytes) is valid UTF-8 without control characters (but those flags allow),
 * else ERR_INVALID. When chars is given it receives the number of code points.
 */
int utf8_check(const char *s, size_t len, unsigned flags, size_t *chars);

#endif
