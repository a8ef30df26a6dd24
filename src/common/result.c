#include "common/result.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"

int
result_fail(struct result *r, int status, const char *code, const char *message)
{
	r->status = status;
	r->code = code;
	snprintf(r->message, sizeof(r->message), "%s", message);
	return 0;
}

int
result_refuse(struct result *r, int status, const char *code, const char *message)
{
	result_fail(r, status, code, message);
	return ERR_REFUSED;
}

int
result_ok(struct result *r, int status, json_t *body)
{
	json_decref(r->body);
	r->body = body;
	r->status = status;
	return body == NULL && status != 204 ? ERR_NOMEM : 0;
}

int
result_ok_raw(struct result *r, int status, char *text, size_t len)
{
	json_decref(r->body);
	free(r->raw);
	r->body = NULL;
	r->raw = text;
	r->raw_len = len;
	r->status = status;
	return text == NULL ? ERR_NOMEM : 0;
}

int
result_parse(struct result *r)
{
	json_t *j;

	if (r->raw == NULL)
		return 0;
	if ((j = json_loadb(r->raw, r->raw_len, 0, NULL)) == NULL)
		return ERR_INVALID;
	json_decref(r->body);
	r->body = j;
	free(r->raw);
	r->raw = NULL;
	r->raw_len = 0;
	return 0;
}

void
result_clear(struct result *r)
{
	json_decref(r->body);
	free(r->raw);
	sodium_memzero(r, sizeof(*r));
}
