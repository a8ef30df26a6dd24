#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "http/metrics.h"
#include "http/ratelimit.h"

#define SERVER_MAX_PEM (64 * 1024)
#define SERVER_ARENA_MAX (1024 * 1024)  /* per-request metadata; bodies are separate */
#define SERVER_RATELIMIT_SLOTS 8192

/* ECDHE key exchange and AEAD ciphers only; no CBC, no RSA key exchange, no compression. */
#define SERVER_TLS_COMMON                                                                   \
	"+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:+AEAD:+ECDHE-ECDSA:+ECDHE-RSA:"        \
	"+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"                                   \
	"+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SECP384R1-SHA384:+SIGN-ECDSA-SHA256:"      \
	"+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SHA512:+SIGN-RSA-PSS-RSAE-SHA256:"                    \
	"+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-PSS-RSAE-SHA512:+SIGN-RSA-SHA256:"               \
	"+SIGN-RSA-SHA384:+SIGN-RSA-SHA512:+SIGN-EDDSA-ED25519:+CTYPE-X509:+COMP-NULL:"      \
	"%SERVER_PRECEDENCE"

/* Sent with every response: the headers of a grade A+ site. */
static const char *const server_security_headers[][2] = {
	{ "Strict-Transport-Security", "max-age=63072000; includeSubDomains" },
	{ "Content-Security-Policy",
	  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "X-Frame-Options", "DENY" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Permissions-Policy",
	  "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
	  "microphone=(), payment=(), usb=(), interest-cohort=()" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cross-Origin-Resource-Policy", "same-origin" },
	{ "Cache-Control", "no-store" },
};

struct server {
	struct MHD_Daemon *daemon;
	const struct route *routes;
	size_t nroutes;
	struct server_hooks hooks;
	struct metrics *metrics;
	struct ratelimit *ratelimit;    /* NULL when disabled */
	char *data_dir;
	char *tls_key, *tls_cert;
	size_t tls_key_len, tls_cert_len;
	size_t max_body, max_header;
	int max_depth;
	uint64_t request_timeout_ns;
	uint16_t port;
	_Atomic long in_flight;
	_Atomic int ready;
};

/* Per request: what the handler sees plus the pipeline's own state. */
struct exchange {
	struct request req;
	struct response res;
	int decided;            /* the response is known; the body is read and discarded */
	int queued;
	int aborted;            /* connection closed without a response (408, 413) */
	int wants_body;
	char *body;
	size_t body_len, body_cap, body_seen;
	uint64_t deadline_ns;
	unsigned char addr[RATELIMIT_ADDR_BYTES];
};

const char *
server_tls_priorities(const char *min_version)
{
	if (strcmp(min_version, "1.3") == 0)
		return "NONE:+VERS-TLS1.3:" SERVER_TLS_COMMON;
	return "NONE:+VERS-TLS1.3:+VERS-TLS1.2:" SERVER_TLS_COMMON;
}

static void server_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages: their format strings come from the library. */
static void
server_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* Handshake failures of scanners and old clients are routine: keep them at debug. */
	log_vwrite(LOG_LEVEL_DEBUG, fmt, ap);
}

static int
server_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding of paths and query values. A byte below 0x20 or DEL stays encoded, so
 * that a decoded path or argument never holds a NUL (which would cut it short: "ID%00/.."
 * read as "ID") nor another control character.
 */
