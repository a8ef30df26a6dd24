/* router.h: the route table and path matching for /api/v1/... and the probes. */
#ifndef COFFRE_ROUTER_H
#define COFFRE_ROUTER_H

#include <stddef.h>

#include "http/request.h"

typedef int (*route_fn)(struct request *req, struct response *res);

enum route_flags {
	ROUTE_JSON_BODY = 1 << 0,       /* the body is JSON, parsed before the handler runs */
	ROUTE_NO_RATE_LIMIT = 1 << 1,   /* probes from the orchestrator */
	ROUTE_RESTRICTED_OK = 1 << 2,   /* open to a caller who must first renew a password or
	                                   enrol a second factor */
	ROUTE_READ_ONLY_OK = 1 << 3,    /* not GET, yet changes no data (a computation, a read
	                                   with a body): open to read-only API tokens */
};

struct route {
	enum http_method method;        /* one method per entry; GET also answers HEAD */
	const char *pattern;            /* "/api/v1/documents/{id}/versions/{n}" */
	route_fn fn;
	unsigned flags;
	const char *perm;               /* what the caller needs (see access/access.h); NULL: public */
};

enum router_result {
	ROUTER_MATCH = 0,
	ROUTER_NOT_FOUND = -1,          /* no pattern has this path */
	ROUTER_BAD_METHOD = -2,         /* the path exists with other methods: *allow is set */
	ROUTER_BAD_PATH = -3,           /* empty, dot or overlong segments, control characters */
};

/*
 * Matches method and path against the table. On ROUTER_MATCH sets *index and copies the
 * {param} values into params (pointers into the arena). On ROUTER_BAD_METHOD, *allow
 * holds the bitmask of methods the path accepts.
 */
int router_match(const struct route *routes, size_t nroutes, enum http_method method,
    const char *path, struct arena *arena, int *index, const char **params, int *nparams,
    unsigned *allow);
/* Formats an Allow header value for a method mask into the arena. */
const char *router_allow_header(struct arena *arena, unsigned mask);
/* Checks a table at start-up: patterns well formed, no duplicates. 0 or ERR_INVALID. */
int router_check_table(const struct route *routes, size_t nroutes);

#endif
