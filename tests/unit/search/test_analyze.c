#include "../test.h"

#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

/* Included for its tables and lists (static), to check their invariants. */
#include "search/analyze.c"

#define TEST_TOKENS_MAX 64

struct test_token {
	char s[ANALYZE_TOKEN_MAX + 1];
	size_t start, end;
};

struct test_tokens {
	struct test_token t[TEST_TOKENS_MAX];
	size_t n;
};

static int
test_collect(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct test_tokens *tt = ctx;

	assert_true(toklen > 0 && toklen <= ANALYZE_TOKEN_MAX);
	if (tt->n == TEST_TOKENS_MAX)
		return 1;
	memcpy(tt->t[tt->n].s, tok, toklen);
	tt->t[tt->n].s[toklen] = '\0';
	tt->t[tt->n].start = start;
	tt->t[tt->n].end = end;
	tt->n++;
	return 0;
}

static void
test_tokens(const char *lang, const char *text, size_t len, struct test_tokens *tt)
{
	memset(tt, 0, sizeof(*tt));
	assert_int_equal(analyze_text(lang, text, len, test_collect, tt), 0);
}

/* analyze_word into one of a few static buffers, so that two results can be compared. */
static const char *
test_word(const char *lang, const char *word)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];
	int n = analyze_word(lang, word, strlen(word), b, sizeof(bufs[0]));

	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(b));
	return b;
}

static const char *
test_fold(const char *word)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];
	int n = analyze_fold(word, strlen(word), b, sizeof(bufs[0]));

	assert_true(n >= 0);
	return b;
}

/* Asserts that every pair of words meets on the same stem, printing the pair when not. */
static void
test_pairs_meet(const char *lang, const char *const pairs[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = test_word(lang, pairs[i][0]);
		const char *b = test_word(lang, pairs[i][1]);

		if (strcmp(a, b) != 0)
			fail_msg("%s: \"%s\" -> \"%s\" but \"%s\" -> \"%s\"", lang, pairs[i][0], a,
			    pairs[i][1], b);
		assert_true(a[0] != '\0');
	}
}

static void
test_fold_latin_accents(void **state)
{
	(void)state;
	assert_string_equal(test_fold("Éléphant"), "elephant");
	assert_string_equal(test_fold("é è ê ë à ç ô œ"), "e e e e a c o oe");
	assert_string_equal(test_fold("ÉCOLE À L'ÉTÉ"), "ecole a ete");
	assert_string_equal(test_fold("Œuvre Ærø"), "oeuvre aero");
	assert_string_equal(test_fold("Straße STRASSE ẞ"), "strasse strasse ss");
	assert_string_equal(test_fold("ﬁchier"), "fichier");
	assert_string_equal(test_fold("Ｆｕｌｌ"), "full");
	assert_string_equal(test_fold("Łódź İstanbul Ørsted ñandú"), "lodz istanbul orsted nandu");
	/* Decomposed (NFD) text meets composed text: the combining marks are dropped. */
	assert_string_equal(test_fold("e\xcc\x81te\xcc\x81"), "ete");
	assert_string_equal(test_fold("ÅNGSTRÖM"), "angstrom");
	assert_string_equal(test_fold("\xe2\x84\xaa\xc5\xbf"), "ks");   /* Kelvin sign, long s */
}

static void
test_fold_greek_cyrillic(void **state)
{
	(void)state;
	assert_string_equal(test_fold("ΑΘΗΝΑ"), "αθηνα");
	assert_string_equal(test_fold("Ἀθῆναι"), "αθηναι");
	assert_string_equal(test_fold("ΟΔΟΣ"), "οδοσ");
	assert_string_equal(test_fold("οδός"), "οδοσ");            /* final sigma and tonos */
	assert_string_equal(test_fold("ΐ ᾳ ᾼ"), "ι α α");
	assert_string_equal(test_fold("МОСКВА"), "москва");
	assert_string_equal(test_fold("Ёлка"), "елка");
	assert_string_equal(test_fold("ЙОД"), "йод");              /* й is a letter, kept */
	assert_string_equal(test_fold("ЇЖАК"), "їжак");
	assert_string_equal(test_fold("Հայաստան"), "հայաստան");
	/* Scripts without case pass through. */
	assert_string_equal(test_fold("हिन्दी"), "हिन्दी");
	assert_string_equal(test_fold("العربية"), "العربية");
}

static size_t
test_utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The query tokenizer folds analyze_word's terms again: folding must be idempotent for every
 * code point, and the tables must be sorted for their binary searches. */
static void
test_fold_is_idempotent(void **state)
{
	char in[8], once[32], twice[32];

	(void)state;
	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		size_t n;
		int a, b;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = test_utf8_put(cp, in);
		a = analyze_fold(in, n, once, sizeof(once));
		assert_true(a >= 0);
		b = analyze_fold(once, (size_t)a, twice, sizeof(twice));
		if (a != b || strcmp(once, twice) != 0)
			fail_msg("U+%04X folds to \"%s\" then \"%s\"", (unsigned)cp, once, twice);
	}
	for (size_t i = 1; i < ANALYZE_NELEM(analyze_word_ranges); i++)
		assert_true(analyze_word_ranges[i][0] > analyze_word_ranges[i - 1][1]);
	for (size_t i = 1; i < ANALYZE_NELEM(analyze_fold_ranges); i++)
		assert_true(analyze_fold_ranges[i][0] > analyze_fold_ranges[i - 1][1]);
	for (size_t i = 1; i < ANALYZE_NELEM(analyze_unaccent_table); i++)
		assert_true(analyze_unaccent_table[i].cp > analyze_unaccent_table[i - 1].cp);
}

