#include "http/router.h"

#include <string.h>

#include "common/arena.h"
#include "common/err.h"

static const struct {
	enum http_method m;
	const char *name;
} http_methods[] = {
	{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" }, { HTTP_PUT, "PUT" },
	{ HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
};

const char *
http_method_name(enum http_method m)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (http_methods[i].m == m)
			return http_methods[i].name;
	return "OTHER";
}

enum http_method
http_method_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strcmp(http_methods[i].name, s) == 0)
			return http_methods[i].m;
	return HTTP_OTHER;
}

struct segs {
	const char *s[REQUEST_MAX_SEGMENTS];
	size_t len[REQUEST_MAX_SEGMENTS];
	int n;
};

/* Splits "/a/b/c" into segments; refuses empty, "." and ".." segments and control bytes. */
static int
router_split(const char *path, struct segs *out, int strict)
{
	const char *p = path;
	size_t total = strlen(path);

	out->n = 0;
	if (total == 0 || total > REQUEST_MAX_PATH || path[0] != '/')
		return ROUTER_BAD_PATH;
	for (size_t i = 0; i < total; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return ROUTER_BAD_PATH;
	if (total == 1)
		return 0;       /* "/" has no segments */
	while (*p == '/') {
		const char *start = ++p;
		while (*p != '\0' && *p != '/')
			p++;
		size_t len = (size_t)(p - start);
		if (len == 0 || (len == 1 && start[0] == '.') ||
		    (len == 2 && start[0] == '.' && start[1] == '.'))
			return ROUTER_BAD_PATH;
		if (strict && len > REQUEST_MAX_PARAM)
			return ROUTER_BAD_PATH;
		if (out->n == REQUEST_MAX_SEGMENTS)
			return ROUTER_BAD_PATH;
		out->s[out->n] = start;
		out->len[out->n] = len;
		out->n++;
	}
	return 0;
}

static int
router_is_param(const char *s, size_t len)
{
	return len >= 3 && s[0] == '{' && s[len - 1] == '}';
}

/* 1 when the path segments fit the pattern; fills params when given. */
static int
router_fits(const struct segs *pat, const struct segs *path, const char **params, int *nparams,
    struct arena *arena)
{
	int np = 0;

	if (pat->n != path->n)
		return 0;
	for (int i = 0; i < pat->n; i++) {
		if (router_is_param(pat->s[i], pat->len[i]))
			continue;
		if (pat->len[i] != path->len[i] || memcmp(pat->s[i], path->s[i], pat->len[i]) != 0)
			return 0;
	}
	if (params == NULL)
		return 1;
	for (int i = 0; i < pat->n; i++) {
		if (!router_is_param(pat->s[i], pat->len[i]))
			continue;
		if (np == REQUEST_MAX_PARAMS)
			return 0;
		params[np] = arena_strndup(arena, path->s[i], path->len[i]);
		if (params[np] == NULL)
			return 0;
		np++;
	}
	*nparams = np;
	return 1;
}

int
router_match(const struct route *routes, size_t nroutes, enum http_method method,
    const char *path, struct arena *arena, int *index, const char **params, int *nparams,
    unsigned *allow)
{
	struct segs ps, pat;
	unsigned mask = 0;
	enum http_method want = method == HTTP_HEAD ? HTTP_GET : method;
	int rc;

	*index = -1;
	*nparams = 0;
	*allow = 0;
	if ((rc = router_split(path, &ps, 1)) != 0)
		return rc;
	for (size_t i = 0; i < nroutes; i++) {
		router_split(routes[i].pattern, &pat, 0);
		if (!router_fits(&pat, &ps, NULL, NULL, NULL))
			continue;
		if (routes[i].method == want) {
			if (!router_fits(&pat, &ps, params, nparams, arena))
				return ROUTER_BAD_PATH;
			*index = (int)i;
			return ROUTER_MATCH;
		}
		mask |= routes[i].method;
		if (routes[i].method == HTTP_GET)
			mask |= HTTP_HEAD;
	}
	if (mask == 0)
		return ROUTER_NOT_FOUND;
	*allow = mask;
	return ROUTER_BAD_METHOD;
}

const char *
router_allow_header(struct arena *arena, unsigned mask)
{
	char buf[64] = "";
	size_t n = 0;

	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		if (!(mask & http_methods[i].m))
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "",
		    http_methods[i].name);
	}
	return arena_strdup(arena, buf);
}

int
router_check_table(const struct route *routes, size_t nroutes)
{
	struct segs a;

	for (size_t i = 0; i < nroutes; i++) {
		if (routes[i].fn == NULL || routes[i].method == HTTP_OTHER ||
		    routes[i].method == HTTP_HEAD || router_split(routes[i].pattern, &a, 0) != 0)
			return ERR_INVALID;
		for (size_t j = 0; j < i; j++)
			if (routes[i].method == routes[j].method &&
			    strcmp(routes[i].pattern, routes[j].pattern) == 0)
				return ERR_INVALID;
	}
	return 0;
}
