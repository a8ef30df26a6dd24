/* documents.c: /api/v1/documents, versions and the trash: HTTP in, kb/ calls, HTTP out. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/err.h"
#include "kb/kb.h"

/* A positive decimal number of at most 18 digits from a path or query value, else -1. */
static int64_t
api_number(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s) ||
	    s[0] == '0')
		return -1;
	return strtoll(s, NULL, 10);
}

/* The limit of a list from the query: 1..KB_PAGE_MAX, 0 when absent, -1 when invalid (checked
 * before narrowing, so that 4294967297 is not read as 1). */
static int
api_limit(const char *s)
{
	int64_t n;

	if (s == NULL)
		return 0;
	n = api_number(s);
	return n < 1 || n > KB_PAGE_MAX ? -1 : (int)n;
}

int
api_documents_list(struct request *req, struct response *res)
{
	struct result r = { 0 };
	struct kb_query q = { 0 };
	const char *limit = request_query(req, "limit");

	q.collection = request_query(req, "collection");
	q.tag = request_query(req, "tag");
	q.language = request_query(req, "language");
	q.author = request_query(req, "author");
	q.sort = request_query(req, "sort");
	q.order = request_query(req, "order");
	q.cursor = request_query(req, "cursor");
	if ((q.limit = api_limit(limit)) < 0)
		return response_error(res, 400, "bad_limit", "limit is from 1 to 200.");
	return api_result(req, res, &r, kb_document_list(req->vault, req->identity, &q, 0, &r));
}

int
api_documents_create(struct request *req, struct response *res)
{
	struct result r = { 0 };

	if (!json_is_object(req->json))
		return response_error(res, 400, "bad_request", "The body must be a JSON object.");
	return api_result(req, res, &r, kb_document_create_json(req->vault, req->identity,
	    req->remote, req->json, &r));
}

int
api_documents_get(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_document_get(req->vault, req->identity,
	    req->params[0], &r));
}

int
api_documents_update(struct request *req, struct response *res)
{
	struct result r = { 0 };

	if (!json_is_object(req->json))
		return response_error(res, 400, "bad_request", "The body must be a JSON object.");
	return api_result(req, res, &r, kb_document_update(req->vault, req->identity,
	    req->remote, req->params[0], req->json, &r));
}

int
api_documents_delete(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_document_trash(req->vault, req->identity, req->remote,
	    req->params[0], &r));
}

int
api_versions_list(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_versions_list(req->vault, req->identity,
	    req->params[0], &r));
}

int
api_versions_get(struct request *req, struct response *res)
{
	struct result r = { 0 };
	int64_t n = api_number(req->params[1]);

	if (n < 1)
		return response_error(res, 404, "not_found", "No such document or version.");
	return api_result(req, res, &r, kb_version_get(req->vault, req->identity, req->params[0],
	    n, &r));
}

int
api_versions_restore(struct request *req, struct response *res)
{
	struct result r = { 0 };
	int64_t n = api_number(req->params[1]);

	if (n < 1)
		return response_error(res, 404, "not_found", "No such document or version.");
	return api_result(req, res, &r, kb_version_restore(req->vault, req->identity, req->remote,
	    req->params[0], n, &r));
}

int
api_versions_diff(struct request *req, struct response *res)
{
	struct result r = { 0 };
	int64_t from = api_number(request_query(req, "from"));
	int64_t to = api_number(request_query(req, "to"));

	if (from < 1 || to < 1)
		return response_error(res, 400, "bad_request", "from and to are version numbers.");
	return api_result(req, res, &r, kb_version_diff(req->vault, req->identity,
	    req->params[0], from, to, &r));
}

int
api_trash_list(struct request *req, struct response *res)
{
	struct result r = { 0 };
	struct kb_query q = { 0 };
	const char *limit = request_query(req, "limit");

	q.cursor = request_query(req, "cursor");
	if ((q.limit = api_limit(limit)) < 0)
		return response_error(res, 400, "bad_limit", "limit is from 1 to 200.");
	return api_result(req, res, &r, kb_document_list(req->vault, req->identity, &q, 1, &r));
}

int
api_trash_restore(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_trash_restore(req->vault, req->identity, req->remote,
	    req->params[0], &r));
}

int
api_trash_purge(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_trash_purge(req->vault, req->identity, req->remote,
	    req->params[0], &r));
}
