/* server.h: the HTTPS server (libmicrohttpd + GnuTLS) and the request pipeline. */
#ifndef COFFRE_SERVER_H
#define COFFRE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/router.h"

struct config;
struct server;

/* How the application takes part in every request (all optional). */
struct server_hooks {
	void *app;                      /* given to the hooks and set in every request */
	/* Runs before a matched route's handler: 0 lets it run, otherwise res is the answer. */
	int (*before)(void *app, struct request *req, struct response *res,
	    const struct route *route);
	/* Runs once the response is decided, whenever before ran: releases what it took. */
	void (*after)(void *app, struct request *req, struct response *res);
};

/*
 * Starts listening with the configuration's limits and TLS files (resolved against
 * data_dir). The route table must outlive the server. Returns NULL with *err set and
 * the reason logged.
 */
struct server *server_start(const struct config *cfg, const char *data_dir,
    const struct route *routes, size_t nroutes, const struct server_hooks *hooks, int *err);
/* The bound port (useful with port 0). */
uint16_t server_port(const struct server *srv);
/* The data folder the server was started with. */
const char *server_data_dir(const struct server *srv);
/* 1 while the server accepts work; 0 once shutdown began. */
int server_is_ready(const struct server *srv);
long server_in_flight(const struct server *srv);
/* Prometheus text for GET /metrics (malloc'd). */
char *server_render_metrics(const struct server *srv, size_t *len);
/*
 * Stops accepting, waits up to grace_s seconds for requests in flight, then stops and
 * frees the server. Returns 0 when every request finished, ERR_INTERNAL when some were cut.
 */
int server_stop(struct server *srv, unsigned grace_s);

/* The TLS priority string for a minimum version "1.2" or "1.3" (static). */
const char *server_tls_priorities(const char *min_version);

#endif