static size_t
server_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s;
	const char *r = s;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		if (r[0] == '%' && server_hex(r[1]) >= 0 && server_hex(r[2]) >= 0) {
			int v = server_hex(r[1]) * 16 + server_hex(r[2]);
			if (v >= 0x20 && v != 0x7f) {
				*w++ = (char)v;
				r += 3;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
server_set_error(struct exchange *ex, int status, const char *code, const char *message)
{
	if (response_error(&ex->res, status, code, message) != 0) {
		ex->res.status = 500;
		ex->res.content_type = NULL;
	}
}

/* Frees a serialised JSON body (NUL-terminated) of a sensitive response after wiping it. */
static void
server_free_wiped(void *body)
{
	sodium_memzero(body, strlen(body));
	free(body);
}

static int
server_queue(struct MHD_Connection *conn, struct exchange *ex)
{
	struct MHD_Response *mr;
	struct response *res = &ex->res;
	char *body = NULL;
	size_t len = 0;
	enum MHD_Result ok;
	char num[32];

	if (res->json != NULL) {
		if ((body = jsonx_dump(res->json, &len)) == NULL)
			return MHD_NO;
	} else if (res->body != NULL) {
		body = res->body;
		len = res->body_len;
		res->body = NULL;
	}
	if (body != NULL && res->sensitive && res->json != NULL)
		mr = MHD_create_response_from_buffer_with_free_callback(len, body,
		    server_free_wiped);
	else if (body != NULL)
		mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	else
		mr = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (mr == NULL) {
		if (body != NULL && res->sensitive)
			sodium_memzero(body, len);
		free(body);
		return MHD_NO;
	}
	for (size_t i = 0; i < sizeof(server_security_headers) / sizeof(server_security_headers[0]);
	    i++)
		MHD_add_response_header(mr, server_security_headers[i][0],
		    server_security_headers[i][1]);
	if (res->content_type != NULL)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
	if (res->allow != NULL)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, res->allow);
	if (res->retry_after != 0) {
		snprintf(num, sizeof(num), "%u", res->retry_after);
		MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (res->close)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
	if (res->set_cookie != NULL)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_SET_COOKIE, res->set_cookie);
	ok = MHD_queue_response(conn, (unsigned)res->status, mr);
	MHD_destroy_response(mr);
	if (ok == MHD_YES)
		ex->queued = 1;
	return ok;
}

/* Immediate responses (429, 413, 408, 400 on framing) close the connection at once. */
static enum MHD_Result
server_reply_now(struct MHD_Connection *conn, struct exchange *ex, int status, const char *code,
    const char *message)
{
	server_set_error(ex, status, code, message);
	ex->res.close = 1;
	ex->decided = 1;
	return server_queue(conn, ex) == MHD_YES ? MHD_YES : MHD_NO;
}

static void
server_decide(struct exchange *ex, int status, const char *code, const char *message)
{
	if (ex->decided)
		return;
	server_set_error(ex, status, code, message);
	ex->decided = 1;
}

static enum MHD_Result
server_sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *sum = cls;

	(void)kind;
	*sum += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static void
server_client_address(struct MHD_Connection *conn, struct exchange *ex)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(ex->req.remote, sizeof(ex->req.remote), "-");
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		ex->addr[10] = 0xff;
		ex->addr[11] = 0xff;
		memcpy(ex->addr + 12, &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, ex->req.remote, sizeof(ex->req.remote));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(ex->addr, &in6->sin6_addr, 16);
		inet_ntop(AF_INET6, &in6->sin6_addr, ex->req.remote, sizeof(ex->req.remote));
	}
}

static int
server_is_json(const char *ctype)
{
	size_t n = strlen("application/json");

	if (ctype == NULL || strncasecmp(ctype, "application/json", n) != 0)
		return 0;
	return ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ';
}

/* First call for a request: everything decidable from the headers is decided here. */
static enum MHD_Result
server_begin(struct server *srv, struct MHD_Connection *conn, const char *url,
    const char *method, struct exchange *ex)
{
	const char *cl, *te, *params[REQUEST_MAX_PARAMS];
	size_t header_bytes = strlen(url) + strlen(method) + 16;
	unsigned allow = 0, retry = 0;
	int idx = -1, np = 0, rc;

	ex->req.server = srv;
	ex->req.conn = conn;
	ex->req.method = http_method_parse(method);
	ex->req.path = url;
	ex->req.route = -1;
	ex->req.start_ns = time_mono_ns();
	ex->deadline_ns = ex->req.start_ns + srv->request_timeout_ns;
	server_client_address(conn, ex);
	memcpy(ex->req.addr, ex->addr, sizeof(ex->req.addr));

	rc = router_match(srv->routes, srv->nroutes, ex->req.method, url, ex->req.arena, &idx,
	    params, &np, &allow);
	if (rc == ROUTER_MATCH) {
		ex->req.route = idx;
		ex->req.pattern = srv->routes[idx].pattern;
		memcpy(ex->req.params, params, sizeof(params));
		ex->req.nparams = np;
	}
	if (srv->ratelimit != NULL &&
	    !(rc == ROUTER_MATCH && (srv->routes[idx].flags & ROUTE_NO_RATE_LIMIT)) &&
	    !ratelimit_take(srv->ratelimit, ex->addr, ex->req.start_ns, &retry)) {
		metrics_rate_limited(srv->metrics);
		ex->res.retry_after = retry;
		return server_reply_now(conn, ex, 429, "rate_limited",
		    "Too many requests from this address; retry later.");
	}

	MHD_get_connection_values(conn, MHD_HEADER_KIND, server_sum_header, &header_bytes);
	if (header_bytes > srv->max_header)
		server_decide(ex, 431, "headers_too_large", "The request headers are too large.");

	te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && te == NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || end == cl || cl[0] == '-')
			return server_reply_now(conn, ex, 400, "bad_request",
			    "The Content-Length header is invalid.");
		if (n > srv->max_body)
			return server_reply_now(conn, ex, 413, "body_too_large",
			    "The request body is larger than the server accepts.");
	}

	switch (rc) {
	case ROUTER_MATCH:
		break;
	case ROUTER_BAD_METHOD:
		ex->res.allow = router_allow_header(ex->req.arena, allow);
		server_decide(ex, 405, "method_not_allowed",
		    "This method is not allowed on this resource.");
		break;
	case ROUTER_BAD_PATH:
		server_decide(ex, 400, "bad_path", "The request path is malformed.");
		break;
	default:
		server_decide(ex, 404, "not_found", "No such resource.");
		break;
	}
	if (rc == ROUTER_MATCH && (srv->routes[idx].flags & ROUTE_JSON_BODY)) {
		if (!server_is_json(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE)))
			server_decide(ex, 415, "unsupported_media_type",
			    "The request body must be application/json.");
		ex->wants_body = 1;
	}
	return MHD_YES;
}

