/*
 * result.h: what a domain call answers to its front door (API or CLI): an HTTP-like
 * status, an error code and sentence when it refused, a JSON body when it succeeded.
 * A call returns 0 when it worked (refusals included: they are in the result) and a
 * negative err code when it could not work at all.
 */
#ifndef COFFRE_RESULT_H
#define COFFRE_RESULT_H

#include <jansson.h>

struct result {
	int status;
	const char *code;               /* snake_case, static */
	char message[240];
	json_t *body;                   /* owned; on refusals, extra fields of the error */
	char *raw;                      /* owned (malloc): a success's JSON already written
	                                 * (result_ok_raw), sent as it is; body is then NULL */
	size_t raw_len;
	unsigned retry_after;
	char cookie[128];               /* a new session credential to set, or "" */
};

/* Sets a refusal. Returns ERR_REFUSED, so that a transaction callback can roll back with
 * `return result_refuse(...)`; outside a transaction use result_fail (returns 0). */
int result_refuse(struct result *r, int status, const char *code, const char *message);
int result_fail(struct result *r, int status, const char *code, const char *message);
/* Sets a success with body (owned; NULL for none). Returns 0, or ERR_NOMEM for a NULL
 * body when status is not 204. */
int result_ok(struct result *r, int status, json_t *body);
/* Sets a success whose JSON body the caller wrote (text, len bytes, owned): for answers
 * made of hundreds of small values (search), which jansson would allocate one by one. */
int result_ok_raw(struct result *r, int status, char *text, size_t len);
/* Turns a raw body into r->body, for callers that read the answer (tools, tests). 0,
 * ERR_INVALID when it does not parse. */
int result_parse(struct result *r);
/* Frees the body and wipes the result (it may hold a session credential). */
void result_clear(struct result *r);

#endif
