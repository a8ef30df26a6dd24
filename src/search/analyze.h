/*
 * analyze.h: the text analysis shared by the index and the queries. Words are runs of Unicode
 * letters, marks and digits (apostrophes, punctuation and invalid UTF-8 separate them; each Han,
 * Hiragana or Katakana character is a word of its own); the French elided articles (l', d', qu',
 * jusqu'...) are dropped in every language, so that a query in one meets documents in another;
 * every word is case folded, stripped of Latin and Greek accents, THEN stemmed by the Snowball
 * stemmer of its language, so that "données", "donnee" and "DONNÉES" meet. Stop words stay in
 * the index (phrases must match). A token is at most ANALYZE_TOKEN_MAX bytes: longer words are
 * cut at a code point boundary (their offsets still span the whole word). Changing libstemmer or
 * these rules changes tokens: the indexes must then be rebuilt.
 *
 * The FTS5 tokenizer reads the language of a column from a marker at the start of its text
 * (analyze_marker); in query mode it passes analyze_word's terms through unchanged (no stemming).
 */
#ifndef COFFRE_SEARCH_ANALYZE_H
#define COFFRE_SEARCH_ANALYZE_H

#include <stddef.h>
#include <sqlite3.h>

#define ANALYZE_TOKEN_MAX 64            /* bytes of one token, after folding and stemming */
#define ANALYZE_TOKENIZER "coffre"      /* the FTS5 tokenizer name */
#define ANALYZE_MARKER_MAX 10           /* bytes of a language marker, "\x1flang=xxx\x1f" */
#define ANALYZE_GUESS_MAX 65536         /* bytes analyze_guess_language looks at */

/*
 * Registers the "coffre" FTS5 tokenizer on db (through the fts5_api pointer of SELECT fts5(?1)).
 * Call once per connection, before using tables made with tokenize='coffre'. 0 or ERR_INTERNAL.
 */
int analyze_register(sqlite3 *db);
/*
 * The marker to put before each column's text of a document in language lang (ISO 639-1, case
 * and a region suffix such as "-CA" ignored): a static string, "" for an unknown language.
 */
const char *analyze_marker(const char *lang);
/* The length of the marker text starts with (0 when none): strip it from highlight()/snippet(). */
size_t analyze_marker_len(const char *text, size_t len);
/* 1 when coffre can stem this language. */
int analyze_has_stemmer(const char *lang);
/*
 * Analyzes words typed by a user in language lang (NULL or unknown: fold only): folded,
 * unaccented, stemmed into out, NUL-terminated. When word holds several tokens ("aujourd'hui",
 * "e-mail") they are separated by one space; quote the whole result as one FTS5 string (a phrase).
 * Returns the length, 0 when nothing remains (separators, an elided article), ERR_INVALID without
 * room for the NUL; never ERR_TOOBIG: tokens that do not fit are left out. ERR_NOMEM.
 */
int analyze_word(const char *lang, const char *word, size_t len, char *out, size_t outsz);
/* As analyze_word without stemming (fold, accents, elision), for prefix queries. */
int analyze_fold(const char *word, size_t len, char *out, size_t outsz);
/* 1 when the folded word (analyze_fold's output, NUL-terminated) is a stop word of lang (fr, en;
 * 0 for other languages). */
int analyze_is_stop(const char *lang, const char *folded);
/*
 * Calls fn for each token of text as the document tokenizer does, in language lang unless text
 * starts with a marker: token bytes (not NUL-terminated), start and end byte offsets into text.
 * Returns 0, ERR_INVALID (no fn), ERR_NOMEM, or the first non-zero value fn returns (which
 * stops the walk).
 */
int analyze_text(const char *lang, const char *text, size_t len,
    int (*fn)(void *ctx, const char *tok, size_t toklen, size_t start, size_t end), void *ctx);
/* As analyze_text on text without a marker, without stemming: the same tokens at the same
 * offsets, folded only (the stemmer never splits or drops a word); cheaper, for highlighting. */
int analyze_spans(const char *lang, const char *text, size_t len,
    int (*fn)(void *ctx, const char *tok, size_t toklen, size_t start, size_t end), void *ctx);
/* A guess of the language of a short text (its first ANALYZE_GUESS_MAX bytes) between fr and en,
 * from stop words and French accents; "en" when unsure. A static string. */
const char *analyze_guess_language(const char *text, size_t len);

#endif
