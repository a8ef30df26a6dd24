#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "http/request.h"

int
response_json(struct response *res, int status, json_t *body)
{
	response_clear(res);
	if (body == NULL)
		return ERR_NOMEM;
	res->status = status;
	res->json = body;
	res->content_type = "application/json";
	return 0;
}

int
response_error(struct response *res, int status, const char *code, const char *message)
{
	json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);

	return response_json(res, status, body);
}

int
response_text(struct response *res, int status, const char *content_type, char *body,
    size_t len)
{
	response_clear(res);
	res->status = status;
	res->body = body;
	res->body_len = len;
	res->content_type = content_type;
	return 0;
}

void
response_clear(struct response *res)
{
	json_decref(res->json);
	free(res->body);
	res->json = NULL;
	res->body = NULL;
	res->body_len = 0;
}

const char *
request_query(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
request_header(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
request_cookie(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}
