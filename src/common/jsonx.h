/* jsonx.h: JSON parsing with hard limits, on top of jansson. */
#ifndef COFFRE_JSONX_H
#define COFFRE_JSONX_H

#include <jansson.h>
#include <stddef.h>

/*
 * Returns the deepest nesting of arrays/objects in buf, or -1 when it passes max_depth
 * (the scan stops there, so cost is bounded by len). Strings are skipped correctly.
 */
int jsonx_depth(const char *buf, size_t len, int max_depth);

/*
 * Parses one JSON document of len bytes: depth bounded, duplicate keys and NUL refused.
 * On failure returns NULL and writes a short reason to why (no input bytes quoted).
 */
json_t *jsonx_parse(const char *buf, size_t len, int max_depth, char *why, size_t whylen);

/* Serialises compactly; the caller frees the result with free(). */
char *jsonx_dump(const json_t *v, size_t *len);

#endif
