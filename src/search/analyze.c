/*
 * analyze.c: words, case folding, accent removal, Snowball stemming, stop words and the
 * "coffre" FTS5 tokenizer (see analyze.h). One pass over the text, no allocation per token:
 * a word is folded into a fixed buffer of ANALYZE_TOKEN_MAX bytes as it is read.
 */
#include "search/analyze.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

/* The languages coffre knows (ISO 639-1) and their Snowball algorithm names. */
struct analyze_lang {
	const char *code;
	const char *algo;
	const char *marker;
};

#define ANALYZE_LANG(c, a) { c, a, "\x1f" "lang=" c "\x1f" }
static const struct analyze_lang analyze_langs[] = {
	ANALYZE_LANG("ar", "arabic"), ANALYZE_LANG("ca", "catalan"), ANALYZE_LANG("da", "danish"),
	ANALYZE_LANG("de", "german"), ANALYZE_LANG("el", "greek"), ANALYZE_LANG("en", "english"),
	ANALYZE_LANG("es", "spanish"), ANALYZE_LANG("eu", "basque"), ANALYZE_LANG("fi", "finnish"),
	ANALYZE_LANG("fr", "french"), ANALYZE_LANG("ga", "irish"), ANALYZE_LANG("hi", "hindi"),
	ANALYZE_LANG("hu", "hungarian"), ANALYZE_LANG("hy", "armenian"),
	ANALYZE_LANG("id", "indonesian"), ANALYZE_LANG("it", "italian"),
	ANALYZE_LANG("lt", "lithuanian"), ANALYZE_LANG("ne", "nepali"), ANALYZE_LANG("nl", "dutch"),
	ANALYZE_LANG("no", "norwegian"), ANALYZE_LANG("pt", "portuguese"),
	ANALYZE_LANG("ro", "romanian"), ANALYZE_LANG("ru", "russian"),
	ANALYZE_LANG("sr", "serbian"), ANALYZE_LANG("sv", "swedish"), ANALYZE_LANG("ta", "tamil"),
	ANALYZE_LANG("tr", "turkish"), ANALYZE_LANG("yi", "yiddish"),
};
#define ANALYZE_NLANG (sizeof(analyze_langs) / sizeof(analyze_langs[0]))
#define ANALYZE_LANG_EN 5               /* indexes in analyze_langs (checked by the tests) */
#define ANALYZE_LANG_FR 9

/*
 * Stop words, folded and unaccented as analyze_fold writes them, sorted for bsearch. Snowball's
 * lists, plus for French the interrogatives and determiners a question is made of; for English
 * the fragments an apostrophe leaves ("don't" is "don" and "t").
 */
static const char *const analyze_stop_fr[] = {
	"a", "afin", "ai", "aie", "aient", "aies", "ainsi", "ait", "alors", "as", "au", "aura",
	"aurai", "auraient", "aurais", "aurait", "auras", "aurez", "auriez", "aurions", "aurons",
	"auront", "aussi", "aux", "avaient", "avais", "avait", "avec", "avez", "aviez", "avions",
	"avons", "ayant", "ayante", "ayantes", "ayants", "ayez", "ayons", "c", "ca", "car", "ce",
	"ceci", "cela", "celle", "celles", "celui", "ces", "cet", "cette", "ceux", "chez",
	"comme", "comment", "d", "dans", "de", "des", "donc", "dont", "du", "elle", "elles", "en",
	"entre", "es", "est", "et", "etaient", "etais", "etait", "etant", "etante", "etantes",
	"etants", "ete", "etee", "etees", "etes", "etiez", "etions", "eu", "eue", "eues", "eumes",
	"eurent", "eus", "eusse", "eussent", "eusses", "eussiez", "eussions", "eut", "eutes", "eux",
	"fumes", "furent", "fus", "fusse", "fussent", "fusses", "fussiez", "fussions", "fut",
	"futes", "il", "ils", "j", "je", "l", "la", "laquelle", "le", "lequel", "les",
	"lesquelles", "lesquels", "leur", "leurs", "lui", "m", "ma", "mais", "me", "meme", "mes",
	"moi", "mon", "n", "ne", "ni", "nos", "notre", "nous", "on", "ont", "ou", "par", "pas",
	"pour", "pourquoi", "qu", "quand", "que", "quel", "quelle", "quelles", "quels", "qui",
	"quoi", "s", "sa", "sans", "se", "sera", "serai", "seraient", "serais", "serait", "seras",
	"serez", "seriez", "serions", "serons", "seront", "ses", "si", "soient", "sois", "soit",
	"sommes", "son", "sont", "sous", "soyez", "soyons", "suis", "sur", "t", "ta", "te", "tes",
	"toi", "ton", "tu", "un", "une", "vos", "votre", "vous", "y",
};

static const char *const analyze_stop_en[] = {
	"a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
	"aren", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
	"but", "by", "can", "cannot", "could", "couldn", "d", "did", "didn", "do", "does", "doesn",
	"doing", "don", "down", "during", "each", "few", "for", "from", "further", "had", "hadn",
	"has", "hasn", "have", "haven", "having", "he", "her", "here", "hers", "herself", "him",
	"himself", "his", "how", "i", "if", "in", "into", "is", "isn", "it", "its", "itself",
	"just", "let", "ll", "m", "me", "more", "most", "mustn", "my", "myself", "no", "nor", "not",
	"now", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours",
	"ourselves", "out", "over", "own", "re", "s", "same", "shan", "she", "should", "shouldn",
	"so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves",
	"then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
	"until", "up", "ve", "very", "was", "wasn", "we", "were", "weren", "what", "when", "where",
	"which", "while", "who", "whom", "why", "will", "with", "won", "would", "wouldn", "you",
	"your", "yours", "yourself", "yourselves",
};

/* Articles and pronouns that French elides before a vowel: "l'eau", "qu'il", "jusqu'à". */
static const char *const analyze_elided[] = {
	"c", "d", "j", "jusqu", "l", "lorsqu", "m", "n", "puisqu", "qu", "quoiqu", "s", "t",
};

/*
 * Unicode tables, derived from Python's unicodedata (Unicode 14.0):
 * - word ranges: categories L*, M* and Nd, two ranges merged when only unassigned code points
 *   lie between them;
 * - case folding: CaseFolding.txt's simple folding (C and S: str.casefold() when it gives one
 *   code point, else str.lower() when it gives one), plus U+0130 İ -> i; U+0345 is not folded;
 * - accent removal, keyed on folded code points of the Latin blocks (00C0-024F, 1E00-1EFF,
 *   2C60-2C7F, A720-A7FF, AB30-AB6F, FB00-FB06, FF10-FF5A, ª º µ) and Greek (0370-03FF,
 *   1F00-1FFF): NFKD without its marks and non-letters, folded again; by hand, the letters
 *   without a decomposition (ø đ ħ ł ŧ ƀ ð þ æ œ ß ı ǥ ƚ ȼ ɇ ɉ ɍ ɏ ƶ ɨ ʉ ĸ), ŀ, ŉ, and the only
 *   Cyrillic letters changed, ё ѐ ѝ (to е and и; й, ї stay); the
 *   combining marks of 0300-036F, 1AB0-1AFF, 1DC0-1DFF, 20D0-20FF, FE20-FE2F map to "".
 * Every output is a fixed point of folding and accent removal (checked by the generator and by
 * the unit tests), so that analyzing a term twice changes nothing.
 */
struct analyze_unaccent {
	uint32_t cp;
	char to[4];
};

