/* api.h: the route table of the HTTP API; each resource's handlers in api/<resource>.c. */
#ifndef COFFRE_API_H
#define COFFRE_API_H

#include <stddef.h>

#include "http/router.h"

extern const struct route api_routes[];
extern const size_t api_nroutes;

/* health.c */
int api_health_live(struct request *req, struct response *res);
int api_health_ready(struct request *req, struct response *res);
int api_health_metrics(struct request *req, struct response *res);

#endif
