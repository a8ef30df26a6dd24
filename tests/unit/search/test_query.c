#include "../test.h"

#include <sqlite3.h>

#include "common/err.h"
#include "search/analyze.h"
#include "search/query.c"          /* query_tokens, query_put_string */

/*
 * Every expression a test produces runs on two in-memory FTS5 tables: t with the default
 * tokenizer (rows written as already analyzed tokens) and c with coffre's tokenizer (rows
 * written as people write, behind a language marker), as the search index will be.
 */
static sqlite3 *db;
static sqlite3_stmt *count_t, *count_c, *best_c;
static struct query_parsed parsed;

static const char *rows_t[][2] = {
	{ "reset", "password reset" },
	{ "linux", "password linux kernel" },
	{ "kernel", "linux kernel" },
	{ "mot", "mot de pass oubli" },
	{ "windows", "window server password" },
};

/* rowid, language, title, body */
static const struct {
	int id;
	const char *lang, *title, *body;
} rows_c[] = {
	{ 1, "fr", "Changer son mot de passe",
	  "Pour réinitialiser votre mot de passe, ouvrez les paramètres du compte." },
	{ 2, "en", "Reset your password",
	  "How to reset a forgotten password from the account settings." },
	{ 3, "en", "Linux kernel", "Building the Linux kernel from source." },
	{ 4, "fr", "Les chevaux", "Le cheval mange du foin; les données du haras." },
	{ 5, "en", "Applications", "Deploying applications on Windows servers." },
	{ 6, "fr", "Courrier", "Configurer l'e-mail et le serveur de messagerie." },
};