static void
test_stem_french_pairs(void **state)
{
	static const char *const pairs[][2] = {
		{ "données", "donnée" }, { "donnees", "donnee" }, { "données", "donnee" },
		{ "données", "donner" }, { "chevaux", "cheval" }, { "connexion", "connexions" },
		{ "réflexions", "réflexion" }, { "opinions", "opinion" }, { "mots", "mot" },
		{ "passes", "passe" }, { "documents", "document" }, { "systèmes", "système" },
		{ "problèmes", "probleme" }, { "journaux", "journal" }, { "animaux", "animal" },
		{ "informations", "information" }, { "questions", "question" },
		{ "élèves", "élève" }, { "idées", "idée" },
		/* verb forms */
		{ "changer", "change" }, { "changement", "changer" }, { "mangeait", "manger" },
		{ "mangeront", "mangé" }, { "finissons", "finir" }, { "finissait", "finirent" },
		{ "créée", "créer" }, { "créés", "créé" },
		/* feminine forms */
		{ "grande", "grand" }, { "grandes", "grands" }, { "heureuse", "heureux" },
		{ "cruelle", "cruel" }, { "complète", "complet" }, { "ancienne", "ancien" },
		{ "première", "premier" }, { "dernière", "dernier" }, { "bonne", "bon" },
		{ "utilisatrice", "utilisateur" },
		/* -ment adverbs */
		{ "rapidement", "rapide" }, { "heureusement", "heureux" }, { "lentement", "lent" },
		{ "vraiment", "vrai" },
	};

	(void)state;
	test_pairs_meet("fr", pairs, ANALYZE_NELEM(pairs));
	assert_string_not_equal(test_word("fr", "cheval"), test_word("fr", "connexion"));
	assert_string_equal(test_word("fr", "chevaux"), "cheval");
}

static void
test_stem_english_pairs(void **state)
{
	static const char *const pairs[][2] = {
		{ "running", "run" }, { "runs", "run" }, { "connected", "connect" },
		{ "connecting", "connection" }, { "passwords", "password" },
		{ "resetting", "reset" }, { "resets", "reset" }, { "documents", "document" },
		{ "documentation", "document" }, { "studies", "study" }, { "studied", "study" },
		{ "configured", "configure" }, { "configuration", "configure" },
		{ "settings", "setting" }, { "users", "user" }, { "deleted", "delete" },
		{ "deletion", "delete" }, { "searching", "search" }, { "policies", "policy" },
		{ "retrieval", "retrieve" }, { "encrypted", "encrypt" },
		{ "encryption", "encrypt" },
		{ "organization", "organize" }, { "generalization", "generalize" },
		{ "nationality", "national" }, { "quickly", "quick" }, { "walked", "walks" },
		{ "Passwords", "PASSWORD" },
	};

	(void)state;
	test_pairs_meet("en", pairs, ANALYZE_NELEM(pairs));
	assert_string_equal(test_word("en", "running"), "run");
	assert_string_not_equal(test_word("en", "run"), test_word("en", "ran"));
}

/* Documents and queries typed with or without accents, in any case, meet. */
static void
test_accents_meet(void **state)
{
	static const char *const same[] = { "données", "donnée", "donnees", "donnee", "DONNÉES",
		"Donnees" };

	(void)state;
	for (size_t i = 1; i < ANALYZE_NELEM(same); i++)
		assert_string_equal(test_word("fr", same[i]), test_word("fr", same[0]));
	assert_string_equal(test_word("fr", "ÉLÈVE"), test_word("fr", "eleve"));
	assert_string_equal(test_word("fr", "GARÇON"), test_word("fr", "garcon"));
	assert_string_equal(test_word("fr", "sécurité"), test_word("fr", "securite"));
	assert_string_equal(test_word("de", "Häuser"), test_word("de", "hauser"));
	assert_string_equal(test_word("de", "Häuser"), "haus");
}

