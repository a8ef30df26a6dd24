/* users.c: invitations, user administration and the tenant's authentication policy. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "common/err.h"
#include "store/vault.h"

static struct auth *
api_auth(const struct request *req)
{
	return ((struct app *)req->app)->auth;
}

int
api_invitations_create(struct request *req, struct response *res)
{
	static const char *const fields[] = { "email", "role", NULL };
	struct result r = { 0 };
	const char *email, *role;

	if (!api_fields_ok(req, res, fields))
		return 0;
	email = api_string(req, "email", ACCESS_EMAIL_MAX);
	role = api_string(req, "role", 64);
	if (email == NULL || role == NULL)
		return response_error(res, 400, "bad_request", "email and role are required "
		    "strings.");
	return api_result(req, res, &r, auth_invite(api_auth(req), req->vault, req->identity,
	    req->remote, email, role, NULL, 0, &r));
}

int
api_users_list(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_users_list(api_auth(req), req->vault, &r));
}

int
api_users_update(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_user_update(api_auth(req), req->vault, req->identity,
	    req->params[0], req->json, req->remote, &r));
}

int
api_users_unlock(struct request *req, struct response *res)
{
	struct result r = { 0 };

	return api_result(req, res, &r, auth_user_unlock(api_auth(req), req->vault, req->identity,
	    req->params[0], req->remote, &r));
}

struct api_policy {
	struct auth *auth;
	struct auth_policy policy;
};

static int
api_policy_read(sqlite3 *db, void *arg)
{
	struct api_policy *p = arg;

	return auth_policy_load(p->auth, db, &p->policy);
}

int
api_settings_auth_get(struct request *req, struct response *res)
{
	struct api_policy p = { api_auth(req), { { 0 }, 0, 0 } };
	int rc;

	if ((rc = vault_read(req->vault, api_policy_read, &p)) != 0)
		return rc;
	return response_json(res, 200, auth_policy_to_json(&p.policy));
}

/* Unknown fields are bad input (400), as in every other body; values a rule refuses are 422.
 * 1 when every field is known, 0 when res holds the 400, or an error. */
static int
api_policy_fields_ok(struct request *req, struct response *res, const struct auth_policy *cur)
{
	static const char *const fields[] = { "password", "lockout_threshold",
	    "password_renewal_days", NULL };
	json_t *pw = json_object_get(req->json, "password"), *known, *v;
	const char *k;
	char msg[240];
	size_t len = 0;
	int ok = 1;

	if (!api_fields_ok(req, res, fields))
		return 0;
	if (!json_is_object(pw))
		return 1;
	if ((known = password_policy_to_json(&cur->password)) == NULL)
		return ERR_NOMEM;
	json_object_foreach(pw, k, v)
		if (json_object_get(known, k) == NULL)
			ok = 0;
	if (!ok) {
		msg[0] = '\0';
		json_object_foreach(known, k, v)
			if (len < sizeof(msg))
				len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", len ? ", " :
				    "Unknown field in the password policy (allowed: ", k);
		if (len < sizeof(msg))
			snprintf(msg + len, sizeof(msg) - len, ").");
		response_error(res, 400, "unknown_field", msg);
	}
	json_decref(known);
	return ok;
}

int
api_settings_auth_put(struct request *req, struct response *res)
{
	struct api_policy p = { api_auth(req), { { 0 }, 0, 0 } };
	struct auth_policy next;
	char msg[240];
	int rc;

	if ((rc = vault_read(req->vault, api_policy_read, &p)) != 0)
		return rc;
	if ((rc = api_policy_fields_ok(req, res, &p.policy)) != 1)
		return rc == 0 ? 0 : rc;
	if (auth_policy_from_json(req->json, &p.policy, &next, msg, sizeof(msg)) != 0)
		return response_error(res, 422, "invalid_policy", msg);
	if ((rc = auth_policy_save(p.auth, req->vault, req->identity, req->remote, &next)) != 0)
		return rc;
	return response_json(res, 200, auth_policy_to_json(&next));
}