static int
setup_db(void **state)
{
	sqlite3_stmt *ins = NULL;
	char title[200], body[300];
	int rc = -1;

	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || analyze_register(db) != 0 ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body);"
	    "CREATE VIRTUAL TABLE c USING fts5(title, body, tokenize='coffre')", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "INSERT INTO t(title, body) VALUES (?, ?)", -1, &ins,
	    NULL) != SQLITE_OK)
		return -1;
	for (size_t i = 0; i < sizeof(rows_t) / sizeof(rows_t[0]); i++) {
		sqlite3_bind_text(ins, 1, rows_t[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, rows_t[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	if (sqlite3_prepare_v2(db, "INSERT INTO c(rowid, title, body) VALUES (?, ?, ?)", -1, &ins,
	    NULL) != SQLITE_OK)
		return -1;
	for (size_t i = 0; i < sizeof(rows_c) / sizeof(rows_c[0]); i++) {
		snprintf(title, sizeof(title), "%s%s", analyze_marker(rows_c[i].lang),
		    rows_c[i].title);
		snprintf(body, sizeof(body), "%s%s", analyze_marker(rows_c[i].lang), rows_c[i].body);
		sqlite3_bind_int(ins, 1, rows_c[i].id);
		sqlite3_bind_text(ins, 2, title, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, body, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
	}
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?", -1, &count_t,
	    NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM c WHERE c MATCH ?", -1, &count_c,
	    NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT rowid FROM c WHERE c MATCH ? ORDER BY bm25(c, 2.0, 1.0)"
	    " LIMIT 1", -1, &best_c, NULL) == SQLITE_OK)
		rc = 0;
out:
	sqlite3_finalize(ins);
	return rc;
}

static int
teardown_db(void **state)
{
	(void)state;
	sqlite3_finalize(count_t);
	sqlite3_finalize(count_c);
	sqlite3_finalize(best_c);
	sqlite3_close(db);
	return 0;
}

/* The first column of the first row of stmt for expr; fails the test on any FTS5 error. */
static int
fts_run(sqlite3_stmt *stmt, const char *expr)
{
	int rc, n = 0;

	sqlite3_reset(stmt);
	sqlite3_bind_text(stmt, 1, expr, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		print_error("FTS5 refused [%s]: %s\n", expr, sqlite3_errmsg(db));
	assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

/* Rows of t, of c, and the best row of c (0: none) matching expr. */
static int
count_plain(const char *expr)
{
	return fts_run(count_t, expr);
}

static int
count_coffre(const char *expr)
{
	return fts_run(count_c, expr);
}

static int
best_coffre(const char *expr)
{
	return fts_run(best_c, expr);
}

/*
 * Outside its double-quoted strings, expr holds only ( ) * spaces and OR AND NOT, every
 * string is closed and non-empty, and every * follows a string: no column filter, NEAR, ^ or
 * bare word can come from the user.
 */
static int
expr_is_safe(const char *e)
{
	const char *start = e;

	while (*e != '\0') {
		if (*e == '"') {
			const char *s = ++e;

			for (;; e++) {
				if (*e == '\0')
					return 0;
				if (*e == '"' && e[1] == '"')
					e++;
				else if (*e == '"')
					break;
			}
			if (e++ == s)
				return 0;
		} else if (*e == '*') {
			if (e - start < 2 || e[-1] != ' ' || e[-2] != '"')
				return 0;
			e++;
		} else if (*e == '(' || *e == ')' || *e == ' ')
			e++;
		else if (strncmp(e, "OR ", 3) == 0)
			e += 3;
		else if (strncmp(e, "AND ", 4) == 0 || strncmp(e, "NOT ", 4) == 0)
			e += 4;
		else
			return 0;
	}
	return 1;
}

/* Parses q (NUL-terminated); the expression must be safe and accepted by both tables. */
static const char *
parse(const char *q, const char *lang)
{
	assert_int_equal(query_parse(q, strlen(q), lang, &parsed), 0);
	if (!expr_is_safe(parsed.expr))
		print_error("unsafe expression for [%s]: [%s]\n", q, parsed.expr);
	assert_true(expr_is_safe(parsed.expr));
	assert_true(parsed.expr[0] != '\0' || parsed.nterms == 0);
	if (parsed.expr[0] != '\0') {
		count_plain(parsed.expr);
		count_coffre(parsed.expr);
	}
	return parsed.expr;
}

static int
has_term(const char *t)
{
	for (int i = 0; i < parsed.nterms; i++)
		if (strcmp(parsed.terms[i], t) == 0)
			return 1;
	return 0;
}

/* What the analyzer makes of w in lang, for expectations that are the stemmer's business. */
static const char *
stem(const char *lang, const char *w, char *buf)
{
	int n = analyze_word(lang, w, strlen(w), buf, ANALYZE_TOKEN_MAX + 1);

	assert_in_range(n, 1, ANALYZE_TOKEN_MAX);
	return buf;
}

static void
test_words_are_or_ranked(void **state)
{
	(void)state;
	assert_string_equal(parse("password reset", "en"), "\"password\" OR \"reset\"");
	assert_int_equal(parsed.nterms, 2);
	assert_string_equal(parsed.lang, "en");
	assert_true(has_term("password") && has_term("reset"));
	assert_int_equal(count_plain(parsed.expr), 3);
	/* The document with both words ranks first. */
	assert_int_equal(best_coffre(parsed.expr), 2);
	/* Repeats weigh again (query term frequency), but are one term. */
	assert_string_equal(parse("linux linux LINUX", "en"),
	    "\"linux\" OR \"linux\" OR \"linux\"");
	assert_int_equal(parsed.nterms, 1);
}

static void
test_natural_question_fr_drops_stop_words(void **state)
{
	char a[ANALYZE_TOKEN_MAX + 1];

	(void)state;
	parse("comment changer mon mot de passe ?", "fr");
	assert_string_equal(parsed.lang, "fr");
	assert_int_equal(parsed.nterms, 3);
	assert_true(has_term(stem("fr", "changer", a)));
	assert_true(has_term(stem("fr", "mot", a)));
	assert_true(has_term(stem("fr", "passe", a)));
	assert_false(has_term("comment") || has_term("mon") || has_term("de"));
	assert_null(strstr(parsed.expr, "\"mon\""));
	assert_null(strstr(parsed.expr, "\"de\""));
	/* "changer" is not in the document that answers: it is found, and first. */
	assert_int_equal(best_coffre(parsed.expr), 1);
	/* The language is guessed without being given. */
	parse("comment changer mon mot de passe ?", NULL);
	assert_string_equal(parsed.lang, "fr");
	assert_int_equal(parsed.nterms, 3);
	assert_int_equal(best_coffre(parsed.expr), 1);
	parse("Où sont les données des chevaux ?", NULL);
	assert_string_equal(parsed.lang, "fr");
	assert_int_equal(best_coffre(parsed.expr), 4);
}

static void
test_natural_question_en_drops_stop_words(void **state)
{
	(void)state;
	assert_string_equal(parse("how do I reset my password", "en"),
	    "\"reset\" OR \"password\"");
	assert_int_equal(parsed.nterms, 2);
	assert_int_equal(count_plain(parsed.expr), 3);
	assert_int_equal(best_coffre(parsed.expr), 2);
	parse("How do I reset my password?", NULL);
	assert_string_equal(parsed.lang, "en");
	assert_int_equal(parsed.nterms, 2);
	/* "building" meets "Building" through the stemmer, stop words do not count. */
	parse("where is the guide for building a kernel", NULL);
	assert_int_equal(best_coffre(parsed.expr), 3);
}

static void
test_only_stop_words_are_kept(void **state)
{
	(void)state;
	/* Nothing else left: the stop words are the query. */
	assert_string_equal(parse("to be or not to be", "en"),
	    "\"to\" OR \"be\" OR \"or\" OR \"not\" OR \"to\" OR \"be\"");
	assert_int_equal(parsed.nterms, 4);
	/* "les" folds and stems to "le": the repeat weighs again. */
	assert_string_equal(parse("le la les", "fr"), "\"le\" OR \"la\" OR \"le\"");
	assert_true(count_coffre(parsed.expr) >= 2);
	assert_string_equal(parse("the -linux", "en"), "(\"the\") NOT (\"linux\")");
	assert_int_equal(parsed.only_exclusions, 0);
}

static void
test_phrases(void **state)
{
	(void)state;
	/* Words analyzed one by one, stop words kept, one language. */
	assert_string_equal(parse("\"reset the password\"", "en"), "\"reset the password\"");
	assert_int_equal(parsed.nterms, 3);
	assert_string_equal(parse("\"Linux  KERNEL\" password", "en"),
	    "\"linux kernel\" OR \"password\"");
	assert_int_equal(count_plain(parsed.expr), 4);
	assert_int_equal(count_plain("\"linux kernel\""), 2);
	assert_string_equal(parse("\"mot de passe\"", "fr"), "\"mot de pass\"");
	assert_int_equal(count_coffre(parsed.expr), 1);
	assert_int_equal(count_coffre(parse("\"passe de mot\"", "fr")), 0);
	/* An unclosed quote runs to the end; one quoted word is kept even if a stop word. */
	assert_string_equal(parse("password \"linux kernel", "en"),
	    "\"password\" OR \"linux kernel\"");
	assert_string_equal(parse("\"the\"", "en"), "\"the\"");
	assert_string_equal(parse("\"a\"\"b\"", "en"), "\"a\" OR \"b\"");
	assert_string_equal(parse("\"linux kernel\"*", "en"), "\"linux kernel\"");
	/* What the analyzer splits is a phrase too. */
	assert_string_equal(parse("e-mail", "fr"), "\"e mail\"");
	assert_int_equal(count_coffre(parsed.expr), 1);
	assert_string_equal(parse("li*nux", "en"), "\"li nux\"");
	/* Elided articles are gone, not phrased. */
	assert_string_equal(parse("l'e-mail", "fr"), "\"e mail\"");
	assert_string_equal(parse("qu'il", "fr"), "\"il\"");
}

static void
test_prefixes(void **state)
{
	(void)state;
	assert_string_equal(parse("pass*", "en"), "\"pass\" *");
	assert_int_equal(count_plain(parsed.expr), 4);
	assert_int_equal(count_coffre(parsed.expr), 2);
	/* Folded but not stemmed. */
	assert_string_equal(parse("Configurations*", "en"), "\"configurations\" *");
	assert_string_equal(parse("Paramè*", "fr"), "\"parame\" *");
	assert_int_equal(count_coffre(parsed.expr), 1);
	/* Fewer than 2 characters before '*': an ordinary word. */
	assert_string_equal(parse("x*", "en"), "\"x\"");
	assert_string_equal(parse("é*", "fr"), "\"e\"");
	/* Stop words make fine prefixes; extra stars are one, a leading star is nothing. */
	assert_string_equal(parse("the* linux**", "en"), "\"the\" * OR \"linux\" *");
	assert_string_equal(parse("*linux", "en"), "\"linux\"");
	assert_string_equal(parse("OR*", "en"), "\"or\" *");
	/* A split word's prefix is a phrase ending with a prefix. */
	assert_string_equal(parse("e-ma*", "fr"), "\"e ma\" *");
	assert_int_equal(count_coffre(parsed.expr), 1);
}

static void
test_exclusions_hold(void **state)
{
	char q[600] = "";

	(void)state;
	assert_string_equal(parse("password -linux", "en"), "(\"password\") NOT (\"linux\")");
	assert_int_equal(parsed.nterms, 1);
	assert_int_equal(count_plain(parsed.expr), 2);
	assert_string_equal(parse("password -\"linux kernel\" -reset", "en"),
	    "(\"password\") NOT (\"linux kernel\" OR \"reset\")");
	assert_int_equal(count_plain(parsed.expr), 1);
	assert_string_equal(parse("password -lin*", "en"), "(\"password\") NOT (\"lin\" *)");
	assert_int_equal(count_plain(parsed.expr), 2);
	/* In the real index: the French document is excluded by its own words. */
	parse("mot de passe -paramètres", "fr");
	assert_int_equal(count_coffre(parsed.expr), 0);
	parse("password -forgotten", "en");
	assert_int_equal(count_coffre(parsed.expr), 0);
	parse("password mot -forgotten", NULL);
	assert_int_equal(best_coffre(parsed.expr), 1);
	/* Excluded stop words are excluded: the user asked. */
	assert_string_equal(parse("linux -the", "en"), "(\"linux\") NOT (\"the\")");
	assert_int_equal(count_coffre(parsed.expr), 0);
	/* An exclusion joins no AND and survives QUERY_MAX_TERMS words before it. */
	assert_string_equal(parse("reset AND -linux password", "en"),
	    "(\"reset\" AND \"password\") NOT (\"linux\")");
	for (int i = 0; i < 40; i++)
		sprintf(q + strlen(q), "w%d ", i);
	strcat(q, "-linux");
	parse(q, "en");
	assert_int_equal(parsed.nterms, QUERY_MAX_TERMS);
	assert_non_null(strstr(parsed.expr, ") NOT (\"linux\")"));
}

static void
test_only_exclusions_match_nothing(void **state)
{
	(void)state;
	assert_string_equal(parse("-linux -\"windows server\"", "en"), "");
	assert_int_equal(parsed.only_exclusions, 1);
	assert_int_equal(parsed.nterms, 0);
	assert_string_equal(parse("-linux* -the -OR", "en"), "");
	assert_int_equal(parsed.only_exclusions, 1);
	/* Nothing typed, or nothing searchable, is not "only exclusions". */
	assert_string_equal(parse("", "en"), "");
	assert_int_equal(parsed.only_exclusions, 0);
	assert_string_equal(parse("-🔥 ?!", "en"), "");
	assert_int_equal(parsed.only_exclusions, 0);
	assert_int_equal(query_parse(NULL, 0, "en", &parsed), 0);
	assert_string_equal(parsed.expr, "");
}

static void
test_dash_excludes_only_at_item_start(void **state)
{
	(void)state;
	assert_string_equal(parse("--linux", "en"), "\"linux\"");
	assert_string_equal(parse("- linux", "en"), "\"linux\"");
	assert_string_equal(parse("linux-", "en"), "\"linux\"");
	assert_string_equal(parse("linux*-kernel", "en"), "\"linux kernel\"");
	assert_string_equal(parse("\"reset\"-linux", "en"), "\"reset\" OR \"linux\"");
	assert_string_equal(parse("reset (-linux)", "en"), "\"reset\" OR \"linux\"");
	assert_string_equal(parse("reset\t-linux", "en"), "(\"reset\") NOT (\"linux\")");
	assert_string_equal(parse("reset -e-mail", "fr"), "(\"reset\") NOT (\"e mail\")");
	assert_string_equal(parse("reset -\"", "en"), "\"reset\"");
}

static void
test_or_is_the_default(void **state)
{
	(void)state;
	assert_string_equal(parse("linux OR kernel", "en"), "\"linux\" OR \"kernel\"");
	assert_string_equal(parse("linux kernel", "en"), "\"linux\" OR \"kernel\"");
	assert_string_equal(parse("linux OR", "en"), "\"linux\"");
	assert_string_equal(parse("OR linux OR OR", "en"), "\"linux\"");
	assert_string_equal(parse("(linux OR kernel)", "en"), "\"linux\" OR \"kernel\"");
	/* Lower case is a word (here a stop word). */
	assert_string_equal(parse("linux or kernel", "en"), "\"linux\" OR \"kernel\"");
	/* Operators joining nothing are words of last resort. */
	assert_string_equal(parse("OR", "en"), "\"or\"");
	assert_string_equal(parse("AND", "en"), "\"and\"");
	assert_string_equal(parse("OR AND", "fr"), "\"or\" OR \"and\"");
	assert_string_equal(parse("linux -OR", "en"), "(\"linux\") NOT (\"or\")");
}

static void
test_and_requires_both_sides(void **state)
{
	(void)state;
	assert_string_equal(parse("linux AND kernel", "en"), "\"linux\" AND \"kernel\"");
	assert_int_equal(count_plain(parsed.expr), 2);
	assert_string_equal(parse("password AND kernel", "en"), "\"password\" AND \"kernel\"");
	assert_int_equal(count_plain(parsed.expr), 1);
	assert_int_equal(count_coffre(parsed.expr), 0);
	/* AND binds tighter than the default OR, as in FTS5. */
	assert_string_equal(parse("reset linux AND kernel AND password mot", "en"),
	    "\"reset\" OR (\"linux\" AND \"kernel\" AND \"password\") OR \"mot\"");
	assert_int_equal(count_plain(parsed.expr), 3);
	/* Dropped stop words are transparent; an AND at either end joins nothing. */
	assert_string_equal(parse("linux AND the kernel", "en"), "\"linux\" AND \"kernel\"");
	assert_string_equal(parse("AND linux AND", "en"), "\"linux\"");
	assert_string_equal(parse("linux AND AND kernel", "en"), "\"linux\" AND \"kernel\"");
	assert_string_equal(parse("linux AND OR kernel", "en"), "\"linux\" AND \"kernel\"");
	assert_string_equal(parse("\"linux kernel\" AND pass*", "en"),
	    "\"linux kernel\" AND \"pass\" *");
	assert_string_equal(parse("linux and kernel", "en"), "\"linux\" OR \"kernel\"");
	/* A repeated word is kept: BM25 counts it again (the query's term frequency). */
	assert_string_equal(parse("linux linux AND kernel linux", "en"),
	    "\"linux\" OR (\"linux\" AND \"kernel\") OR \"linux\"");
}

static void
test_second_language_stem(void **state)
{
	char fr[ANALYZE_TOKEN_MAX + 1], en[ANALYZE_TOKEN_MAX + 1], want[300];

	(void)state;
	/* French and English stems of "application" differ: both are searched. */
	stem("fr", "application", fr);
	stem("en", "application", en);
	assert_string_not_equal(fr, en);
	snprintf(want, sizeof(want), "(\"%s\" OR \"%s\")", fr, en);
	assert_string_equal(parse("application", "fr"), want);
	assert_int_equal(parsed.nterms, 1);
	assert_string_equal(parsed.terms[0], fr);
	/* So a French query finds the English document, which its own stem alone misses. */
	assert_int_equal(best_coffre(parsed.expr), 5);
	snprintf(want, sizeof(want), "\"%s\"", fr);
	assert_int_equal(count_coffre(want), 0);
	snprintf(want, sizeof(want), "(\"%s\" OR \"%s\")", en, fr);
	assert_string_equal(parse("application", "en"), want);
	/* And a one-word query guessed wrong still finds its document. */
	parse("chevaux", NULL);
	assert_string_equal(parsed.lang, "en");
	assert_int_equal(best_coffre(parsed.expr), 4);
	/* An exclusion holds in both languages, stop word or not. */
	snprintf(want, sizeof(want), "(\"linux\") NOT ((\"%s\" OR \"%s\"))", fr, en);
	assert_string_equal(parse("linux -application", "fr"), want);
	/* A word that is a stop word of the other language gets no second stem. */
	parse("ours", "fr");
	assert_null(strstr(parsed.expr, " OR "));
	/* Same stem in both: written once. */
	assert_string_equal(parse("linux", "fr"), "\"linux\"");
	/* Other languages: their own stemmer, no second stem. */
	assert_string_equal(parse("Häuser", "de"), "\"haus\"");
	assert_string_equal(parse("linux", "fr-CA"), "\"linux\"");
	assert_string_equal(parsed.lang, "fr");
	assert_int_equal(query_parse("linux", 5, "EN", &parsed), 0);
	assert_string_equal(parsed.lang, "en");
	assert_int_equal(query_parse("linux", 5, "french", &parsed), ERR_INVALID);
	assert_int_equal(query_parse("linux", 5, "", &parsed), ERR_INVALID);
	assert_int_equal(query_parse("linux", 5, "f1", &parsed), ERR_INVALID);
}

static void
test_limits(void **state)
{
	char *q = malloc(10 * 1024 + 1);
	size_t n = 0;

	(void)state;
	assert_non_null(q);
	memset(q, 'a', 10 * 1024);
	assert_int_equal(query_parse(q, 10 * 1024, "en", &parsed), ERR_TOOBIG);
	assert_string_equal(parsed.expr, "");
	assert_int_equal(query_parse(q, QUERY_MAX_BYTES + 1, "en", &parsed), ERR_TOOBIG);
	/* A 4096-byte query of words: the first QUERY_MAX_TERMS are kept. */
	while (n + 8 <= QUERY_MAX_BYTES)
		n += (size_t)sprintf(q + n, "w%05zu ", n);
	memset(q + n, 'z', QUERY_MAX_BYTES - n);
	q[QUERY_MAX_BYTES] = '\0';
	assert_int_equal(strlen(q), QUERY_MAX_BYTES);
	parse(q, "en");
	assert_int_equal(parsed.nterms, QUERY_MAX_TERMS);
	assert_non_null(strstr(parsed.expr, "\"w00000\" OR \"w00007\""));
	/* The longest phrase is cut at QUERY_MAX_TERMS words. */
	q[0] = '"';
	parse(q, "en");
	assert_int_equal(parsed.nterms, QUERY_MAX_TERMS);
	/* One word of 4 kB: cut by the analyzer. */
	memset(q, 'x', QUERY_MAX_BYTES);
	parse(q, "en");
	assert_int_equal(parsed.nterms, 1);
	assert_int_equal(strlen(parsed.terms[0]), ANALYZE_TOKEN_MAX);
	/* 4 kB of one-letter words joined by hyphens: one phrase, cut. */
	for (n = 0; n < QUERY_MAX_BYTES; n += 2)
		memcpy(q + n, "x-", 2);
	parse(q, "en");
	assert_int_equal(parsed.nterms, 1);
	assert_int_equal(strlen(parsed.expr), 2 + 2 * QUERY_MAX_TERMS - 1);
	/* Exclusions are never dropped silently: too many is refused. */
	n = 0;
	for (int i = 0; i < QUERY_MAX_EXCLUDED; i++)
		n += (size_t)sprintf(q + n, "-x%d ", i);
	strcpy(q + n, "linux");
	parse(q, "en");
	assert_int_equal(parsed.nterms, 1);
	strcpy(q + n, "-\"one more\" linux");
	assert_int_equal(query_parse(q, strlen(q), "en", &parsed), ERR_TOOBIG);
	assert_string_equal(parsed.expr, "");
	free(q);
}

static void
test_refuses_nul_and_invalid_utf8(void **state)
{
	static const char *bad[] = {
		"\xff", "caf\xc3", "\xc3\x28", "\x80linux", "\xc0\xaf", "\xe0\x80\xaf",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "linux \xc1\xa9",
	};

	(void)state;
	assert_int_equal(query_parse("linux\0-kernel", 13, "en", &parsed), ERR_INVALID);
	assert_int_equal(query_parse("\0", 1, NULL, &parsed), ERR_INVALID);
	assert_int_equal(query_parse("\"linux\0\"", 8, "en", &parsed), ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(query_parse(bad[i], strlen(bad[i]), "en", &parsed), ERR_INVALID);
		assert_string_equal(parsed.expr, "");
		assert_int_equal(query_parse(bad[i], strlen(bad[i]), NULL, &parsed), ERR_INVALID);
	}
	assert_int_equal(query_parse("linux", 5, "en", NULL), ERR_INVALID);
	assert_int_equal(query_parse(NULL, 3, "en", &parsed), ERR_INVALID);
	/* Other control characters separate words. */
	assert_string_equal(parse("linux\tkernel\r\n\x1b[0m", "en"),
	    "\"linux\" OR \"kernel\" OR \"0m\"");
}

static void
test_fts5_syntax_never_reaches_fts5(void **state)
{
	(void)state;
	assert_string_equal(parse("NEAR(linux kernel)", "en"), "\"near linux\" OR \"kernel\"");
	assert_string_equal(parse("NEAR(linux kernel, 2)", "en"),
	    "\"near linux\" OR \"kernel\" OR \"2\"");
	assert_string_equal(parse("title:secret", "en"), "\"titl secret\"");
	assert_int_equal(count_plain(parsed.expr), 0);
	assert_string_equal(parse("-title:linux reset", "en"),
	    "(\"reset\") NOT (\"titl linux\")");
	assert_string_equal(parse("{title body}:linux", "en"), "\"titl\" OR \"bodi linux\"");
	assert_string_equal(parse("^linux", "en"), "\"linux\"");
	assert_string_equal(parse("linux + kernel", "en"), "\"linux\" OR \"kernel\"");
	assert_string_equal(parse("linux NOT kernel", "fr"), "\"linux\" OR \"not\" OR \"kernel\"");
	assert_string_equal(parse("a\"\"\"b", "en"), "\"b\"");
	assert_string_equal(parse("\" OR 1=1 --", "en"), "\"or 1 1\"");
	assert_string_equal(parse("'; DROP TABLE t; --", "en"), "\"drop\" OR \"tabl\"");
	/* Quotes the analyzer keeps would be doubled; a fullwidth quote is not one. */
	assert_string_equal(parse("＂linux＂", "en"), "\"linux\"");
}

static void
test_hostile_inputs_are_valid_fts5(void **state)
{
	static const char *inputs[] = {
		"\"", "\"\"", "\"\"\"", "*", "-", "--x", "-\"", "-\"\"", "-*", "**", "a OR", "OR",
		"AND", "NOT", "OR OR OR", "AND OR NOT", "NEAR", "NEAR(a b)", "NEAR(a b, 10)",
		"title:secret", "{title body}:x", "-{title}:x", "^start", "a AND b", "a + b",
		"(a OR b)", ")(", "((((", "a:b:c", "\"a\" * \"b\"", "x\"*", "\"unclosed phrase*",
		"'; DROP TABLE t; --", "\" OR 1=1 --", "1' OR '1'='1", "'||(SELECT 1)||'",
		"\\\"escaped\\\"", "a\\", "%_%", "🔥🔥🔥", "🔥 fire -🔥", "👍🏽 ok",
		"東京タワー", "東京 タワー*", "中文搜索引擎", "한국어 검색",
		"cafe\xcc\x81 re\xcc\x81sume\xcc\x81", "Ame\xcc\x81lie*", "e\xcc\x81",
		"\xcc\x81\xcc\x81\xcc\x81", "\xcc\x81*", "ǅemal ŉ ß ﬁ ﬀ", "İstanbul ΣΊΣΥΦΟΣ",
		"Ⅻ ① ²", "l'été d’accès qu'il", "c’est-à-dire", "\xc2\xa0\xe2\x80\x8b\xef\xbb\xbf",
		"\xef\xbc\x82quoted\xef\xbc\x82", "ｔｉｔｌｅ：ｘ", "\xe2\x80\x9cquoted\xe2\x80\x9d",
		"a*b*c*", "-a* -\"b c\"* d", "x -", "x - y", "- -", "\"-x\"", "\"x\" -\"",
		"\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82\xe0\xa4\xa6",
		"\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9\xd8\x8c test",
		"\xe2\x80\xa8linux\xe2\x80\xa9", "AND -AND", "\"AND\" \"OR\" \"NOT\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		parse(inputs[i], "en");
		parse(inputs[i], "fr");
		parse(inputs[i], "de");
		parse(inputs[i], NULL);
		assert_null(strchr(parsed.expr, ':'));
		assert_null(strchr(parsed.expr, '^'));
		assert_null(strstr(parsed.expr, "NEAR"));
	}
	/* Emoji are nothing; CJK characters are words of one character, in a phrase. */
	assert_string_equal(parse("🔥🔥🔥", "en"), "");
	assert_string_equal(parse("🔥 kernel -🔥 linux", "en"), "\"kernel\" OR \"linux\"");
	assert_string_equal(parse("東京", "en"), "\"東 京\"");
	/* Combining accents are folded like precomposed ones. */
	{
		char pre[64];

		snprintf(pre, sizeof(pre), "%s", parse("résumé", "fr"));
		assert_string_equal(parse("re\xcc\x81sume\xcc\x81", "fr"), pre);
		assert_string_equal(pre, "\"resum\"");
	}
}

static void
test_random_inputs_are_valid_fts5(void **state)
{
	static const char alphabet[][5] = { "a", "B", "1", " ", "\"", "-", "*", "(", ")", ":",
		"^", "{", "}", "+", ",", "'", "\xc3\xa9", "\xcc\x81", "\xe6\x9d\xb1",
		"\xf0\x9f\x94\xa5", "OR", "AND", "NOT", "NEAR", "\t", "\\", "\xef\xbc\x82", "le",
		"the", "ab" };
	char q[400];
	unsigned seed = 7;

	(void)state;
	for (int round = 0; round < 5000; round++) {
		size_t n = 0;
		int parts = (int)(((seed = seed * 1103515245 + 12345) >> 16) % 24);

		for (int k = 0; k < parts; k++) {
			const char *a = alphabet[((seed = seed * 1103515245 + 12345) >> 16) %
			    (sizeof(alphabet) / sizeof(alphabet[0]))];

			memcpy(q + n, a, strlen(a));
			n += strlen(a);
		}
		q[n] = '\0';
		parse(q, round % 3 == 0 ? NULL : round % 3 == 1 ? "en" : "fr");
	}
}

/* Analyzer output is checked before it is used, and quoted whatever it holds. */
static void
test_analyzer_output_is_checked_and_quoted(void **state)
{
	static const char *bad[] = { " a", "a ", "a  b", " ", "\xc1\xa9", "a\x1b", "\xff" };
	char buf[QUERY_SCRATCH], expr[600];
	struct query_buf b = { expr, 0, sizeof(expr), 0 };

	(void)state;
	strcpy(buf, "abc");
	assert_int_equal(query_tokens(3, buf), 1);
	strcpy(buf, "a b \xc3\xa9");
	assert_int_equal(query_tokens((int)strlen(buf), buf), 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, bad[i]);
		assert_int_equal(query_tokens((int)strlen(buf), buf), -1);
	}
	assert_int_equal(query_tokens(0, buf), 0);
	assert_int_equal(query_tokens(3, memcpy(buf, "a\0b", 4)), -1);
	assert_int_equal(query_tokens(ERR_NOMEM, buf), -1);
	assert_int_equal(query_tokens(QUERY_SCRATCH, buf), -1);
	memset(buf, 'x', ANALYZE_TOKEN_MAX + 1);
	assert_int_equal(query_tokens(ANALYZE_TOKEN_MAX, buf), 1);
	assert_int_equal(query_tokens(ANALYZE_TOKEN_MAX + 1, buf), -1);
	/* A '"' inside a token is doubled: FTS5 reads one string. */
	query_put_string(&b, "a\"b\"\"c \"");
	assert_string_equal(expr, "\"a\"\"b\"\"\"\"c \"\"\"");
	assert_true(expr_is_safe(expr));
	assert_int_equal(count_plain(expr), 0);
	b.len = 0;
	memset(buf, '"', ANALYZE_TOKEN_MAX);
	buf[ANALYZE_TOKEN_MAX] = '\0';
	query_put_string(&b, buf);
	assert_int_equal(b.len, QUERY_ESC_MAX);
	assert_false(b.full);
	assert_int_equal(count_plain(expr), 0);
	/* The writer stops rather than overflow. */
	b.cap = 10;
	b.len = 0;
	query_put_string(&b, buf);
	assert_true(b.full);
	assert_true(b.len < 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_are_or_ranked),
		cmocka_unit_test(test_natural_question_fr_drops_stop_words),
		cmocka_unit_test(test_natural_question_en_drops_stop_words),
		cmocka_unit_test(test_only_stop_words_are_kept),
		cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_exclusions_hold),
		cmocka_unit_test(test_only_exclusions_match_nothing),
		cmocka_unit_test(test_dash_excludes_only_at_item_start),
		cmocka_unit_test(test_or_is_the_default),
		cmocka_unit_test(test_and_requires_both_sides),
		cmocka_unit_test(test_second_language_stem),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refuses_nul_and_invalid_utf8),
		cmocka_unit_test(test_fts5_syntax_never_reaches_fts5),
		cmocka_unit_test(test_hostile_inputs_are_valid_fts5),
		cmocka_unit_test(test_random_inputs_are_valid_fts5),
		cmocka_unit_test(test_analyzer_output_is_checked_and_quoted),
	};
	return cmocka_run_group_tests(tests, setup_db, teardown_db);
}
