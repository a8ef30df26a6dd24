#include "access/access.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "store/vault.h"

/* Bit order is stored nowhere (roles keep names), so the list may grow anywhere. */
static const char *const access_perms[] = {
	"documents.read", "documents.write", "documents.delete", "trash.purge", "tags.manage",
	"collections.manage", "users.manage", "roles.manage", "audit.read", "settings.manage",
	"gdpr.manage", "backups.manage", "ai.use", "pii.use",
};

static const char *const access_pages[] = {
	"search", "documents", "trash", "tags", "collections", "users", "roles", "audit",
	"settings", "gdpr", "backups", "ask",
};

#define ACCESS_NPERMS (sizeof(access_perms) / sizeof(access_perms[0]))
#define ACCESS_NPAGES (sizeof(access_pages) / sizeof(access_pages[0]))

size_t
access_perm_count(void)
{
	return ACCESS_NPERMS;
}

const char *
access_perm_name(size_t bit)
{
	return bit < ACCESS_NPERMS ? access_perms[bit] : NULL;
}

static uint64_t
access_bit_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return UINT64_C(1) << i;
	return 0;
}

uint64_t
access_perm_bit(const char *name)
{
	return name != NULL ? access_bit_of(access_perms, ACCESS_NPERMS, name) : 0;
}

static json_t *
access_names_to_json(const char *const *names, size_t n, uint64_t mask)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		if ((mask & (UINT64_C(1) << i)) && json_array_append_new(arr,
		    json_string(names[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static int
access_names_from_json(const char *const *names, size_t n, const char *what,
    const json_t *arr, uint64_t *mask, char *msg, size_t msgsz)
{
	size_t i;
	json_t *v;

	*mask = 0;
	if (!json_is_array(arr) || json_array_size(arr) > 64) {
		snprintf(msg, msgsz, "%s must be an array of names.", what);
		return ERR_INVALID;
	}
	json_array_foreach(arr, i, v) {
		uint64_t bit = json_is_string(v) ?
		    access_bit_of(names, n, json_string_value(v)) : 0;
		if (bit == 0) {
			snprintf(msg, msgsz, "%s: entry %zu is not a known name.", what, i);
			return ERR_INVALID;
		}
		*mask |= bit;
	}
	return 0;
}

json_t *
access_perms_to_json(uint64_t mask)
{
	return access_names_to_json(access_perms, ACCESS_NPERMS, mask);
}

int
access_perms_from_json(const json_t *arr, uint64_t *mask, char *msg, size_t msgsz)
{
	return access_names_from_json(access_perms, ACCESS_NPERMS, "permissions", arr, mask, msg,
	    msgsz);
}

json_t *
access_pages_to_json(uint64_t mask)
{
	return access_names_to_json(access_pages, ACCESS_NPAGES, mask);
}

int
access_pages_from_json(const json_t *arr, uint64_t *mask, char *msg, size_t msgsz)
{
	return access_names_from_json(access_pages, ACCESS_NPAGES, "pages", arr, mask, msg,
	    msgsz);
}

enum access_decision
access_decide(const struct identity *id, const struct route *route, enum http_method method,
    const char **missing)
{
	uint64_t bit;

	*missing = NULL;
	if (route == NULL)
		return ACCESS_DENY_PERMISSION;
	if (route->perm == NULL)
		return ACCESS_ALLOW;
	if (id == NULL)
		return ACCESS_DENY_UNAUTHENTICATED;
	if ((id->must_renew_password || id->must_enrol_2fa) &&
	    !(route->flags & ROUTE_RESTRICTED_OK)) {
		*missing = id->must_renew_password ? "password_renewal" : "two_factor_enrolment";
		return ACCESS_DENY_RESTRICTED;
	}
	if (id->read_only && !(method & (HTTP_GET | HTTP_HEAD)) &&
	    !(route->flags & ROUTE_READ_ONLY_OK))
		return ACCESS_DENY_READ_ONLY;
	if (strcmp(route->perm, ACCESS_SIGNED_IN) == 0)
		return ACCESS_ALLOW;
	bit = access_perm_bit(route->perm);
	if (bit != 0 && (id->perms & bit) == bit)
		return ACCESS_ALLOW;
	*missing = route->perm;     /* an unknown name matches no bit: denied */
	return ACCESS_DENY_PERMISSION;
}

struct access_audit {
	const struct audit_chain *chain;
	const struct identity *id;
	const char *source, *missing, *route, *method;
};

static int
access_audit_denial(sqlite3 *db, void *arg)
{
	struct access_audit *a = arg;
	json_t *d = json_pack("{s:s, s:s, s:s}", "permission", a->missing, "route", a->route,
	    "method", a->method);
	int rc;

	if (d == NULL)
		return ERR_NOMEM;
	rc = audit_append(a->chain, db, &(struct audit_event){ .event = "access.denied",
	    .actor = a->id->user_id, .source = a->source, .outcome = AUDIT_DENIED, .detail = d });
	json_decref(d);
	return rc;
}

static int
access_answer(struct request *req, struct response *res, enum access_decision d,
    const char *missing)
{
	struct access_audit a;
	char msg[200];

	if (d == ACCESS_DENY_UNAUTHENTICATED) {
		response_error(res, 401, "unauthenticated", "Sign in, or send a valid API token.");
		return 1;
	}
	if (d == ACCESS_DENY_READ_ONLY)
		missing = "write_scope";
	a = (struct access_audit){ req->vault ? vault_audit(req->vault) : NULL, req->identity,
	    req->remote, missing ? missing : "-", req->pattern ? req->pattern : "-", http_method_name(req->method) };
	if (req->identity != NULL && req->vault != NULL) {
		int rc = vault_write(req->vault, access_audit_denial, &a);
		if (rc != 0)
			log_warnx("cannot audit a denial: %s", err_str(rc));
	}
	switch (d) {
	case ACCESS_DENY_READ_ONLY:
		response_error(res, 403, "read_only_token",
		    "This API token is read-only; this call changes data.");
		break;
	case ACCESS_DENY_RESTRICTED:
		response_error(res, 403, strcmp(a.missing, "password_renewal") == 0 ?
		    "password_expired" : "two_factor_required",
		    strcmp(a.missing, "password_renewal") == 0 ?
		    "Your password expired: set a new one first." :
		    "Your role requires two-factor authentication: enrol first.");
		break;
	default:
		snprintf(msg, sizeof(msg), "This needs the %s permission.", a.missing);
		response_error(res, 403, "forbidden", msg);
		break;
	}
	return 1;
}

int
access_check(struct request *req, struct response *res, const struct route *route)
{
	const char *missing;
	enum access_decision d = access_decide(req->identity, route, req->method, &missing);

	if (d == ACCESS_ALLOW)
		return 0;
	return access_answer(req, res, d, missing);
}

int
access_deny(struct request *req, struct response *res, const char *missing)
{
	return access_answer(req, res, req->identity ? ACCESS_DENY_PERMISSION :
	    ACCESS_DENY_UNAUTHENTICATED, missing);
}