/* Letters (L*), marks (M*) and decimal digits (Nd), merged across unassigned code points. */
static const uint32_t analyze_word_ranges[][2] = {
	{0x30, 0x39}, {0x41, 0x5a}, {0x61, 0x7a}, {0xaa, 0xaa}, {0xb5, 0xb5}, {0xba, 0xba},
	{0xc0, 0xd6}, {0xd8, 0xf6}, {0xf8, 0x2c1}, {0x2c6, 0x2d1}, {0x2e0, 0x2e4}, {0x2ec, 0x2ec},
	{0x2ee, 0x2ee}, {0x300, 0x374}, {0x376, 0x37d}, {0x37f, 0x37f}, {0x386, 0x386},
	{0x388, 0x3f5}, {0x3f7, 0x481}, {0x483, 0x559}, {0x560, 0x588}, {0x591, 0x5bd},
	{0x5bf, 0x5bf}, {0x5c1, 0x5c2}, {0x5c4, 0x5c5}, {0x5c7, 0x5f2}, {0x610, 0x61a},
	{0x620, 0x669}, {0x66e, 0x6d3}, {0x6d5, 0x6dc}, {0x6df, 0x6e8}, {0x6ea, 0x6fc},
	{0x6ff, 0x6ff}, {0x710, 0x7f5}, {0x7fa, 0x7fd}, {0x800, 0x82d}, {0x840, 0x85b},
	{0x860, 0x887}, {0x889, 0x88e}, {0x898, 0x8e1}, {0x8e3, 0x963}, {0x966, 0x96f},
	{0x971, 0x9f1}, {0x9fc, 0x9fc}, {0x9fe, 0xa75}, {0xa81, 0xaef}, {0xaf9, 0xb6f},
	{0xb71, 0xb71}, {0xb82, 0xbef}, {0xc00, 0xc6f}, {0xc80, 0xc83}, {0xc85, 0xd4e},
	{0xd54, 0xd57}, {0xd5f, 0xd6f}, {0xd7a, 0xdf3}, {0xe01, 0xe3a}, {0xe40, 0xe4e},
	{0xe50, 0xe59}, {0xe81, 0xf00}, {0xf18, 0xf19}, {0xf20, 0xf29}, {0xf35, 0xf35},
	{0xf37, 0xf37}, {0xf39, 0xf39}, {0xf3e, 0xf84}, {0xf86, 0xfbc}, {0xfc6, 0xfc6},
	{0x1000, 0x1049}, {0x1050, 0x109d}, {0x10a0, 0x10fa}, {0x10fc, 0x135f}, {0x1380, 0x138f},
	{0x13a0, 0x13fd}, {0x1401, 0x166c}, {0x166f, 0x167f}, {0x1681, 0x169a}, {0x16a0, 0x16ea},
	{0x16f1, 0x1734}, {0x1740, 0x17d3}, {0x17d7, 0x17d7}, {0x17dc, 0x17e9}, {0x180b, 0x180d},
	{0x180f, 0x193b}, {0x1946, 0x19d9}, {0x1a00, 0x1a1b}, {0x1a20, 0x1a99}, {0x1aa7, 0x1aa7},
	{0x1ab0, 0x1b59}, {0x1b6b, 0x1b73}, {0x1b80, 0x1bf3}, {0x1c00, 0x1c37}, {0x1c40, 0x1c7d},
	{0x1c80, 0x1cbf}, {0x1cd0, 0x1cd2}, {0x1cd4, 0x1fbc}, {0x1fbe, 0x1fbe}, {0x1fc2, 0x1fcc},
	{0x1fd0, 0x1fdb}, {0x1fe0, 0x1fec}, {0x1ff2, 0x1ffc}, {0x2071, 0x2071}, {0x207f, 0x207f},
	{0x2090, 0x209c}, {0x20d0, 0x20f0}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210a, 0x2113},
	{0x2115, 0x2115}, {0x2119, 0x211d}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
	{0x212a, 0x212d}, {0x212f, 0x2139}, {0x213c, 0x213f}, {0x2145, 0x2149}, {0x214e, 0x214e},
	{0x2183, 0x2184}, {0x2c00, 0x2ce4}, {0x2ceb, 0x2cf3}, {0x2d00, 0x2d6f}, {0x2d7f, 0x2dff},
	{0x2e2f, 0x2e2f}, {0x3005, 0x3006}, {0x302a, 0x302f}, {0x3031, 0x3035}, {0x303b, 0x303c},
	{0x3041, 0x309a}, {0x309d, 0x309f}, {0x30a1, 0x30fa}, {0x30fc, 0x318e}, {0x31a0, 0x31bf},
	{0x31f0, 0x31ff}, {0x3400, 0x4dbf}, {0x4e00, 0xa48c}, {0xa4d0, 0xa4fd}, {0xa500, 0xa60c},
	{0xa610, 0xa672}, {0xa674, 0xa67d}, {0xa67f, 0xa6e5}, {0xa6f0, 0xa6f1}, {0xa717, 0xa71f},
	{0xa722, 0xa788}, {0xa78b, 0xa827}, {0xa82c, 0xa82c}, {0xa840, 0xa873}, {0xa880, 0xa8c5},
	{0xa8d0, 0xa8f7}, {0xa8fb, 0xa8fb}, {0xa8fd, 0xa92d}, {0xa930, 0xa953}, {0xa960, 0xa9c0},
	{0xa9cf, 0xa9d9}, {0xa9e0, 0xaa59}, {0xaa60, 0xaa76}, {0xaa7a, 0xaadd}, {0xaae0, 0xaaef},
	{0xaaf2, 0xab5a}, {0xab5c, 0xab69}, {0xab70, 0xabea}, {0xabec, 0xd7fb}, {0xf900, 0xfb28},
	{0xfb2a, 0xfbb1}, {0xfbd3, 0xfd3d}, {0xfd50, 0xfdc7}, {0xfdf0, 0xfdfb}, {0xfe00, 0xfe0f},
	{0xfe20, 0xfe2f}, {0xfe70, 0xfefc}, {0xff10, 0xff19}, {0xff21, 0xff3a}, {0xff41, 0xff5a},
	{0xff66, 0xffdc}, {0x10000, 0x100fa}, {0x101fd, 0x102e0}, {0x10300, 0x1031f},
	{0x1032d, 0x10340}, {0x10342, 0x10349}, {0x10350, 0x1039d}, {0x103a0, 0x103cf},
	{0x10400, 0x10563}, {0x10570, 0x10855}, {0x10860, 0x10876}, {0x10880, 0x1089e},
	{0x108e0, 0x108f5}, {0x10900, 0x10915}, {0x10920, 0x10939}, {0x10980, 0x109b7},
	{0x109be, 0x109bf}, {0x10a00, 0x10a3f}, {0x10a60, 0x10a7c}, {0x10a80, 0x10a9c},
	{0x10ac0, 0x10ac7}, {0x10ac9, 0x10ae6}, {0x10b00, 0x10b35}, {0x10b40, 0x10b55},
	{0x10b60, 0x10b72}, {0x10b80, 0x10b91}, {0x10c00, 0x10cf2}, {0x10d00, 0x10d39},
	{0x10e80, 0x10eac}, {0x10eb0, 0x10f1c}, {0x10f27, 0x10f50}, {0x10f70, 0x10f85},
	{0x10fb0, 0x10fc4}, {0x10fe0, 0x11046}, {0x11066, 0x110ba}, {0x110c2, 0x110c2},
	{0x110d0, 0x1113f}, {0x11144, 0x11173}, {0x11176, 0x111c4}, {0x111c9, 0x111cc},
	{0x111ce, 0x111da}, {0x111dc, 0x111dc}, {0x11200, 0x11237}, {0x1123e, 0x112a8},
	{0x112b0, 0x1144a}, {0x11450, 0x11459}, {0x1145e, 0x114c5}, {0x114c7, 0x115c0},
	{0x115d8, 0x11640}, {0x11644, 0x11659}, {0x11680, 0x116b8}, {0x116c0, 0x11739},
	{0x11740, 0x1183a}, {0x118a0, 0x118e9}, {0x118ff, 0x11943}, {0x11950, 0x119e1},
	{0x119e3, 0x11a3e}, {0x11a47, 0x11a99}, {0x11a9d, 0x11a9d}, {0x11ab0, 0x11c40},
	{0x11c50, 0x11c59}, {0x11c72, 0x11ef6}, {0x11fb0, 0x11fb0}, {0x12000, 0x12399},
	{0x12480, 0x12ff0}, {0x13000, 0x1342e}, {0x14400, 0x16a69}, {0x16a70, 0x16af4},
	{0x16b00, 0x16b36}, {0x16b40, 0x16b43}, {0x16b50, 0x16b59}, {0x16b63, 0x16e7f},
	{0x16f00, 0x16fe1}, {0x16fe3, 0x1bc99}, {0x1bc9d, 0x1bc9e}, {0x1cf00, 0x1cf46},
	{0x1d165, 0x1d169}, {0x1d16d, 0x1d172}, {0x1d17b, 0x1d182}, {0x1d185, 0x1d18b},
	{0x1d1aa, 0x1d1ad}, {0x1d242, 0x1d244}, {0x1d400, 0x1d6c0}, {0x1d6c2, 0x1d6da},
	{0x1d6dc, 0x1d6fa}, {0x1d6fc, 0x1d714}, {0x1d716, 0x1d734}, {0x1d736, 0x1d74e},
	{0x1d750, 0x1d76e}, {0x1d770, 0x1d788}, {0x1d78a, 0x1d7a8}, {0x1d7aa, 0x1d7c2},
	{0x1d7c4, 0x1d7ff}, {0x1da00, 0x1da36}, {0x1da3b, 0x1da6c}, {0x1da75, 0x1da75},
	{0x1da84, 0x1da84}, {0x1da9b, 0x1e14e}, {0x1e290, 0x1e2f9}, {0x1e7e0, 0x1e8c4},
	{0x1e8d0, 0x1e959}, {0x1ee00, 0x1eebb}, {0x1fbf0, 0x3134a}, {0xe0100, 0xe01ef},
};