static void
test_elision(void **state)
{
	struct test_tokens tt;
	const char *s = "C'est l’heure qu'il faut.";
	char out[8];

	(void)state;
	assert_string_equal(test_word("fr", "l'eau"), "eau");
	assert_string_equal(test_word("fr", "L’Eau"), "eau");
	assert_string_equal(test_word("fr", "d'accord"), "accord");
	assert_string_equal(test_word("fr", "qu'il"), "il");
	assert_string_equal(test_word("fr", "jusqu'à"), "a");
	assert_string_equal(test_word("fr", "lorsqu'on"), "on");
	assert_string_equal(test_word("fr", "puisqu'elle"), "elle");
	/* "aujourd" is no article: two terms, a phrase once quoted. */
	assert_string_equal(test_word("fr", "aujourd'hui"), "aujourd hui");
	assert_string_equal(test_fold("aujourd’hui"), "aujourd hui");
	/* The same in every language, so that a query in one meets documents in another. */
	assert_string_equal(test_word("en", "l'eau"), "eau");
	assert_string_equal(test_word("it", "l'acqua"), test_word("it", "acqua"));
	assert_string_equal(test_fold("d'accord"), "accord");
	/* Only before an apostrophe: a lone "l" or "t" stays. */
	assert_string_equal(test_fold("l eau"), "l eau");
	assert_string_equal(test_word("en", "don't"), "don t");
	assert_int_equal(analyze_word("fr", "l'", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(analyze_word("fr", "'’", 4, out, sizeof(out)), 0);

	test_tokens("fr", s, strlen(s), &tt);
	assert_int_equal(tt.n, 4);
	assert_string_equal(tt.t[0].s, "est");
	assert_int_equal(tt.t[0].start, 2);
	assert_int_equal(tt.t[0].end, 5);
	assert_string_equal(tt.t[1].s, "heur");
	assert_int_equal(tt.t[1].start, 10);            /* after l and the 3-byte ’ */
	assert_int_equal(tt.t[1].end, 15);
	assert_string_equal(tt.t[2].s, "il");
	assert_string_equal(tt.t[3].s, "faut");
}

static void
test_stop_words(void **state)
{
	(void)state;
	assert_true(analyze_is_stop("fr", "le"));
	assert_true(analyze_is_stop("fr", "de"));
	assert_true(analyze_is_stop("fr", "etre") == 0);         /* not in Snowball's list */
	assert_true(analyze_is_stop("fr", "etait"));
	assert_true(analyze_is_stop("fr", "comment"));
	assert_true(analyze_is_stop("fr", "mon"));
	assert_true(analyze_is_stop("FR", test_fold("Où")));
	assert_false(analyze_is_stop("fr", "passe"));
	assert_false(analyze_is_stop("fr", "mot"));
	assert_false(analyze_is_stop("fr", "the"));
	assert_true(analyze_is_stop("en", "the"));
	assert_true(analyze_is_stop("en", "how"));
	assert_true(analyze_is_stop("en", "t"));
	assert_false(analyze_is_stop("en", "password"));
	assert_false(analyze_is_stop("en", "th"));
	assert_false(analyze_is_stop("en", "thee"));
	assert_false(analyze_is_stop("en", ""));
	assert_false(analyze_is_stop("de", "der"));
	assert_false(analyze_is_stop(NULL, "the"));
	assert_false(analyze_is_stop("en", NULL));

	/* The lists are sorted, unique and already folded. */
	for (size_t i = 0; i < ANALYZE_NELEM(analyze_stop_fr); i++) {
		assert_string_equal(test_fold(analyze_stop_fr[i]), analyze_stop_fr[i]);
		assert_true(analyze_is_stop("fr", analyze_stop_fr[i]));
		if (i > 0)
			assert_true(strcmp(analyze_stop_fr[i - 1], analyze_stop_fr[i]) < 0);
	}
	for (size_t i = 0; i < ANALYZE_NELEM(analyze_stop_en); i++) {
		assert_string_equal(test_fold(analyze_stop_en[i]), analyze_stop_en[i]);
		assert_true(analyze_is_stop("en", analyze_stop_en[i]));
		if (i > 0)
			assert_true(strcmp(analyze_stop_en[i - 1], analyze_stop_en[i]) < 0);
	}
	for (size_t i = 1; i < ANALYZE_NELEM(analyze_elided); i++)
		assert_true(strcmp(analyze_elided[i - 1], analyze_elided[i]) < 0);
	assert_true(ANALYZE_NELEM(analyze_stop_fr) >= 100);
	assert_true(ANALYZE_NELEM(analyze_stop_en) >= 100);
}

static void
test_digits_and_mixed_scripts(void **state)
{
	static const char *const want[] = { "windows", "11", "covid", "19", "a", "москва", "и",
		"αθηνα", "東", "京", "タ", "ワ", "ー", "mp3", "3d" };
	const char *s = "Windows 11, COVID-19 à Москва и Αθήνα 東京タワー mp3 3D ① ½";
	struct test_tokens tt;

	(void)state;
	test_tokens(NULL, s, strlen(s), &tt);
	/* ① and ½ are numbers but no decimal digits: separators. */
	assert_int_equal(tt.n, ANALYZE_NELEM(want));
	for (size_t i = 0; i < tt.n; i++)
		assert_string_equal(tt.t[i].s, want[i]);
	/* Offsets of unigrams: one character each. */
	assert_int_equal(tt.t[9].end - tt.t[9].start, 3);
	assert_int_equal(tt.t[9].start, tt.t[8].end);
	/* Digits are not stemmed, words around them are. */
	assert_string_equal(test_word("en", "2024 releases"), "2024 releas");
	assert_string_equal(test_word("fr", "10000"), "10000");
}

static void
test_long_token_truncated(void **state)
{
	char text[400], out[256];
	struct test_tokens tt;

	(void)state;
	/* 200 letters: one token of 64 bytes, whose offsets span the whole word. */
	memset(text, 'A', 200);
	memcpy(text + 200, " b", 2);
	test_tokens(NULL, text, 202, &tt);
	assert_int_equal(tt.n, 2);
	assert_int_equal(strlen(tt.t[0].s), ANALYZE_TOKEN_MAX);
	assert_int_equal(tt.t[0].start, 0);
	assert_int_equal(tt.t[0].end, 200);
	assert_string_equal(tt.t[1].s, "b");
	/* "x" then 40 alphas (2 bytes each): cut at 63 bytes, on a code point boundary. */
	text[0] = 'x';
	for (int i = 0; i < 40; i++)
		memcpy(text + 1 + 2 * i, "\xce\x91", 2);
	test_tokens(NULL, text, 81, &tt);
	assert_int_equal(tt.n, 1);
	assert_int_equal(strlen(tt.t[0].s), 63);
	assert_int_equal(utf8_check(tt.t[0].s, 63, 0, NULL), 0);
	assert_int_equal(tt.t[0].end, 81);
	/* The same long word in a query gives the same term. */
	assert_int_equal(analyze_fold(text, 81, out, sizeof(out)), 63);
	assert_string_equal(out, tt.t[0].s);
	/* Expansions (ß -> ss) stop before the limit, never across it. */
	memset(text, 'a', 63);
	memcpy(text + 63, "\xc3\x9f", 2);
	assert_int_equal(analyze_fold(text, 65, out, sizeof(out)), 63);
	/* A stemmed long word stays within the limit too. */
	memset(text, 'a', 100);
	memcpy(text + 100, "ements", 6);
	assert_true(analyze_word("fr", text, 106, out, sizeof(out)) <= ANALYZE_TOKEN_MAX);
	/* A small output buffer keeps whole terms only. */
	assert_int_equal(analyze_word("en", "alpha beta gamma", 16, out, 11), 10);
	assert_string_equal(out, "alpha beta");
	assert_int_equal(analyze_word("en", "alpha", 5, out, 5), 0);
	assert_int_equal(analyze_word("en", "alpha", 5, out, 0), ERR_INVALID);
}

static void
test_invalid_utf8_separates(void **state)
{
	static const char s[] = "abc\xff" "def\xc0\xaf" "ghi\xed\xa0\x80" "jkl\xe2\x82";
	struct test_tokens tt;

	(void)state;
	test_tokens("en", s, sizeof(s) - 1, &tt);
	assert_int_equal(tt.n, 4);
	assert_string_equal(tt.t[0].s, "abc");
	assert_string_equal(tt.t[1].s, "def");
	assert_int_equal(tt.t[1].start, 4);
	assert_int_equal(tt.t[1].end, 7);
	assert_string_equal(tt.t[2].s, "ghi");
	assert_string_equal(tt.t[3].s, "jkl");
	assert_int_equal(tt.t[3].end, sizeof(s) - 3);
	/* A truncated sequence at the very end is not read past. */
	test_tokens("en", "\xc3", 1, &tt);
	assert_int_equal(tt.n, 0);
	/* NUL bytes separate too. */
	test_tokens("en", "ab\0cd", 5, &tt);
	assert_int_equal(tt.n, 2);
}

static void
test_empty_input(void **state)
{
	struct test_tokens tt;
	char out[16];

	(void)state;
	test_tokens("fr", "", 0, &tt);
	assert_int_equal(tt.n, 0);
	test_tokens("fr", NULL, 0, &tt);
	assert_int_equal(tt.n, 0);
	test_tokens("fr", " ,;!? \t\n", 8, &tt);
	assert_int_equal(tt.n, 0);
	test_tokens("fr", analyze_marker("fr"), strlen(analyze_marker("fr")), &tt);
	assert_int_equal(tt.n, 0);
	/* Combining marks alone leave nothing. */
	test_tokens("fr", " \xcc\x81\xcc\x81 ", 6, &tt);
	assert_int_equal(tt.n, 0);
	assert_int_equal(analyze_word("fr", "", 0, out, sizeof(out)), 0);
	assert_int_equal(analyze_word("fr", NULL, 0, out, sizeof(out)), 0);
	assert_int_equal(analyze_word("fr", NULL, 3, out, sizeof(out)), ERR_INVALID);
	assert_int_equal(analyze_fold("--", 2, out, sizeof(out)), 0);
	assert_int_equal(analyze_text("fr", "a", 1, NULL, NULL), ERR_INVALID);
	assert_string_equal(analyze_guess_language("", 0), "en");
	assert_string_equal(analyze_guess_language(NULL, 0), "en");
}

static void
test_markers(void **state)
{
	struct test_tokens tt;
	char text[64];

	(void)state;
	assert_string_equal(analyze_marker("fr"), "\x1flang=fr\x1f");
	assert_string_equal(analyze_marker("FR"), "\x1flang=fr\x1f");
	assert_string_equal(analyze_marker("fr-CA"), "\x1flang=fr\x1f");
	assert_string_equal(analyze_marker("en_GB"), "\x1flang=en\x1f");
	assert_string_equal(analyze_marker("xx"), "");
	assert_string_equal(analyze_marker("french"), "");
	assert_string_equal(analyze_marker("f"), "");
	assert_string_equal(analyze_marker(""), "");
	assert_string_equal(analyze_marker(NULL), "");
	for (size_t i = 0; i < ANALYZE_NELEM(analyze_langs); i++) {
		const char *m = analyze_marker(analyze_langs[i].code);

		assert_true(strlen(m) <= ANALYZE_MARKER_MAX);
		assert_int_equal(analyze_marker_len(m, strlen(m)), strlen(m));
		assert_true(analyze_has_stemmer(analyze_langs[i].code));
	}
	assert_int_equal(ANALYZE_NELEM(analyze_langs), 28);
	assert_string_equal(analyze_langs[ANALYZE_LANG_FR].code, "fr");
	assert_string_equal(analyze_langs[ANALYZE_LANG_EN].code, "en");
	assert_false(analyze_has_stemmer("ja"));
	assert_false(analyze_has_stemmer(NULL));
	assert_int_equal(analyze_marker_len("\x1flang=fr", 8), 0);
	assert_int_equal(analyze_marker_len("\x1flang=f\x1f", 9), 0);
	assert_int_equal(analyze_marker_len("\x1flang=FR\x1f", 10), 0);
	assert_int_equal(analyze_marker_len("\x1flang=xx\x1f" "abc", 12), 9);
	assert_int_equal(analyze_marker_len(NULL, 0), 0);

	/* The marker picks the language over lang, and offsets count its bytes. */
	snprintf(text, sizeof(text), "%schevaux", analyze_marker("fr"));
	test_tokens("en", text, strlen(text), &tt);
	assert_int_equal(tt.n, 1);
	assert_string_equal(tt.t[0].s, "cheval");
	assert_int_equal(tt.t[0].start, 9);
	assert_int_equal(tt.t[0].end, 16);
	/* An unknown language's marker is skipped; its text is folded only. */
	test_tokens("fr", "\x1flang=xx\x1f" "Chevaux", 17, &tt);
	assert_int_equal(tt.n, 1);
	assert_string_equal(tt.t[0].s, "chevaux");
	/* A malformed marker is no marker: control characters separate words. */
	test_tokens(NULL, "\x1flang=fr chevaux", 16, &tt);
	assert_int_equal(tt.n, 3);
	assert_string_equal(tt.t[0].s, "lang");
}

/* Every language libstemmer has stems through coffre. */
static void
test_all_languages(void **state)
{
	static const char *const pairs[][3] = {
		{ "de", "Häuser", "Haus" }, { "es", "casas", "casa" }, { "it", "case", "casa" },
		{ "pt", "livros", "livro" }, { "nl", "boeken", "boek" }, { "sv", "bilar", "bil" },
		{ "da", "bilerne", "bil" }, { "no", "bilene", "bil" },
		{ "ru", "книги", "книга" }, { "el", "δρόμοι", "Δρόμος" },
		{ "tr", "kitaplar", "kitap" }, { "fi", "talossa", "talo" },
		{ "hi", "किताबें", "किताब" }, { "ro", "cărțile", "carte" },
	};

	(void)state;
	for (size_t i = 0; i < ANALYZE_NELEM(pairs); i++) {
		const char *a = test_word(pairs[i][0], pairs[i][1]);
		const char *b = test_word(pairs[i][0], pairs[i][2]);

		if (strcmp(a, b) != 0)
			fail_msg("%s: %s -> %s, %s -> %s", pairs[i][0], pairs[i][1], a, pairs[i][2],
			    b);
	}
	for (size_t i = 0; i < ANALYZE_NELEM(analyze_langs); i++) {
		char out[64];

		assert_true(analyze_word(analyze_langs[i].code, "test", 4, out, sizeof(out)) > 0);
	}
	/* Unknown or no language: folded only. */
	assert_string_equal(test_word(NULL, "Chevaux"), "chevaux");
	assert_string_equal(test_word("ja", "Chevaux"), "chevaux");
}

static void
test_guess_language(void **state)
{
	static const char *const fr[] = {
		"Comment changer mon mot de passe ?",
		"La sauvegarde est chiffrée avant d'être envoyée.",
		"Où sont les données ?",
		"Procédure de réinitialisation",
	};
	static const char *const en[] = {
		"How do I reset my password?",
		"The backup is encrypted before it is sent.",
		"Where is the data?",
		"Password reset procedure",
	};

	(void)state;
	for (size_t i = 0; i < ANALYZE_NELEM(fr); i++)
		assert_string_equal(analyze_guess_language(fr[i], strlen(fr[i])), "fr");
	for (size_t i = 0; i < ANALYZE_NELEM(en); i++)
		assert_string_equal(analyze_guess_language(en[i], strlen(en[i])), "en");
	assert_string_equal(analyze_guess_language("xyzzy", 5), "en");
}

/* Per-thread stemmers: the same results from several threads at once. */
struct test_thread {
	const char *lang, *word, *want;
	int ok;
};

static void *
test_thread_main(void *arg)
{
	struct test_thread *t = arg;
	char out[64];

	t->ok = 1;
	for (int i = 0; i < 3000; i++) {
		int n = analyze_word(t->lang, t->word, strlen(t->word), out, sizeof(out));

		if (n <= 0 || strcmp(out, t->want) != 0)
			t->ok = 0;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct test_thread t[6] = {
		{ "fr", "chevaux", "cheval", 0 }, { "en", "running", "run", 0 },
		{ "de", "häuser", "haus", 0 }, { "fr", "données", NULL, 0 },
		{ "en", "passwords", "password", 0 }, { "ru", "книги", NULL, 0 },
	};
	pthread_t th[6];

	(void)state;
	t[3].want = test_word("fr", "donnee");
	t[5].want = test_word("ru", "книга");
	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&th[i], NULL, test_thread_main, &t[i]), 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_true(t[i].ok);
	}
}

/* SQLite with the tokenizer. */
static sqlite3 *
test_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(analyze_register(db), 0);
	assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, "
	    "tokenize='" ANALYZE_TOKENIZER "')", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void
test_insert(sqlite3 *db, long long id, const char *lang, const char *title, const char *body)
{
	sqlite3_stmt *st;
	char *t = sqlite3_mprintf("%s%s", lang ? analyze_marker(lang) : "", title);
	char *b = sqlite3_mprintf("%s%s", lang ? analyze_marker(lang) : "", body);

	assert_non_null(t);
	assert_non_null(b);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, body) VALUES "
	    "(?1, ?2, ?3)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, t, -1, sqlite3_free);
	sqlite3_bind_text(st, 3, b, -1, sqlite3_free);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The rowids matching an FTS5 expression, as a string "1,3" ("" for none). */
static const char *
test_match(sqlite3 *db, const char *expr)
{
	static char buf[128];
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1 "
	    "ORDER BY rowid", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld", n ? "," : "",
		    sqlite3_column_int64(st, 0));
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	return buf;
}

