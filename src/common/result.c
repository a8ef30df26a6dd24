#include "common/result.h"

#include <sodium.h>
#include <stdio.h>

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

void
result_clear(struct result *r)
{
	json_decref(r->body);
	sodium_memzero(r, sizeof(*r));
}
