#include "api/api.h"

const struct route api_routes[] = {
	{ HTTP_GET, "/healthz", api_health_live, ROUTE_NO_RATE_LIMIT },
	{ HTTP_GET, "/readyz", api_health_ready, ROUTE_NO_RATE_LIMIT },
	{ HTTP_GET, "/metrics", api_health_metrics, 0 },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
