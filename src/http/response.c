#include <microhttpd.h>
#include <sodium.h>
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

/* Overwrites every string of a JSON tree (a sensitive body) before it is freed. */
static void
response_wipe_json(json_t *v, int depth)
{
	const char *k;
	json_t *child;
	size_t i;

	if (depth > 64)
		return;
	if (json_is_string(v)) {
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, child)
			response_wipe_json(child, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			response_wipe_json(child, depth + 1);
	}
}

void
response_clear(struct response *res)
{
	if (res->sensitive)
		response_wipe_json(res->json, 0);
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
