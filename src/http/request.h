/*
 * request.h: what a route handler sees (struct request) and fills (struct response).
 * Handlers never touch libmicrohttpd; the server turns a response into HTTP.
 */
#ifndef COFFRE_REQUEST_H
#define COFFRE_REQUEST_H

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct server;
struct identity;        /* who is calling: set by authentication (identity issue) */
struct vault;           /* the caller's tenant vault, opened from the identity */

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OTHER = 1 << 6,
};

#define REQUEST_MAX_PARAMS 4
#define REQUEST_MAX_PATH 2048
#define REQUEST_MAX_SEGMENTS 16
#define REQUEST_MAX_PARAM 128

struct request {
	struct arena *arena;            /* freed when the request completes */
	struct server *server;
	void *conn;                     /* the transport's connection, for lookups only */
	enum http_method method;
	const char *path;               /* decoded path, without the query */
	int route;                      /* index in the route table, -1 when none matched */
	const char *pattern;            /* the matched route's pattern, for logs and audit */
	const char *params[REQUEST_MAX_PARAMS];
	int nparams;
	char remote[INET6_ADDRSTRLEN];
	unsigned char addr[16];         /* the client's address, IPv4 as v4-mapped IPv6 */
	const char *body;               /* raw body (NUL-terminated copy), NULL when empty */
	size_t body_len;
	json_t *json;                   /* parsed body for routes that take JSON */
	uint64_t start_ns;
	void *app;                      /* the application's context (server_hooks.app) */
	struct identity *identity;
	struct vault *vault;
};

struct response {
	int status;
	json_t *json;                   /* owned; serialised by the server */
	char *body;                     /* owned (malloc); used when json is NULL */
	size_t body_len;
	const char *content_type;       /* static string */
	const char *allow;              /* Allow header for 405, static or arena */
	unsigned retry_after;           /* seconds, for 429 and 503; 0 = none */
	int close;                      /* close the connection after this response */
	const char *set_cookie;         /* a Set-Cookie header value, static or arena */
	int sensitive;                  /* the JSON body holds personal data or secrets: its
	                                   strings and serialised bytes are wiped when freed */
};

/* Sets a JSON response; takes ownership of body. Returns 0 or ERR_NOMEM. */
int response_json(struct response *res, int status, json_t *body);
/* Sets {"error":{"code":code,"message":message}}; code is snake_case. */
int response_error(struct response *res, int status, const char *code, const char *message);
/* Sets a non-JSON body; takes ownership of body (malloc'd). */
int response_text(struct response *res, int status, const char *content_type, char *body,
    size_t len);
/* Releases what a response owns; accepts a zeroed response. */
void response_clear(struct response *res);

/* Query-string argument or request header; NULL when absent. Valid for the request. */
const char *request_query(const struct request *req, const char *name);
const char *request_header(const struct request *req, const char *name);
/* A cookie of the request's Cookie header; NULL when absent. */
const char *request_cookie(const struct request *req, const char *name);

const char *http_method_name(enum http_method m);
enum http_method http_method_parse(const char *s);

#endif
