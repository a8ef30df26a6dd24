/*
 * Text analysis: the first byte picks a language (or none), the rest is text. Tokens must lie
 * within the text, in order, without overlap, at most ANALYZE_TOKEN_MAX bytes of valid UTF-8,
 * and be fixed points of analyze_fold (the query tokenizer folds them again).
 */
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "fuzz.h"
#include "search/analyze.h"

static const char *const fuzz_langs[] = {
	"fr", "en", "de", "es", "it", "pt", "nl", "sv", "no", "da", "fi", "ru", "hu", "ro", "tr",
	"ar", "el", "ga", "hi", "hy", "id", "lt", "ne", "sr", "ta", "ca", "eu", "yi", "ja", NULL,
};
#define FUZZ_NLANGS (sizeof(fuzz_langs) / sizeof(fuzz_langs[0]))

struct fuzz_walk {
	size_t len, last_end, n;
	const char *lang;
};

static int
fuzz_check_token(void *ctx, const char *tok, size_t toklen, size_t start, size_t end)
{
	struct fuzz_walk *w = ctx;
	char again[ANALYZE_TOKEN_MAX + 1];

	if (toklen == 0 || toklen > ANALYZE_TOKEN_MAX || start >= end || end > w->len ||
	    start < w->last_end)
		abort();
	if (utf8_check(tok, toklen, 0, NULL) != 0 || memchr(tok, ' ', toklen) != NULL)
		abort();
	if (analyze_fold(tok, toklen, again, sizeof(again)) != (int)toklen ||
	    memcmp(again, tok, toklen) != 0)
		abort();
	analyze_is_stop(w->lang, again);
	w->last_end = end;
	w->n++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_walk w = { 0, 0, 0, NULL };
	const char *text = (const char *)data + 1;
	char out[256], small[8];
	int n;

	if (size == 0)
		return 0;
	w.lang = fuzz_langs[data[0] % FUZZ_NLANGS];
	w.len = size - 1;
	if (analyze_text(w.lang, text, w.len, fuzz_check_token, &w) != 0)
		abort();
	n = analyze_word(w.lang, text, w.len, out, sizeof(out));
	if (n < 0 || (size_t)n >= sizeof(out) || strlen(out) != (size_t)n ||
	    utf8_check(out, (size_t)n, 0, NULL) != 0)
		abort();
	n = analyze_word(w.lang, text, w.len, small, sizeof(small));
	if (n < 0 || (size_t)n >= sizeof(small) || strlen(small) != (size_t)n)
		abort();
	n = analyze_fold(text, w.len, out, sizeof(out));
	if (n < 0 || (size_t)n >= sizeof(out) || strlen(out) != (size_t)n)
		abort();
	/* The folded terms are a fixed point. */
	{
		char again[256];

		if (analyze_fold(out, (size_t)n, again, sizeof(again)) != n ||
		    strcmp(out, again) != 0)
			abort();
	}
	analyze_guess_language(text, w.len);
	analyze_marker_len(text, w.len);
	return 0;
}