/*
 * libmicrohttpd cannot queue a response while a body is arriving, so a body that turns out
 * too large (chunked) is discarded up to SERVER_DISCARD_FACTOR times the limit and then
 * answered with 413; past that, or past the deadline, the connection is closed.
 */
#define SERVER_DISCARD_FACTOR 4

static enum MHD_Result
server_abort(struct exchange *ex, int status)
{
	ex->res.status = status;        /* for the access log and metrics only */
	ex->aborted = 1;
	return MHD_NO;
}

static enum MHD_Result
server_receive(struct server *srv, struct exchange *ex, const char *data, size_t len)
{
	if (ex->queued)
		return MHD_YES;
	if (time_mono_ns() > ex->deadline_ns)
		return server_abort(ex, 408);
	ex->body_seen += len;
	if (ex->body_seen > srv->max_body) {
		if (ex->body_seen / SERVER_DISCARD_FACTOR > srv->max_body)
			return server_abort(ex, 413);
		if (ex->res.status != 413)
			ex->decided = 0;        /* 413 wins over any earlier decision */
		server_decide(ex, 413, "body_too_large",
		    "The request body is larger than the server accepts.");
		ex->res.close = 1;
	}
	if (ex->decided || !ex->wants_body)
		return MHD_YES;
	if (ex->body_len + len + 1 > ex->body_cap) {
		size_t cap = ex->body_cap ? ex->body_cap : 4096;
		char *nb;

		while (cap < ex->body_len + len + 1)
			cap *= 2;
		if (cap > srv->max_body + 1)
			cap = srv->max_body + 1;
		if ((nb = realloc(ex->body, cap)) == NULL)
			return MHD_NO;
		ex->body = nb;
		ex->body_cap = cap;
	}
	memcpy(ex->body + ex->body_len, data, len);
	ex->body_len += len;
	ex->body[ex->body_len] = '\0';
	return MHD_YES;
}

static void
server_dispatch(struct server *srv, struct exchange *ex)
{
	const struct route *r = &srv->routes[ex->req.route];
	char why[200];
	int rc;

	if (r->flags & ROUTE_JSON_BODY) {
		if (ex->body_len == 0) {
			server_set_error(ex, 400, "bad_request", "A JSON body is required.");
			return;
		}
		ex->req.json = jsonx_parse(ex->body, ex->body_len, srv->max_depth, why, sizeof(why));
		if (ex->req.json == NULL) {
			server_set_error(ex, 400, "malformed_json", why);
			return;
		}
	}
	ex->req.body = ex->body;
	ex->req.body_len = ex->body_len;
	ex->req.app = srv->hooks.app;
	if (srv->hooks.before != NULL) {
		rc = srv->hooks.before(srv->hooks.app, &ex->req, &ex->res, r);
		if (rc == 0)
			rc = r->fn(&ex->req, &ex->res);
		if (srv->hooks.after != NULL)
			srv->hooks.after(srv->hooks.app, &ex->req, &ex->res);
	} else {
		rc = r->fn(&ex->req, &ex->res);
	}
	if (ex->res.status == 0 || (rc != 0 && ex->res.status < 400)) {
		log_warnx("handler for %s %s failed: %s", http_method_name(r->method), r->pattern,
		    err_str(rc));
		server_set_error(ex, 500, "internal_error", "The server could not complete this "
		    "request.");
	}
}

