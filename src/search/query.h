/*
 * query.h: what a user types in the search box, turned into a safe FTS5 MATCH expression.
 *
 * Items are separated by spaces and double quotes:
 *   word      analyze_word's tokens in the query's language; several tokens ("e-mail",
 *             "title:x", CJK) make a phrase. A single token is also searched stemmed in the
 *             other language of fr/en ("a" OR "b"); a stop word is dropped unless the query has
 *             nothing else, then all its stop words are the query
 *   word*     prefix: folded, not stemmed, at least 2 characters in its last token ("f" *)
 *   "a b c"   phrase: stemmed, stop words kept, one language; an unclosed quote runs to the end
 *   -item     exclusion of a word, prefix or phrase (stop words kept, both stems): the '-'
 *             follows a space or the start and touches the item, so "e-mail", "--x" and "- x"
 *             exclude nothing
 *   a OR b    same as "a b": every item is optional, BM25 ranks documents with more and rarer
 *             terms first
 *   a AND b   both required; binds tighter than OR, as in FTS5: x a AND b y = x OR (a AND b) OR y
 * AND and OR are operators in capitals only, joining the kept items on either side (dropped stop
 * words and exclusions in between do not count); an operator joining nothing is a word of last
 * resort. Exclusions apply to the whole query. Parentheses, NEAR, ':', '^', '+' and '{}' mean
 * nothing: user text reaches FTS5 only as analyzed tokens inside double-quoted strings.
 */
#ifndef COFFRE_QUERY_H
#define COFFRE_QUERY_H

#include <stddef.h>

#include "search/analyze.h"

#define QUERY_MAX_BYTES 4096          /* longer input is refused: ERR_TOOBIG */
#define QUERY_MAX_TERMS 32            /* further words are ignored */
#define QUERY_MAX_EXCLUDED 16         /* more excluded tokens is refused: ERR_TOOBIG */
#define QUERY_EXPR_MAX 16384

struct query_parsed {
	char expr[QUERY_EXPR_MAX];    /* FTS5 MATCH expression ("" when nothing to search) */
	int nterms;                   /* positive terms kept */
	int only_exclusions;          /* the user typed only -terms */
	char lang[3];                 /* the language used */
	/* the analyzed positive terms (a prefix as folded), for highlighting/explanations */
	char terms[QUERY_MAX_TERMS][ANALYZE_TOKEN_MAX + 1];
};

/* Parses q (UTF-8, len bytes) in lang ("fr", "en-GB"...; NULL: guessed) into *out, empty on error.
 * ERR_INVALID: bad UTF-8, a NUL, a bad lang; ERR_TOOBIG: over QUERY_MAX_BYTES or _EXCLUDED. */
int query_parse(const char *q, size_t len, const char *lang, struct query_parsed *out);

#endif