/* A user's words analyzed in lang, quoted as the query builder does. */
static const char *
test_query(const char *lang, const char *words)
{
	static char buf[300];

	snprintf(buf, sizeof(buf), "\"%s\"", test_word(lang, words));
	return buf;
}

static void
test_fill(sqlite3 *db)
{
	test_insert(db, 1, "fr", "Les chevaux de Camargue",
	    "Le cheval blanc court. Les données sont chiffrées ; l'élève révise aujourd'hui.");
	test_insert(db, 2, "en", "Running the nightly backup",
	    "How to reset passwords: the runner connects and encrypts the data.");
	test_insert(db, 3, NULL, "Chevaux sans langue", "Données brutes, sans marqueur.");
	test_insert(db, 4, "fr", "Changer son mot de passe",
	    "Les mots de passe sont changés chaque année.");
	test_insert(db, 5, "fr", "Passe de mots", "Un titre à l'envers pour la phrase.");
}

static void
test_fts5_stemmed_match(void **state)
{
	sqlite3 *db = test_db();

	(void)state;
	test_fill(db);
	assert_string_equal(test_match(db, test_query("fr", "chevaux")), "1");
	assert_string_equal(test_match(db, test_query("fr", "cheval")), "1");
	assert_string_equal(test_match(db, test_query("fr", "donnees")), "1");
	assert_string_equal(test_match(db, test_query("fr", "DONNÉE")), "1");
	assert_string_equal(test_match(db, test_query("fr", "eleves")), "1");
	assert_string_equal(test_match(db, test_query("fr", "l'élève")), "1");
	assert_string_equal(test_match(db, test_query("fr", "aujourd'hui")), "1");
	assert_string_equal(test_match(db, test_query("en", "run")), "2");
	assert_string_equal(test_match(db, test_query("en", "password")), "2");
	assert_string_equal(test_match(db, test_query("en", "encrypted")), "2");
	assert_string_equal(test_match(db, test_query("en", "connection")), "2");
	assert_string_equal(test_match(db, test_query("fr", "changement")), "4");
	/* Column filter and prefix, through the same tokenizer (fold only). */
	assert_string_equal(test_match(db, "title : \"cheval\""), "1");
	assert_string_equal(test_match(db, "\"chev\" *"), "1,3");
	sqlite3_close(db);
}