static enum MHD_Result
server_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct exchange *ex = *con_cls;

	(void)version;
	if (ex == NULL) {
		if ((ex = calloc(1, sizeof(*ex))) == NULL)
			return MHD_NO;
		if ((ex->req.arena = arena_new(SERVER_ARENA_MAX)) == NULL) {
			free(ex);
			return MHD_NO;
		}
		*con_cls = ex;
		atomic_fetch_add(&srv->in_flight, 1);
		return server_begin(srv, conn, url, method, ex);
	}
	if (*upload_size != 0) {
		size_t len = *upload_size;
		*upload_size = 0;
		return server_receive(srv, ex, upload_data, len);
	}
	if (ex->queued)
		return MHD_YES;
	if (!ex->decided)
		server_dispatch(srv, ex);
	return server_queue(conn, ex);
}

static void
server_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct exchange *ex = *con_cls;
	const char *route;
	uint64_t dur;

	(void)conn;
	(void)toe;
	if (ex == NULL)
		return;
	*con_cls = NULL;
	dur = time_mono_ns() - ex->req.start_ns;
	route = ex->req.route >= 0 ? srv->routes[ex->req.route].pattern : "unmatched";
	if (ex->queued || ex->aborted)
		metrics_record(srv->metrics, ex->req.route, ex->res.status, dur);
	/* The route pattern, never the raw path: paths and queries can carry tokens. */
	log_info("access method=%s route=%s status=%d duration_ms=%.3f remote=%s",
	    http_method_name(ex->req.method), route,
	    ex->queued || ex->aborted ? ex->res.status : 0,
	    (double)dur / 1e6, ex->req.remote);
	json_decref(ex->req.json);
	response_clear(&ex->res);
	if (ex->body != NULL) {
		sodium_memzero(ex->body, ex->body_cap);  /* bodies carry passwords */
		free(ex->body);
	}
	arena_free(ex->req.arena);
	free(ex);
	atomic_fetch_sub(&srv->in_flight, 1);
}

static void
server_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct server *srv = cls;

	(void)conn;
	(void)socket_context;
	metrics_connection(srv->metrics, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static int
server_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[256];
	const char *port;
	struct addrinfo hints, *ai = NULL;
	size_t hlen;

	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');
		if (end == NULL || end[1] != ':')
			return ERR_INVALID;
		hlen = (size_t)(end - listen - 1);
		if (hlen >= sizeof(host))
			return ERR_INVALID;
		memcpy(host, listen + 1, hlen);
		port = end + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (colon == NULL)
			return ERR_INVALID;
		hlen = (size_t)(colon - listen);
		if (hlen >= sizeof(host))
			return ERR_INVALID;
		memcpy(host, listen, hlen);
		port = colon + 1;
	}
	host[hlen] = '\0';
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    atoi(port) > 65535)
		return ERR_INVALID;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &ai) != 0 || ai == NULL)
		return ERR_INVALID;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int
server_load_pem(const char *data_dir, const char *name, int secret, char **out, size_t *len)
{
	char path[4096];
	int rc;

	if ((rc = fs_join(path, sizeof(path), data_dir, name)) != 0)
		return rc;
	if (secret && fs_check_private(path) == ERR_PERM) {
		log_warnx("%s is readable by group or others; refusing to use it (chmod 600)", path);
		return ERR_PERM;
	}
	rc = fs_read_all(path, SERVER_MAX_PEM, secret, out, len);
	if (rc != 0)
		log_warnx("cannot read %s: %s", path, err_str(rc));
	return rc;
}

static void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	if (srv->tls_key != NULL)
		fs_free_secure(srv->tls_key, srv->tls_key_len + 1);
	free(srv->tls_cert);
	free(srv->data_dir);
	metrics_free(srv->metrics);
	ratelimit_free(srv->ratelimit);
	free(srv);
}

