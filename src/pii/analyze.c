/*
 * analyze.c: pii_analyze. One pass over the text visits each word start once and runs only the
 * recognizers whose trigger is there (a digit, '+', an uppercase letter, "http", '@'...), so
 * that prose costs a table lookup per byte. Recognizers propose candidates with a base score;
 * context words nearby raise (or, for look-alikes, lower) it; candidates under the threshold
 * go; overlaps are resolved longest first, then highest score. Patterns are PCRE2, compiled
 * anchored and JIT-compiled once, matched with PCRE2_NO_UTF_CHECK (the text is validated first)
 * under match and depth limits, and every quantifier in them is bounded.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "pii/internal.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"
#include "search/analyze.h"

#define PII_MATCH_LIMIT 20000           /* PCRE2 backtracking steps per match attempt */
#define PII_DEPTH_LIMIT 2000
#define PII_NUM_DIGITS 40               /* digits of a number run kept (longer: no hit) */
#define PII_NUM_GROUPS 12
#define PII_WORD_MAX 40                 /* bytes of one name token */
#define PII_CONTEXT_BEFORE 6            /* words looked at before a hit, within ... */
#define PII_CONTEXT_BEFORE_BYTES 100
#define PII_CONTEXT_AFTER 3             /* ... and after it */
#define PII_CONTEXT_AFTER_BYTES 50
#define PII_CONTEXT_BOOST 0.35
#define PII_CONTEXT_PENALTY 0.3

static const char *const pii_entity_names[PII_ENTITY_COUNT] = {
	"EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "FR_NIR", "FR_SIREN",
	"FR_SIRET", "IP_ADDRESS", "URL", "DATE_TIME", "STREET_ADDRESS", "PERSON",
};

const char *
pii_entity_name(enum pii_entity e)
{
	if ((unsigned)e >= PII_ENTITY_COUNT)
		return NULL;
	return pii_entity_names[e];
}

int
pii_entity_parse(const char *name, enum pii_entity *out)
{
	if (name == NULL)
		return ERR_INVALID;
	for (int e = 0; e < PII_ENTITY_COUNT; e++)
		if (strcasecmp(name, pii_entity_names[e]) == 0) {
			*out = (enum pii_entity)e;
			return 0;
		}
	return ERR_INVALID;
}

/* ---- patterns ---- */

#define SP "[ \\t\\x{A0}\\x{202F}]"
#define MONTHS_FR "janv(?:ier|\\.)?|f[ée]v(?:rier|r?\\.)?|mars|avr(?:il|\\.)?|mai|juin|" \
	"juil(?:let|\\.)?|ao[uû]t|sept(?:embre|\\.)?|oct(?:obre|\\.)?|nov(?:embre|\\.)?|" \
	"d[ée]c(?:embre|\\.)?"
#define MONTHS_EN "jan(?:uary|\\.)?|feb(?:ruary|\\.)?|mar(?:ch|\\.)?|apr(?:il|\\.)?|may|" \
	"june?|jul(?:y|\\.)?|aug(?:ust|\\.)?|sep(?:t(?:ember)?)?\\.?|oct(?:ober|\\.)?|" \
	"nov(?:ember|\\.)?|dec(?:ember|\\.)?"
#define TIME "(?:[01]?[0-9]|2[0-3])(?:h(?:[0-5][0-9])?|:[0-5][0-9](?::[0-5][0-9])?)" \
	"(?:" SP "?(?i:[ap]\\.?m\\.?))?(?![0-9\\p{L}])|(?:1[0-2]|0?[1-9])" SP "?(?i:[ap]\\.?m\\.?)" \
	"(?![\\p{L}])"
#define TIME_AFTER "(?:,?" SP "{1,3}(?:(?i:à|a|at|vers|-)" SP "{1,3})?(?:" TIME "))?"
#define LOCAL "[\\p{L}\\p{N}_%+\\-]"
#define LABEL "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}\\-]{0,61}[\\p{L}\\p{N}])?"
#define FR_STREET "rue|avenue|av\\.|bd|boulevard|bld|place|pl\\.|all[ée]e|chemin|impasse|" \
	"route|rte|quai|cours|square|passage|villa|cit[ée]|sentier|voie|rond-point|faubourg|" \
	"fbg|hameau|lieu-dit|r[ée]sidence|parvis|esplanade|promenade|mont[ée]e|chauss[ée]e|" \
	"ruelle|traverse|venelle|lotissement|domaine"
#define CAPWORD "(?:(?i:d|l)['’])?\\p{Lu}[\\p{L}'’\\-]{0,30}\\.?"
#define FR_PARTICLE "(?i:de|du|des|la|le|les|d['’]|l['’]|et|sur|sous|aux|au|en)(?![\\p{L}])"
#define EN_STREET "Street|St\\.?|Avenue|Ave\\.?|Road|Rd\\.?|Boulevard|Blvd\\.?|Lane|Ln\\.?|" \
	"Drive|Dr\\.?|Court|Ct\\.?|Place|Pl\\.?|Way|Terrace|Close|Crescent|Square|Sq\\.?|" \
	"Parkway|Pkwy\\.?|Highway|Hwy\\.?|Row|Gardens|Grove|Hill|Park"

enum pii_rx {
	RX_EMAIL, RX_URL, RX_DATE_NUM, RX_DATE_ISO, RX_DATE_DAY, RX_DATE_MONTH, RX_ADDR_FR,
	RX_ADDR_EN, RX_NIR, RX_IBAN, RX_COUNT
};

static const char *const pii_rx_src[RX_COUNT] = {
	[RX_EMAIL] = LOCAL "{1,64}(?:\\." LOCAL "{1,64}){0,8}@(?:" LABEL "\\.){1,8}\\p{L}{2,63}"
	    "(?![\\p{L}\\p{N}\\-])",
	[RX_URL] = "(?i:https?://|ftp://|www\\.)[^\\s<>\"\\x{A0}\\x{202F}\\x{AB}\\x{BB}"
	    "\\x{201C}\\x{201D}]{1,2048}",
	[RX_DATE_NUM] = "([0-9]{1,2})([/.\\-])([0-9]{1,2})\\2([0-9]{4}|[0-9]{2})(?![0-9])"
	    TIME_AFTER,
	[RX_DATE_ISO] = "([0-9]{4})([\\-/.])([0-9]{2})\\2([0-9]{2})(?:[T ](?:[01][0-9]|2[0-3]):"
	    "[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?(?:Z|[+\\-][0-9]{2}:?[0-9]{2})?)?"
	    "(?![0-9])",
	[RX_DATE_DAY] = "(1er|[0-9]{1,2})(?i:st|nd|rd|th|er|e)?" SP "{1,3}(?:(?i:of)" SP "{1,3})?"
	    "((?i:" MONTHS_FR "|" MONTHS_EN "))(?![\\p{L}])(?:" SP "{1,3}([0-9]{4})(?![0-9]))?"
	    TIME_AFTER,
	[RX_DATE_MONTH] = "((?i:" MONTHS_EN "))(?![\\p{L}])" SP "{1,3}(?:([0-9]{1,2})"
	    "(?i:st|nd|rd|th)?(?![0-9\\p{L}])(?:,?" SP "{1,3}([0-9]{4})(?![0-9]))?|([0-9]{4})"
	    "(?![0-9]))" TIME_AFTER,
	[RX_ADDR_FR] = "[0-9]{1,4}(?:" SP "?(?i:bis|ter|quater|[abc])(?![\\p{L}]))?,?" SP "{1,3}"
	    "(?i:" FR_STREET ")(?![\\p{L}])"
	    "(?:(?:" SP "{1,3}" FR_PARTICLE "){0,3}" SP "{1,3}(?:" CAPWORD "|[0-9]{1,4}(?![0-9]))){1,6}"
	    "(?:" SP "{0,3},?" SP "{0,3}\\n?" SP "{0,3}(?:(?:BP|CS|TSA)" SP "?[0-9]{1,6}" SP "{0,3},?"
	    SP "{0,3})?([0-9]{5})" SP "{1,3}(\\p{Lu}[\\p{L}'’\\-]{0,30}(?:[ \\-]\\p{Lu}[\\p{L}'’\\-]{0,30})"
	    "{0,3})(?:" SP "{1,3}(?i:cedex)(?:" SP "{0,3}[0-9]{1,2})?)?)?",
	[RX_ADDR_EN] = "[0-9]{1,5}[A-Za-z]?" SP "{1,3}(?:(?:[NSEW]|North|South|East|West)\\.?"
	    SP "{1,3})?(?:\\p{Lu}[\\p{L}'’\\-]{0,30}" SP "{1,3}|[0-9]{1,3}(?:st|nd|rd|th)" SP "{1,3})"
	    "{1,4}(?:" EN_STREET ")(?![\\p{L}])"
	    "(?:,?" SP "{0,3}(?:Apt|Apartment|Suite|Ste|Unit|Flat|\\#)\\.?" SP "{0,3}"
	    "[0-9A-Za-z\\-]{1,6})?"
	    "(?:," SP "{0,3}\\p{Lu}[\\p{L}'’\\-]{0,30}(?![\\p{N}])(?:" SP "\\p{Lu}[\\p{L}'’\\-]{0,30}"
	    "(?![\\p{N}])){0,2})?"
	    "(?:,?" SP "{0,3}(?:[A-Z]{2}" SP "{1,3}[0-9]{5}(?:-[0-9]{4})?|[A-Z]{1,2}[0-9][A-Z0-9]?"
	    SP "?[0-9][A-Z]{2})(?![\\p{L}\\p{N}]))?",
	[RX_NIR] = "[1-478][ .]?[0-9]{2}[ .]?[0-9]{2}[ .]?(?:[0-9]{2}|2[AB])[ .]?[0-9]{3}[ .]?"
	    "[0-9]{3}[ .]?[0-9]{2}(?![0-9\\p{L}])",
	[RX_IBAN] = "[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}",
};

static pcre2_code *pii_rx[RX_COUNT];
static pcre2_match_context *pii_mctx;
static int pii_init_rc = ERR_INTERNAL;
static pthread_once_t pii_once = PTHREAD_ONCE_INIT;

static void
pii_init(void)
{
	int err;
	PCRE2_SIZE off;

	if (pii_names_init() != 0)
		return;
	if ((pii_mctx = pcre2_match_context_create(NULL)) == NULL)
		return;
	pcre2_set_match_limit(pii_mctx, PII_MATCH_LIMIT);
	pcre2_set_depth_limit(pii_mctx, PII_DEPTH_LIMIT);
	for (int i = 0; i < RX_COUNT; i++) {
		pii_rx[i] = pcre2_compile((PCRE2_SPTR)pii_rx_src[i], PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF | PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, &err, &off, NULL);
		if (pii_rx[i] == NULL)
			return;
		/* Without JIT (some architectures) pcre2_match interprets: slower, same results. */
		(void)pcre2_jit_compile(pii_rx[i], PCRE2_JIT_COMPLETE);
	}
	pii_init_rc = 0;
}

/* ---- the scan ---- */

struct pii_scan {
	const unsigned char *s;
	size_t len;
	int en;                         /* language: 1 English, 0 French */
	unsigned want;
	struct pii_hit *c;              /* candidates */
	size_t n, cap;
	pcre2_match_data *md;
	int rc;
};

static int
pii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
pii_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int
pii_hex(unsigned char c)
{
	return pii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Letters of the scripts coffre's recognizers deal with (Latin, Greek, Cyrillic); everything
 * else non-ASCII (spaces, quotes, dashes, symbols, other scripts) separates words. */
static int
pii_letter_cp(long cp)
{
	if (cp < 0x80)
		return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
	return cp == 0xaa || cp == 0xb5 || cp == 0xba || (cp >= 0xc0 && cp <= 0x24f &&
	    cp != 0xd7 && cp != 0xf7) || (cp >= 0x370 && cp <= 0x52f) ||
	    (cp >= 0x1e00 && cp <= 0x1eff);
}

static int
pii_upper_cp(long cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z';
	if (cp >= 0xc0 && cp <= 0xde)
		return cp != 0xd7;
	/* Latin Extended-A pairs capitals and small letters, the capital first. */
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		return (cp & 1) == 0;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return (cp & 1) == 1;
	return cp == 0x178;
}

/* The code point at i (text already validated); *n gets its length. */
static long
pii_cp_at(const struct pii_scan *sc, size_t i, size_t *n)
{
	size_t j = i;
	long cp;

	if (i >= sc->len) {
		*n = 0;
		return -1;
	}
	if (sc->s[i] < 0x80) {
		*n = 1;
		return sc->s[i];
	}
	cp = utf8_next(sc->s, sc->len, &j);
	*n = j - i;
	return cp;
}

/* The code point ending at i (exclusive), -1 at the start. */
static long
pii_cp_before(const struct pii_scan *sc, size_t i, size_t *n)
{
	size_t j = i;

	if (i == 0) {
		*n = 0;
		return -1;
	}
	if (sc->s[i - 1] < 0x80) {
		*n = 1;
		return sc->s[i - 1];
	}
	do
		j--;
	while (j > 0 && (sc->s[j] & 0xc0) == 0x80);
	return pii_cp_at(sc, j, n);
}

static int
pii_word_cp(long cp)
{
	return cp >= 0 && (pii_letter_cp(cp) || (cp >= '0' && cp <= '9'));
}

/* A number may start at i: not glued to a word, nor the second part of 3.14, AB-123, 1/2. */
static int
pii_num_start_ok(const struct pii_scan *sc, size_t i)
{
	size_t n;
	long p = pii_cp_before(sc, i, &n), q;

	if (p < 0)
		return 1;
	if (pii_word_cp(p) || p == '+' || p == '@' || p == '_')
		return 0;
	q = pii_cp_before(sc, i - n, &n);
	if ((p == '-' || p == '/' || p == '.' || p == ',' || p == ':' || p == '#') && pii_word_cp(q))
		return !(q >= '0' && q <= '9') && p != '-' && p != '/' && p != '#';
	if ((p == ' ' || p == 0xa0 || p == 0x202f) && q >= '0' && q <= '9')
		return 0;               /* inside a run of spaced digits */
	return 1;
}

/* A hit may end at e: not glued to a word, nor followed by more of a number or identifier. */
static int
pii_end_ok(const struct pii_scan *sc, size_t e)
{
	size_t n;
	long c = pii_cp_at(sc, e, &n), d;

	if (c < 0)
		return 1;
	if (pii_word_cp(c) || c == '@' || c == '_')
		return 0;
	d = pii_cp_at(sc, e + n, &n);
	if ((c == '-' || c == '/' || c == '.' || c == ',' || c == ':') && pii_word_cp(d))
		return 0;
	return 1;
}

static void
pii_add(struct pii_scan *sc, enum pii_entity e, size_t start, size_t end, double score)
{
	if (sc->rc != 0 || !(sc->want & (1u << e)) || end <= start)
		return;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 256;
		struct pii_hit *c = realloc(sc->c, cap * sizeof(*c));

		if (c == NULL) {
			sc->rc = ERR_NOMEM;
			return;
		}
		sc->c = c;
		sc->cap = cap;
	}
	sc->c[sc->n++] = (struct pii_hit){ .entity = e, .start = start, .end = end,
	    .score = score > 1.0 ? 1.0 : score };
}