/* The query tokenizer passes analyzed terms through: no stemming, no marker. */
static void
test_fts5_query_not_stemmed(void **state)
{
	sqlite3 *db = test_db();
	sqlite3_stmt *st;

	(void)state;
	test_insert(db, 1, "fr", "Il donne", "");
	/* "donne" is stemmed to "don" in documents but stays "donne" in a query. */
	assert_string_equal(test_word("fr", "donne"), "don");
	assert_string_equal(test_match(db, "\"donne\""), "");
	assert_string_equal(test_match(db, test_query("fr", "donne")), "1");
	assert_string_equal(test_match(db, test_query("fr", "données")), "1");
	/* The index holds stems only. */
	assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(term, ',') FROM "
	    "(SELECT term FROM v ORDER BY term)", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "don,il");
	sqlite3_finalize(st);
	/* Tokenizer options are refused. */
	assert_int_not_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE u USING fts5(a, "
	    "tokenize='coffre fr')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* highlight(): the marks land exactly on the original words, marker and accents included. */
static void
test_fts5_highlight_offsets(void **state)
{
	static const char *const queries[][2] = {
		{ "donnee", "données" }, { "ELEVES", "élève" }, { "chevaux", "cheval" },
		{ "hui", "hui" },
	};
	sqlite3 *db = test_db();

	(void)state;
	test_fill(db);
	for (size_t q = 0; q < ANALYZE_NELEM(queries); q++) {
		sqlite3_stmt *st;
		const char *h, *open, *close;
		size_t mlen;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT highlight(t, 1, '[', ']') FROM t "
		    "WHERE t MATCH ?1 AND rowid = 1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, test_query("fr", queries[q][0]), -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		h = (const char *)sqlite3_column_text(st, 0);
		mlen = analyze_marker_len(h, strlen(h));
		assert_int_equal(mlen, strlen(analyze_marker("fr")));
		open = strchr(h + mlen, '[');
		close = strchr(h + mlen, ']');
		assert_non_null(open);
		assert_non_null(close);
		if ((size_t)(close - open - 1) != strlen(queries[q][1]) ||
		    memcmp(open + 1, queries[q][1], strlen(queries[q][1])) != 0)
			fail_msg("%s: highlighted \"%.*s\"", queries[q][0], (int)(close - open - 1),
			    open + 1);
		assert_null(strchr(close + 1, '['));
		sqlite3_finalize(st);
	}
	/* The whole text comes back, with the marks inserted. */
	{
		sqlite3_stmt *st;
		const char *h;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT highlight(t, 0, '<', '>') FROM t "
		    "WHERE t MATCH ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, test_query("fr", "Chevaux"), -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		h = (const char *)sqlite3_column_text(st, 0);
		assert_string_equal(h + analyze_marker_len(h, strlen(h)),
		    "Les <chevaux> de Camargue");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void
test_fts5_snippet(void **state)
{
	sqlite3 *db = test_db();
	sqlite3_stmt *st;
	char body[2000];
	const char *s;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "Phrase %d sans intérêt. ", i);
	snprintf(body + n, sizeof(body) - n, "Les Données chiffrées sont sûres. Fin.");
	test_insert(db, 1, "fr", "Titre", body);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT snippet(t, 1, '[', ']', '...', 6) FROM t "
	    "WHERE t MATCH ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, test_query("fr", "donnée chiffrée"), -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	s = (const char *)sqlite3_column_text(st, 0);
	assert_non_null(strstr(s, "[Données chiffrées]"));
	assert_null(strchr(s, '\x1f'));
	sqlite3_finalize(st);
	/* A snippet that starts at the first token starts with the marker: strip it. */
	test_insert(db, 2, "fr", "Titre", "Chevaux blancs et noirs dans la plaine de Camargue.");
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT snippet(t, 1, '[', ']', '...', 4) FROM t "
	    "WHERE t MATCH ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, test_query("fr", "cheval"), -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	s = (const char *)sqlite3_column_text(st, 0);
	assert_int_equal(analyze_marker_len(s, strlen(s)), strlen(analyze_marker("fr")));
	assert_string_equal(s + analyze_marker_len(s, strlen(s)), "[Chevaux] blancs et noirs...");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_fts5_no_marker_folded_only(void **state)
{
	sqlite3 *db = test_db();

	(void)state;
	test_fill(db);
	/* Row 3 has no marker: "Chevaux" is indexed as "chevaux", unstemmed, unaccented. */
	assert_string_equal(test_match(db, "\"chevaux\""), "3");
	assert_string_equal(test_match(db, test_query(NULL, "CHEVAUX")), "3");
	assert_string_equal(test_match(db, test_query("fr", "chevaux")), "1");
	assert_string_equal(test_match(db, test_query(NULL, "donnees")), "3");
	sqlite3_close(db);
}

/* "mot de passe" as a phrase meets "mots de passe", not "passe de mots". */
static void
test_fts5_phrase(void **state)
{
	sqlite3 *db = test_db();

	(void)state;
	test_fill(db);
	assert_string_equal(test_word("fr", "mot de passe"), "mot de pass");
	assert_string_equal(test_match(db, test_query("fr", "mot de passe")), "4");
	assert_string_equal(test_match(db, test_query("fr", "mots de passe")), "4");
	assert_string_equal(test_match(db, test_query("fr", "MOTS DE PASSE")), "4");
	/* An elided article inside a phrase is dropped on both sides. */
	assert_string_equal(test_match(db, test_query("fr", "titre à l'envers")), "5");
	assert_string_equal(test_match(db, test_query("en", "reset passwords")), "2");
	assert_string_equal(test_match(db, test_query("en", "passwords reset")), "");
	sqlite3_close(db);
}

/* Throughput of the document pipeline on ~10 MB of French and English; printed, not checked. */
static int
test_count(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	size_t *n = ctx;

	(void)tok;
	(void)toklen;
	(void)start;
	(void)end;
	(*n)++;
	return 0;
}

static double
test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_throughput(void **state)
{
	static const char *const fr = "Les données personnelles des utilisateurs sont chiffrées "
	    "avant d'être enregistrées ; l'administrateur peut réinitialiser les mots de passe, "
	    "changer les rôles et consulter le journal d'audit. Aujourd'hui, les sauvegardes "
	    "nocturnes s'exécutent automatiquement à deux heures. ";
	static const char *const en = "The administrator can reset passwords, change roles and "
	    "review the audit log; personal data is encrypted before it is stored. Nightly "
	    "backups are running automatically at two o'clock, and restores are tested weekly. ";
	const size_t chunk = 64 * 1024, total = 10 * 1024 * 1024;
	size_t frl = strlen(fr), enl = strlen(en), len = 0, tokens = 0, fold_tokens = 0;
	char *text = malloc(total + 512), out[64];
	double t0, t1, t2, t3;

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; len < total; i++) {
		const char *p = i % 2 ? en : fr;
		size_t pl = i % 2 ? enl : frl;

		memcpy(text + len, p, pl);
		len += pl;
		len += (size_t)snprintf(text + len, 32, "ref%u ", i);
	}
	t0 = test_now();
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		assert_int_equal(analyze_text((off / chunk) % 2 ? "en" : "fr", text + off, n,
		    test_count, &tokens), 0);
	}
	t1 = test_now();
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		assert_int_equal(analyze_text(NULL, text + off, n, test_count, &fold_tokens), 0);
	}
	t2 = test_now();
	print_message("tokenizer: %.1f MB in %.3f s: %.1f MB/s stemmed (%zu tokens), "
	    "%.1f MB/s folded only\n", (double)len / 1e6, t1 - t0,
	    (double)len / 1e6 / (t1 - t0), tokens, (double)len / 1e6 / (t2 - t1));
	assert_int_equal(tokens, fold_tokens);

	/* Per-thread stemmers against one sb_stemmer_new per call. */
	t2 = test_now();
	for (int i = 0; i < 20000; i++)
		assert_true(analyze_word("fr", "chevaux", 7, out, sizeof(out)) > 0);
	t3 = test_now();
	print_message("analyze_word: %.2f us per word with the thread's stemmer\n",
	    (t3 - t2) / 20000 * 1e6);
	t2 = test_now();
	for (int i = 0; i < 20000; i++) {
		struct sb_stemmer *st = sb_stemmer_new("french", "UTF_8");

		assert_non_null(st);
		sb_stemmer_stem(st, (const sb_symbol *)"chevaux", 7);
		sb_stemmer_delete(st);
	}
	t3 = test_now();
	print_message("sb_stemmer_new + stem + delete: %.2f us per word\n",
	    (t3 - t2) / 20000 * 1e6);

	/* Indexing through FTS5, 2 MB of it. */
	{
		sqlite3 *db = test_db();
		sqlite3_stmt *st;
		size_t done = 0, part = 4096;
		char *doc = malloc(part + ANALYZE_MARKER_MAX + 1);

		assert_non_null(doc);
		assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(title, body) "
		    "VALUES ('', ?1)", -1, &st, NULL), SQLITE_OK);
		t2 = test_now();
		for (size_t off = 0; off + part <= len && done < 2 * 1024 * 1024; off += part) {
			const char *m = analyze_marker((off / part) % 2 ? "en" : "fr");
			size_t ml = strlen(m), k = part;

			/* Whole UTF-8 sequences only. */
			while (k > 0 && ((unsigned char)text[off + k] & 0xc0) == 0x80)
				k--;
			memcpy(doc, m, ml);
			memcpy(doc + ml, text + off, k);
			sqlite3_bind_text(st, 1, doc, (int)(ml + k), SQLITE_STATIC);
			assert_int_equal(sqlite3_step(st), SQLITE_DONE);
			sqlite3_reset(st);
			done += k;
		}
		assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
		t3 = test_now();
		print_message("FTS5 indexing (in memory): %.1f MB/s\n",
		    (double)done / 1e6 / (t3 - t2));
		sqlite3_finalize(st);
		free(doc);
		sqlite3_close(db);
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_latin_accents),
		cmocka_unit_test(test_fold_greek_cyrillic),
		cmocka_unit_test(test_fold_is_idempotent),
		cmocka_unit_test(test_stem_french_pairs),
		cmocka_unit_test(test_stem_english_pairs),
		cmocka_unit_test(test_accents_meet),
		cmocka_unit_test(test_elision),
		cmocka_unit_test(test_stop_words),
		cmocka_unit_test(test_digits_and_mixed_scripts),
		cmocka_unit_test(test_long_token_truncated),
		cmocka_unit_test(test_invalid_utf8_separates),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_all_languages),
		cmocka_unit_test(test_guess_language),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fts5_stemmed_match),
		cmocka_unit_test(test_fts5_query_not_stemmed),
		cmocka_unit_test(test_fts5_highlight_offsets),
		cmocka_unit_test(test_fts5_snippet),
		cmocka_unit_test(test_fts5_no_marker_folded_only),
		cmocka_unit_test(test_fts5_phrase),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
