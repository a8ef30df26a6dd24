/*
 * guard.c: runs before every handler. Public routes pass; every other call is
 * authenticated (API token from the Authorization header only, or the session cookie),
 * CSRF-checked when a cookie authenticates a state-changing call, then decided by
 * access_check. The vault opened for the caller is released after the handler.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "api/api.h"
#include "auth/auth.h"
#include "common/arena.h"
#include "common/err.h"
#include "common/log.h"
#include "store/vault.h"

#define API_COOKIE_ATTRS "; Path=/; Secure; HttpOnly; SameSite=Strict"

static int
api_unauthenticated(struct request *req, struct response *res, int clear_cookie)
{
	if (clear_cookie)
		res->set_cookie = AUTH_SESSION_COOKIE "=" API_COOKIE_ATTRS "; Max-Age=0";
	(void)req;
	return response_error(res, 401, "unauthenticated",
	    "Sign in, or send a valid API token.") == 0 ? 1 : ERR_NOMEM;
}

int
api_guard_before(void *appv, struct request *req, struct response *res,
    const struct route *route)
{
	struct app *app = appv;
	const char *authz, *cookie, *bearer = NULL, *csrf;
	struct identity *id;
	int rc;

	if (route->perm == NULL)
		return 0;
	authz = request_header(req, "Authorization");
	cookie = request_cookie(req, AUTH_SESSION_COOKIE);
	if (authz != NULL) {
		/* Only the Bearer scheme, only in this header (never a cookie or the query). */
		if (strncmp(authz, "Bearer ", 7) != 0)
			return api_unauthenticated(req, res, 0);
		bearer = authz + 7;
		cookie = NULL;
	}
	if (bearer == NULL && cookie == NULL)
		return api_unauthenticated(req, res, 0);
	if ((id = arena_alloc(req->arena, sizeof(*id))) == NULL)
		return ERR_NOMEM;
	rc = auth_authenticate(app->auth, cookie, bearer, id, &req->vault);
	if (rc == ERR_PERM || rc == ERR_NOTFOUND)
		return api_unauthenticated(req, res, cookie != NULL);
	if (rc != 0)
		return rc;
	req->identity = id;
	if (id->via == ACCESS_VIA_SESSION && !(req->method & (HTTP_GET | HTTP_HEAD))) {
		csrf = request_header(req, "X-CSRF-Token");
		if (csrf == NULL || strlen(csrf) != strlen(id->csrf) ||
		    sodium_memcmp(csrf, id->csrf, strlen(id->csrf)) != 0) {
			access_deny(req, res, "csrf_token");
			response_clear(res);
			return response_error(res, 403, "csrf_failed", "State-changing calls made "
			    "with the session cookie need the X-CSRF-Token header of the session.") ==
			    0 ? 1 : ERR_NOMEM;
		}
	}
	return access_check(req, res, route);
}

void
api_guard_after(void *appv, struct request *req, struct response *res)
{
	(void)appv;
	(void)res;
	vault_release(req->vault);
	req->vault = NULL;
	if (req->identity != NULL)
		sodium_memzero(req->identity, sizeof(*req->identity));
	req->identity = NULL;
}

const char *
api_string(const struct request *req, const char *name, size_t max)
{
	json_t *v = json_object_get(req->json, name);

	if (!json_is_string(v) || json_string_length(v) > max)
		return NULL;
	return json_string_value(v);
}

int
api_fields_ok(const struct request *req, struct response *res, const char *const *allowed)
{
	const char *k;
	json_t *v;
	char msg[200];

	if (!json_is_object(req->json)) {
		response_error(res, 400, "bad_request", "The body must be a JSON object.");
		return 0;
	}
	json_object_foreach(req->json, k, v) {
		size_t i;
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL) {
			size_t len = 0;
			msg[0] = '\0';
			for (i = 0; allowed[i] != NULL && len < sizeof(msg); i++)
				len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
				    i ? ", " : "Unknown field (allowed: ", allowed[i]);
			if (len < sizeof(msg))
				snprintf(msg + len, sizeof(msg) - len, ").");
			response_error(res, 400, "unknown_field", msg);
			return 0;
		}
	}
	return 1;
}

int
api_result(struct request *req, struct response *res, struct result *r, int rc)
{
	if (rc != 0) {
		result_clear(r);
		return rc;
	}
	if (r->cookie[0] != '\0') {
		size_t n = strlen(AUTH_SESSION_COOKIE) + strlen(r->cookie) + sizeof(API_COOKIE_ATTRS) +
		    2;
		char *c = arena_alloc(req->arena, n);
		if (c == NULL) {
			result_clear(r);
			return ERR_NOMEM;
		}
		snprintf(c, n, "%s=%s%s", AUTH_SESSION_COOKIE, r->cookie, API_COOKIE_ATTRS);
		res->set_cookie = c;
	}
	res->retry_after = r->retry_after;
	if (r->status >= 400) {
		json_t *err = json_pack("{s:s, s:s}", "code", r->code ? r->code : "error",
		    "message", r->message);
		if (err != NULL && r->body != NULL)
			json_object_update(err, r->body);
		rc = response_json(res, r->status, json_pack("{s:o}", "error", err));
	} else if (r->raw != NULL) {
		rc = response_text(res, r->status, "application/json", r->raw, r->raw_len);
		r->raw = NULL;
	} else if (r->status == 204 || r->body == NULL) {
		res->status = r->status ? r->status : 204;
		rc = 0;
	} else {
		rc = response_json(res, r->status, r->body);
		r->body = NULL;
	}
	result_clear(r);
	return rc;
}