/* Anchored match of pattern rx at i: the ovector, or NULL (no match, or a limit was hit). */
static PCRE2_SIZE *
pii_match(struct pii_scan *sc, enum pii_rx rx, size_t i)
{
	int rc = pcre2_match(pii_rx[rx], sc->s, sc->len, i, PCRE2_NO_UTF_CHECK, sc->md, pii_mctx);

	if (rc <= 0)
		return NULL;
	return pcre2_get_ovector_pointer(sc->md);
}

static int
pii_group(const PCRE2_SIZE *ov, int g)
{
	return ov[2 * g] != PCRE2_UNSET;
}

static int
pii_group_int(const struct pii_scan *sc, const PCRE2_SIZE *ov, int g)
{
	int v = 0;

	if (!pii_group(ov, g))
		return -1;
	for (size_t k = ov[2 * g]; k < ov[2 * g + 1] && pii_digit(sc->s[k]); k++)
		v = v * 10 + (sc->s[k] - '0');
	return v;
}

/* The month (1..12) a French or English month name or abbreviation starts with, 0 if none. */
static int
pii_month_of(const unsigned char *w, size_t n)
{
	char a[5] = { 0 };
	size_t k = 0;

	for (size_t i = 0; i < n && k < 4; i++) {
		unsigned char c = w[i];

		if (c == 0xc3 && i + 1 < n) {           /* é è û: compare unaccented */
			unsigned char d = w[++i];

			c = (d == 0xa9 || d == 0xa8 || d == 0x89) ? 'e' : (d == 0xbb || d == 0x9b) ?
			    'u' : '?';
		}
		a[k++] = (char)(c | 0x20);
	}
	if (strncmp(a, "jan", 3) == 0) return 1;
	if (strncmp(a, "fe", 2) == 0) return 2;
	if (strncmp(a, "mar", 3) == 0) return 3;
	if (strncmp(a, "av", 2) == 0 || strncmp(a, "apr", 3) == 0) return 4;
	if (strncmp(a, "mai", 3) == 0 || strncmp(a, "may", 3) == 0) return 5;
	if (strncmp(a, "juin", 4) == 0 || strncmp(a, "jun", 3) == 0) return 6;
	if (strncmp(a, "juil", 4) == 0 || strncmp(a, "jul", 3) == 0) return 7;
	if (strncmp(a, "ao", 2) == 0 || strncmp(a, "aug", 3) == 0) return 8;
	if (strncmp(a, "sep", 3) == 0) return 9;
	if (strncmp(a, "oct", 3) == 0) return 10;
	if (strncmp(a, "nov", 3) == 0) return 11;
	if (strncmp(a, "dec", 3) == 0) return 12;
	return 0;
}

/* ---- dates ---- */

static void
pii_date_numeric(struct pii_scan *sc, size_t i)
{
	PCRE2_SIZE *ov;

	if ((ov = pii_match(sc, RX_DATE_ISO, i)) != NULL) {
		int y = pii_group_int(sc, ov, 1), m = pii_group_int(sc, ov, 3),
		    d = pii_group_int(sc, ov, 4);

		if (y >= 1000 && pii_date_valid(d, m, y) && pii_end_ok(sc, ov[1]))
			pii_add(sc, PII_DATE_TIME, i, ov[1], 0.6);
		return;
	}
	if ((ov = pii_match(sc, RX_DATE_NUM, i)) != NULL) {
		int a = pii_group_int(sc, ov, 1), b = pii_group_int(sc, ov, 3),
		    y = pii_group_int(sc, ov, 4);
		int four = ov[9] - ov[8] == 4;
		/* Day first (fr, most of Europe) or month first (US): either reading will do. */
		int dmy = pii_date_valid(a, b, y), mdy = pii_date_valid(b, a, y);

		if ((four && (y < 1000 || y > 2999)) || !(dmy || mdy) || !pii_end_ok(sc, ov[1]))
			return;
		pii_add(sc, PII_DATE_TIME, i, ov[1], four ? (dmy || sc->en ? 0.6 : 0.5) : 0.45);
	}
}

static void
pii_date_day(struct pii_scan *sc, size_t i)
{
	PCRE2_SIZE *ov = pii_match(sc, RX_DATE_DAY, i);
	int d, m, y;

	if (ov == NULL || !pii_end_ok(sc, ov[1]))
		return;
	d = sc->s[i] == '1' && sc->s[i + 1] == 'e' ? 1 : pii_group_int(sc, ov, 1);
	m = pii_month_of(sc->s + ov[4], ov[5] - ov[4]);
	y = pii_group_int(sc, ov, 3);
	if (!pii_date_valid(d, m, y < 0 ? 2000 : y))
		return;
	pii_add(sc, PII_DATE_TIME, i, ov[1], y >= 0 ? 0.6 : 0.4);
}

static void
pii_date_month(struct pii_scan *sc, size_t i)
{
	PCRE2_SIZE *ov = pii_match(sc, RX_DATE_MONTH, i);
	int m, d, y;

	if (ov == NULL || !pii_end_ok(sc, ov[1]))
		return;
	m = pii_month_of(sc->s + ov[2], ov[3] - ov[2]);
	d = pii_group_int(sc, ov, 2);
	y = pii_group_int(sc, ov, 3);
	if (pii_group(ov, 4)) {
		y = pii_group_int(sc, ov, 4);
		if (y >= 1000 && y <= 2999)
			pii_add(sc, PII_DATE_TIME, i, ov[1], 0.3);      /* "March 2024" */
		return;
	}
	if (pii_date_valid(d, m, y < 0 ? 2000 : y))
		pii_add(sc, PII_DATE_TIME, i, ov[1], y >= 0 ? 0.6 : 0.4);
}

/* ---- numbers: phones, cards, SIREN/SIRET, IPv4, NIR ---- */

struct pii_num {
	size_t end;
	int nd, ng;
	unsigned char gl[PII_NUM_GROUPS];
	char sep;                       /* 0 none, ' ' '.' '-' '/', or 'x' when mixed */
	char first_sep;
	char d[PII_NUM_DIGITS + 1];
};

/* Digits in groups separated by one space (or no-break space), '.', '-' or '/'. Returns 0 when
 * the run is longer than any identifier (no candidate then). */
static int
pii_num_scan(const struct pii_scan *sc, size_t i, struct pii_num *nr)
{
	const unsigned char *s = sc->s;

	memset(nr, 0, sizeof(*nr));
	for (;;) {
		size_t g = i, k;
		char sep;

		while (i < sc->len && pii_digit(s[i])) {
			if (nr->nd == PII_NUM_DIGITS)
				return 0;
			nr->d[nr->nd++] = (char)s[i++];
		}
		if (nr->ng == PII_NUM_GROUPS)
			return 0;
		nr->gl[nr->ng++] = (unsigned char)(i - g);
		nr->end = i;
		if (i + 1 < sc->len && (s[i] == ' ' || s[i] == '.' || s[i] == '-' || s[i] == '/')) {
			sep = (char)s[i];
			k = i + 1;
		} else if (i + 2 < sc->len && s[i] == 0xc2 && s[i + 1] == 0xa0) {
			sep = ' ';
			k = i + 2;
		} else if (i + 3 < sc->len && s[i] == 0xe2 && s[i + 1] == 0x80 && s[i + 2] == 0xaf) {
			sep = ' ';
			k = i + 3;
		} else
			break;
		if (k >= sc->len || !pii_digit(s[k]))
			break;
		if (nr->sep == 0)
			nr->sep = nr->first_sep = sep;
		else if (nr->sep != sep)
			nr->sep = 'x';
		i = k;
	}
	nr->d[nr->nd] = '\0';
	return 1;
}

/* 1 when the groups are exactly those lengths (a 0-terminated list). */
static int
pii_groups_are(const struct pii_num *nr, const unsigned char *want)
{
	int k = 0;

	for (; want[k] != 0; k++)
		if (k >= nr->ng || nr->gl[k] != want[k])
			return 0;
	return k == nr->ng;
}

#define PII_GROUPS(...) pii_groups_are(nr, (const unsigned char[]){ __VA_ARGS__, 0 })

static int
pii_card_grouping(const struct pii_num *nr)
{
	if (nr->ng == 1)
		return 1;
	if (PII_GROUPS(4, 6, 5) || PII_GROUPS(4, 6, 4))
		return 1;               /* Amex, Diners */
	for (int k = 0; k < nr->ng - 1; k++)
		if (nr->gl[k] != 4)
			return 0;
	return nr->gl[nr->ng - 1] >= 1 && nr->gl[nr->ng - 1] <= 4;
}

/* An extension after a phone number ending at e: "x204", " x 12", " ext. 12", " extension
 * 12": where it ends, or e. */
static size_t
pii_phone_ext(const struct pii_scan *sc, size_t e)
{
	size_t k = e, d;

	if (k < sc->len && sc->s[k] == ' ')
		k++;
	if (k >= sc->len)
		return e;
	if ((sc->s[k] | 0x20) == 'x')
		k++;
	else if (sc->len - k > 9 && strncasecmp((const char *)sc->s + k, "extension", 9) == 0)
		k += 9;
	else if (sc->len - k > 3 && strncasecmp((const char *)sc->s + k, "ext", 3) == 0)
		k += sc->s[k + 3] == '.' ? 4 : 3;
	else
		return e;
	if (k < sc->len && sc->s[k] == ' ')
		k++;
	for (d = 0; k + d < sc->len && pii_digit(sc->s[k + d]); d++)
		;
	if (d == 0 || d > 6 || !pii_end_ok(sc, k + d))
		return e;
	return k + d;
}

static void
pii_phone_national(struct pii_scan *sc, size_t i, const struct pii_num *nr)
{
	const char *d = nr->d;
	int grouped = nr->ng > 1 && nr->sep != 'x' && nr->sep != '/';
	size_t end = pii_phone_ext(sc, nr->end);

	if (nr->sep == 'x' || nr->sep == '/')
		return;
	if (d[0] == '0' && d[1] == '0') {               /* 00 33 1 23 45 67 89 */
		if (pii_phone_e164_valid(d + 2, (size_t)nr->nd - 2))
			pii_add(sc, PII_PHONE_NUMBER, i, end, 0.6);
		return;
	}
	if (nr->nd == 10 && d[0] == '0' && d[1] != '0' && (nr->ng == 1 ||
	    PII_GROUPS(2, 2, 2, 2, 2) || PII_GROUPS(4, 2, 2, 2) || PII_GROUPS(4, 3, 3) ||
	    PII_GROUPS(3, 3, 2, 2))) {
		/* French numbers (overseas departments included): 0 then 9 digits. */
		pii_add(sc, PII_PHONE_NUMBER, i, end, sc->en ? 0.5 : grouped ? 0.65 : 0.55);
		return;
	}
	if (nr->nd == 10 && d[0] >= '2' && d[3] >= '2' && PII_GROUPS(3, 3, 4)) {
		pii_add(sc, PII_PHONE_NUMBER, i, end, sc->en ? 0.6 : 0.4);  /* 555-123-4567 */
		return;
	}
	if (nr->nd == 11 && d[0] == '1' && d[1] >= '2' && d[4] >= '2' && PII_GROUPS(1, 3, 3, 4)) {
		pii_add(sc, PII_PHONE_NUMBER, i, end, sc->en ? 0.6 : 0.4);  /* 1-800-555-1234 */
		return;
	}
	if (nr->nd == 11 && d[0] == '0' && strchr("1237", d[1]) != NULL && (nr->ng == 1 ||
	    PII_GROUPS(5, 6) || PII_GROUPS(4, 3, 4) || PII_GROUPS(3, 4, 4) || PII_GROUPS(5, 3, 3))) {
		pii_add(sc, PII_PHONE_NUMBER, i, end, sc->en ? 0.55 : 0.4);  /* UK */
		return;
	}
	if (nr->nd == 10 && nr->ng == 1 && d[0] >= '2' && d[3] >= '2' && sc->en) {
		pii_add(sc, PII_PHONE_NUMBER, i, end, 0.35);    /* 2025550123, a cue needed */
		return;
	}
	if (nr->nd >= 9 && nr->nd <= 12 && d[0] == '0' && d[1] != '0' && grouped)
		pii_add(sc, PII_PHONE_NUMBER, i, end, 0.35);   /* other national forms */
}

