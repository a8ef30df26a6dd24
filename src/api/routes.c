#include "access/access.h"
#include "api/api.h"

#define J ROUTE_JSON_BODY
#define R ROUTE_RESTRICTED_OK
#define RO ROUTE_READ_ONLY_OK
#define SIGNED ACCESS_SIGNED_IN

/* The last field is what the caller needs (access/access.h): NULL is public. */
const struct route api_routes[] = {
	{ HTTP_GET, "/healthz", api_health_live, ROUTE_NO_RATE_LIMIT, NULL },
	{ HTTP_GET, "/readyz", api_health_ready, ROUTE_NO_RATE_LIMIT, NULL },
	{ HTTP_GET, "/metrics", api_health_metrics, 0, NULL },

	{ HTTP_POST, "/api/v1/auth/login", api_auth_login, J, NULL },
	{ HTTP_POST, "/api/v1/auth/logout", api_auth_logout, R, SIGNED },
	{ HTTP_POST, "/api/v1/auth/password", api_auth_password, J | R, SIGNED },
	{ HTTP_POST, "/api/v1/auth/password/reset-request", api_auth_reset_request, J, NULL },
	{ HTTP_POST, "/api/v1/auth/password/reset", api_auth_reset, J, NULL },
	{ HTTP_POST, "/api/v1/auth/totp/enroll", api_auth_totp_enroll, R, SIGNED },
	{ HTTP_POST, "/api/v1/auth/totp/confirm", api_auth_totp_confirm, J | R, SIGNED },
	{ HTTP_DELETE, "/api/v1/auth/totp", api_auth_totp_remove, J, SIGNED },
	{ HTTP_GET, "/api/v1/me", api_me, R, SIGNED },

	{ HTTP_GET, "/api/v1/tokens", api_tokens_list, 0, SIGNED },
	{ HTTP_POST, "/api/v1/tokens", api_tokens_create, J, SIGNED },
	{ HTTP_DELETE, "/api/v1/tokens/{id}", api_tokens_revoke, 0, SIGNED },

	{ HTTP_POST, "/api/v1/invitations", api_invitations_create, J, "users.manage" },
	{ HTTP_POST, "/api/v1/invitations/accept", api_invitations_accept, J, NULL },
	{ HTTP_GET, "/api/v1/users", api_users_list, 0, "users.manage" },
	{ HTTP_PATCH, "/api/v1/users/{id}", api_users_update, J, "users.manage" },
	{ HTTP_POST, "/api/v1/users/{id}/unlock", api_users_unlock, 0, "users.manage" },
	{ HTTP_GET, "/api/v1/settings/auth", api_settings_auth_get, 0, "settings.manage" },
	{ HTTP_PUT, "/api/v1/settings/auth", api_settings_auth_put, J, "settings.manage" },

	{ HTTP_GET, "/api/v1/users/{id}/tags", api_user_grants_get, 0, "roles.manage" },
	{ HTTP_PUT, "/api/v1/users/{id}/tags", api_user_grants_put, J, "roles.manage" },
	{ HTTP_GET, "/api/v1/roles", api_roles_list, 0, "roles.manage" },
	{ HTTP_POST, "/api/v1/roles", api_roles_create, J, "roles.manage" },
	{ HTTP_GET, "/api/v1/roles/{id}", api_roles_get, 0, "roles.manage" },
	{ HTTP_PUT, "/api/v1/roles/{id}", api_roles_update, J, "roles.manage" },
	{ HTTP_DELETE, "/api/v1/roles/{id}", api_roles_delete, 0, "roles.manage" },
	{ HTTP_GET, "/api/v1/roles/{id}/tags", api_role_grants_get, 0, "roles.manage" },
	{ HTTP_PUT, "/api/v1/roles/{id}/tags", api_role_grants_put, J, "roles.manage" },

	{ HTTP_GET, "/api/v1/documents", api_documents_list, 0, "documents.read" },
	{ HTTP_POST, "/api/v1/documents", api_documents_create, J, "documents.write" },
	{ HTTP_GET, "/api/v1/documents/{id}", api_documents_get, 0, "documents.read" },
	{ HTTP_PUT, "/api/v1/documents/{id}", api_documents_update, J, "documents.write" },
	{ HTTP_DELETE, "/api/v1/documents/{id}", api_documents_delete, 0, "documents.delete" },
	{ HTTP_GET, "/api/v1/documents/{id}/versions", api_versions_list, 0, "documents.read" },
	{ HTTP_GET, "/api/v1/documents/{id}/versions/{n}", api_versions_get, 0,
	  "documents.read" },
	{ HTTP_POST, "/api/v1/documents/{id}/versions/{n}/restore", api_versions_restore, 0,
	  "documents.write" },
	{ HTTP_GET, "/api/v1/documents/{id}/diff", api_versions_diff, 0, "documents.read" },
	{ HTTP_POST, "/api/v1/documents/{id}/restore", api_trash_restore, 0, "documents.delete" },
	{ HTTP_GET, "/api/v1/trash", api_trash_list, 0, "documents.delete" },
	{ HTTP_DELETE, "/api/v1/trash/{id}", api_trash_purge, 0, "trash.purge" },

	{ HTTP_GET, "/api/v1/search", api_search, 0, "documents.read" },

	{ HTTP_GET, "/api/v1/tags", api_tags_list, 0, "documents.read" },
	{ HTTP_POST, "/api/v1/tags", api_tags_create, J, "tags.manage" },
	{ HTTP_PATCH, "/api/v1/tags/{id}", api_tags_update, J, "tags.manage" },
	{ HTTP_DELETE, "/api/v1/tags/{id}", api_tags_delete, 0, "tags.manage" },
	{ HTTP_GET, "/api/v1/collections", api_collections_list, 0, "documents.read" },
	{ HTTP_POST, "/api/v1/collections", api_collections_create, J, "collections.manage" },
	{ HTTP_PATCH, "/api/v1/collections/{id}", api_collections_update, J,
	  "collections.manage" },
	{ HTTP_DELETE, "/api/v1/collections/{id}", api_collections_delete, 0,
	  "collections.manage" },

	/* Analysis and restore change no data: open to read-only API tokens. Pseudonymize
	 * stores a mapping of real values and DELETE erases one: not for them. */
	{ HTTP_POST, "/api/v1/pii/analyze", api_pii_analyze, J | RO, "pii.use" },
	{ HTTP_POST, "/api/v1/pii/pseudonymize", api_pii_pseudonymize, J, "pii.use" },
	{ HTTP_POST, "/api/v1/pii/restore", api_pii_restore, J | RO, "pii.use" },
	{ HTTP_DELETE, "/api/v1/pii/mappings/{id}", api_pii_mapping_delete, 0, "pii.use" },

	{ HTTP_GET, "/api/v1/audit", api_audit_query, 0, "audit.read" },
	{ HTTP_GET, "/api/v1/audit/verify", api_audit_verify, 0, "audit.read" },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
