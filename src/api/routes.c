#include "access/access.h"
#include "api/api.h"

#define J ROUTE_JSON_BODY
#define R ROUTE_RESTRICTED_OK
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

	{ HTTP_GET, "/api/v1/audit", api_audit_query, 0, "audit.read" },
	{ HTTP_GET, "/api/v1/audit/verify", api_audit_verify, 0, "audit.read" },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
