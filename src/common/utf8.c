#include "common/utf8.h"

#include "common/err.h"

long
utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	long cp;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;             /* overlong */
		else if (c == 0xed)
			hi = 0x9f;             /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;             /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;             /* over U+10FFFF */
	} else
		return -1;
	if (len - *i - 1 < n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		unsigned char b = s[*i + k];

		if (b < lo || b > hi)
			return -1;
		lo = 0x80;
		hi = 0xbf;
		cp = (cp << 6) | (b & 0x3f);
	}
	*i += n + 1;
	return cp;
}

int
utf8_is_control(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

int
utf8_check(const char *s, size_t len, unsigned flags, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0;

	while (i < len) {
		long cp = utf8_next(p, len, &i);

		if (cp < 0)
			return ERR_INVALID;
		if (utf8_is_control(cp) && !((flags & UTF8_LINES) &&
		    (cp == '\t' || cp == '\n' || cp == '\r')))
			return ERR_INVALID;
		n++;
	}
	if (chars != NULL)
		*chars = n;
	return 0;
}