/* ---- English postal addresses ---- */

static int pii_person_start_ok(const struct pii_scan *sc, size_t i);
static int pii_words_before(const struct pii_scan *sc, size_t i, int max, size_t bytes,
    char out[][PII_WORD_MAX + 8]);

/*
 * Street types written after the street name: USPS Publication 28's suffixes and standard
 * abbreviations, with the British, Irish and Australian ones; folded, sorted for bsearch.
 * PII_ST_STRONG: a word that names nothing but a street, enough for an address written in lower
 * case; the others (park, view, run...) are common words in lower-case prose. PII_ST_ABBR: an
 * abbreviation, whose full stop belongs to it.
 */
#define PII_ST_STRONG 1
#define PII_ST_ABBR 2
struct pii_street_type {
	const char *w;
	unsigned char f;
};
#define S_ PII_ST_STRONG
#define A_ PII_ST_ABBR
static const struct pii_street_type pii_street_types[] = {
	{ "alley", S_ }, { "aly", S_ | A_ }, { "approach", 0 }, { "arcade", 0 }, { "av", S_ | A_ },
	{ "ave", S_ | A_ }, { "avenue", S_ }, { "bay", 0 }, { "bend", 0 }, { "blvd", S_ | A_ },
	{ "boulevard", S_ }, { "branch", 0 }, { "bridge", 0 }, { "broadway", 0 }, { "brook", 0 },
	{ "burg", 0 }, { "burgs", 0 }, { "bypass", S_ }, { "byp", A_ }, { "camp", 0 }, { "canyon", 0 },
	{ "cape", 0 }, { "causeway", S_ }, { "center", 0 }, { "centers", 0 }, { "centre", 0 },
	{ "chase", 0 }, { "cir", S_ | A_ }, { "circle", S_ }, { "circuit", 0 }, { "circus", 0 },
	{ "cliff", 0 }, { "cliffs", 0 }, { "close", S_ }, { "club", 0 }, { "common", 0 },
	{ "commons", 0 }, { "corner", 0 }, { "corners", 0 }, { "course", 0 }, { "court", S_ },
	{ "courts", 0 }, { "cove", 0 }, { "creek", 0 }, { "cres", S_ | A_ }, { "crescent", S_ },
	{ "crest", 0 }, { "croft", 0 }, { "crossing", 0 }, { "crossroad", 0 }, { "ct", S_ | A_ },
	{ "curve", 0 }, { "cv", A_ }, { "dale", 0 }, { "dam", 0 }, { "divide", 0 },
	{ "dr", S_ | A_ }, { "drive", S_ }, { "drives", 0 }, { "drove", 0 }, { "embankment", 0 },
	{ "esplanade", 0 }, { "estate", 0 }, { "estates", 0 }, { "expressway", S_ },
	{ "expy", S_ | A_ }, { "extension", 0 }, { "extensions", 0 }, { "fall", 0 },
	{ "falls", 0 }, { "ferry", 0 }, { "field", 0 }, { "fields", 0 }, { "flat", 0 },
	{ "flats", 0 }, { "ford", 0 }, { "fords", 0 }, { "forest", 0 }, { "forge", 0 },
	{ "forges", 0 }, { "fork", 0 }, { "forks", 0 }, { "fort", 0 }, { "freeway", S_ },
	{ "fwy", S_ | A_ }, { "garden", 0 }, { "gardens", S_ }, { "gate", 0 }, { "gateway", 0 },
	{ "glen", 0 }, { "glens", 0 }, { "green", 0 }, { "greens", 0 }, { "grove", S_ },
	{ "groves", 0 }, { "harbor", 0 }, { "harbors", 0 }, { "harbour", 0 }, { "haven", 0 },
	{ "heights", 0 }, { "highway", S_ }, { "hill", 0 }, { "hills", 0 }, { "hollow", 0 },
	{ "hwy", S_ | A_ }, { "inlet", 0 }, { "island", 0 }, { "islands", 0 }, { "isle", 0 },
	{ "jct", S_ | A_ }, { "junction", S_ }, { "junctions", 0 }, { "key", 0 }, { "keys", 0 },
	{ "knoll", 0 }, { "knolls", 0 }, { "lake", 0 }, { "lakes", 0 }, { "land", 0 },
	{ "landing", 0 }, { "lane", S_ }, { "light", 0 }, { "lights", 0 }, { "ln", S_ | A_ },
	{ "loaf", 0 }, { "lock", 0 }, { "locks", 0 }, { "lodge", 0 }, { "loop", 0 }, { "mall", 0 },
	{ "manor", 0 }, { "manors", 0 }, { "meadow", 0 }, { "meadows", 0 }, { "mews", S_ },
	{ "mill", 0 }, { "mills", 0 }, { "mission", 0 }, { "motorway", S_ }, { "mount", 0 },
	{ "mountain", 0 }, { "mountains", 0 }, { "neck", 0 }, { "orchard", 0 }, { "oval", 0 }, { "overpass", 0 },
	{ "parade", S_ }, { "park", 0 }, { "parks", 0 }, { "parkway", S_ }, { "pass", 0 },
	{ "passage", 0 }, { "path", 0 }, { "pike", 0 }, { "pine", 0 }, { "pines", 0 },
	{ "pkwy", S_ | A_ }, { "pl", S_ | A_ }, { "place", S_ }, { "plain", 0 }, { "plains", 0 },
	{ "plaza", S_ }, { "point", 0 }, { "points", 0 }, { "port", 0 }, { "ports", 0 },
	{ "prairie", 0 }, { "promenade", 0 }, { "quay", 0 }, { "radial", 0 }, { "ramp", 0 },
	{ "ranch", 0 }, { "rapid", 0 }, { "rapids", 0 }, { "rd", S_ | A_ }, { "rest", 0 },
	{ "ridge", 0 }, { "ridges", 0 }, { "rise", 0 }, { "river", 0 }, { "road", S_ },
	{ "roads", 0 }, { "route", 0 }, { "row", 0 }, { "run", 0 }, { "shoal", 0 },
	{ "shoals", 0 }, { "shore", 0 }, { "shores", 0 }, { "skyway", 0 }, { "spring", 0 },
	{ "springs", 0 }, { "spur", 0 }, { "sq", S_ | A_ }, { "square", S_ }, { "squares", 0 },
	{ "st", S_ | A_ }, { "station", 0 }, { "str", S_ | A_ }, { "stravenue", S_ },
	{ "stream", 0 }, { "street", S_ }, { "streets", 0 }, { "summit", 0 }, { "ter", S_ | A_ },
	{ "terrace", S_ }, { "throughway", 0 }, { "trace", 0 }, { "track", 0 }, { "trafficway", 0 },
	{ "trail", 0 }, { "trl", A_ }, { "tunnel", 0 }, { "turnpike", S_ }, { "underpass", 0 },
	{ "union", 0 }, { "unions", 0 }, { "vale", 0 }, { "valley", 0 }, { "valleys", 0 },
	{ "viaduct", 0 }, { "view", 0 }, { "views", 0 }, { "village", 0 }, { "villages", 0 },
	{ "ville", 0 }, { "vista", 0 }, { "walk", 0 }, { "walks", 0 }, { "wall", 0 }, { "way", 0 },
	{ "ways", 0 }, { "well", 0 }, { "wells", 0 }, { "wharf", 0 }, { "wynd", 0 },
};
#undef S_
#undef A_

/* Where a unit follows a street or comes before the number: Apt. 4, Suite 210, Flat 3. */
static const char *const pii_unit_words[] = {
	"apartment", "apt", "bldg", "building", "fl", "flat", "floor", "no", "rm", "room", "ste",
	"suite", "unit",
};

/* US states and territories (with the military AA, AE, AP), Canadian provinces, Australian
 * states: what comes before a ZIP or postcode. */
static const char *const pii_region_codes[] = {
	"AA", "AB", "ACT", "AE", "AK", "AL", "AP", "AR", "AS", "AZ", "BC", "CA", "CO", "CT", "DC",
	"DE", "FL", "GA", "GU", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MB", "MD",
	"ME", "MI", "MN", "MO", "MP", "MS", "MT", "NB", "NC", "ND", "NE", "NH", "NJ", "NL", "NM",
	"NS", "NSW", "NT", "NU", "NV", "NY", "OH", "OK", "ON", "OR", "PA", "PE", "PR", "QC", "QLD",
	"RI", "SA", "SC", "SD", "SK", "TAS", "TN", "TX", "UT", "VA", "VI", "VIC", "VT", "WA", "WI",
	"WV", "WY", "YT",
};

static int
pii_cmp_street(const void *a, const void *b)
{
	return strcmp(a, ((const struct pii_street_type *)b)->w);
}

/* The flags of a street type (folded word), -1 when it is none. */
static int
pii_street_type(const char *w)
{
	const struct pii_street_type *t = bsearch(w, pii_street_types,
	    sizeof(pii_street_types) / sizeof(pii_street_types[0]), sizeof(pii_street_types[0]),
	    pii_cmp_street);

	return t != NULL ? t->f : -1;
}

/* Skips up to max spaces, tabs or no-break spaces from k. */
static size_t
pii_sp(const struct pii_scan *sc, size_t k, int max)
{
	for (int n = 0; n < max && k < sc->len; n++) {
		if (sc->s[k] == ' ' || sc->s[k] == '\t')
			k++;
		else if (k + 1 < sc->len && sc->s[k] == 0xc2 && sc->s[k + 1] == 0xa0)
			k += 2;
		else
			break;
	}
	return k;
}

/* 1 when no letter or digit starts at k. */
static int
pii_word_ends(const struct pii_scan *sc, size_t k)
{
	size_t n;

	return !pii_word_cp(pii_cp_at(sc, k, &n));
}

struct pii_aword {
	size_t start, end;
	int cap, lower, ordinal;
	char f[PII_WORD_MAX + 8];       /* folded; "" for an ordinal */
};

/* A word of an address at k: letters with inner - ' ’, or an ordinal (5th, 21st). */
static int
pii_aword_read(const struct pii_scan *sc, size_t k, struct pii_aword *w)
{
	size_t n, j = k;
	long cp;

	memset(w, 0, sizeof(*w));
	w->start = k;
	w->lower = 1;
	if (k < sc->len && pii_digit(sc->s[k])) {
		while (j < sc->len && pii_digit(sc->s[j]) && j - k < 3)
			j++;
		if (j + 2 > sc->len || !pii_word_ends(sc, j + 2))
			return 0;
		if (strncasecmp((const char *)sc->s + j, "st", 2) != 0 &&
		    strncasecmp((const char *)sc->s + j, "nd", 2) != 0 &&
		    strncasecmp((const char *)sc->s + j, "rd", 2) != 0 &&
		    strncasecmp((const char *)sc->s + j, "th", 2) != 0)
			return 0;
		w->end = j + 2;
		w->ordinal = 1;
		w->lower = w->cap = 1;  /* fits either way of writing */
		return 1;
	}
	cp = pii_cp_at(sc, j, &n);
	if (cp < 0 || !pii_letter_cp(cp))
		return 0;
	w->cap = pii_upper_cp(cp);
	for (;;) {
		cp = pii_cp_at(sc, j, &n);
		if (cp >= 0 && pii_letter_cp(cp)) {
			if (pii_upper_cp(cp))
				w->lower = 0;
			j += n;
			if (j - k > PII_WORD_MAX)
				return 0;
			continue;
		}
		if (cp == '-' || cp == '\'' || cp == 0x2019) {
			size_t m;
			long nx = pii_cp_at(sc, j + n, &m);

			if (nx >= 0 && pii_letter_cp(nx)) {
				j += n;
				continue;
			}
		}
		break;
	}
	if (j < sc->len && pii_digit(sc->s[j]))
		return 0;
	w->end = j;
	if (pii_fold_word((const char *)sc->s + k, j - k, w->f, sizeof(w->f)) < 0)
		w->f[0] = '\0';         /* hyphenated: never a street type nor a stop word */
	return 1;
}

/* A word written as the address is: capitalised (or all capitals), or all lower case. */
static int
pii_aword_case_ok(const struct pii_aword *w, int lower)
{
	return lower ? w->lower : w->cap;
}

static int
pii_aword_stop(const struct pii_aword *w)
{
	return w->f[0] != '\0' && (analyze_is_stop("en", w->f) || analyze_is_stop("fr", w->f));
}

