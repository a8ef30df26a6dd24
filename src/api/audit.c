/* audit.c: GET /api/v1/audit (query with filters and a cursor) and /api/v1/audit/verify. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "audit/audit.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "store/vault.h"

#define API_AUDIT_DEFAULT_LIMIT 100

struct api_audit_page {
	struct audit_filter filter;
	int64_t cursor, next;
	int limit;
	json_t *items;
};

static int
api_audit_page(sqlite3 *db, void *arg)
{
	struct api_audit_page *p = arg;

	return audit_query(db, &p->filter, p->cursor, p->limit, &p->items, &p->next);
}

/* A non-negative decimal integer of at most 18 digits. */
static int
api_parse_count(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
		return ERR_INVALID;
	v = strtoll(s, &end, 10);
	*out = v;
	return 0;
}

int
api_audit_query(struct request *req, struct response *res)
{
	struct api_audit_page p = { .limit = API_AUDIT_DEFAULT_LIMIT };
	const char *from = request_query(req, "from"), *to = request_query(req, "to");
	const char *cursor = request_query(req, "cursor"), *limit = request_query(req, "limit");
	const char *outcome = request_query(req, "outcome");
	int64_t n;
	int rc;

	if ((from != NULL && time_parse_utc(from, &p.filter.from_us) != 0) ||
	    (to != NULL && time_parse_utc(to, &p.filter.to_us) != 0))
		return response_error(res, 400, "bad_time",
		    "from and to are UTC times such as 2026-11-23T10:00:00Z.");
	if (cursor != NULL) {
		if (api_parse_count(cursor, &n) != 0)
			return response_error(res, 400, "bad_cursor", "cursor is the next_cursor "
			    "of the previous page.");
		p.cursor = n;
	}
	if (limit != NULL) {
		if (api_parse_count(limit, &n) != 0 || n < 1 || n > AUDIT_PAGE_MAX)
			return response_error(res, 400, "bad_limit", "limit is from 1 to 1000.");
		p.limit = (int)n;
	}
	if (outcome != NULL && strcmp(outcome, "success") != 0 && strcmp(outcome, "failure") != 0 &&
	    strcmp(outcome, "denied") != 0)
		return response_error(res, 400, "bad_outcome",
		    "outcome is success, failure or denied.");
	p.filter.actor = request_query(req, "actor");
	p.filter.event_prefix = request_query(req, "event");
	p.filter.outcome = outcome;
	if ((p.filter.actor != NULL && strlen(p.filter.actor) > 128) ||
	    (p.filter.event_prefix != NULL && strlen(p.filter.event_prefix) > 128))
		return response_error(res, 400, "bad_filter", "actor and event are at most 128 "
		    "characters.");
	rc = vault_read(req->vault, api_audit_page, &p);
	if (rc == ERR_INVALID)
		return response_error(res, 400, "bad_filter", "The filter is not valid.");
	if (rc != 0)
		return rc;
	return response_json(res, 200, json_pack("{s:o, s:o}", "items", p.items, "next_cursor",
	    p.next ? json_sprintf("%lld", (long long)p.next) : json_null()));
}

int
api_audit_verify(struct request *req, struct response *res)
{
	struct audit_report r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = vault_verify(req->vault, &r)) != 0)
		return rc;
	return response_json(res, 200, json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:s}",
	    "ok", r.ok, "first_seq", (json_int_t)r.first_seq, "last_seq", (json_int_t)r.last_seq,
	    "bad_seq", (json_int_t)r.bad_seq, "entries", (json_int_t)r.entries,
	    "checkpoints", (json_int_t)r.checkpoints, "problem", r.problem));
}
