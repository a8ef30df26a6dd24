/* pii.c: /api/v1/pii: analyze, pseudonymize, restore, and erasing a mapping (pii/service.h). */
#include "api/api.h"
#include "common/config.h"
#include "pii/service.h"

int
api_pii_analyze(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, pii_svc_analyze(req->json, &r));
}

int
api_pii_pseudonymize(struct request *req, struct response *res)
{
	const struct app *app = req->app;
	struct pii_svc_limits lim = { config_int(app->cfg, "pii.mapping_ttl"),
	    config_int(app->cfg, "pii.mapping_ttl_max") };
	struct result r = { 0 };
	int rc = api_result(req, res, &r, pii_svc_pseudonymize(req->vault, req->identity,
	    req->remote, req->json, &lim, &r));

	res->sensitive = 1;             /* the caller's text, but for the values replaced */
	return rc;
}

int
api_pii_restore(struct request *req, struct response *res)
{
	struct result r = { 0 };
	int rc = api_result(req, res, &r, pii_svc_restore(req->vault, req->identity, req->remote,
	    req->json, &r));

	res->sensitive = 1;             /* the real values */
	return rc;
}

int
api_pii_mapping_delete(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, pii_svc_erase(req->vault, req->identity, req->remote,
	    req->params[0], &r));
}