static int
pii_cmp_sorted(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
pii_in_sorted(const char *w, const char *const *list, size_t n)
{
	return bsearch(&w, list, n, sizeof(*list), pii_cmp_sorted) != NULL;
}

/* Letters a..z / A..Z from k, exactly n of them, in the case the address uses. */
static int
pii_letters_at(const struct pii_scan *sc, size_t k, size_t n, int lower)
{
	for (size_t j = k; j < k + n; j++) {
		unsigned char c = j < sc->len ? sc->s[j] : 0;

		if (!((c >= 'A' && c <= 'Z') || (lower && c >= 'a' && c <= 'z')))
			return 0;
	}
	return 1;
}

static size_t
pii_digits_at(const struct pii_scan *sc, size_t k)
{
	size_t j = k;

	while (j < sc->len && pii_digit(sc->s[j]) && j - k < 8)
		j++;
	return j - k;
}

/* A UK postcode (SW1A 1AA, LS6 2AB, M1 1AE) or a Canadian one (K1N 8S7) at k: its end, or 0. */
static size_t
pii_postcode_at(const struct pii_scan *sc, size_t k, int lower)
{
	size_t j = k, a = 0;

	while (j < sc->len && a < 2 && pii_letters_at(sc, j, 1, lower)) {
		j++;
		a++;
	}
	if (a == 0 || pii_digits_at(sc, j) == 0)
		return 0;
	if (a == 1 && pii_digits_at(sc, j) == 1 && pii_letters_at(sc, j + 1, 1, lower)) {
		/* Canadian: A9A 9A9 */
		size_t q = pii_sp(sc, j + 2, 1);

		if (pii_digits_at(sc, q) >= 1 && pii_letters_at(sc, q + 1, 1, lower) &&
		    pii_digits_at(sc, q + 2) == 1 && pii_word_ends(sc, q + 3))
			return q + 3;
	}
	j++;                                    /* the district's first digit */
	if (j < sc->len && (pii_digit(sc->s[j]) || pii_letters_at(sc, j, 1, lower)) &&
	    !(j + 1 < sc->len && pii_digit(sc->s[j + 1])))
		j++;                            /* SW1A, EC2M, M11 */
	j = pii_sp(sc, j, 1);
	if (pii_digits_at(sc, j) != 1 || !pii_letters_at(sc, j + 1, 2, lower) ||
	    !pii_word_ends(sc, j + 3))
		return 0;
	return j + 3;
}

/* A region code then a ZIP (12345, 12345-6789) or postcode at k, or a postcode alone, or a
 * ZIP alone: the end, or 0. */
static size_t
pii_region_zip_at(const struct pii_scan *sc, size_t k, int lower)
{
	size_t j, e, d;
	char rc[4];

	if ((e = pii_postcode_at(sc, k, lower)) != 0)
		return e;
	if ((d = pii_digits_at(sc, k)) == 4 || d == 5) {
		e = k + d;
		if (d == 5 && e + 5 <= sc->len && sc->s[e] == '-' && pii_digits_at(sc, e + 1) == 4)
			e += 5;
		return pii_word_ends(sc, e) && !(e < sc->len && (sc->s[e] == '.' || sc->s[e] == ',') &&
		    e + 1 < sc->len && pii_digit(sc->s[e + 1])) ? e : 0;
	}
	for (size_t n = 3; n >= 2; n--) {
		if (!pii_letters_at(sc, k, n, lower) || !pii_word_ends(sc, k + n))
			continue;
		for (size_t q = 0; q < n; q++)
			rc[q] = (char)(sc->s[k + q] & ~0x20);
		rc[n] = '\0';
		if (!pii_in_sorted(rc, pii_region_codes,
		    sizeof(pii_region_codes) / sizeof(pii_region_codes[0])))
			return 0;
		j = pii_sp(sc, k + n, 3);
		if (j == k + n)
			return 0;
		if ((e = pii_postcode_at(sc, j, lower)) != 0)
			return e;
		if ((d = pii_digits_at(sc, j)) != 4 && d != 5)
			return 0;
		e = j + d;
		if (d == 5 && e + 5 <= sc->len && sc->s[e] == '-' && pii_digits_at(sc, e + 1) == 4)
			e += 5;
		return pii_word_ends(sc, e) ? e : 0;
	}
	return 0;
}

/* Separators between the parts of an address: spaces, commas, at most two line breaks, at
 * most 8 bytes. */
static size_t
pii_addr_sep(const struct pii_scan *sc, size_t k)
{
	size_t j = k;
	int lines = 0;

	while (j < sc->len && j - k < 8) {
		unsigned char c = sc->s[j];

		if (c == ' ' || c == '\t' || c == ',' || c == '\r')
			j++;
		else if (c == '\n' && lines < 2) {
			j++;
			lines++;
		} else if (c == 0xc2 && j + 1 < sc->len && sc->s[j + 1] == 0xa0)
			j += 2;
		else
			break;
	}
	return j;
}

/* The town and what follows it after a street: ", Springfield, IL 62704", "\nLeeds LS6 2AB",
 * "\nNorth Carlton\nOregon 97111": up to three runs of one to three town words, on one line
 * or several, closed by a region, ZIP or postcode. The end, or 0 when nothing closes it. */
static size_t
pii_locality_at(const struct pii_scan *sc, size_t k, int lower)
{
	struct pii_aword w;
	size_t j = pii_addr_sep(sc, k), e;

	if (j == k)
		return 0;
	for (int run = 0; run < 3; run++) {
		int words = 0;

		if (run > 0 && (e = pii_region_zip_at(sc, j, lower)) != 0)
			return e;
		while (words < 3 && pii_aword_read(sc, j, &w) && !w.ordinal &&
		    pii_aword_case_ok(&w, lower) && !pii_aword_stop(&w)) {
			words++;
			e = pii_sp(sc, w.end, 1);
			if (e > w.end && pii_region_zip_at(sc, e, lower) != 0) {
				j = e;                  /* Ottawa ON K1N 8S7: the region, not a town */
				break;
			}
			j = w.end;
			if (e == w.end)
				break;
			j = e;
		}
		if (words == 0)
			return 0;
		if ((e = pii_region_zip_at(sc, j, lower)) != 0)
			return e;
		if ((e = pii_addr_sep(sc, j)) == j)
			return 0;
		j = e;
	}
	return 0;
}

/* A unit before the number ("Flat 4, ", "Apt. 185, ", "Suite 2 "): where it starts, or i. */
static size_t
pii_unit_before(const struct pii_scan *sc, size_t i)
{
	size_t k = i, e, m;
	long cp;
	char f[PII_WORD_MAX + 8];

	while (k > 0 && (sc->s[k - 1] == ' ' || sc->s[k - 1] == ','))
		k--;
	if (k == i || i - k > 3)
		return i;
	e = k;
	while (k > 0 && pii_ascii_alnum(sc->s[k - 1]) && e - k <= 6)
		k--;
	if (e == k || e - k > 6 || (e - k > 1 && pii_digits_at(sc, k) == 0))
		return i;           /* 4, 12B; a longer word without a digit is no unit */
	if (k > 0 && sc->s[k - 1] == '#')
		return k - 1;
	while (k > 0 && (sc->s[k - 1] == ' ' || sc->s[k - 1] == '.'))
		k--;
	e = k;
	while (k > 0 && (cp = pii_cp_before(sc, k, &m)) >= 0 && pii_letter_cp(cp))
		k -= m;
	if (e == k || pii_fold_word((const char *)sc->s + k, e - k, f, sizeof(f)) < 0 ||
	    !pii_in_sorted(f, pii_unit_words, sizeof(pii_unit_words) / sizeof(pii_unit_words[0])) ||
	    !pii_person_start_ok(sc, k))
		return i;
	return k;
}

/* After a street type: a unit (", Apt. 4", " Suite 210", " #12", or on the next line): its
 * end, or k. */
static size_t
pii_unit_after(const struct pii_scan *sc, size_t k, int lower)
{
	struct pii_aword w;
	size_t j = k, q;

	if ((j = pii_addr_sep(sc, j)) == k)
		return k;
	if (j < sc->len && sc->s[j] == '#') {
		q = j + 1;
	} else {
		if (!pii_aword_read(sc, j, &w) || w.ordinal || !pii_aword_case_ok(&w, lower) ||
		    !pii_in_sorted(w.f, pii_unit_words,
		    sizeof(pii_unit_words) / sizeof(pii_unit_words[0])))
			return k;
		q = w.end;
		if (q < sc->len && sc->s[q] == '.')
			q++;
		q = pii_sp(sc, q, 2);
		if (q < sc->len && sc->s[q] == '#')
			q++;
	}
	/* The unit itself: digits with at most one letter (4, 12B, B), at most 6 characters. */
	j = q;
	while (j < sc->len && pii_ascii_alnum(sc->s[j]) && j - q < 7)
		j++;
	if (j == q || j - q > 6 || !pii_word_ends(sc, j) || (pii_digits_at(sc, q) == 0 && j - q > 1))
		return k;
	return j;
}

/*
 * "4127 Maple Grove Suite 12, Springfield, IL 62704": a house number (from i to hn_end),
 * one to four name words, a street type, then maybe a unit and a town closed by a region,
 * ZIP or postcode; a unit may come first ("Flat 4, 19 Kingsley Close"). Written capitalised or
 * all in lower case; the lower-case form scores lower (prose has "3 red road bikes").
 */
static void
pii_address_en(struct pii_scan *sc, size_t i, size_t hn_end)
{
	struct pii_aword w[6];
	size_t k = hn_end, end = 0, e, start;
	int nw = 0, type = -1, lower, strong = 0, extra = 0;
	size_t n;
	long p = pii_cp_before(sc, i, &n);

	if (p == '$' || p == 0xa3 || p == 0x20ac)
		return;                                 /* $5, £5, €5 */
	if (k < sc->len && ((sc->s[k] | 0x20) >= 'a' && (sc->s[k] | 0x20) <= 'z') &&
	    pii_word_ends(sc, k + 1))
		k++;                                    /* 221B */
	if ((k = pii_sp(sc, k, 3)) == hn_end)
		return;
	/* Up to six words one space apart; the last street type after 1..4 name words ends the
	 * street ("Park Avenue", "Hill Park Road"). */
	for (size_t j = k; nw < 6 && pii_aword_read(sc, j, &w[nw]); nw++) {
		size_t q = pii_sp(sc, w[nw].end, 1);

		if (q == w[nw].end) {
			nw++;
			break;
		}
		j = q;
	}
	if (nw < 2)
		return;
	lower = w[w[0].ordinal].lower;
	for (int t = 1; t < nw && t <= 4; t++) {
		const struct pii_aword *x = &w[t - 1];
		int f;

		/* Name words: capitalised like the rest, no stop word (a lone N, S, E, W is a
		 * direction). */
		if (!pii_aword_case_ok(x, lower) || (pii_aword_stop(x) &&
		    !(x->end - x->start == 1 && strchr("NSEW", sc->s[x->start]) != NULL)))
			break;
		if (w[t].ordinal || !pii_aword_case_ok(&w[t], lower) ||
		    (f = pii_street_type(w[t].f)) < 0)
			continue;
		type = t;
		strong = f & PII_ST_STRONG;
		end = w[t].end;
		if ((f & PII_ST_ABBR) && end < sc->len && sc->s[end] == '.')
			end++;
	}
	if (type < 0)
		return;
	/* A direction after the type (NW, SE). */
	if (!lower && (e = pii_sp(sc, end, 1)) > end && pii_letters_at(sc, e, 1, 0)) {
		size_t d = pii_letters_at(sc, e + 1, 1, 0) ? 2 : 1;

		if (pii_word_ends(sc, e + d) && strchr("NSEW", sc->s[e]) != NULL &&
		    (d == 1 || strchr("EW", sc->s[e + 1]) != NULL))
			end = e + d;
	}
	if ((e = pii_unit_after(sc, end, lower)) != end) {
		end = e;
		extra = 1;
	}
	if ((e = pii_locality_at(sc, end, lower)) != 0) {
		end = e;
		extra = 1;
	}
	if ((start = pii_unit_before(sc, i)) != i)
		extra = 1;
	if (lower)
		pii_add(sc, PII_STREET_ADDRESS, start, end, (strong ? 0.45 : 0.3) + (extra ? 0.2 : 0));
	else
		pii_add(sc, PII_STREET_ADDRESS, start, end, extra ? 0.8 : 0.6);
}

/* Street names written before the number in continental Europe: the endings of one-word
 * names (Lindenstraße, Keizersgracht, Mannerheimintie, Drottninggatan), folded. */
static const char *const pii_eu_street_ends[] = {
	"allee", "damm", "gade", "gasse", "gata", "gatan", "gaten", "gracht", "kade", "katu",
	"kuja", "laan", "plads", "platz", "plein", "polku", "singel", "str", "straat", "strasse",
	"tie", "torget", "ufer", "utca", "vagen", "vegen", "veien", "vej", "weg",
};
/* English words with those endings. */
static const char *const pii_eu_not_streets[] = { "brigade", "necktie", "renegade" };
/* The words that come first (Via Roma, Calle Mayor, Rua Augusta, Ulica Długa), folded. */
static const char *const pii_eu_street_firsts[] = {
	"avenida", "avda", "calle", "carrer", "corso", "largo", "paseo", "passeig", "piazza",
	"piazzale", "plaza", "praca", "rambla", "rua", "travessa", "ul", "ulica", "via", "viale",
	"vicolo",
};
static const char *const pii_eu_particles[] = {
	"da", "das", "de", "degli", "dei", "del", "della", "delle", "di", "do", "dos", "la", "las",
	"los", "y",
};

#define PII_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The word ending at e (letters, inner - ' ’), in w; 0 when there is none. */
static int
pii_aword_before(const struct pii_scan *sc, size_t e, struct pii_aword *w)
{
	size_t k = e, m;
	long cp;

	while (k > 0 && (cp = pii_cp_before(sc, k, &m)) >= 0) {
		size_t m2;

		if (!pii_letter_cp(cp) && !((cp == '-' || cp == '\'') && k > 1 &&
		    pii_letter_cp(pii_cp_before(sc, k - 1, &m2))))
			break;
		k -= m;
	}
	if (k == e || e - k > PII_WORD_MAX || !pii_aword_read(sc, k, w) || w->end != e)
		return 0;
	return 1;
}

/* ", 10969 Berlin", "\n1017 AB Amsterdam", or a town and ZIP after a street written the
 * European way: the end, or 0. */
static size_t
pii_eu_locality_at(const struct pii_scan *sc, size_t k, int lower)
{
	struct pii_aword w;
	size_t j = k, d, e;
	int words = 0;

	if (j < sc->len && sc->s[j] == ',')
		j++;
	j = pii_sp(sc, j, 3);
	if (j < sc->len && sc->s[j] == '\n')
		j = pii_sp(sc, j + 1, 3);
	if (j == k || ((d = pii_digits_at(sc, j)) != 4 && d != 5))
		return pii_locality_at(sc, k, lower);
	e = pii_sp(sc, j + d, 1);
	if (e == j + d)
		return 0;
	if (d == 4 && pii_letters_at(sc, e, 2, lower) && pii_word_ends(sc, e + 2))
		e = pii_sp(sc, e + 2, 1);               /* Dutch 1017 AB */
	for (j = 0; words < 3 && pii_aword_read(sc, e, &w) && !w.ordinal &&
	    pii_aword_case_ok(&w, lower) && !pii_aword_stop(&w); words++) {
		j = w.end;
		if ((e = pii_sp(sc, w.end, 1)) == w.end)
			break;
	}
	return j;
}

/*
 * "Lindenstraße 14, 10969 Berlin", "Via Garibaldi 22": a street name then the number (i, up
 * to hn_end), as most of continental Europe writes it; in English text, where travellers and
 * customers quote foreign addresses.
 */
static void
pii_address_eu(struct pii_scan *sc, size_t i, size_t hn_end)
{
	struct pii_aword w[4];
	size_t k = i, start = 0, end = hn_end, e;
	int nw = 0, lower;

	if (k < 2 || sc->s[k - 1] != ' ')
		return;
	k--;
	if (sc->s[k - 1] == '.' || sc->s[k - 1] == ',')
		k--;
	while (nw < 4 && pii_aword_before(sc, k, &w[nw])) {
		k = w[nw++].start;
		if (k < 2 || sc->s[k - 1] != ' ')
			break;
		k--;
	}
	if (nw == 0 || !pii_person_start_ok(sc, w[nw - 1].start))
		return;
	lower = w[0].lower;
	if (w[0].f[0] != '\0' && !pii_in_sorted(w[0].f, pii_eu_not_streets,
	    PII_NELEM(pii_eu_not_streets)) && pii_aword_case_ok(&w[0], lower)) {
		size_t fl = strlen(w[0].f);

		for (size_t t = 0; t < PII_NELEM(pii_eu_street_ends); t++) {
			size_t sl = strlen(pii_eu_street_ends[t]);

			if (fl >= sl + 3 && strcmp(w[0].f + fl - sl, pii_eu_street_ends[t]) == 0) {
				start = w[0].start;
				break;
			}
		}
	}
	/* Via Roma, Calle de Alcalá: capitalised only (lower-case "via" is an English word). */
	for (int t = 1; start == 0 && t < nw && w[0].cap && !w[0].lower; t++) {
		if (pii_in_sorted(w[t].f, pii_eu_street_firsts, PII_NELEM(pii_eu_street_firsts))) {
			if (w[t].cap)
				start = w[t].start;
			break;
		}
		if (pii_in_sorted(w[t].f, pii_eu_particles, PII_NELEM(pii_eu_particles)))
			continue;
		if (!w[t].cap || pii_aword_stop(&w[t]))
			break;
	}
	if (start == 0)
		return;
	if (end < sc->len && ((sc->s[end] | 0x20) >= 'a' && (sc->s[end] | 0x20) <= 'z') &&
	    pii_word_ends(sc, end + 1))
		end++;                                  /* 3a, 12B */
	if (!pii_end_ok(sc, end))
		return;
	if ((e = pii_eu_locality_at(sc, end, lower)) != 0)
		end = e;
	pii_add(sc, PII_STREET_ADDRESS, start, end, lower ? 0.45 : 0.6);
}

/* An address part alone: "Apt. 4B", "apartment 12" (Suite, Unit and Flat only with a cue:
 * "Office Suite 2019", "Unit 3 of the course"); a ZIP after "zip", "zip code", "postcode". */
static void
pii_address_part(struct pii_scan *sc, size_t i, const struct pii_num *nr)
{
	char w[3][PII_WORD_MAX + 8];
	size_t k = i, e = nr->end, m;
	int n;
	long cp;

	if (nr->ng == 1 && nr->gl[0] <= 5) {
		char f[PII_WORD_MAX + 8];
		size_t we;

		if (e < sc->len && pii_ascii_alnum(sc->s[e]) && pii_word_ends(sc, e + 1) &&
		    !pii_digit(sc->s[e]))
			e++;                            /* 4B */
		if (pii_end_ok(sc, e)) {
			if (k > 0 && sc->s[k - 1] == '#')
				k--;
			while (k > 0 && (sc->s[k - 1] == ' ' || sc->s[k - 1] == '.') && i - k < 3)
				k--;
			we = k;
			while (k > 0 && (cp = pii_cp_before(sc, k, &m)) >= 0 && pii_letter_cp(cp))
				k -= m;
			if (we > k && we < i && pii_fold_word((const char *)sc->s + k, we - k, f,
			    sizeof(f)) > 0 && pii_person_start_ok(sc, k)) {
				if (strcmp(f, "apt") == 0 || strcmp(f, "apartment") == 0)
					pii_add(sc, PII_STREET_ADDRESS, k, e, 0.5);
				else if (strcmp(f, "suite") == 0 || strcmp(f, "unit") == 0 ||
				    strcmp(f, "flat") == 0)
					pii_add(sc, PII_STREET_ADDRESS, k, e, 0.4);
			}
		}
	}
	if (!(nr->ng == 1 && nr->gl[0] == 5) &&
	    !(nr->ng == 2 && nr->gl[0] == 5 && nr->gl[1] == 4 && nr->sep == '-'))
		return;
	if (!pii_end_ok(sc, nr->end))
		return;
	n = pii_words_before(sc, i, 3, 30, w);
	for (int t = 0; t < n; t++)
		if (strcmp(w[t], "zip") == 0 || strcmp(w[t], "zipcode") == 0 ||
		    strcmp(w[t], "postcode") == 0 || strcmp(w[t], "postal") == 0) {
			pii_add(sc, PII_STREET_ADDRESS, i, nr->end, 0.6);
			return;
		}
}

/* "PO Box 4410, Dayton, OH 45401": i is the box number. */
static void
pii_po_box(struct pii_scan *sc, size_t i, const struct pii_num *nr)
{
	size_t k = i, e, b;

	while (k > 0 && sc->s[k - 1] == ' ')
		k--;
	if (k == i || k < 6 || strncasecmp((const char *)sc->s + k - 3, "box", 3) != 0)
		return;
	b = k - 3;
	k = b;
	while (k > 0 && (sc->s[k - 1] == ' ' || sc->s[k - 1] == '.'))
		k--;
	if (k >= 2 && strncasecmp((const char *)sc->s + k - 2, "po", 2) == 0)
		k -= 2;
	else if (k >= 3 && strncasecmp((const char *)sc->s + k - 3, "p.o", 3) == 0)
		k -= 3;
	else if (k >= 11 && strncasecmp((const char *)sc->s + k - 11, "post office", 11) == 0)
		k -= 11;
	else
		return;
	if (k == b || !pii_person_start_ok(sc, k) || nr->ng != 1 || !pii_end_ok(sc, nr->end))
		return;
	e = pii_locality_at(sc, nr->end, sc->s[k] == 'p');
	pii_add(sc, PII_STREET_ADDRESS, k, e != 0 ? e : nr->end, e != 0 ? 0.8 : 0.6);
}

/* "Fort Willis, TX 75001" without a street: i is the ZIP, after a comma, a region code and
 * one to three capitalised town words. */
static void
pii_town_zip(struct pii_scan *sc, size_t i, const struct pii_num *nr)
{
	size_t k = i, e, m, start = 0;
	char rc[3];
	int words = 0;
	long cp;

	if (!(nr->ng == 1 && nr->gl[0] == 5) &&
	    !(nr->ng == 2 && nr->gl[0] == 5 && nr->gl[1] == 4 && nr->sep == '-'))
		return;
	if (!pii_end_ok(sc, nr->end) || k < 6 || sc->s[k - 1] != ' ')
		return;
	k--;
	if (!pii_letters_at(sc, k - 2, 2, 0) || (k > 2 && pii_word_cp(pii_cp_before(sc, k - 2, &m))))
		return;
	rc[0] = (char)sc->s[k - 2];
	rc[1] = (char)sc->s[k - 1];
	rc[2] = '\0';
	if (!pii_in_sorted(rc, pii_region_codes,
	    sizeof(pii_region_codes) / sizeof(pii_region_codes[0])))
		return;
	k -= 2;
	if (k < 3 || sc->s[k - 1] != ' ' || sc->s[k - 2] != ',')
		return;
	k -= 2;
	while (words < 3 && k > 0) {
		struct pii_aword w;
		size_t ws = k;

		while (ws > 0 && (cp = pii_cp_before(sc, ws, &m)) >= 0 &&
		    (pii_letter_cp(cp) || cp == '-'))
			ws -= m;
		if (ws == k || !pii_aword_read(sc, ws, &w) || w.end != k || !w.cap || w.lower ||
		    w.end - w.start < 2 || pii_aword_stop(&w) || !pii_person_start_ok(sc, ws))
			break;
		/* Title case: a capital then small letters (not a code such as GB). */
		if (!pii_upper_cp(pii_cp_at(sc, ws, &m)) ||
		    pii_upper_cp(pii_cp_at(sc, ws + m, &m)))
			break;
		start = ws;
		words++;
		if (ws < 2 || sc->s[ws - 1] != ' ')
			break;
		k = ws - 1;
	}
	if (words == 0)
		return;
	e = nr->end;
	pii_add(sc, PII_STREET_ADDRESS, start, e, 0.6);
}

static void
pii_numbers(struct pii_scan *sc, size_t i)
{
	struct pii_num nrb, *nr = &nrb;
	const char *span = (const char *)sc->s + i;
	unsigned char next;
	int ok, sep_sp;

	if (!pii_num_scan(sc, i, nr))
		return;
	ok = pii_end_ok(sc, nr->end) || (nr->end < sc->len && sc->s[nr->end] == ':');
	sep_sp = nr->sep == 0 || nr->sep == ' ';
	next = nr->end < sc->len ? sc->s[nr->end] : 0;

	if (nr->ng >= 3 && (nr->first_sep == '/' || nr->first_sep == '-' || nr->first_sep == '.'))
		pii_date_numeric(sc, i);
	if (nr->ng == 1 && nr->gl[0] <= 2 && (next == ' ' || next == 0xc2 || next == 0xe2 ||
	    next == 'e' || next == 's' || next == 'n' || next == 'r' || next == 't'))
		pii_date_day(sc, i);
	if (nr->ng == 1 && nr->gl[0] <= 5 && next != '.' && next != ':' && next != '/' &&
	    next != '-' && (sc->want & (1u << PII_STREET_ADDRESS))) {
		PCRE2_SIZE *ov;

		if ((ov = pii_match(sc, RX_ADDR_FR, i)) != NULL && pii_end_ok(sc, ov[1]))
			pii_add(sc, PII_STREET_ADDRESS, i, ov[1], pii_group(ov, 1) ? 0.75 : 0.6);
		if (sc->en)
			pii_address_en(sc, i, nr->end);
		else if ((ov = pii_match(sc, RX_ADDR_EN, i)) != NULL && pii_end_ok(sc, ov[1]))
			pii_add(sc, PII_STREET_ADDRESS, i, ov[1], 0.6);
	}
	if (sc->en && nr->ng == 2 && nr->sep == ' ' && nr->gl[0] <= 5 && nr->gl[1] <= 5 &&
	    (sc->want & (1u << PII_STREET_ADDRESS))) {
		/* "350 5th Avenue": the second group is an ordinal; "23 8 Mill Road": a flat
		 * number, then the house number. */
		if (next >= 'a' && next <= 'z')
			pii_address_en(sc, i, i + nr->gl[0]);
		else if (next == ' ')
			pii_address_en(sc, i, nr->end);
	}
	if (sc->en && (sc->want & (1u << PII_STREET_ADDRESS)) && i > 0 && sc->s[i - 1] == ' ') {
		if (nr->gl[0] <= 4 && (nr->ng == 1 || nr->first_sep != ' '))
			pii_address_eu(sc, i, i + nr->gl[0]);
		pii_po_box(sc, i, nr);
		pii_town_zip(sc, i, nr);
		pii_address_part(sc, i, nr);
	}
	if (strchr("123478", span[0]) != NULL && (nr->nd >= 13 || next == 'A' || next == 'B')) {
		PCRE2_SIZE *ov = pii_match(sc, RX_NIR, i);

		if (ov != NULL && pii_nir_valid(span, ov[1] - i))
			pii_add(sc, PII_FR_NIR, i, ov[1], 0.9);
	}
	if (!ok) {
		if ((next == 'x' || next == 'X') && pii_phone_ext(sc, nr->end) != nr->end)
			pii_phone_national(sc, i, nr);          /* 555-0199x204 */
		return;
	}
	if (nr->ng == 4 && nr->sep == '.' && pii_ipv4_valid(span, nr->end - i))
		pii_add(sc, PII_IP_ADDRESS, i, nr->end, 0.6);
	if (next == ':')
		return;                 /* a port or a time follows: only an address fits */
	if (nr->nd >= 13 && nr->nd <= 19 && (nr->sep == 0 || nr->sep == ' ' || nr->sep == '-') &&
	    pii_card_grouping(nr) && pii_card_valid(span, nr->end - i, NULL)) {
		/* Diners' 14 digits clash with SIRETs: a weaker guess. */
		pii_add(sc, PII_CREDIT_CARD, i, nr->end, nr->nd == 14 ? 0.45 : 0.75);
	}
	if (nr->nd == 9 && (nr->ng == 1 || (PII_GROUPS(3, 3, 3) && (sep_sp || nr->sep == '.'))) &&
	    pii_siren_valid(span, nr->end - i))
		pii_add(sc, PII_FR_SIREN, i, nr->end, nr->ng == 1 ? 0.4 : 0.5);
	if (nr->nd == 14 && (nr->ng == 1 || ((PII_GROUPS(3, 3, 3, 5) || PII_GROUPS(9, 5)) &&
	    (sep_sp || nr->sep == '.'))) && pii_siret_valid(span, nr->end - i))
		pii_add(sc, PII_FR_SIRET, i, nr->end, nr->ng == 1 ? 0.5 : 0.6);
	pii_phone_national(sc, i, nr);
}

/* "+33 (0)1 23 45 67 89", "+1 (555) 123-4567", "+44 20 7946 0958"; also "(555) 123-4567". */
static void
pii_phone_plus(struct pii_scan *sc, size_t i)
{
	const unsigned char *s = sc->s;
	char d[24];
	size_t n = 0, k = i + 1, end = 0, in_paren = 0;
	int paren = 0, plus = s[i] == '+', groups = 0, dash = 0;

	if (!plus) {
		k = i;
		paren = 0;
	}
	while (k < sc->len) {
		if (pii_digit(s[k])) {
			while (k < sc->len && pii_digit(s[k])) {
				if (n == sizeof(d) - 1)
					return;
				d[n++] = (char)s[k++];
			}
			end = k;
			groups++;
		} else if (s[k] == '(' && !paren && (n > 0 || !plus)) {
			size_t g = k + 1, m = n;

			while (g < sc->len && pii_digit(s[g]) && g - k <= 4)
				if (n < sizeof(d) - 1)
					d[n++] = (char)s[g++];
				else
					return;
			if (g >= sc->len || s[g] != ')' || g == k + 1)
				break;
			if (g == k + 2 && s[k + 1] == '0' && plus)
				n = m;          /* the trunk 0 in "+33 (0)1" is not dialled */
			in_paren = n - m;
			paren = 1;
			k = g + 1;
			end = k;
		} else
			break;
		/* One separator between groups. */
		if (k < sc->len && (s[k] == ' ' || s[k] == '.' || s[k] == '-')) {
			dash |= s[k] == '-';
			k++;
		}
		else if (k + 1 < sc->len && s[k] == 0xc2 && s[k + 1] == 0xa0)
			k += 2;
		if (k >= sc->len || !(pii_digit(s[k]) || s[k] == '('))
			break;
	}
	if (end == 0)
		return;
	if (!pii_end_ok(sc, end)) {
		size_t x = end < sc->len && (s[end] | 0x20) == 'x' ? pii_phone_ext(sc, end) : end;

		if (x == end)
			return;
		end = x;                /* +1-415-555-0199x204 */
	} else
		end = pii_phone_ext(sc, end);
	d[n] = '\0';
	if (plus && pii_phone_e164_valid(d, n))
		pii_add(sc, PII_PHONE_NUMBER, i, end, 0.7);
	else if (plus && pii_phone_e164_world_valid(d, n))
		pii_add(sc, PII_PHONE_NUMBER, i, end, 0.6);
	else if (!plus && n == 10 && d[0] >= '2' && d[3] >= '2')
		pii_add(sc, PII_PHONE_NUMBER, i, end, sc->en ? 0.6 : 0.45);
	else if (!plus && paren && s[i] == '(' && in_paren >= 2 && in_paren <= 4 && groups >= 2 &&
	    n >= 8 && n <= 11 && sc->en)
		/* (02) 9824 6810, (068) 554 9929, (31) 452-718: other countries' area codes; a
		 * cue (call, phone...) is needed unless a trunk 0 or a dash says phone. */
		pii_add(sc, PII_PHONE_NUMBER, i, end, d[0] == '0' || dash ? 0.45 : 0.35);
}

/* ---- IBAN, IP v6, URL, e-mail ---- */

static void
pii_iban(struct pii_scan *sc, size_t i)
{
	PCRE2_SIZE *ov = pii_match(sc, RX_IBAN, i);
	size_t want, k, got = 0;

	if (ov == NULL || (want = (size_t)pii_iban_length((const char *)sc->s + i)) == 0)
		return;
	/* The match may run into the next word: the registry length says where it ends, at a
	 * group boundary. */
	for (k = i; k < ov[1] && got < want; k++)
		if (sc->s[k] != ' ')
			got++;
	if (got != want || !pii_end_ok(sc, k) || !pii_iban_valid((const char *)sc->s + i, k - i))
		return;
	pii_add(sc, PII_IBAN_CODE, i, k, 0.9);
}

static void
pii_ipv6(struct pii_scan *sc, size_t i)
{
	const unsigned char *s = sc->s;
	size_t k = i, colons = 0;

	while (k < sc->len && k - i <= 45 && (pii_hex(s[k]) || s[k] == ':' || s[k] == '.')) {
		colons += s[k] == ':';
		k++;
	}
	if (colons < 2 || k - i > 45)
		return;
	while (k > i && (s[k - 1] == '.' || (s[k - 1] == ':' && !(k - i >= 2 && s[k - 2] == ':'))))
		k--;
	if (!pii_end_ok(sc, k) || !pii_ipv6_valid((const char *)s + i, k - i))
		return;
	pii_add(sc, PII_IP_ADDRESS, i, k, memmem(s + i, k - i, "::", 2) ? 0.6 : 0.7);
}

static int
pii_host_valid(const unsigned char *h, size_t n)
{
	size_t dots = 0, last = 0;

	if (n >= 2 && h[0] == '[')
		return h[n - 1] == ']' && pii_ipv6_valid((const char *)h + 1, n - 2);
	if (n == 9 && strncasecmp((const char *)h, "localhost", 9) == 0)
		return 1;
	if (pii_ipv4_valid((const char *)h, n))
		return 1;
	for (size_t k = 0; k < n; k++) {
		if (h[k] == '.') {
			if (k == last)
				return 0;
			dots++;
			last = k + 1;
		} else if (!(pii_ascii_alnum(h[k]) || h[k] == '-' || h[k] >= 0x80))
			return 0;
	}
	if (dots == 0 || n - last < 2)
		return 0;
	for (size_t k = last; k < n; k++)
		if (pii_digit(h[k]))
			return 0;
	return 1;
}

static void
pii_url(struct pii_scan *sc, size_t i)
{
	const unsigned char *s = sc->s;
	PCRE2_SIZE *ov = pii_match(sc, RX_URL, i);
	size_t e, h, he, open = 0, close = 0;

	if (ov == NULL)
		return;
	e = ov[1];
	for (size_t k = i; k < e; k++) {
		open += s[k] == '(';
		close += s[k] == ')';
	}
	/* Sentence punctuation after a link is not part of it; a ')' is when a '(' opened it. */
	while (e > i) {
		unsigned char c = s[e - 1];

		if (c == ')' && close > open) {
			close--;
			e--;
		} else if (strchr(".,;:!?'\"]}", c) != NULL && c != '\0')
			e--;
		else if (e - i >= 3 && s[e - 3] == 0xe2 && s[e - 2] == 0x80 &&
		    (c == 0x99 || c == 0xa6))
			e -= 3;                 /* ’ … */
		else
			break;
	}
	h = i;
	if ((s[i] | 0x20) != 'w' || s[i + 3] != '.') {
		const unsigned char *p = memmem(s + i, e - i, "://", 3);

		if (p == NULL)
			return;
		h = (size_t)(p - s) + 3;
	}
	for (he = h; he < e && strchr("/?#", s[he]) == NULL; he++)
		;
	if (he <= h)
		return;
	{
		const unsigned char *at = memchr(s + h, '@', he - h);

		if (at != NULL)
			h = (size_t)(at - s) + 1;
	}
	{
		size_t port = he;

		if (s[h] != '[')
			for (size_t k = h; k < he; k++)
				if (s[k] == ':') {
					port = k;
					break;
				}
		if (!pii_host_valid(s + h, port - h))
			return;
	}
	pii_add(sc, PII_URL, i, e, s[i] == 'w' || s[i] == 'W' ? 0.55 : 0.6);
}

static int
pii_local_byte(unsigned char c)
{
	return pii_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static void
pii_emails(struct pii_scan *sc)
{
	const unsigned char *s = sc->s, *at;
	size_t from = 0;

	while (sc->rc == 0 && from < sc->len &&
	    (at = memchr(s + from, '@', sc->len - from)) != NULL) {
		size_t a = (size_t)(at - s), b = a;
		PCRE2_SIZE *ov;

		from = a + 1;
		while (b > 0 && a - b < 64 + 8) {
			size_t m;
			long cp = pii_cp_before(sc, b, &m);

			if (cp < 0x80 ? !pii_local_byte((unsigned char)cp) : !pii_letter_cp(cp))
				break;
			b -= m;
		}
		while (b < a && s[b] < 0x80 && !pii_ascii_alnum(s[b]))
			b++;
		if (b == a || !pii_num_start_ok(sc, b) || (b > 0 && s[b - 1] == '.'))
			continue;
		if ((ov = pii_match(sc, RX_EMAIL, b)) == NULL)
			continue;
		pii_add(sc, PII_EMAIL_ADDRESS, b, ov[1], 0.9);
		from = ov[1];
	}
}

/* ---- persons ---- */

struct pii_tok {
	size_t start, end;
	unsigned flags;
	int cap, allcaps;
	int poss;                       /* 's or ’s follows (Amelia's) */
};

/* Reads a name-like word at i: letters with inner '-', '\'' or '’'. 0 when none. */
static int
pii_tok_read(const struct pii_scan *sc, size_t i, struct pii_tok *t)
{
	size_t k = i, n, parts = 0, pstart = i;
	long cp;
	int lower = 0, letters = 0;
	unsigned pf = 0, first_all = PII_NAME_FIRST;

	memset(t, 0, sizeof(*t));
	t->start = i;
	cp = pii_cp_at(sc, i, &n);
	if (cp < 0 || !pii_letter_cp(cp))
		return 0;
	t->cap = pii_upper_cp(cp);
	for (;;) {
		cp = pii_cp_at(sc, k, &n);
		if (cp >= 0 && pii_letter_cp(cp)) {
			lower |= !pii_upper_cp(cp);
			letters++;
			k += n;
			if (k - i > PII_WORD_MAX)
				return 0;
			continue;
		}
		/* A part ends: look it up (Jean-Pierre is a first name when each part is). */
		if (k > pstart) {
			unsigned f = pii_names_lookup((const char *)sc->s + pstart, k - pstart);

			if (parts == 0)
				pf = f;
			else
				pf = (pf & ~(unsigned)(PII_NAME_LAST | PII_NAME_COMMON)) |
				    (f & PII_NAME_LAST);
			first_all &= f;
			parts++;
		}
		if ((cp == '-' || cp == '\'' || cp == 0x2019)) {
			size_t m, m2;
			long nx = pii_cp_at(sc, k + n, &m);

			if (cp != '-' && (nx == 's' || nx == 'S') &&
			    !pii_word_cp(pii_cp_at(sc, k + n + m, &m2))) {
				t->poss = 1;    /* the possessive is not part of the name */
				break;
			}
			if (nx >= 0 && pii_letter_cp(nx)) {
				k += n;
				pstart = k;
				continue;
			}
		}
		break;
	}
	if (k < sc->len && pii_digit(sc->s[k]))
		return 0;               /* NW1, A4: codes, not names */
	t->end = k;
	t->allcaps = !lower && letters >= 2;
	t->flags = pf;
	if (parts > 1 && !(first_all & PII_NAME_FIRST))
		t->flags &= ~(unsigned)PII_NAME_FIRST;
	return 1;
}

/* The next token after t, separated by one space (or no-break space); 0 when none. */
static int
pii_tok_next(const struct pii_scan *sc, const struct pii_tok *t, struct pii_tok *nx)
{
	size_t k = t->end, n;
	long cp = pii_cp_at(sc, k, &n);

	if (cp != ' ' && cp != 0xa0)
		return 0;
	return pii_tok_read(sc, k + n, nx);
}

static int
pii_tok_namelike(const struct pii_scan *sc, const struct pii_tok *t)
{
	if (!(t->cap || t->allcaps))
		return 0;
	if (t->flags == 0)
		return !pii_names_is_stop((const char *)sc->s + t->start, t->end - t->start);
	return !(t->flags & (PII_NAME_STOP | PII_NAME_TITLE | PII_NAME_PARTICLE) &&
	    !(t->flags & (PII_NAME_FIRST | PII_NAME_LAST)));
}

static int
pii_tok_first(const struct pii_tok *t)
{
	return t->cap && !t->allcaps && (t->flags & PII_NAME_FIRST) &&
	    !(t->flags & (PII_NAME_COMMON | PII_NAME_STOP));
}

/*
 * Extends a name from token t: particles (de, van...) followed by a capitalised word, and up to
 * max more capitalised words. Returns the end of the name.
 */
static size_t
pii_name_extend(const struct pii_scan *sc, const struct pii_tok *t, int max, int *known_last)
{
	struct pii_tok cur = *t, p, q;
	size_t end = t->end;

	for (int added = 0; added < max && pii_tok_next(sc, &cur, &p); added++) {
		/* Up to two particles (de, de La, van der) must lead to a capitalised word. */
		for (int np = 0; p.flags & PII_NAME_PARTICLE && np < 2; np++) {
			if (!pii_tok_next(sc, &p, &q))
				return end;
			p = q;
		}
		if (!p.cap || p.flags & (PII_NAME_MONTH | PII_NAME_PARTICLE) ||
		    !pii_tok_namelike(sc, &p))
			break;
		cur = p;
		if (known_last != NULL && (cur.flags & PII_NAME_LAST || cur.allcaps))
			*known_last = 1;
		end = cur.end;
	}
	return end;
}

/* 1 when the separator bytes [a, b) end a sentence before a word starting with upper: a line
 * break, or . ! ? before a capital. Context does not cross it. */
static int
pii_sentence_break(const struct pii_scan *sc, size_t a, size_t b, int upper)
{
	for (size_t k = a; k < b; k++) {
		unsigned char c = sc->s[k];

		if (c == '\n' || ((c == '.' || c == '!' || c == '?') && upper))
			return 1;
	}
	return 0;
}

/* The words before i in its sentence, folded, last first: up to max of them within bytes. */
static int
pii_words_before(const struct pii_scan *sc, size_t i, int max, size_t bytes,
    char out[][PII_WORD_MAX + 8])
{
	size_t lo = i > bytes ? i - bytes : 0, k = i, n1;
	int n = 0, upper = pii_upper_cp(pii_cp_at(sc, i, &n1));

	while (n < max && k > lo) {
		size_t e, m, sep_end = k;
		long cp;

		while (k > lo && ((cp = pii_cp_before(sc, k, &m)) < 0 || !pii_letter_cp(cp)))
			k -= m;
		if (pii_sentence_break(sc, k, sep_end, upper))
			break;
		e = k;
		while (k > lo && (cp = pii_cp_before(sc, k, &m)) >= 0 && pii_letter_cp(cp))
			k -= m;
		if (e == k)
			break;
		upper = pii_upper_cp(pii_cp_at(sc, k, &m));
		if (pii_fold_word((const char *)sc->s + k, e - k, out[n], PII_WORD_MAX + 8) > 0)
			n++;
		else
			out[n++][0] = '\0';
	}
	return n;
}

/* The words after i in its sentence (up to a line break or . ! ? then a space). */
static int
pii_words_after(const struct pii_scan *sc, size_t i, int max, size_t bytes,
    char out[][PII_WORD_MAX + 8])
{
	size_t hi = i + bytes < sc->len ? i + bytes : sc->len, k = i;
	int n = 0;

	while (n < max && k < hi) {
		size_t st, m;
		long cp;

		while (k < hi && ((cp = pii_cp_at(sc, k, &m)) < 0 || !pii_letter_cp(cp))) {
			if (cp == '\n' || ((cp == '.' || cp == '!' || cp == '?') && k + 1 < sc->len &&
			    (sc->s[k + 1] == ' ' || sc->s[k + 1] == '\n')))
				return n;
			k += m ? m : 1;
		}
		st = k;
		while (k < hi && (cp = pii_cp_at(sc, k, &m)) >= 0 && pii_letter_cp(cp))
			k += m;
		if (st == k)
			break;
		if (pii_fold_word((const char *)sc->s + st, k - st, out[n], PII_WORD_MAX + 8) > 0)
			n++;
		else
			out[n++][0] = '\0';
	}
	return n;
}

/* Words just before a name that say a name follows ("je m'appelle", "my name is", "nom :"). */
static int
pii_person_cue(const struct pii_scan *sc, size_t i)
{
	char w[2][PII_WORD_MAX + 8];
	int n = pii_words_before(sc, i, 2, 40, w);

	if (n == 0)
		return 0;
	if (strcmp(w[0], "appelle") == 0 || strcmp(w[0], "nom") == 0 ||
	    strcmp(w[0], "prenom") == 0 || strcmp(w[0], "surname") == 0 ||
	    strcmp(w[0], "firstname") == 0 || strcmp(w[0], "lastname") == 0)
		return 1;
	if (n == 2 && ((strcmp(w[1], "name") == 0 && strcmp(w[0], "is") == 0) ||
	    (strcmp(w[1], "je") == 0 && strcmp(w[0], "suis") == 0) ||
	    (strcmp(w[1], "i") == 0 && strcmp(w[0], "am") == 0) ||
	    (strcmp(w[1], "called") == 0 && strcmp(w[0], "is") == 0) ||
	    (strcmp(w[1], "nom") == 0 && strcmp(w[0], "est") == 0)))
		return 1;
	if (strcmp(w[0], "m") == 0 && n == 2 && strcmp(w[1], "i") == 0)
		return 1;               /* I'm */
	return 0;
}

/* "This is" just before i (an introduction: "This is Jeff from billing"). */
static int
pii_this_is(const struct pii_scan *sc, size_t i)
{
	char w[2][PII_WORD_MAX + 8];

	return pii_words_before(sc, i, 2, 20, w) == 2 && strcmp(w[0], "is") == 0 &&
	    strcmp(w[1], "this") == 0;
}

static int
pii_person_start_ok(const struct pii_scan *sc, size_t i)
{
	size_t n;
	long p = pii_cp_before(sc, i, &n), q;

	if (p < 0)
		return 1;
	if (pii_word_cp(p) || p == '_' || p == '@' || p == '/' || p == '\\' || p == '#')
		return 0;
	q = pii_cp_before(sc, i - n, &n);
	if ((p == '-' || p == '\'' || p == 0x2019 || p == '.') && pii_word_cp(q))
		return 0;
	return 1;
}

static void
pii_person(struct pii_scan *sc, size_t i, const struct pii_tok *t0)
{
	struct pii_tok t1;
	int known_last = 0;
	size_t end;

	if (!pii_person_start_ok(sc, i))
		return;
	if (t0->flags & PII_NAME_TITLE && t0->cap && (!t0->allcaps || t0->end - t0->start > 2)) {
		/* M. Dupont, Mme Martin, Dr House, Monsieur Jean Dupont: the title stays out. */
		size_t k = t0->end, n;
		struct pii_tok nx;

		if (k < sc->len && sc->s[k] == '.')
			k++;
		if (pii_cp_at(sc, k, &n) != ' ' && pii_cp_at(sc, k, &n) != 0xa0)
			return;
		if (!pii_tok_read(sc, k + n, &nx) || !pii_tok_namelike(sc, &nx) ||
		    nx.flags & PII_NAME_MONTH)
			return;
		end = pii_name_extend(sc, &nx, 2, NULL);
		pii_add(sc, PII_PERSON, nx.start, end, 0.85);
		return;
	}
	if (t0->flags & PII_NAME_MONTH)
		return;
	if (t0->flags == 0 && !t0->allcaps) {
		/* An unknown capitalised word is a name only after a cue. */
		if (pii_person_cue(sc, i) && pii_tok_namelike(sc, t0))
			pii_add(sc, PII_PERSON, i, pii_name_extend(sc, t0, 2, NULL), 0.85);
		return;
	}
	if (!pii_tok_namelike(sc, t0))
		return;
	if (pii_person_cue(sc, i)) {
		pii_add(sc, PII_PERSON, i, pii_name_extend(sc, t0, 2, NULL), 0.85);
		return;
	}
	if (pii_tok_first(t0)) {
		/* Jean Dupont, Jean-Pierre de La Fontaine, Marie DURAND; Jean Paul Sartre. */
		int max = pii_tok_next(sc, t0, &t1) && pii_tok_first(&t1) ? 2 : 1;

		end = pii_name_extend(sc, t0, max, &known_last);
		if (end > t0->end)
			pii_add(sc, PII_PERSON, i, end, known_last ? 0.85 : 0.7);
		else
			pii_add(sc, PII_PERSON, i, t0->end, (t0->poss || pii_this_is(sc, i)) &&
			    sc->en ? 0.6 : 0.35);
		return;
	}
	if (t0->allcaps && pii_tok_next(sc, t0, &t1) && pii_tok_first(&t1)) {
		pii_add(sc, PII_PERSON, i, t1.end, 0.8);                 /* DUPONT Jean */
		return;
	}
	if (t0->flags & PII_NAME_LAST && !(t0->flags & (PII_NAME_COMMON | PII_NAME_STOP)) &&
	    !t0->allcaps)
		pii_add(sc, PII_PERSON, i, t0->end, 0.25);
}

/* Lower-case English after a strong cue: "my name is john smith", "i'm emma", "call me
 * harriet", "mr. jenkins", "this is olivia from billing". i is the cue's last word (is, am, m,
 * me, or a title), w its folded form. Only names of the lists are taken. */
static void
pii_person_lower(struct pii_scan *sc, size_t i, size_t e, const char *w)
{
	char b[2][PII_WORD_MAX + 8];
	struct pii_tok t, t2;
	size_t k = e, n;
	int nb = pii_words_before(sc, i, 2, 30, b), title = 0, weak = 0;
	unsigned want = PII_NAME_FIRST;
	double score = 0.85;

	if (strcmp(w, "is") == 0) {
		if (nb >= 1 && strcmp(b[0], "this") == 0)
			weak = 1;
		else if (!(nb >= 1 && strcmp(b[0], "name") == 0))
			return;
	} else if (strcmp(w, "am") == 0) {
		if (!(nb >= 1 && strcmp(b[0], "i") == 0))
			return;
	} else if (strcmp(w, "m") == 0) {
		if (!(i >= 2 && (sc->s[i - 1] == '\'' || (i >= 4 && sc->s[i - 1] == 0x99 &&
		    sc->s[i - 2] == 0x80 && sc->s[i - 3] == 0xe2))) || !(nb >= 1 &&
		    strcmp(b[0], "i") == 0))
			return;
	} else if (strcmp(w, "me") == 0) {
		if (!(nb >= 1 && strcmp(b[0], "call") == 0))
			return;
	} else if (strcmp(w, "hi") == 0 || strcmp(w, "hello") == 0 || strcmp(w, "dear") == 0 ||
	    strcmp(w, "thanks") == 0) {
		score = 0.7;                    /* hi olumide, dear yasmine emmerich */
	} else {
		title = 1;                      /* mr, ms, mrs, dr, miss */
		want = PII_NAME_FIRST | PII_NAME_LAST;
		if (k < sc->len && sc->s[k] == '.')
			k++;
	}
	if (pii_cp_at(sc, k, &n) != ' ' || !pii_tok_read(sc, k + n, &t) || t.cap ||
	    !(t.flags & want) || t.flags & (PII_NAME_COMMON | PII_NAME_STOP | PII_NAME_TITLE |
	    PII_NAME_MONTH))
		return;
	e = t.end;
	if (pii_tok_next(sc, &t, &t2) && !t2.cap && t2.flags & (PII_NAME_FIRST | PII_NAME_LAST) &&
	    !(t2.flags & (PII_NAME_COMMON | PII_NAME_STOP | PII_NAME_MONTH)))
		e = t2.end;                     /* john smith */
	else if (weak) {
		/* "this is amber and green": a name only when "from", "here", "speaking" or the
		 * end of the clause follows. */
		char a[1][PII_WORD_MAX + 8];
		long c = pii_cp_at(sc, t.end, &n);

		if (!(c < 0 || c == ',' || c == '.' || c == '!' || c == ';' || c == '\n' ||
		    (pii_words_after(sc, t.end, 1, 20, a) == 1 && (strcmp(a[0], "from") == 0 ||
		    strcmp(a[0], "here") == 0 || strcmp(a[0], "speaking") == 0 ||
		    strcmp(a[0], "at") == 0 || strcmp(a[0], "with") == 0))))
			return;
	}
	if (weak || title)
		score = 0.7;
	if (e == t.end && strcmp(w, "dear") != 0 && !title && score < 0.85 &&
	    pii_cp_at(sc, t.end, &n) != ',' && pii_cp_at(sc, t.end, &n) != '!' && !weak)
		return;                 /* "hi there", "thanks again": a comma or ! after the name */
	pii_add(sc, PII_PERSON, t.start, e, score);
}

/* A lower-case word that may end a cue (is, am, m, me, mr, ms, mrs, dr, miss). */
static void
pii_lower_cue(struct pii_scan *sc, size_t i)
{
	static const char *const cues[] = { "am", "dear", "dr", "hello", "hi", "is", "m", "me",
	    "miss", "mr", "mrs", "ms", "thanks" };
	char w[8];
	size_t e = i;

	while (e < sc->len && e - i < 7 && sc->s[e] >= 'a' && sc->s[e] <= 'z')
		e++;
	if (e - i > 6 || (e < sc->len && pii_ascii_alnum(sc->s[e])))
		return;
	memcpy(w, sc->s + i, e - i);
	w[e - i] = '\0';
	if (pii_in_sorted(w, cues, sizeof(cues) / sizeof(cues[0])) &&
	    (strcmp(w, "m") == 0 || pii_person_start_ok(sc, i)))
		pii_person_lower(sc, i, e, w);
}

/* ---- the walk ---- */

static void
pii_word_start(struct pii_scan *sc, size_t i, long cp)
{
	const unsigned char *s = sc->s;
	unsigned char c = s[i];

	if (c >= '0' && c <= '9') {
		if (pii_num_start_ok(sc, i)) {
			pii_numbers(sc, i);
			if (sc->want & (1u << PII_IP_ADDRESS)) {
				for (size_t k = i + 1; k < sc->len && k <= i + 4; k++)
					if (s[k] == ':') {
						pii_ipv6(sc, i);
						break;
					} else if (!pii_hex(s[k]))
						break;
			}
		}
		return;
	}
	if ((c | 0x20) == 'h' || (c | 0x20) == 'w' || (c | 0x20) == 'f') {
		if (sc->len - i > 6 && (strncasecmp((const char *)s + i, "http", 4) == 0 ||
		    strncasecmp((const char *)s + i, "www.", 4) == 0 ||
		    strncasecmp((const char *)s + i, "ftp:", 4) == 0) && pii_person_start_ok(sc, i))
			pii_url(sc, i);
	}
	if (pii_hex(c) && (sc->want & (1u << PII_IP_ADDRESS))) {
		for (size_t k = i + 1; k < sc->len && k <= i + 4; k++)
			if (s[k] == ':') {
				if (pii_person_start_ok(sc, i))
					pii_ipv6(sc, i);
				break;
			} else if (!pii_hex(s[k]))
				break;
	}
	if (!pii_upper_cp(cp)) {
		if (sc->en && (c == 'i' || c == 'a' || c == 'm' || c == 'd' || c == 'h' ||
		    c == 't') && (sc->want & (1u << PII_PERSON)))
			pii_lower_cue(sc, i);
		return;
	}
	if (c >= 'A' && c <= 'Z' && i + 4 < sc->len && s[i + 1] >= 'A' && s[i + 1] <= 'Z' &&
	    pii_digit(s[i + 2]) && pii_digit(s[i + 3]) && pii_person_start_ok(sc, i))
		pii_iban(sc, i);
	if (sc->want & ((1u << PII_PERSON) | (1u << PII_DATE_TIME))) {
		struct pii_tok t;

		if (!pii_tok_read(sc, i, &t))
			return;
		if (t.flags & PII_NAME_MONTH) {
			if (pii_person_start_ok(sc, i))
				pii_date_month(sc, i);
			return;
		}
		if (sc->want & (1u << PII_PERSON))
			pii_person(sc, i, &t);
	}
}

static void
pii_walk(struct pii_scan *sc)
{
	const unsigned char *s = sc->s;
	size_t i = 0, len = sc->len;

	if (sc->want & (1u << PII_EMAIL_ADDRESS))
		pii_emails(sc);
	while (i < len && sc->rc == 0) {
		unsigned char c = s[i];
		long cp;
		size_t n;

		if (c < 0x80 && !pii_ascii_alnum(c)) {
			if ((c == '+' || c == '(') && i + 1 < len && pii_digit(s[i + 1]) &&
			    (sc->want & (1u << PII_PHONE_NUMBER)) && pii_num_start_ok(sc, i))
				pii_phone_plus(sc, i);
			else if (c == ':' && i + 2 < len && s[i + 1] == ':' && pii_hex(s[i + 2]) &&
			    (sc->want & (1u << PII_IP_ADDRESS)) && pii_num_start_ok(sc, i))
				pii_ipv6(sc, i);
			i++;
			continue;
		}
		cp = pii_cp_at(sc, i, &n);
		if (c >= 0x80 && !pii_letter_cp(cp)) {
			i += n;
			continue;
		}
		/* A word starts here: dispatch, then skip to its end. */
		pii_word_start(sc, i, cp);
		i += n;
		for (;;) {
			if (i >= len)
				break;
			c = s[i];
			if (c < 0x80) {
				if (!pii_ascii_alnum(c))
					break;
				i++;
				continue;
			}
			cp = pii_cp_at(sc, i, &n);
			if (!pii_letter_cp(cp))
				break;
			i += n;
		}
	}
}

/* ---- context, threshold, overlaps ---- */

struct pii_ctx_list {
	const char *const *pos;
	size_t npos;
	const char *const *neg;
	size_t nneg;
};

/* Folded, unaccented, sorted (strcmp) for bsearch; French and English together. */
static const char *const ctx_email[] = {
	"adresse", "contact", "courriel", "ecrire", "electronique", "email", "mail", "mel", "write" };
static const char *const ctx_phone[] = {
	"appel", "appeler", "appelez", "call", "cell", "cellphone", "contact", "dial", "fax",
	"fixe", "joignable", "joindre", "landline", "mobile", "num", "number", "numero", "phone",
	"portable", "reach", "ring", "sms", "tel", "telephone", "text", "whatsapp" };
static const char *const ctx_phone_neg[] = {
	"colis", "commande", "dossier", "facture", "invoice", "order", "ref", "reference", "suivi",
	"ticket", "tracking" };
static const char *const ctx_iban[] = {
	"account", "bancaire", "bank", "banque", "bic", "compte", "iban", "rib", "swift", "transfer",
	"virement" };
static const char *const ctx_card[] = {
	"amex", "bancaire", "card", "carte", "cb", "credit", "cvv", "expiration", "expire",
	"mastercard", "paiement", "payment", "visa" };
static const char *const ctx_card_neg[] = {
	"commande", "facture", "invoice", "order", "ref", "reference", "siret", "suivi", "tracking" };
static const char *const ctx_nir[] = {
	"assure", "insee", "nir", "secu", "securite", "social", "sociale", "ssn", "vitale" };
static const char *const ctx_siren[] = {
	"company", "entreprise", "immatriculation", "rcs", "registration", "siren", "sirene",
	"societe" };
static const char *const ctx_siret[] = {
	"entreprise", "etablissement", "siret", "societe" };
static const char *const ctx_ip[] = {
	"address", "adresse", "connecte", "connexion", "depuis", "from", "host", "hote", "ip", "ipv",
	"login", "server", "serveur" };
static const char *const ctx_ip_neg[] = {
	"build", "release", "v", "ver", "version" };
static const char *const ctx_url[] = {
	"lien", "link", "page", "site", "url", "visit", "visitez", "web", "website" };
static const char *const ctx_date_neg[] = { "build", "release", "v", "ver", "version" };
static const char *const ctx_date[] = {
	"anniversaire", "birth", "birthday", "born", "dob", "naissance", "ne", "nee" };
static const char *const ctx_addr[] = {
	"address", "adresse", "deliver", "delivered", "delivery", "demeurant", "domicile",
	"domicilie", "domiciliee", "habite", "live", "lives", "living", "livraison", "located",
	"mailing", "moved", "parcel", "postal", "postale", "reside", "resident", "residing", "send",
	"sent", "ship", "shipped", "shipping" };
static const char *const ctx_person[] = {
	"agent", "appelle", "ask", "asked", "bonjour", "boss", "brother", "call", "called", "cher",
	"chere", "client", "cliente", "colleague", "conseiller", "conseillere", "contact",
	"cordialement", "daughter", "dear", "dr", "email", "emailed", "employe", "employee",
	"father", "friend", "hello", "hi", "husband", "interlocuteur", "m", "madame",
	"mademoiselle", "manager", "message", "mlle", "mme", "monsieur", "mother", "mr", "mrs", "ms",
	"name", "neighbor", "neighbour", "nom", "patient", "patiente", "prenom", "regards", "said",
	"salarie", "salut", "says", "signe", "sincerely", "sister", "spoke", "talked", "tell",
	"text", "thank", "thanks", "told", "wife", "wrote" };

#define CTX(a) a, sizeof(a) / sizeof(a[0])
static const struct pii_ctx_list pii_ctx[PII_ENTITY_COUNT] = {
	[PII_EMAIL_ADDRESS] = { CTX(ctx_email), NULL, 0 },
	[PII_PHONE_NUMBER] = { CTX(ctx_phone), CTX(ctx_phone_neg) },
	[PII_IBAN_CODE] = { CTX(ctx_iban), NULL, 0 },
	[PII_CREDIT_CARD] = { CTX(ctx_card), CTX(ctx_card_neg) },
	[PII_FR_NIR] = { CTX(ctx_nir), NULL, 0 },
	[PII_FR_SIREN] = { CTX(ctx_siren), NULL, 0 },
	[PII_FR_SIRET] = { CTX(ctx_siret), NULL, 0 },
	[PII_IP_ADDRESS] = { CTX(ctx_ip), CTX(ctx_ip_neg) },
	[PII_URL] = { CTX(ctx_url), NULL, 0 },
	[PII_DATE_TIME] = { CTX(ctx_date), CTX(ctx_date_neg) },
	[PII_STREET_ADDRESS] = { CTX(ctx_addr), NULL, 0 },
	[PII_PERSON] = { CTX(ctx_person), NULL, 0 },
};

static int
pii_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
pii_in_list(const char *w, const char *const *list, size_t n)
{
	return w[0] != '\0' && list != NULL && bsearch(&w, list, n, sizeof(*list), pii_cmp_str);
}

/* Raises a hit with a context word nearby, or lowers a look-alike (an order number, a
 * version). The IP version check only reads the word just before. */
static void
pii_context(struct pii_scan *sc, struct pii_hit *h)
{
	const struct pii_ctx_list *l = &pii_ctx[h->entity];
	char w[PII_CONTEXT_BEFORE + PII_CONTEXT_AFTER][PII_WORD_MAX + 8];
	int n = pii_words_before(sc, h->start, PII_CONTEXT_BEFORE, PII_CONTEXT_BEFORE_BYTES, w);
	int pos = 0, neg = 0;

	if (h->entity != PII_IP_ADDRESS && h->entity != PII_DATE_TIME)
		n += pii_words_after(sc, h->end, PII_CONTEXT_AFTER, PII_CONTEXT_AFTER_BYTES, w + n);
	for (int k = 0; k < n; k++) {
		pos |= pii_in_list(w[k], l->pos, l->npos);
		if (h->entity == PII_IP_ADDRESS || h->entity == PII_DATE_TIME ? k == 0 : k < 3)
			neg |= pii_in_list(w[k], l->neg, l->nneg);
	}
	if (pos)
		h->score = h->score + PII_CONTEXT_BOOST > 1.0 ? 1.0 : h->score + PII_CONTEXT_BOOST;
	else if (neg)
		h->score = h->score > PII_CONTEXT_PENALTY ? h->score - PII_CONTEXT_PENALTY : 0.0;
}

static int
pii_cmp_rank(const void *a, const void *b)
{
	const struct pii_hit *x = a, *y = b;
	size_t lx = x->end - x->start, ly = y->end - y->start;

	if (lx != ly)
		return lx > ly ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->entity - (int)y->entity;
}

static int
pii_cmp_start(const void *a, const void *b)
{
	const struct pii_hit *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Keeps the longest, then best scored, of overlapping candidates: a bitmap of taken bytes. */
static int
pii_resolve(struct pii_scan *sc)
{
	unsigned char *taken;
	size_t kept = 0;

	if (sc->n == 0)
		return 0;
	if ((taken = calloc(sc->len / 8 + 1, 1)) == NULL)
		return ERR_NOMEM;
	qsort(sc->c, sc->n, sizeof(*sc->c), pii_cmp_rank);
	for (size_t k = 0; k < sc->n; k++) {
		struct pii_hit *h = &sc->c[k];
		int free_span = 1;

		for (size_t b = h->start; b < h->end && free_span; b++)
			free_span = !(taken[b / 8] & (1u << (b % 8)));
		if (!free_span)
			continue;
		for (size_t b = h->start; b < h->end; b++)
			taken[b / 8] |= (unsigned char)(1u << (b % 8));
		sc->c[kept++] = *h;
	}
	free(taken);
	sc->n = kept;
	qsort(sc->c, sc->n, sizeof(*sc->c), pii_cmp_start);
	return 0;
}

/* Code point offsets: one walk, counting the bytes that start a code point. */
static void
pii_offsets(struct pii_scan *sc)
{
	size_t b = 0, cps = 0;

	for (size_t k = 0; k < sc->n; k++) {
		struct pii_hit *h = &sc->c[k];

		for (; b < h->start; b++)
			cps += (sc->s[b] & 0xc0) != 0x80;
		h->cstart = cps;
		for (; b < h->end; b++)
			cps += (sc->s[b] & 0xc0) != 0x80;
		h->cend = cps;
	}
}

/* Valid UTF-8 without NUL; eight ASCII bytes at a time while they last. */
int
pii_text_check(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		if (i + 8 <= len) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0 &&
			    ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if (s[i] == 0 || utf8_next(s, len, &i) < 0)
			return ERR_INVALID;
	}
	return 0;
}

static int
pii_language(const char *lang, const char *text, size_t len, int *en)
{
	if (lang == NULL) {
		*en = strcmp(analyze_guess_language(text, len), "fr") != 0;
		return 0;
	}
	if (strlen(lang) >= 2 && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_')) {
		if (strncasecmp(lang, "fr", 2) == 0) {
			*en = 0;
			return 0;
		}
		if (strncasecmp(lang, "en", 2) == 0) {
			*en = 1;
			return 0;
		}
	}
	return ERR_INVALID;
}

int
pii_analyze(const char *text, size_t len, const struct pii_options *opt,
    struct pii_hit **hits, size_t *nhits, char lang_out[3])
{
	struct pii_scan sc = { 0 };
	double threshold = opt != NULL ? opt->threshold : 0.0;
	size_t kept = 0;
	int rc;

	*hits = NULL;
	*nhits = 0;
	if (text == NULL && len > 0)
		return ERR_INVALID;
	if (len > PII_TEXT_MAX)
		return ERR_TOOBIG;
	if (!(threshold >= 0.0 && threshold <= 1.0))
		return ERR_INVALID;
	if ((rc = pii_text_check(text, len)) != 0)
		return rc;
	if ((rc = pii_language(opt != NULL ? opt->language : NULL, text, len, &sc.en)) != 0)
		return rc;
	if (lang_out != NULL)
		memcpy(lang_out, sc.en ? "en" : "fr", 3);
	pthread_once(&pii_once, pii_init);
	if (pii_init_rc != 0)
		return pii_init_rc;
	sc.s = (const unsigned char *)text;
	sc.len = len;
	sc.want = opt != NULL && opt->entities != 0 ? opt->entities : ~0u;
	if (len == 0)
		return 0;
	if ((sc.md = pcre2_match_data_create(16, NULL)) == NULL)
		return ERR_NOMEM;
	pii_walk(&sc);
	if ((rc = sc.rc) != 0)
		goto out;
	for (size_t k = 0; k < sc.n; k++) {
		if (sc.c[k].score + PII_CONTEXT_BOOST < threshold)
			continue;       /* no context word can lift it */
		pii_context(&sc, &sc.c[k]);
		if (sc.c[k].score >= threshold && sc.c[k].score > 0.0)
			sc.c[kept++] = sc.c[k];
	}
	sc.n = kept;
	if ((rc = pii_resolve(&sc)) != 0)
		goto out;
	pii_offsets(&sc);
	if (sc.n > 0) {
		*hits = sc.c;
		*nhits = sc.n;
		sc.c = NULL;
	}
out:
	pcre2_match_data_free(sc.md);
	free(sc.c);
	return rc;
}
