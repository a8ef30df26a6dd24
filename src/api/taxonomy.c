/* taxonomy.c: /api/v1/tags and /api/v1/collections. */
#include <string.h>

#include "api/api.h"
#include "kb/kb.h"

int
api_tags_list(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_tags_list(req->vault, req->identity, &r));
}

int
api_collections_list(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_collections_list(req->vault, req->identity, &r));
}

static int
api_tax_create(struct request *req, struct response *res, int tags)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_taxonomy_create(req->vault, req->identity,
	    req->remote, tags, req->json, &r));
}

static int
api_tax_update(struct request *req, struct response *res, int tags)
{
	struct result r = { 0 };

	return api_result(req, res, &r, kb_taxonomy_update(req->vault, req->identity,
	    req->remote, tags, req->params[0], req->json, &r));
}

static int
api_tax_delete(struct request *req, struct response *res, int tags)
{
	struct result r = { 0 };
	const char *force = request_query(req, "force");

	if (force != NULL && strcmp(force, "true") != 0 && strcmp(force, "false") != 0)
		return response_error(res, 400, "bad_request", "force is true or false.");
	return api_result(req, res, &r, kb_taxonomy_delete(req->vault, req->identity,
	    req->remote, tags, req->params[0], force != NULL && strcmp(force, "true") == 0, &r));
}

int
api_tags_create(struct request *req, struct response *res)
{
	return api_tax_create(req, res, 1);
}

int
api_tags_update(struct request *req, struct response *res)
{
	return api_tax_update(req, res, 1);
}

int
api_tags_delete(struct request *req, struct response *res)
{
	return api_tax_delete(req, res, 1);
}

int
api_collections_create(struct request *req, struct response *res)
{
	return api_tax_create(req, res, 0);
}

int
api_collections_update(struct request *req, struct response *res)
{
	return api_tax_update(req, res, 0);
}

int
api_collections_delete(struct request *req, struct response *res)
{
	return api_tax_delete(req, res, 0);
}
