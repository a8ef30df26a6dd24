#include "common/jsonx.h"

#include <stdio.h>
#include <string.h>

int
jsonx_depth(const char *buf, size_t len, int max_depth)
{
	int depth = 0, deepest = 0, in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_string = 1;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				return -1;
			if (depth > deepest)
				deepest = depth;
			break;
		case ']':
		case '}':
			depth--;
			break;
		default:
			break;
		}
	}
	return deepest;
}

json_t *
jsonx_parse(const char *buf, size_t len, int max_depth, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *v;

	if (jsonx_depth(buf, len, max_depth) < 0) {
		snprintf(why, whylen, "JSON nested deeper than %d levels", max_depth);
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		/* jansson appends "near '<token>'": input, maybe a password. Cut it off. */
		char *near = strstr(jerr.text, " near ");
		if (near != NULL)
			*near = '\0';
		snprintf(why, whylen, "malformed JSON at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	return v;
}

char *
jsonx_dump(const json_t *v, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}
