/*
 * diff.h: a line diff between two versions of a document, shaped like `diff -u`. Lines end
 * at "\n" or "\r\n" (so CRLF and LF texts compare equal; a lone "\r" is text), and a text
 * that does not end with a newline reads as if it did: "a\nb" and "a\nb\r\n" are equal.
 */
#ifndef COFFRE_KB_DIFF_H
#define COFFRE_KB_DIFF_H

#include <jansson.h>

#define DIFF_MAX_LINES 50000            /* per side; more: ERR_TOOBIG */
#define DIFF_MAX_BYTES (2 * 1024 * 1024)/* per side */
#define DIFF_CONTEXT 3

/*
 * Line diff of a (old) and b (new), NUL-terminated UTF-8 texts, as a new JSON object:
 * {"hunks": [{"old_start": 1-based, "old_lines": n, "new_start": 1-based, "new_lines": n,
 *             "lines": [{"op": " "|"-"|"+", "text": "line without its line end"}...]}...],
 *  "added": N, "removed": M, "unchanged": K}
 * Hunks carry DIFF_CONTEXT lines of context and are merged when their contexts touch or
 * overlap, as `diff -u` does; a start whose line count is 0 is the line after which the
 * lines go (0: before the first), also as `diff -u`. Applying the hunks to a always yields b;
 * the diff is minimal unless the texts differ in very many places, where the search settles
 * for a near cut or replaces a part whole to bound time (a few tenths of a second) and
 * memory (4 MB besides the result). "unchanged" counts the lines in both. Returns NULL with
 * *err (when err is not NULL) ERR_TOOBIG beyond the limits, ERR_INVALID for NULL or invalid
 * UTF-8, or ERR_NOMEM; the caller frees the result with json_decref().
 */
json_t *diff_lines(const char *a, const char *b, int *err);

#endif
