/* roles.c: /api/v1/roles and the tag grants of roles and users. */
#include "access/roles.h"
#include "api/api.h"

int
api_roles_list(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_roles_list(req->vault, &r));
}

int
api_roles_get(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_role_get(req->vault, req->params[0], &r));
}

int
api_roles_create(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_role_put(req->vault, req->identity, req->remote,
	    NULL, req->json, &r));
}

int
api_roles_update(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_role_put(req->vault, req->identity, req->remote,
	    req->params[0], req->json, &r));
}

int
api_roles_delete(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_role_delete(req->vault, req->identity,
	    req->remote, req->params[0], &r));
}

int
api_role_grants_get(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_grants_get(req->vault, "role", req->params[0],
	    &r));
}

int
api_role_grants_put(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_grants_put(req->vault, req->identity, req->remote,
	    "role", req->params[0], req->json, &r));
}

int
api_user_grants_get(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_grants_get(req->vault, "user", req->params[0],
	    &r));
}

int
api_user_grants_put(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, access_grants_put(req->vault, req->identity, req->remote,
	    "user", req->params[0], req->json, &r));
}