/* Simple case folding: {first, last, delta, stride}; stride 2 folds every other code point. */
static const int32_t analyze_fold_ranges[][4] = {
	{0x41, 0x5a, 32, 1}, {0xb5, 0xb5, 775, 1}, {0xc0, 0xd6, 32, 1}, {0xd8, 0xde, 32, 1},
	{0x100, 0x12e, 1, 2}, {0x130, 0x130, -199, 1}, {0x132, 0x136, 1, 2}, {0x139, 0x147, 1, 2},
	{0x14a, 0x176, 1, 2}, {0x178, 0x178, -121, 1}, {0x179, 0x17d, 1, 2},
	{0x17f, 0x17f, -268, 1}, {0x181, 0x181, 210, 1}, {0x182, 0x184, 1, 2},
	{0x186, 0x186, 206, 1}, {0x187, 0x187, 1, 1}, {0x189, 0x18a, 205, 1},
	{0x18b, 0x18b, 1, 1}, {0x18e, 0x18e, 79, 1}, {0x18f, 0x18f, 202, 1},
	{0x190, 0x190, 203, 1}, {0x191, 0x191, 1, 1}, {0x193, 0x193, 205, 1},
	{0x194, 0x194, 207, 1}, {0x196, 0x196, 211, 1}, {0x197, 0x197, 209, 1},
	{0x198, 0x198, 1, 1}, {0x19c, 0x19c, 211, 1}, {0x19d, 0x19d, 213, 1},
	{0x19f, 0x19f, 214, 1}, {0x1a0, 0x1a4, 1, 2}, {0x1a6, 0x1a6, 218, 1},
	{0x1a7, 0x1a7, 1, 1}, {0x1a9, 0x1a9, 218, 1}, {0x1ac, 0x1ac, 1, 1},
	{0x1ae, 0x1ae, 218, 1}, {0x1af, 0x1af, 1, 1}, {0x1b1, 0x1b2, 217, 1},
	{0x1b3, 0x1b5, 1, 2}, {0x1b7, 0x1b7, 219, 1}, {0x1b8, 0x1b8, 1, 1}, {0x1bc, 0x1bc, 1, 1},
	{0x1c4, 0x1c4, 2, 1}, {0x1c5, 0x1c5, 1, 1}, {0x1c7, 0x1c7, 2, 1}, {0x1c8, 0x1c8, 1, 1},
	{0x1ca, 0x1ca, 2, 1}, {0x1cb, 0x1db, 1, 2}, {0x1de, 0x1ee, 1, 2}, {0x1f1, 0x1f1, 2, 1},
	{0x1f2, 0x1f4, 1, 2}, {0x1f6, 0x1f6, -97, 1}, {0x1f7, 0x1f7, -56, 1},
	{0x1f8, 0x21e, 1, 2}, {0x220, 0x220, -130, 1}, {0x222, 0x232, 1, 2},
	{0x23a, 0x23a, 10795, 1}, {0x23b, 0x23b, 1, 1}, {0x23d, 0x23d, -163, 1},
	{0x23e, 0x23e, 10792, 1}, {0x241, 0x241, 1, 1}, {0x243, 0x243, -195, 1},
	{0x244, 0x244, 69, 1}, {0x245, 0x245, 71, 1}, {0x246, 0x24e, 1, 2}, {0x370, 0x372, 1, 2},
	{0x376, 0x376, 1, 1}, {0x37f, 0x37f, 116, 1}, {0x386, 0x386, 38, 1},
	{0x388, 0x38a, 37, 1}, {0x38c, 0x38c, 64, 1}, {0x38e, 0x38f, 63, 1},
	{0x391, 0x3a1, 32, 1}, {0x3a3, 0x3ab, 32, 1}, {0x3c2, 0x3c2, 1, 1}, {0x3cf, 0x3cf, 8, 1},
	{0x3d0, 0x3d0, -30, 1}, {0x3d1, 0x3d1, -25, 1}, {0x3d5, 0x3d5, -15, 1},
	{0x3d6, 0x3d6, -22, 1}, {0x3d8, 0x3ee, 1, 2}, {0x3f0, 0x3f0, -54, 1},
	{0x3f1, 0x3f1, -48, 1}, {0x3f4, 0x3f4, -60, 1}, {0x3f5, 0x3f5, -64, 1},
	{0x3f7, 0x3f7, 1, 1}, {0x3f9, 0x3f9, -7, 1}, {0x3fa, 0x3fa, 1, 1},
	{0x3fd, 0x3ff, -130, 1}, {0x400, 0x40f, 80, 1}, {0x410, 0x42f, 32, 1},
	{0x460, 0x480, 1, 2}, {0x48a, 0x4be, 1, 2}, {0x4c0, 0x4c0, 15, 1}, {0x4c1, 0x4cd, 1, 2},
	{0x4d0, 0x52e, 1, 2}, {0x531, 0x556, 48, 1}, {0x10a0, 0x10c5, 7264, 1},
	{0x10c7, 0x10c7, 7264, 1}, {0x10cd, 0x10cd, 7264, 1}, {0x13f8, 0x13fd, -8, 1},
	{0x1c80, 0x1c80, -6222, 1}, {0x1c81, 0x1c81, -6221, 1}, {0x1c82, 0x1c82, -6212, 1},
	{0x1c83, 0x1c84, -6210, 1}, {0x1c85, 0x1c85, -6211, 1}, {0x1c86, 0x1c86, -6204, 1},
	{0x1c87, 0x1c87, -6180, 1}, {0x1c88, 0x1c88, 35267, 1}, {0x1c90, 0x1cba, -3008, 1},
	{0x1cbd, 0x1cbf, -3008, 1}, {0x1e00, 0x1e94, 1, 2}, {0x1e9b, 0x1e9b, -58, 1},
	{0x1e9e, 0x1e9e, -7615, 1}, {0x1ea0, 0x1efe, 1, 2}, {0x1f08, 0x1f0f, -8, 1},
	{0x1f18, 0x1f1d, -8, 1}, {0x1f28, 0x1f2f, -8, 1}, {0x1f38, 0x1f3f, -8, 1},
	{0x1f48, 0x1f4d, -8, 1}, {0x1f59, 0x1f5f, -8, 2}, {0x1f68, 0x1f6f, -8, 1},
	{0x1f88, 0x1f8f, -8, 1}, {0x1f98, 0x1f9f, -8, 1}, {0x1fa8, 0x1faf, -8, 1},
	{0x1fb8, 0x1fb9, -8, 1}, {0x1fba, 0x1fbb, -74, 1}, {0x1fbc, 0x1fbc, -9, 1},
	{0x1fbe, 0x1fbe, -7173, 1}, {0x1fc8, 0x1fcb, -86, 1}, {0x1fcc, 0x1fcc, -9, 1},
	{0x1fd8, 0x1fd9, -8, 1}, {0x1fda, 0x1fdb, -100, 1}, {0x1fe8, 0x1fe9, -8, 1},
	{0x1fea, 0x1feb, -112, 1}, {0x1fec, 0x1fec, -7, 1}, {0x1ff8, 0x1ff9, -128, 1},
	{0x1ffa, 0x1ffb, -126, 1}, {0x1ffc, 0x1ffc, -9, 1}, {0x2126, 0x2126, -7517, 1},
	{0x212a, 0x212a, -8383, 1}, {0x212b, 0x212b, -8262, 1}, {0x2132, 0x2132, 28, 1},
	{0x2160, 0x216f, 16, 1}, {0x2183, 0x2183, 1, 1}, {0x24b6, 0x24cf, 26, 1},
	{0x2c00, 0x2c2f, 48, 1}, {0x2c60, 0x2c60, 1, 1}, {0x2c62, 0x2c62, -10743, 1},
	{0x2c63, 0x2c63, -3814, 1}, {0x2c64, 0x2c64, -10727, 1}, {0x2c67, 0x2c6b, 1, 2},
	{0x2c6d, 0x2c6d, -10780, 1}, {0x2c6e, 0x2c6e, -10749, 1}, {0x2c6f, 0x2c6f, -10783, 1},
	{0x2c70, 0x2c70, -10782, 1}, {0x2c72, 0x2c72, 1, 1}, {0x2c75, 0x2c75, 1, 1},
	{0x2c7e, 0x2c7f, -10815, 1}, {0x2c80, 0x2ce2, 1, 2}, {0x2ceb, 0x2ced, 1, 2},
	{0x2cf2, 0x2cf2, 1, 1}, {0xa640, 0xa66c, 1, 2}, {0xa680, 0xa69a, 1, 2},
	{0xa722, 0xa72e, 1, 2}, {0xa732, 0xa76e, 1, 2}, {0xa779, 0xa77b, 1, 2},
	{0xa77d, 0xa77d, -35332, 1}, {0xa77e, 0xa786, 1, 2}, {0xa78b, 0xa78b, 1, 1},
	{0xa78d, 0xa78d, -42280, 1}, {0xa790, 0xa792, 1, 2}, {0xa796, 0xa7a8, 1, 2},
	{0xa7aa, 0xa7aa, -42308, 1}, {0xa7ab, 0xa7ab, -42319, 1}, {0xa7ac, 0xa7ac, -42315, 1},
	{0xa7ad, 0xa7ad, -42305, 1}, {0xa7ae, 0xa7ae, -42308, 1}, {0xa7b0, 0xa7b0, -42258, 1},
	{0xa7b1, 0xa7b1, -42282, 1}, {0xa7b2, 0xa7b2, -42261, 1}, {0xa7b3, 0xa7b3, 928, 1},
	{0xa7b4, 0xa7c2, 1, 2}, {0xa7c4, 0xa7c4, -48, 1}, {0xa7c5, 0xa7c5, -42307, 1},
	{0xa7c6, 0xa7c6, -35384, 1}, {0xa7c7, 0xa7c9, 1, 2}, {0xa7d0, 0xa7d0, 1, 1},
	{0xa7d6, 0xa7d8, 1, 2}, {0xa7f5, 0xa7f5, 1, 1}, {0xab70, 0xabbf, -38864, 1},
	{0xff21, 0xff3a, 32, 1}, {0x10400, 0x10427, 40, 1}, {0x104b0, 0x104d3, 40, 1},
	{0x10570, 0x1057a, 39, 1}, {0x1057c, 0x1058a, 39, 1}, {0x1058c, 0x10592, 39, 1},
	{0x10594, 0x10595, 39, 1}, {0x10c80, 0x10cb2, 64, 1}, {0x118a0, 0x118bf, 32, 1},
	{0x16e40, 0x16e5f, 32, 1}, {0x1e900, 0x1e921, 34, 1},
};

