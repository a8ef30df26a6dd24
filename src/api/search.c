/* search.c: GET /api/v1/search. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/timeutil.h"
#include "search/search.h"

/* A decimal number from 0 to max, else -1. */
static int
api_small_number(const char *s, int max)
{
	long v;

	if (s == NULL || *s == '\0' || strlen(s) > 6 || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtol(s, NULL, 10);
	return v <= max ? (int)v : -1;
}

int
api_search(struct request *req, struct response *res)
{
	struct result r = { 0 };
	struct search_params p = { 0 };
	const char *limit = request_query(req, "limit"), *offset = request_query(req, "offset");
	const char *from = request_query(req, "from"), *to = request_query(req, "to");

	p.q = request_query(req, "q");
	p.lang = request_query(req, "lang");
	p.tags = request_query(req, "tags");
	p.collection = request_query(req, "collection");
	p.language = request_query(req, "language");
	if (p.q == NULL)
		return response_error(res, 400, "bad_query", "q is required.");
	if (limit != NULL && (p.limit = api_small_number(limit, SEARCH_LIMIT_MAX)) < 1)
		return response_error(res, 400, "bad_limit", "limit is from 1 to 50.");
	if (offset != NULL && (p.offset = api_small_number(offset, SEARCH_OFFSET_MAX)) < 0)
		return response_error(res, 400, "bad_offset", "offset is from 0 to 1000.");
	if ((from != NULL && time_parse_utc(from, &p.from_us) != 0) ||
	    (to != NULL && time_parse_utc(to, &p.to_us) != 0))
		return response_error(res, 400, "bad_time",
		    "from and to are UTC times such as 2026-11-23T10:00:00Z.");
	if ((p.collection != NULL && strlen(p.collection) > 100) ||
	    (p.language != NULL && strlen(p.language) > 8) || (p.lang != NULL &&
	    strlen(p.lang) > 8))
		return response_error(res, 400, "bad_filter", "A filter is too long.");
	return api_result(req, res, &r, search_run(req->vault, req->identity, &p, &r));
}