struct server *
server_start(const struct config *cfg, const char *data_dir, const struct route *routes,
    size_t nroutes, const struct server_hooks *hooks, int *err)
{
	struct server *srv = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *di;
	const char *listen = config_str(cfg, "server.listen");
	unsigned flags;
	long long rate = config_int(cfg, "server.rate_limit");

	*err = ERR_INVALID;
	if (router_check_table(routes, nroutes) != 0) {
		log_error("route table is malformed");
		*err = ERR_INTERNAL;
		return NULL;
	}
	if (server_parse_listen(listen, &ss, &sslen) != 0) {
		log_error("server.listen: cannot parse '%s' (expected ADDRESS:PORT)", listen);
		*err = ERR_CONFIG;
		return NULL;
	}
	*err = ERR_NOMEM;
	if ((srv = calloc(1, sizeof(*srv))) == NULL || (srv->data_dir = strdup(data_dir)) == NULL)
		goto fail;
	srv->routes = routes;
	srv->nroutes = nroutes;
	if (hooks != NULL)
		srv->hooks = *hooks;
	srv->max_body = (size_t)config_int(cfg, "server.max_body_bytes");
	srv->max_header = (size_t)config_int(cfg, "server.max_header_bytes");
	srv->max_depth = (int)config_int(cfg, "server.max_json_depth");
	srv->request_timeout_ns = (uint64_t)config_int(cfg, "server.request_timeout") * 1000000000u;
	if ((srv->metrics = metrics_new(routes, nroutes)) == NULL)
		goto fail;
	if (rate > 0 && (srv->ratelimit = ratelimit_new((double)rate,
	    (double)config_int(cfg, "server.rate_limit_burst"), SERVER_RATELIMIT_SLOTS)) == NULL)
		goto fail;
	if ((*err = server_load_pem(data_dir, config_str(cfg, "tls.key"), 1, &srv->tls_key,
	    &srv->tls_key_len)) != 0 ||
	    (*err = server_load_pem(data_dir, config_str(cfg, "tls.cert"), 0, &srv->tls_cert,
	    &srv->tls_cert_len)) != 0)
		goto fail;

	flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, server_on_request, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, srv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
	    MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert,
	    MHD_OPTION_HTTPS_PRIORITIES, server_tls_priorities(config_str(cfg, "tls.min_version")),
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)config_int(cfg, "server.threads"),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)config_int(cfg, "server.max_connections"),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)config_int(cfg, "server.max_connections_per_address"),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)config_int(cfg, "server.idle_timeout"),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(srv->max_header + 16384),
	    MHD_OPTION_NOTIFY_COMPLETED, server_on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, server_on_connection, srv,
	    MHD_OPTION_UNESCAPE_CALLBACK, server_unescape, srv,
	    MHD_OPTION_END);
	if (srv->daemon == NULL) {
		log_error("cannot start the HTTPS server on %s (address in use, or bad TLS files)",
		    listen);
		*err = ERR_IO;
		goto fail;
	}
	di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di != NULL ? di->port : 0;
	atomic_store(&srv->ready, 1);
	*err = 0;
	return srv;
fail:
	server_free(srv);
	return NULL;
}

uint16_t
server_port(const struct server *srv)
{
	return srv->port;
}

const char *
server_data_dir(const struct server *srv)
{
	return srv->data_dir;
}

int
server_is_ready(const struct server *srv)
{
	return atomic_load(&srv->ready);
}

long
server_in_flight(const struct server *srv)
{
	return atomic_load(&srv->in_flight);
}

char *
server_render_metrics(const struct server *srv, size_t *len)
{
	return metrics_render(srv->metrics, server_in_flight(srv), len);
}

int
server_stop(struct server *srv, unsigned grace_s)
{
	uint64_t deadline = time_mono_ns() + (uint64_t)grace_s * 1000000000u;
	struct timespec tick = { 0, 10 * 1000000 };
	MHD_socket fd;
	long left;
	int rc = 0;

	if (srv == NULL)
		return 0;
	atomic_store(&srv->ready, 0);
	fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while ((left = server_in_flight(srv)) > 0 && time_mono_ns() < deadline)
		nanosleep(&tick, NULL);
	if (left > 0) {
		log_warnx("shutdown grace of %us over; cutting %ld request(s) in flight", grace_s,
		    left);
		rc = ERR_INTERNAL;
	}
	server_free(srv);
	return rc;
}