/* Accent removal on folded code points: the base letters (UTF-8, up to 4 bytes, "" drops). */
static const struct analyze_unaccent analyze_unaccent_table[] = {
	{0xaa, "a"}, {0xba, "o"}, {0xdf, "ss"}, {0xe0, "a"}, {0xe1, "a"}, {0xe2, "a"},
	{0xe3, "a"}, {0xe4, "a"}, {0xe5, "a"}, {0xe6, "ae"}, {0xe7, "c"}, {0xe8, "e"},
	{0xe9, "e"}, {0xea, "e"}, {0xeb, "e"}, {0xec, "i"}, {0xed, "i"}, {0xee, "i"}, {0xef, "i"},
	{0xf0, "d"}, {0xf1, "n"}, {0xf2, "o"}, {0xf3, "o"}, {0xf4, "o"}, {0xf5, "o"}, {0xf6, "o"},
	{0xf8, "o"}, {0xf9, "u"}, {0xfa, "u"}, {0xfb, "u"}, {0xfc, "u"}, {0xfd, "y"},
	{0xfe, "th"}, {0xff, "y"}, {0x101, "a"}, {0x103, "a"}, {0x105, "a"}, {0x107, "c"},
	{0x109, "c"}, {0x10b, "c"}, {0x10d, "c"}, {0x10f, "d"}, {0x111, "d"}, {0x113, "e"},
	{0x115, "e"}, {0x117, "e"}, {0x119, "e"}, {0x11b, "e"}, {0x11d, "g"}, {0x11f, "g"},
	{0x121, "g"}, {0x123, "g"}, {0x125, "h"}, {0x127, "h"}, {0x129, "i"}, {0x12b, "i"},
	{0x12d, "i"}, {0x12f, "i"}, {0x131, "i"}, {0x133, "ij"}, {0x135, "j"}, {0x137, "k"},
	{0x138, "k"}, {0x13a, "l"}, {0x13c, "l"}, {0x13e, "l"}, {0x140, "l"}, {0x142, "l"},
	{0x144, "n"}, {0x146, "n"}, {0x148, "n"}, {0x149, "n"}, {0x14d, "o"}, {0x14f, "o"},
	{0x151, "o"}, {0x153, "oe"}, {0x155, "r"}, {0x157, "r"}, {0x159, "r"}, {0x15b, "s"},
	{0x15d, "s"}, {0x15f, "s"}, {0x161, "s"}, {0x163, "t"}, {0x165, "t"}, {0x167, "t"},
	{0x169, "u"}, {0x16b, "u"}, {0x16d, "u"}, {0x16f, "u"}, {0x171, "u"}, {0x173, "u"},
	{0x175, "w"}, {0x177, "y"}, {0x17a, "z"}, {0x17c, "z"}, {0x17e, "z"}, {0x180, "b"},
	{0x19a, "l"}, {0x1a1, "o"}, {0x1b0, "u"}, {0x1b6, "z"}, {0x1c6, "dz"}, {0x1c9, "lj"},
	{0x1cc, "nj"}, {0x1ce, "a"}, {0x1d0, "i"}, {0x1d2, "o"}, {0x1d4, "u"}, {0x1d6, "u"},
	{0x1d8, "u"}, {0x1da, "u"}, {0x1dc, "u"}, {0x1df, "a"}, {0x1e1, "a"}, {0x1e3, "ae"},
	{0x1e5, "g"}, {0x1e7, "g"}, {0x1e9, "k"}, {0x1eb, "o"}, {0x1ed, "o"}, {0x1ef, "\xca\x92"},
	{0x1f0, "j"}, {0x1f3, "dz"}, {0x1f5, "g"}, {0x1f9, "n"}, {0x1fb, "a"}, {0x1fd, "ae"},
	{0x1ff, "o"}, {0x201, "a"}, {0x203, "a"}, {0x205, "e"}, {0x207, "e"}, {0x209, "i"},
	{0x20b, "i"}, {0x20d, "o"}, {0x20f, "o"}, {0x211, "r"}, {0x213, "r"}, {0x215, "u"},
	{0x217, "u"}, {0x219, "s"}, {0x21b, "t"}, {0x21f, "h"}, {0x227, "a"}, {0x229, "e"},
	{0x22b, "o"}, {0x22d, "o"}, {0x22f, "o"}, {0x231, "o"}, {0x233, "y"}, {0x23c, "c"},
	{0x247, "e"}, {0x249, "j"}, {0x24d, "r"}, {0x24f, "y"}, {0x268, "i"}, {0x289, "u"},
	{0x300, ""}, {0x301, ""}, {0x302, ""}, {0x303, ""}, {0x304, ""}, {0x305, ""}, {0x306, ""},
	{0x307, ""}, {0x308, ""}, {0x309, ""}, {0x30a, ""}, {0x30b, ""}, {0x30c, ""}, {0x30d, ""},
	{0x30e, ""}, {0x30f, ""}, {0x310, ""}, {0x311, ""}, {0x312, ""}, {0x313, ""}, {0x314, ""},
	{0x315, ""}, {0x316, ""}, {0x317, ""}, {0x318, ""}, {0x319, ""}, {0x31a, ""}, {0x31b, ""},
	{0x31c, ""}, {0x31d, ""}, {0x31e, ""}, {0x31f, ""}, {0x320, ""}, {0x321, ""}, {0x322, ""},
	{0x323, ""}, {0x324, ""}, {0x325, ""}, {0x326, ""}, {0x327, ""}, {0x328, ""}, {0x329, ""},
	{0x32a, ""}, {0x32b, ""}, {0x32c, ""}, {0x32d, ""}, {0x32e, ""}, {0x32f, ""}, {0x330, ""},
	{0x331, ""}, {0x332, ""}, {0x333, ""}, {0x334, ""}, {0x335, ""}, {0x336, ""}, {0x337, ""},
	{0x338, ""}, {0x339, ""}, {0x33a, ""}, {0x33b, ""}, {0x33c, ""}, {0x33d, ""}, {0x33e, ""},
	{0x33f, ""}, {0x340, ""}, {0x341, ""}, {0x342, ""}, {0x343, ""}, {0x344, ""}, {0x345, ""},
	{0x346, ""}, {0x347, ""}, {0x348, ""}, {0x349, ""}, {0x34a, ""}, {0x34b, ""}, {0x34c, ""},
	{0x34d, ""}, {0x34e, ""}, {0x34f, ""}, {0x350, ""}, {0x351, ""}, {0x352, ""}, {0x353, ""},
	{0x354, ""}, {0x355, ""}, {0x356, ""}, {0x357, ""}, {0x358, ""}, {0x359, ""}, {0x35a, ""},
	{0x35b, ""}, {0x35c, ""}, {0x35d, ""}, {0x35e, ""}, {0x35f, ""}, {0x360, ""}, {0x361, ""},
	{0x362, ""}, {0x363, ""}, {0x364, ""}, {0x365, ""}, {0x366, ""}, {0x367, ""}, {0x368, ""},
	{0x369, ""}, {0x36a, ""}, {0x36b, ""}, {0x36c, ""}, {0x36d, ""}, {0x36e, ""}, {0x36f, ""},
	{0x374, "\xca\xb9"}, {0x390, "\xce\xb9"}, {0x3ac, "\xce\xb1"}, {0x3ad, "\xce\xb5"},
	{0x3ae, "\xce\xb7"}, {0x3af, "\xce\xb9"}, {0x3b0, "\xcf\x85"}, {0x3ca, "\xce\xb9"},
	{0x3cb, "\xcf\x85"}, {0x3cc, "\xce\xbf"}, {0x3cd, "\xcf\x85"}, {0x3ce, "\xcf\x89"},
	{0x3d2, "\xcf\x85"}, {0x3d3, "\xcf\x85"}, {0x3d4, "\xcf\x85"}, {0x3f2, "\xcf\x83"},
	{0x450, "\xd0\xb5"}, {0x451, "\xd0\xb5"}, {0x45d, "\xd0\xb8"}, {0x1ab0, ""}, {0x1ab1, ""},
	{0x1ab2, ""}, {0x1ab3, ""}, {0x1ab4, ""}, {0x1ab5, ""}, {0x1ab6, ""}, {0x1ab7, ""},
	{0x1ab8, ""}, {0x1ab9, ""}, {0x1aba, ""}, {0x1abb, ""}, {0x1abc, ""}, {0x1abd, ""},
	{0x1abf, ""}, {0x1ac0, ""}, {0x1ac1, ""}, {0x1ac2, ""}, {0x1ac3, ""}, {0x1ac4, ""},
	{0x1ac5, ""}, {0x1ac6, ""}, {0x1ac7, ""}, {0x1ac8, ""}, {0x1ac9, ""}, {0x1aca, ""},
	{0x1acb, ""}, {0x1acc, ""}, {0x1acd, ""}, {0x1ace, ""}, {0x1dc0, ""}, {0x1dc1, ""},
	{0x1dc2, ""}, {0x1dc3, ""}, {0x1dc4, ""}, {0x1dc5, ""}, {0x1dc6, ""}, {0x1dc7, ""},
	{0x1dc8, ""}, {0x1dc9, ""}, {0x1dca, ""}, {0x1dcb, ""}, {0x1dcc, ""}, {0x1dcd, ""},
	{0x1dce, ""}, {0x1dcf, ""}, {0x1dd0, ""}, {0x1dd1, ""}, {0x1dd2, ""}, {0x1dd3, ""},
	{0x1dd4, ""}, {0x1dd5, ""}, {0x1dd6, ""}, {0x1dd7, ""}, {0x1dd8, ""}, {0x1dd9, ""},
	{0x1dda, ""}, {0x1ddb, ""}, {0x1ddc, ""}, {0x1ddd, ""}, {0x1dde, ""}, {0x1ddf, ""},
	{0x1de0, ""}, {0x1de1, ""}, {0x1de2, ""}, {0x1de3, ""}, {0x1de4, ""}, {0x1de5, ""},
	{0x1de6, ""}, {0x1de7, ""}, {0x1de8, ""}, {0x1de9, ""}, {0x1dea, ""}, {0x1deb, ""},
	{0x1dec, ""}, {0x1ded, ""}, {0x1dee, ""}, {0x1def, ""}, {0x1df0, ""}, {0x1df1, ""},
	{0x1df2, ""}, {0x1df3, ""}, {0x1df4, ""}, {0x1df5, ""}, {0x1df6, ""}, {0x1df7, ""},
	{0x1df8, ""}, {0x1df9, ""}, {0x1dfa, ""}, {0x1dfb, ""}, {0x1dfc, ""}, {0x1dfd, ""},
	{0x1dfe, ""}, {0x1dff, ""}, {0x1e01, "a"}, {0x1e03, "b"}, {0x1e05, "b"}, {0x1e07, "b"},
	{0x1e09, "c"}, {0x1e0b, "d"}, {0x1e0d, "d"}, {0x1e0f, "d"}, {0x1e11, "d"}, {0x1e13, "d"},
	{0x1e15, "e"}, {0x1e17, "e"}, {0x1e19, "e"}, {0x1e1b, "e"}, {0x1e1d, "e"}, {0x1e1f, "f"},
	{0x1e21, "g"}, {0x1e23, "h"}, {0x1e25, "h"}, {0x1e27, "h"}, {0x1e29, "h"}, {0x1e2b, "h"},
	{0x1e2d, "i"}, {0x1e2f, "i"}, {0x1e31, "k"}, {0x1e33, "k"}, {0x1e35, "k"}, {0x1e37, "l"},
	{0x1e39, "l"}, {0x1e3b, "l"}, {0x1e3d, "l"}, {0x1e3f, "m"}, {0x1e41, "m"}, {0x1e43, "m"},
	{0x1e45, "n"}, {0x1e47, "n"}, {0x1e49, "n"}, {0x1e4b, "n"}, {0x1e4d, "o"}, {0x1e4f, "o"},
	{0x1e51, "o"}, {0x1e53, "o"}, {0x1e55, "p"}, {0x1e57, "p"}, {0x1e59, "r"}, {0x1e5b, "r"},
	{0x1e5d, "r"}, {0x1e5f, "r"}, {0x1e61, "s"}, {0x1e63, "s"}, {0x1e65, "s"}, {0x1e67, "s"},
	{0x1e69, "s"}, {0x1e6b, "t"}, {0x1e6d, "t"}, {0x1e6f, "t"}, {0x1e71, "t"}, {0x1e73, "u"},
	{0x1e75, "u"}, {0x1e77, "u"}, {0x1e79, "u"}, {0x1e7b, "u"}, {0x1e7d, "v"}, {0x1e7f, "v"},
	{0x1e81, "w"}, {0x1e83, "w"}, {0x1e85, "w"}, {0x1e87, "w"}, {0x1e89, "w"}, {0x1e8b, "x"},
	{0x1e8d, "x"}, {0x1e8f, "y"}, {0x1e91, "z"}, {0x1e93, "z"}, {0x1e95, "z"}, {0x1e96, "h"},
	{0x1e97, "t"}, {0x1e98, "w"}, {0x1e99, "y"}, {0x1e9a, "\x61\xca\xbe"}, {0x1ea1, "a"},
	{0x1ea3, "a"}, {0x1ea5, "a"}, {0x1ea7, "a"}, {0x1ea9, "a"}, {0x1eab, "a"}, {0x1ead, "a"},
	{0x1eaf, "a"}, {0x1eb1, "a"}, {0x1eb3, "a"}, {0x1eb5, "a"}, {0x1eb7, "a"}, {0x1eb9, "e"},
	{0x1ebb, "e"}, {0x1ebd, "e"}, {0x1ebf, "e"}, {0x1ec1, "e"}, {0x1ec3, "e"}, {0x1ec5, "e"},
	{0x1ec7, "e"}, {0x1ec9, "i"}, {0x1ecb, "i"}, {0x1ecd, "o"}, {0x1ecf, "o"}, {0x1ed1, "o"},
	{0x1ed3, "o"}, {0x1ed5, "o"}, {0x1ed7, "o"}, {0x1ed9, "o"}, {0x1edb, "o"}, {0x1edd, "o"},
	{0x1edf, "o"}, {0x1ee1, "o"}, {0x1ee3, "o"}, {0x1ee5, "u"}, {0x1ee7, "u"}, {0x1ee9, "u"},
	{0x1eeb, "u"}, {0x1eed, "u"}, {0x1eef, "u"}, {0x1ef1, "u"}, {0x1ef3, "y"}, {0x1ef5, "y"},
	{0x1ef7, "y"}, {0x1ef9, "y"}, {0x1f00, "\xce\xb1"}, {0x1f01, "\xce\xb1"},
	{0x1f02, "\xce\xb1"}, {0x1f03, "\xce\xb1"}, {0x1f04, "\xce\xb1"}, {0x1f05, "\xce\xb1"},
	{0x1f06, "\xce\xb1"}, {0x1f07, "\xce\xb1"}, {0x1f10, "\xce\xb5"}, {0x1f11, "\xce\xb5"},
	{0x1f12, "\xce\xb5"}, {0x1f13, "\xce\xb5"}, {0x1f14, "\xce\xb5"}, {0x1f15, "\xce\xb5"},
	{0x1f20, "\xce\xb7"}, {0x1f21, "\xce\xb7"}, {0x1f22, "\xce\xb7"}, {0x1f23, "\xce\xb7"},
	{0x1f24, "\xce\xb7"}, {0x1f25, "\xce\xb7"}, {0x1f26, "\xce\xb7"}, {0x1f27, "\xce\xb7"},
	{0x1f30, "\xce\xb9"}, {0x1f31, "\xce\xb9"}, {0x1f32, "\xce\xb9"}, {0x1f33, "\xce\xb9"},
	{0x1f34, "\xce\xb9"}, {0x1f35, "\xce\xb9"}, {0x1f36, "\xce\xb9"}, {0x1f37, "\xce\xb9"},
	{0x1f40, "\xce\xbf"}, {0x1f41, "\xce\xbf"}, {0x1f42, "\xce\xbf"}, {0x1f43, "\xce\xbf"},
	{0x1f44, "\xce\xbf"}, {0x1f45, "\xce\xbf"}, {0x1f50, "\xcf\x85"}, {0x1f51, "\xcf\x85"},
	{0x1f52, "\xcf\x85"}, {0x1f53, "\xcf\x85"}, {0x1f54, "\xcf\x85"}, {0x1f55, "\xcf\x85"},
	{0x1f56, "\xcf\x85"}, {0x1f57, "\xcf\x85"}, {0x1f60, "\xcf\x89"}, {0x1f61, "\xcf\x89"},
	{0x1f62, "\xcf\x89"}, {0x1f63, "\xcf\x89"}, {0x1f64, "\xcf\x89"}, {0x1f65, "\xcf\x89"},
	{0x1f66, "\xcf\x89"}, {0x1f67, "\xcf\x89"}, {0x1f70, "\xce\xb1"}, {0x1f71, "\xce\xb1"},
	{0x1f72, "\xce\xb5"}, {0x1f73, "\xce\xb5"}, {0x1f74, "\xce\xb7"}, {0x1f75, "\xce\xb7"},
	{0x1f76, "\xce\xb9"}, {0x1f77, "\xce\xb9"}, {0x1f78, "\xce\xbf"}, {0x1f79, "\xce\xbf"},
	{0x1f7a, "\xcf\x85"}, {0x1f7b, "\xcf\x85"}, {0x1f7c, "\xcf\x89"}, {0x1f7d, "\xcf\x89"},
	{0x1f80, "\xce\xb1"}, {0x1f81, "\xce\xb1"}, {0x1f82, "\xce\xb1"}, {0x1f83, "\xce\xb1"},
	{0x1f84, "\xce\xb1"}, {0x1f85, "\xce\xb1"}, {0x1f86, "\xce\xb1"}, {0x1f87, "\xce\xb1"},
	{0x1f90, "\xce\xb7"}, {0x1f91, "\xce\xb7"}, {0x1f92, "\xce\xb7"}, {0x1f93, "\xce\xb7"},
	{0x1f94, "\xce\xb7"}, {0x1f95, "\xce\xb7"}, {0x1f96, "\xce\xb7"}, {0x1f97, "\xce\xb7"},
	{0x1fa0, "\xcf\x89"}, {0x1fa1, "\xcf\x89"}, {0x1fa2, "\xcf\x89"}, {0x1fa3, "\xcf\x89"},
	{0x1fa4, "\xcf\x89"}, {0x1fa5, "\xcf\x89"}, {0x1fa6, "\xcf\x89"}, {0x1fa7, "\xcf\x89"},
	{0x1fb0, "\xce\xb1"}, {0x1fb1, "\xce\xb1"}, {0x1fb2, "\xce\xb1"}, {0x1fb3, "\xce\xb1"},
	{0x1fb4, "\xce\xb1"}, {0x1fb6, "\xce\xb1"}, {0x1fb7, "\xce\xb1"}, {0x1fc2, "\xce\xb7"},
	{0x1fc3, "\xce\xb7"}, {0x1fc4, "\xce\xb7"}, {0x1fc6, "\xce\xb7"}, {0x1fc7, "\xce\xb7"},
	{0x1fd0, "\xce\xb9"}, {0x1fd1, "\xce\xb9"}, {0x1fd2, "\xce\xb9"}, {0x1fd3, "\xce\xb9"},
	{0x1fd6, "\xce\xb9"}, {0x1fd7, "\xce\xb9"}, {0x1fe0, "\xcf\x85"}, {0x1fe1, "\xcf\x85"},
	{0x1fe2, "\xcf\x85"}, {0x1fe3, "\xcf\x85"}, {0x1fe4, "\xcf\x81"}, {0x1fe5, "\xcf\x81"},
	{0x1fe6, "\xcf\x85"}, {0x1fe7, "\xcf\x85"}, {0x1ff2, "\xcf\x89"}, {0x1ff3, "\xcf\x89"},
	{0x1ff4, "\xcf\x89"}, {0x1ff6, "\xcf\x89"}, {0x1ff7, "\xcf\x89"}, {0x20d0, ""},
	{0x20d1, ""}, {0x20d2, ""}, {0x20d3, ""}, {0x20d4, ""}, {0x20d5, ""}, {0x20d6, ""},
	{0x20d7, ""}, {0x20d8, ""}, {0x20d9, ""}, {0x20da, ""}, {0x20db, ""}, {0x20dc, ""},
	{0x20e1, ""}, {0x20e5, ""}, {0x20e6, ""}, {0x20e7, ""}, {0x20e8, ""}, {0x20e9, ""},
	{0x20ea, ""}, {0x20eb, ""}, {0x20ec, ""}, {0x20ed, ""}, {0x20ee, ""}, {0x20ef, ""},
	{0x20f0, ""}, {0x2c7c, "j"}, {0x2c7d, "v"}, {0xa770, "\xea\x9d\xaf"}, {0xa7f2, "c"},
	{0xa7f3, "f"}, {0xa7f4, "q"}, {0xa7f8, "h"}, {0xa7f9, "oe"}, {0xab5c, "\xea\x9c\xa7"},
	{0xab5d, "\xea\xac\xb7"}, {0xab5e, "\xc9\xab"}, {0xab5f, "\xea\xad\x92"},
	{0xab69, "\xca\x8d"}, {0xfb00, "ff"}, {0xfb01, "fi"}, {0xfb02, "fl"}, {0xfb03, "ffi"},
	{0xfb04, "ffl"}, {0xfb05, "st"}, {0xfb06, "st"}, {0xfe20, ""}, {0xfe21, ""}, {0xfe22, ""},
	{0xfe23, ""}, {0xfe24, ""}, {0xfe25, ""}, {0xfe26, ""}, {0xfe27, ""}, {0xfe28, ""},
	{0xfe29, ""}, {0xfe2a, ""}, {0xfe2b, ""}, {0xfe2c, ""}, {0xfe2d, ""}, {0xfe2e, ""},
	{0xfe2f, ""}, {0xff10, "0"}, {0xff11, "1"}, {0xff12, "2"}, {0xff13, "3"}, {0xff14, "4"},
	{0xff15, "5"}, {0xff16, "6"}, {0xff17, "7"}, {0xff18, "8"}, {0xff19, "9"}, {0xff41, "a"},
	{0xff42, "b"}, {0xff43, "c"}, {0xff44, "d"}, {0xff45, "e"}, {0xff46, "f"}, {0xff47, "g"},
	{0xff48, "h"}, {0xff49, "i"}, {0xff4a, "j"}, {0xff4b, "k"}, {0xff4c, "l"}, {0xff4d, "m"},
	{0xff4e, "n"}, {0xff4f, "o"}, {0xff50, "p"}, {0xff51, "q"}, {0xff52, "r"}, {0xff53, "s"},
	{0xff54, "t"}, {0xff55, "u"}, {0xff56, "v"}, {0xff57, "w"}, {0xff58, "x"}, {0xff59, "y"},
	{0xff5a, "z"},
};

