/* api.h: the route table of the HTTP API; each resource's handlers in api/<resource>.c. */
#ifndef COFFRE_API_H
#define COFFRE_API_H

#include <stddef.h>

#include "http/router.h"
#include "http/server.h"

struct config;
struct system;
struct vault_cache;
struct auth;
struct result;

extern const struct route api_routes[];
extern const size_t api_nroutes;

/* What every handler can reach through req->app. */
struct app {
	const struct config *cfg;
	struct system *sys;
	struct vault_cache *vaults;
	struct auth *auth;
};

/* guard.c: authentication, CSRF and the access check before every handler (server_hooks). */
int api_guard_before(void *app, struct request *req, struct response *res,
    const struct route *route);
void api_guard_after(void *app, struct request *req, struct response *res);
/* Turns a domain result into the response (error body, session cookie); clears r. */
int api_result(struct request *req, struct response *res, struct result *r, int rc);
/* A string field of the JSON body of at most max bytes; NULL when absent or not a string. */
const char *api_string(const struct request *req, const char *name, size_t max);
/* 1 when the body has only the allowed fields (NULL-terminated list); else answers 400. */
int api_fields_ok(const struct request *req, struct response *res, const char *const *allowed);

/* health.c */
int api_health_live(struct request *req, struct response *res);
int api_health_ready(struct request *req, struct response *res);
int api_health_metrics(struct request *req, struct response *res);

/* auth.c */
int api_auth_login(struct request *req, struct response *res);
int api_auth_logout(struct request *req, struct response *res);
int api_auth_password(struct request *req, struct response *res);
int api_auth_reset_request(struct request *req, struct response *res);
int api_auth_reset(struct request *req, struct response *res);
int api_auth_totp_enroll(struct request *req, struct response *res);
int api_auth_totp_confirm(struct request *req, struct response *res);
int api_auth_totp_remove(struct request *req, struct response *res);
int api_me(struct request *req, struct response *res);
int api_tokens_list(struct request *req, struct response *res);
int api_tokens_create(struct request *req, struct response *res);
int api_tokens_revoke(struct request *req, struct response *res);

/* users.c */
int api_invitations_create(struct request *req, struct response *res);
int api_invitations_accept(struct request *req, struct response *res);
int api_users_list(struct request *req, struct response *res);
int api_users_update(struct request *req, struct response *res);
int api_users_unlock(struct request *req, struct response *res);
int api_settings_auth_get(struct request *req, struct response *res);
int api_settings_auth_put(struct request *req, struct response *res);

/* documents.c */
int api_documents_list(struct request *req, struct response *res);
int api_documents_create(struct request *req, struct response *res);
int api_documents_get(struct request *req, struct response *res);
int api_documents_update(struct request *req, struct response *res);
int api_documents_delete(struct request *req, struct response *res);
int api_versions_list(struct request *req, struct response *res);
int api_versions_get(struct request *req, struct response *res);
int api_versions_restore(struct request *req, struct response *res);
int api_versions_diff(struct request *req, struct response *res);
int api_trash_list(struct request *req, struct response *res);
int api_trash_restore(struct request *req, struct response *res);
int api_trash_purge(struct request *req, struct response *res);

/* taxonomy.c */
int api_tags_list(struct request *req, struct response *res);
int api_tags_create(struct request *req, struct response *res);
int api_tags_update(struct request *req, struct response *res);
int api_tags_delete(struct request *req, struct response *res);
int api_collections_list(struct request *req, struct response *res);
int api_collections_create(struct request *req, struct response *res);
int api_collections_update(struct request *req, struct response *res);
int api_collections_delete(struct request *req, struct response *res);

/* roles.c */
int api_roles_list(struct request *req, struct response *res);
int api_roles_get(struct request *req, struct response *res);
int api_roles_create(struct request *req, struct response *res);
int api_roles_update(struct request *req, struct response *res);
int api_roles_delete(struct request *req, struct response *res);
int api_role_grants_get(struct request *req, struct response *res);
int api_role_grants_put(struct request *req, struct response *res);
int api_user_grants_get(struct request *req, struct response *res);
int api_user_grants_put(struct request *req, struct response *res);

/* search.c */
int api_search(struct request *req, struct response *res);

/* pii.c */
int api_pii_analyze(struct request *req, struct response *res);
int api_pii_pseudonymize(struct request *req, struct response *res);
int api_pii_restore(struct request *req, struct response *res);
int api_pii_mapping_delete(struct request *req, struct response *res);

/* audit.c */
int api_audit_query(struct request *req, struct response *res);
int api_audit_verify(struct request *req, struct response *res);

#endif
