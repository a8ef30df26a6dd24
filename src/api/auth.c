/* auth.c: /api/v1/auth/..., /api/v1/me and /api/v1/tokens: HTTP in, auth/ calls, HTTP out. */
#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "common/err.h"

#define API_TENANT_MAX 64
#define API_TOTP_MAX 16
#define API_RECOVERY_MAX 32

static struct auth *
api_auth(const struct request *req)
{
	return ((struct app *)req->app)->auth;
}

static int
api_bad(struct response *res, const char *message)
{
	return response_error(res, 400, "bad_request", message);
}

int
api_auth_login(struct request *req, struct response *res)
{
	static const char *const fields[] = { "tenant", "email", "password", "totp",
	    "recovery_code", NULL };
	struct result r = { 0 };
	struct auth_login in = { 0 };
	json_t *pw;

	if (!api_fields_ok(req, res, fields))
		return 0;
	in.tenant = api_string(req, "tenant", API_TENANT_MAX);
	in.email = api_string(req, "email", ACCESS_EMAIL_MAX);
	pw = json_object_get(req->json, "password");
	if (in.tenant == NULL || in.email == NULL || !json_is_string(pw))
		return api_bad(res, "tenant, email and password are required strings.");
	in.password = json_string_value(pw);
	in.password_len = json_string_length(pw);
	if (in.password_len > PASSWORD_MAX_BYTES)
		return api_bad(res, "The password is longer than any accepted password.");
	if (json_object_get(req->json, "totp") != NULL &&
	    (in.totp = api_string(req, "totp", API_TOTP_MAX)) == NULL)
		return api_bad(res, "totp must be a string of digits.");
	if (json_object_get(req->json, "recovery_code") != NULL &&
	    (in.recovery_code = api_string(req, "recovery_code", API_RECOVERY_MAX)) == NULL)
		return api_bad(res, "recovery_code must be a string.");
	in.source = req->remote;
	in.addr = req->addr;
	return api_result(req, res, &r, auth_login(api_auth(req), &in, &r));
}

int
api_auth_logout(struct request *req, struct response *res)
{
	int rc = auth_logout(api_auth(req), req->vault, req->identity, req->remote);

	if (rc != 0)
		return rc;
	res->set_cookie = AUTH_SESSION_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; "
	    "Max-Age=0";
	res->status = 204;
	return 0;
}

int
api_auth_password(struct request *req, struct response *res)
{
	static const char *const fields[] = { "current", "new", NULL };
	struct result r = { 0 };
	json_t *cur, *next;

	if (!api_fields_ok(req, res, fields))
		return 0;
	cur = json_object_get(req->json, "current");
	next = json_object_get(req->json, "new");
	if (!json_is_string(cur) || !json_is_string(next))
		return api_bad(res, "current and new are required strings.");
	if (json_string_length(cur) > PASSWORD_MAX_BYTES ||
	    json_string_length(next) > PASSWORD_MAX_BYTES)
		return response_error(res, 422, "password_rejected",
		    "The password is longer than any accepted password.");
	return api_result(req, res, &r, auth_password_change(api_auth(req), req->vault,
	    req->identity, json_string_value(cur), json_string_length(cur),
	    json_string_value(next), json_string_length(next), req->remote, req->addr, &r));
}

int
api_auth_reset_request(struct request *req, struct response *res)
{
	static const char *const fields[] = { "tenant", "email", NULL };
	struct result r = { 0 };
	const char *tenant, *email;

	if (!api_fields_ok(req, res, fields))
		return 0;
	tenant = api_string(req, "tenant", API_TENANT_MAX);
	email = api_string(req, "email", ACCESS_EMAIL_MAX);
	if (tenant == NULL || email == NULL)
		return api_bad(res, "tenant and email are required strings.");
	return api_result(req, res, &r, auth_reset_request(api_auth(req), tenant, email,
	    req->remote, req->addr, &r));
}

/* Invitation and reset links both carry {token, password}. */
static int
api_link(struct request *req, struct response *res, int invitation)
{
	static const char *const fields[] = { "token", "password", NULL };
	struct result r = { 0 };
	const char *token;
	json_t *pw;
	int rc;

	if (!api_fields_ok(req, res, fields))
		return 0;
	token = api_string(req, "token", AUTH_CREDENTIAL_MAX);
	pw = json_object_get(req->json, "password");
	if (token == NULL || !json_is_string(pw))
		return api_bad(res, "token and password are required strings.");
	if (json_string_length(pw) > PASSWORD_MAX_BYTES)
		return response_error(res, 422, "password_rejected",
		    "The password is longer than any accepted password.");
	rc = invitation ?
	    auth_invitation_accept(api_auth(req), token, json_string_value(pw),
	    json_string_length(pw), req->remote, req->addr, &r) :
	    auth_reset(api_auth(req), token, json_string_value(pw), json_string_length(pw),
	    req->remote, req->addr, &r);
	return api_result(req, res, &r, rc);
}

int
api_auth_reset(struct request *req, struct response *res)
{
	return api_link(req, res, 0);
}

int
api_invitations_accept(struct request *req, struct response *res)
{
	return api_link(req, res, 1);
}

int
api_auth_totp_enroll(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_totp_enroll(api_auth(req), req->vault, req->identity,
	    req->remote, &r));
}

int
api_auth_totp_confirm(struct request *req, struct response *res)
{
	static const char *const fields[] = { "code", NULL };
	struct result r = { 0 };
	const char *code;

	if (!api_fields_ok(req, res, fields))
		return 0;
	if ((code = api_string(req, "code", API_TOTP_MAX)) == NULL)
		return api_bad(res, "code is a required string.");
	return api_result(req, res, &r, auth_totp_confirm(api_auth(req), req->vault,
	    req->identity, code, req->remote, req->addr, &r));
}

int
api_auth_totp_remove(struct request *req, struct response *res)
{
	static const char *const fields[] = { "password", NULL };
	struct result r = { 0 };
	json_t *pw;

	if (!api_fields_ok(req, res, fields))
		return 0;
	pw = json_object_get(req->json, "password");
	if (!json_is_string(pw) || json_string_length(pw) > PASSWORD_MAX_BYTES)
		return api_bad(res, "password is a required string.");
	return api_result(req, res, &r, auth_totp_remove(api_auth(req), req->vault,
	    req->identity, json_string_value(pw), json_string_length(pw), req->remote, req->addr,
	    &r));
}

int
api_me(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_me(api_auth(req), req->vault, req->identity, &r));
}

int
api_tokens_list(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_tokens_list(api_auth(req), req->vault, req->identity,
	    &r));
}

int
api_tokens_create(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_token_create(api_auth(req), req->vault,
	    req->identity, req->json, req->remote, &r));
}

int
api_tokens_revoke(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_token_revoke(api_auth(req), req->vault,
	    req->identity, req->params[0], req->remote, &r));
}