enum analyze_class {
	ANALYZE_SEP,            /* separates words */
	ANALYZE_WORD,           /* letter, mark or digit */
	ANALYZE_UNIGRAM,        /* a Han, Hiragana or Katakana character: a word by itself */
	ANALYZE_IGNORE,         /* soft hyphen, zero-width joiners: inside a word, dropped */
	ANALYZE_APOS,           /* an apostrophe: separates, and marks elision */
};

static int
analyze_in_word_ranges(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(analyze_word_ranges) / sizeof(analyze_word_ranges[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < analyze_word_ranges[mid][0])
			hi = mid;
		else if (cp > analyze_word_ranges[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static enum analyze_class
analyze_classify(long cp)
{
	uint32_t c = (uint32_t)cp;

	if (cp < 0x80) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			return ANALYZE_WORD;
		return c == '\'' ? ANALYZE_APOS : ANALYZE_SEP;
	}
	switch (c) {
	case 0x2019: case 0x02bc: case 0xff07:
		return ANALYZE_APOS;
	case 0x00ad: case 0x200c: case 0x200d: case 0x2060:
		return ANALYZE_IGNORE;
	default:
		break;
	}
	if (!analyze_in_word_ranges(c))
		return ANALYZE_SEP;
	if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x31f0 && c <= 0x31ff) ||
	    (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff66 && c <= 0xff9f) ||
	    (c >= 0x20000 && c <= 0x323af))
		return ANALYZE_UNIGRAM;
	return ANALYZE_WORD;
}

static uint32_t
analyze_casefold(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(analyze_fold_ranges) / sizeof(analyze_fold_ranges[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const int32_t *r = analyze_fold_ranges[mid];

		if (cp < (uint32_t)r[0])
			hi = mid;
		else if (cp > (uint32_t)r[1])
			lo = mid + 1;
		else if (r[3] == 1 || (cp - (uint32_t)r[0]) % 2 == 0)
			return (uint32_t)((int32_t)cp + r[2]);
		else
			return cp;
	}
	return cp;
}

static const char *
analyze_unaccent_find(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(analyze_unaccent_table) / sizeof(analyze_unaccent_table[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < analyze_unaccent_table[mid].cp)
			hi = mid;
		else if (cp > analyze_unaccent_table[mid].cp)
			lo = mid + 1;
		else
			return analyze_unaccent_table[mid].to;
	}
	return NULL;
}

/* Writes the folded, unaccented form of cp to out (up to 4 bytes); returns its length. */
static size_t
analyze_fold_cp(long cp, char out[4])
{
	uint32_t f;
	const char *u;

	if (cp < 0x80) {
		out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		return 1;
	}
	f = analyze_casefold((uint32_t)cp);
	if ((u = analyze_unaccent_find(f)) != NULL) {
		size_t n = strnlen(u, 4);

		memcpy(out, u, n);
		return n;
	}
	if (f < 0x80) {                 /* K (Kelvin) -> k, ſ -> s, İ -> i */
		out[0] = (char)f;
		return 1;
	}
	if (f < 0x800) {
		out[0] = (char)(0xc0 | (f >> 6));
		out[1] = (char)(0x80 | (f & 0x3f));
		return 2;
	}
	if (f < 0x10000) {
		out[0] = (char)(0xe0 | (f >> 12));
		out[1] = (char)(0x80 | ((f >> 6) & 0x3f));
		out[2] = (char)(0x80 | (f & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (f >> 18));
	out[1] = (char)(0x80 | ((f >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((f >> 6) & 0x3f));
	out[3] = (char)(0x80 | (f & 0x3f));
	return 4;
}

/* A token being built: once a code point does not fit, nothing more is added, so that a long
 * word is cut at a code point boundary and the same word always gives the same token. */
struct analyze_buf {
	char s[ANALYZE_TOKEN_MAX];
	size_t len;
	int full;
};

static void
analyze_buf_put(struct analyze_buf *b, long cp)
{
	char tmp[4];
	size_t n;

	if (b->full)
		return;
	if (cp < 0x80) {
		if (b->len == sizeof(b->s))
			b->full = 1;
		else
			b->s[b->len++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		return;
	}
	n = analyze_fold_cp(cp, tmp);
	if (n > sizeof(b->s) - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->s + b->len, tmp, n);
	b->len += n;
}

static int
analyze_list_has(const char *const *list, size_t n, const char *w, size_t wlen)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(w, list[mid], wlen);

		if (c == 0 && list[mid][wlen] != '\0')
			c = -1;         /* w is a proper prefix of list[mid] */
		if (c < 0)
			hi = mid;
		else if (c > 0)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

#define ANALYZE_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
analyze_ends(const char *w, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (n < k)
		return 0;
	for (size_t j = 0; j < k; j++)
		if (w[n - k + j] != suffix[j])
			return 0;
	return 1;
}

/*
 * Snowball's French stemmer knows some suffixes only with their accents, which the analysis has
 * removed: put back those that cannot be anything else ("-ées", "-ière"), so that "données" meets
 * "donner" and "première" meets "premier". And a plural in "-ions" not after s or t is a noun
 * ("connexions"): Snowball would take it for a verb ending, so it is stemmed as its singular.
 * w has room for n + 2 bytes; returns the new length.
 */
static size_t
analyze_french_prepare(char *w, size_t n)
{
	if (n < 3 || (w[n - 1] != 's' && w[n - 1] != 'e'))
		return n;
	if (n >= 5 && analyze_ends(w, n, "ions") && w[n - 5] != 's' && w[n - 5] != 't')
		return n - 1;
	if (n >= 6 && analyze_ends(w, n, "ieres")) {
		memcpy(w + n - 4, "\xc3\xa8res", 5);
		return n + 1;
	}
	if (n >= 5 && analyze_ends(w, n, "iere")) {
		memcpy(w + n - 3, "\xc3\xa8re", 4);
		return n + 1;
	}
	if (n >= 4 && analyze_ends(w, n, "ees")) {
		memcpy(w + n - 3, "\xc3\xa9" "es", 4);
		return n + 1;
	}
	if (n >= 3 && analyze_ends(w, n, "ee")) {
		memcpy(w + n - 2, "\xc3\xa9" "e", 3);
		return n + 1;
	}
	return n;
}

/*
 * Stems the folded word w into out, folded again (a stemmer may hand back an accent it was given,
 * or anything else: only word characters are kept), so that the query tokenizer, which folds
 * without stemming, leaves the result as it is. Returns 0 or ERR_NOMEM.
 */
static int
analyze_stem(struct sb_stemmer *st, int french, const struct analyze_buf *w,
    struct analyze_buf *out)
{
	char prep[ANALYZE_TOKEN_MAX + 2];
	size_t n = w->len, i = 0;
	const sb_symbol *r;
	int rlen;

	memcpy(prep, w->s, n);
	if (french)
		n = analyze_french_prepare(prep, n);
	if ((r = sb_stemmer_stem(st, (const sb_symbol *)prep, (int)n)) == NULL)
		return ERR_NOMEM;
	rlen = sb_stemmer_length(st);
	out->len = 0;
	out->full = 0;
	while (rlen > 0 && i < (size_t)rlen) {
		size_t at = i;
		long cp = utf8_next(r, (size_t)rlen, &i);

		if (cp < 0) {
			i = at + 1;
			continue;
		}
		if (analyze_classify(cp) == ANALYZE_WORD)
			analyze_buf_put(out, cp);
	}
	return 0;
}

static int
analyze_all_digits(const struct analyze_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->s[i] < '0' || b->s[i] > '9')
			return 0;
	return 1;
}

/* utf8_next with the ASCII case inline: most text is mostly ASCII. */
static inline long
analyze_next(const unsigned char *s, size_t len, size_t *i)
{
	if (s[*i] < 0x80)
		return s[(*i)++];
	return utf8_next(s, len, i);
}

typedef int (*analyze_emit_fn)(void *ctx, const char *tok, size_t toklen, size_t start,
    size_t end);

/*
 * The pipeline: walks s[from..len) once, calls fn for each token with its offsets in s. st is
 * the stemmer (NULL: fold only). Returns 0, ERR_NOMEM, or what fn returned when not 0.
 */
static int
analyze_run(const unsigned char *s, size_t len, size_t from, struct sb_stemmer *st, int french,
    analyze_emit_fn fn, void *ctx)
{
	struct analyze_buf word, stem;
	size_t i = from;

	while (i < len) {
		size_t start = i, end;
		long cp = analyze_next(s, len, &i);
		enum analyze_class cls;
		const struct analyze_buf *tok = &word;
		int apos = 0, rc;

		if (cp < 0) {
			i = start + 1;  /* an invalid byte separates words */
			continue;
		}
		cls = analyze_classify(cp);
		if (cls != ANALYZE_WORD && cls != ANALYZE_UNIGRAM)
			continue;
		word.len = 0;
		word.full = 0;
		analyze_buf_put(&word, cp);
		end = i;
		while (cls == ANALYZE_WORD && i < len) {
			size_t at = i;
			long next = analyze_next(s, len, &i);
			enum analyze_class nc = next < 0 ? ANALYZE_SEP : analyze_classify(next);

			if (nc == ANALYZE_WORD) {
				analyze_buf_put(&word, next);
				end = i;
			} else if (nc != ANALYZE_IGNORE) {
				i = at;         /* the outer loop reads it again */
				apos = nc == ANALYZE_APOS;
				break;
			}
		}
		if (word.len == 0)
			continue;       /* only combining marks */
		if (apos && analyze_list_has(analyze_elided, ANALYZE_NELEM(analyze_elided),
		    word.s, word.len))
			continue;
		if (st != NULL && cls == ANALYZE_WORD && !analyze_all_digits(&word)) {
			if ((rc = analyze_stem(st, french, &word, &stem)) != 0)
				return rc;
			if (stem.len > 0)
				tok = &stem;
		}
		if ((rc = fn(ctx, tok->s, tok->len, start, end)) != 0)
			return rc;
	}
	return 0;
}

/* Which languages the linked libstemmer has, and the key of the per-thread stemmers. */
static pthread_once_t analyze_once = PTHREAD_ONCE_INIT;
static int analyze_avail[ANALYZE_NLANG];
static pthread_key_t analyze_key;
static int analyze_key_ok;

struct analyze_stemmers {
	struct sb_stemmer *st[ANALYZE_NLANG];
};

static void
analyze_stemmers_free(void *p)
{
	struct analyze_stemmers *c = p;

	if (c == NULL)
		return;
	for (size_t i = 0; i < ANALYZE_NLANG; i++)
		sb_stemmer_delete(c->st[i]);
	free(c);
}

static void
analyze_init(void)
{
	const char **list = sb_stemmer_list();

	for (size_t i = 0; i < ANALYZE_NLANG; i++)
		for (size_t k = 0; list != NULL && list[k] != NULL; k++)
			if (strcmp(list[k], analyze_langs[i].algo) == 0)
				analyze_avail[i] = 1;
	analyze_key_ok = pthread_key_create(&analyze_key, analyze_stemmers_free) == 0;
}

/* The index of lang in analyze_langs: two or three letters, any case, then the end, '-' or
 * '_' (a region); -1 when unknown. */
static int
analyze_lang_find(const char *lang)
{
	char code[4];
	size_t n = 0;

	if (lang == NULL)
		return -1;
	while (n < 4 && (((lang[n] | 0x20) >= 'a' && (lang[n] | 0x20) <= 'z'))) {
		code[n] = (char)(lang[n] | 0x20);
		n++;
	}
	if (n < 2 || n > 3 || (lang[n] != '\0' && lang[n] != '-' && lang[n] != '_'))
		return -1;
	code[n] = '\0';
	for (size_t i = 0; i < ANALYZE_NLANG; i++)
		if (strcmp(analyze_langs[i].code, code) == 0)
			return (int)i;
	return -1;
}

/*
 * Reads a marker at the start of text: "\x1flang=" two or three lower-case letters "\x1f".
 * Returns the language index (-1: none, or a language coffre does not know) and sets *skip to
 * the marker's length (0 when text has no marker).
 */
static int
analyze_marker_parse(const char *text, size_t len, size_t *skip)
{
	char code[4];
	size_t n = 0;

	*skip = 0;
	if (text == NULL || len < 9 || text[0] != '\x1f' || memcmp(text + 1, "lang=", 5) != 0)
		return -1;
	while (n < 4 && 6 + n < len && text[6 + n] >= 'a' && text[6 + n] <= 'z') {
		code[n] = text[6 + n];
		n++;
	}
	if (n < 2 || n > 3 || 6 + n >= len || text[6 + n] != '\x1f')
		return -1;
	code[n] = '\0';
	*skip = 7 + n;
	return analyze_lang_find(code);
}

/* This thread's stemmer for language li, made on first use and freed when the thread exits.
 * *tmp receives a stemmer the caller must delete when no thread key could be made. */
static struct sb_stemmer *
analyze_thread_stemmer(int li, struct sb_stemmer **tmp)
{
	struct analyze_stemmers *c;

	*tmp = NULL;
	pthread_once(&analyze_once, analyze_init);
	if (!analyze_key_ok)
		return *tmp = sb_stemmer_new(analyze_langs[li].algo, "UTF_8");
	if ((c = pthread_getspecific(analyze_key)) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		if (pthread_setspecific(analyze_key, c) != 0) {
			free(c);
			return *tmp = sb_stemmer_new(analyze_langs[li].algo, "UTF_8");
		}
	}
	if (c->st[li] == NULL)
		c->st[li] = sb_stemmer_new(analyze_langs[li].algo, "UTF_8");
	return c->st[li];
}

/* Runs the pipeline in language li (-1: fold only) with this thread's stemmer. */
static int
analyze_run_lang(int li, const char *text, size_t len, size_t from, int stem,
    analyze_emit_fn fn, void *ctx)
{
	struct sb_stemmer *st = NULL, *tmp = NULL;
	int rc;

	if (stem && li >= 0) {
		pthread_once(&analyze_once, analyze_init);
		if (analyze_avail[li] && (st = analyze_thread_stemmer(li, &tmp)) == NULL)
			return ERR_NOMEM;
	}
	rc = analyze_run((const unsigned char *)text, len, from, st, li == ANALYZE_LANG_FR, fn,
	    ctx);
	sb_stemmer_delete(tmp);
	return rc;
}

const char *
analyze_marker(const char *lang)
{
	int li = analyze_lang_find(lang);

	return li < 0 ? "" : analyze_langs[li].marker;
}

size_t
analyze_marker_len(const char *text, size_t len)
{
	size_t skip;

	analyze_marker_parse(text, len, &skip);
	return skip;
}

int
analyze_has_stemmer(const char *lang)
{
	int li = analyze_lang_find(lang);

	pthread_once(&analyze_once, analyze_init);
	return li >= 0 && analyze_avail[li];
}

/* analyze_word's output: tokens separated by one space, whole tokens only. */
struct analyze_out {
	char *s;
	size_t size, len;
};

static int
analyze_out_put(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct analyze_out *o = ctx;
	size_t sep = o->len > 0;

	(void)start;
	(void)end;
	if (toklen + sep >= o->size - o->len)
		return 1;               /* full: stop */
	if (sep)
		o->s[o->len++] = ' ';
	memcpy(o->s + o->len, tok, toklen);
	o->len += toklen;
	o->s[o->len] = '\0';
	return 0;
}

static int
analyze_words(const char *lang, int stem, const char *word, size_t len, char *out,
    size_t outsz)
{
	struct analyze_out o = { out, outsz, 0 };
	int rc;

	if (out == NULL || outsz == 0 || (word == NULL && len > 0))
		return ERR_INVALID;
	out[0] = '\0';
	rc = analyze_run_lang(stem ? analyze_lang_find(lang) : -1, word, len, 0, stem,
	    analyze_out_put, &o);
	if (rc < 0) {
		out[0] = '\0';
		return rc;
	}
	return (int)o.len;
}

int
analyze_word(const char *lang, const char *word, size_t len, char *out, size_t outsz)
{
	return analyze_words(lang, 1, word, len, out, outsz);
}

int
analyze_fold(const char *word, size_t len, char *out, size_t outsz)
{
	return analyze_words(NULL, 0, word, len, out, outsz);
}

int
analyze_is_stop(const char *lang, const char *folded)
{
	int li = analyze_lang_find(lang);

	if (folded == NULL)
		return 0;
	if (li == ANALYZE_LANG_FR)
		return analyze_list_has(analyze_stop_fr, ANALYZE_NELEM(analyze_stop_fr), folded,
		    strlen(folded));
	if (li == ANALYZE_LANG_EN)
		return analyze_list_has(analyze_stop_en, ANALYZE_NELEM(analyze_stop_en), folded,
		    strlen(folded));
	return 0;
}

int
analyze_text(const char *lang, const char *text, size_t len,
    int (*fn)(void *ctx, const char *tok, size_t toklen, size_t start, size_t end), void *ctx)
{
	size_t skip;
	int li;

	if (fn == NULL || (text == NULL && len > 0))
		return ERR_INVALID;
	li = analyze_marker_parse(text, len, &skip);
	if (skip == 0)
		li = analyze_lang_find(lang);
	return analyze_run_lang(li, text, len, skip, 1, fn, ctx);
}

int
analyze_spans(const char *lang, const char *text, size_t len,
    int (*fn)(void *ctx, const char *tok, size_t toklen, size_t start, size_t end), void *ctx)
{
	if (fn == NULL || (text == NULL && len > 0))
		return ERR_INVALID;
	return analyze_run_lang(analyze_lang_find(lang), text, len, 0, 0, fn, ctx);
}

struct analyze_guess {
	int fr, en;
};

static int
analyze_guess_count(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct analyze_guess *g = ctx;
	int fr = analyze_list_has(analyze_stop_fr, ANALYZE_NELEM(analyze_stop_fr), tok, toklen);
	int en = analyze_list_has(analyze_stop_en, ANALYZE_NELEM(analyze_stop_en), tok, toklen);

	(void)start;
	(void)end;
	g->fr += fr && !en;
	g->en += en && !fr;
	return 0;
}

const char *
analyze_guess_language(const char *text, size_t len)
{
	struct analyze_guess g = { 0, 0 };
	const unsigned char *s = (const unsigned char *)text;

	if (text == NULL)
		return "en";
	if (len > ANALYZE_GUESS_MAX)
		len = ANALYZE_GUESS_MAX;
	analyze_run(s, len, 0, NULL, 0, analyze_guess_count, &g);
	/* à â ç è é ê ë î ï ô ù û and their capitals, œ Œ: rare in English. */
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned char b = s[i + 1] & ~0x20;

		if ((s[i] == 0xc3 && (b == 0x80 || b == 0x82 || b == 0x87 || b == 0x88 ||
		    b == 0x89 || b == 0x8a || b == 0x8b || b == 0x8e || b == 0x8f || b == 0x94 ||
		    b == 0x99 || b == 0x9b)) || (s[i] == 0xc5 && (s[i + 1] | 1) == 0x93))
			g.fr++;
	}
	return g.fr > g.en ? "fr" : "en";
}

/* The FTS5 tokenizer: one instance per table and connection, with its own stemmers. */
struct analyze_fts5 {
	struct sb_stemmer *st[ANALYZE_NLANG];
};

struct analyze_fts5_call {
	void *pctx;
	int (*xtoken)(void *, int, const char *, int, int, int);
};

static int
analyze_fts5_create(void *udata, const char **argv, int argc, Fts5Tokenizer **out)
{
	struct analyze_fts5 *t;

	(void)udata;
	(void)argv;
	*out = NULL;
	if (argc != 0)
		return SQLITE_ERROR;    /* the tokenizer takes no options */
	pthread_once(&analyze_once, analyze_init);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SQLITE_NOMEM;
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
analyze_fts5_delete(Fts5Tokenizer *p)
{
	struct analyze_fts5 *t = (struct analyze_fts5 *)p;

	if (t == NULL)
		return;
	for (size_t i = 0; i < ANALYZE_NLANG; i++)
		sb_stemmer_delete(t->st[i]);
	free(t);
}

static int
analyze_fts5_emit(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct analyze_fts5_call *c = ctx;

	return c->xtoken(c->pctx, 0, tok, (int)toklen, (int)start, (int)end);
}

/*
 * Documents (and highlight()/snippet(), FTS5_TOKENIZE_AUX) are stemmed in the language of their
 * marker; queries are only folded: the query builder has stemmed them with analyze_word already.
 */
static int
analyze_fts5_tokenize(Fts5Tokenizer *p, void *pctx, int flags, const char *text, int ntext,
    int (*xtoken)(void *, int, const char *, int, int, int))
{
	struct analyze_fts5 *t = (struct analyze_fts5 *)p;
	struct analyze_fts5_call c = { pctx, xtoken };
	struct sb_stemmer *st = NULL;
	size_t len = text != NULL && ntext > 0 ? (size_t)ntext : 0, skip = 0;
	int li = -1, rc;

	if (flags & (FTS5_TOKENIZE_DOCUMENT | FTS5_TOKENIZE_AUX)) {
		li = analyze_marker_parse(text, len, &skip);
		if (li >= 0 && analyze_avail[li]) {
			if (t->st[li] == NULL &&
			    (t->st[li] = sb_stemmer_new(analyze_langs[li].algo, "UTF_8")) == NULL)
				return SQLITE_NOMEM;
			st = t->st[li];
		}
	}
	rc = analyze_run((const unsigned char *)text, len, skip, st, li == ANALYZE_LANG_FR,
	    analyze_fts5_emit, &c);
	return rc < 0 ? SQLITE_NOMEM : rc;
}

int
analyze_register(sqlite3 *db)
{
	fts5_tokenizer tok = { analyze_fts5_create, analyze_fts5_delete, analyze_fts5_tokenize };
	fts5_api *api = NULL;
	sqlite3_stmt *stmt = NULL;

	pthread_once(&analyze_once, analyze_init);
	if (db == NULL || sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (api == NULL || api->iVersion < 2)
		return ERR_INTERNAL;
	if (api->xCreateTokenizer(api, ANALYZE_TOKENIZER, NULL, &tok, NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	return 0;
}
