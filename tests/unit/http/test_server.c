/*
 * The request pipeline over real TLS: a server started in-process with test routes
 * (a JSON echo, a slow handler, a failing handler), driven by libcurl.
 */
#include "../test.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "crypto/x509.h"
#include "http/server.h"

static int
route_echo(struct request *req, struct response *res)
{
	return response_json(res, 200, json_pack("{s:O}", "received", req->json));
}

static int
route_slow(struct request *req, struct response *res)
{
	struct timespec ts = { 0, 400 * 1000000 };

	(void)req;
	nanosleep(&ts, NULL);
	return response_json(res, 200, json_pack("{s:b}", "slow", 1));
}

static int
route_fail(struct request *req, struct response *res)
{
	(void)req;
	(void)res;
	return ERR_IO;
}

static int
route_param(struct request *req, struct response *res)
{
	return response_json(res, 200, json_pack("{s:s,s:s?}", "id", req->params[0], "q",
	    request_query(req, "q")));
}

static const struct route routes[] = {
	{ HTTP_POST, "/api/v1/echo", route_echo, ROUTE_JSON_BODY, NULL },
	{ HTTP_GET, "/api/v1/slow", route_slow, 0, NULL },
	{ HTTP_GET, "/api/v1/fail", route_fail, 0, NULL },
	{ HTTP_GET, "/api/v1/things/{id}", route_param, 0, NULL },
	{ HTTP_GET, "/healthz", route_slow, ROUTE_NO_RATE_LIMIT, NULL },
};

struct fixture {
	char *dir;
	char cafile[512];
	struct server *srv;
};

struct reply {
	long status;
	char body[65536];
	size_t body_len;
	char headers[16384];
	size_t headers_len;
};

static size_t
collect_body(char *p, size_t size, size_t n, void *cls)
{
	struct reply *r = cls;
	size_t len = size * n;

	if (r->body_len + len >= sizeof(r->body))
		len = sizeof(r->body) - r->body_len - 1;
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return size * n;
}

static size_t
collect_header(char *p, size_t size, size_t n, void *cls)
{
	struct reply *r = cls;
	size_t len = size * n;

	if (r->headers_len + len >= sizeof(r->headers))
		len = sizeof(r->headers) - r->headers_len - 1;
	memcpy(r->headers + r->headers_len, p, len);
	r->headers_len += len;
	r->headers[r->headers_len] = '\0';
	return size * n;
}

struct body_src {
	const char *data;
	size_t len, off;
};

static size_t
send_body(char *p, size_t size, size_t n, void *cls)
{
	struct body_src *b = cls;
	size_t len = size * n;

	if (len > b->len - b->off)
		len = b->len - b->off;
	memcpy(p, b->data + b->off, len);
	b->off += len;
	return len;
}

/* Performs one request; chunked sends the body without Content-Length. */
static void
do_request(struct fixture *fx, const char *method, const char *path, const char *ctype,
    const char *body, size_t body_len, int chunked, struct reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct body_src src = { body, body_len, 0 };
	char url[256], h[256];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", server_port(fx->srv), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, fx->cafile);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (ctype != NULL) {
		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, h);
	}
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, send_body);
		curl_easy_setopt(c, CURLOPT_READDATA, &src);
		if (chunked)
			hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		else
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

static struct server *
start(struct fixture *fx, const char *const *sets)
{
	struct config *cfg = config_new();
	char err[256];
	int rc;
	struct server *srv;

	assert_int_equal(config_set(cfg, "server.listen", "127.0.0.1:0", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "server.max_body_bytes", "4096", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "server.max_json_depth", "8", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "server.rate_limit", "0", err, sizeof(err)), 0);
	for (; sets != NULL && *sets != NULL; sets += 2)
		assert_int_equal(config_set(cfg, sets[0], sets[1], err, sizeof(err)), 0);
	srv = server_start(cfg, fx->dir, routes, sizeof(routes) / sizeof(routes[0]), NULL, &rc);
	assert_non_null(srv);
	assert_int_equal(rc, 0);
	assert_true(server_port(srv) > 0);
	config_free(cfg);
	return srv;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char key[512];

	log_set_level(LOG_LEVEL_WARN);
	fx->dir = test_tmpdir();
	/* The default tls.key and tls.cert, resolved against the data folder. */
	snprintf(key, sizeof(key), "%s/tls", fx->dir);
	if (mkdir(key, 0700) != 0)
		return -1;
	snprintf(key, sizeof(key), "%s/tls/key.pem", fx->dir);
	snprintf(fx->cafile, sizeof(fx->cafile), "%s/tls/cert.pem", fx->dir);
	if (x509_create_selfsigned(key, fx->cafile) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void
assert_security_headers(const struct reply *r)
{
	assert_non_null(strstr(r->headers, "Strict-Transport-Security: max-age=63072000; "
	    "includeSubDomains"));
	assert_non_null(strstr(r->headers, "frame-ancestors 'none'"));
	assert_non_null(strstr(r->headers, "X-Content-Type-Options: nosniff"));
	assert_non_null(strstr(r->headers, "Referrer-Policy: no-referrer"));
	assert_non_null(strstr(r->headers, "Permissions-Policy: "));
	assert_null(strstr(r->headers, "Server:"));
}

static void
assert_error(const struct reply *r, long status, const char *code)
{
	json_error_t je;
	json_t *v = json_loads(r->body, 0, &je);
	const char *got = NULL, *msg = NULL;

	assert_int_equal(r->status, status);
	assert_non_null(v);
	assert_int_equal(json_unpack(v, "{s:{s:s,s:s}}", "error", "code", &got, "message", &msg),
	    0);
	assert_string_equal(got, code);
	assert_true(strlen(msg) > 0);
	assert_non_null(strstr(r->headers, "Content-Type: application/json"));
	assert_security_headers(r);
	json_decref(v);
}

static void
test_json_pipeline(void **state)
{
	struct fixture *fx = *state;
	struct reply r;
	char deep[64], big[5000];
	const char *ok = "{\"a\":[1,2,{\"b\":\"c\"}]}";

	fx->srv = start(fx, NULL);
	do_request(fx, "POST", "/api/v1/echo", "application/json", ok, strlen(ok), 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"received\":{\"a\":[1,2,{\"b\":\"c\"}]}}");
	assert_security_headers(&r);
	do_request(fx, "POST", "/api/v1/echo", "application/json; charset=utf-8", ok, strlen(ok),
	    1, &r);
	assert_int_equal(r.status, 200);

	do_request(fx, "POST", "/api/v1/echo", "application/json", "{\"a\":", 5, 0, &r);
	assert_error(&r, 400, "malformed_json");
	do_request(fx, "POST", "/api/v1/echo", "application/json", "{\"a\":1,\"a\":2}", 13, 0, &r);
	assert_error(&r, 400, "malformed_json");
	memset(deep, '[', 9);
	memset(deep + 9, ']', 9);
	do_request(fx, "POST", "/api/v1/echo", "application/json", deep, 18, 0, &r);
	assert_error(&r, 400, "malformed_json");
	assert_non_null(strstr(r.body, "deeper than 8"));
	do_request(fx, "POST", "/api/v1/echo", "application/json", "", 0, 0, &r);
	assert_error(&r, 400, "bad_request");
	do_request(fx, "POST", "/api/v1/echo", "text/plain", ok, strlen(ok), 0, &r);
	assert_error(&r, 415, "unsupported_media_type");
	do_request(fx, "POST", "/api/v1/echo", NULL, ok, strlen(ok), 0, &r);
	assert_error(&r, 415, "unsupported_media_type");

	/* 4096 bytes is the limit here: Content-Length past it, then chunked past it. */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	do_request(fx, "POST", "/api/v1/echo", "application/json", big, sizeof(big), 0, &r);
	assert_error(&r, 413, "body_too_large");
	do_request(fx, "POST", "/api/v1/echo", "application/json", big, sizeof(big), 1, &r);
	assert_error(&r, 413, "body_too_large");
	do_request(fx, "POST", "/api/v1/echo", "application/json", big, 4096, 0, &r);
	assert_error(&r, 400, "malformed_json");    /* exactly at the limit: parsed */
	server_stop(fx->srv, 5);
}

static void
test_routing_errors(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	fx->srv = start(fx, NULL);
	do_request(fx, "GET", "/api/v1/nothing", NULL, NULL, 0, 0, &r);
	assert_error(&r, 404, "not_found");
	do_request(fx, "DELETE", "/api/v1/echo", NULL, NULL, 0, 0, &r);
	assert_error(&r, 405, "method_not_allowed");
	assert_non_null(strstr(r.headers, "Allow: POST"));
	do_request(fx, "TRACE", "/healthz", NULL, NULL, 0, 0, &r);     /* ASVS 13.4.4 */
	assert_error(&r, 405, "method_not_allowed");
	do_request(fx, "GET", "/api/v1/things/a%2F..%2Fb", NULL, NULL, 0, 0, &r);
	assert_int_not_equal(r.status, 200);
	do_request(fx, "GET", "/api/v1/things/x42?q=hello", NULL, NULL, 0, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"id\":\"x42\",\"q\":\"hello\"}");
	do_request(fx, "GET", "/api/v1/fail", NULL, NULL, 0, 0, &r);
	assert_error(&r, 500, "internal_error");
	assert_null(strstr(r.body, "input/output"));        /* no internals leak */
	server_stop(fx->srv, 5);
}

static void
test_rate_limit(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	fx->srv = start(fx, (const char *const[]){ "server.rate_limit", "1",
	    "server.rate_limit_burst", "3", NULL });
	for (int i = 0; i < 3; i++) {
		do_request(fx, "GET", "/api/v1/nothing", NULL, NULL, 0, 0, &r);
		assert_int_equal(r.status, 404);
	}
	do_request(fx, "GET", "/api/v1/nothing", NULL, NULL, 0, 0, &r);
	assert_error(&r, 429, "rate_limited");
	assert_non_null(strstr(r.headers, "Retry-After: 1"));
	/* Probes are exempt: an orchestrator must not see a throttled server as dead. */
	do_request(fx, "GET", "/healthz", NULL, NULL, 0, 0, &r);
	assert_int_equal(r.status, 200);
	server_stop(fx->srv, 5);
}

struct bg {
	struct fixture *fx;
	struct reply r;
};

static void *
bg_request(void *cls)
{
	struct bg *b = cls;

	do_request(b->fx, "GET", "/api/v1/slow", NULL, NULL, 0, 0, &b->r);
	return NULL;
}

static void
test_shutdown_drains_in_flight(void **state)
{
	struct fixture *fx = *state;
	struct bg b = { .fx = fx };
	struct timespec tick = { 0, 5 * 1000000 };
	pthread_t t;
	int waited = 0;

	fx->srv = start(fx, NULL);
	assert_int_equal(pthread_create(&t, NULL, bg_request, &b), 0);
	while (server_in_flight(fx->srv) == 0 && waited++ < 2000)
		nanosleep(&tick, NULL);
	assert_int_equal(server_in_flight(fx->srv), 1);
	assert_int_equal(server_stop(fx->srv, 5), 0);
	pthread_join(t, NULL);
	assert_int_equal(b.r.status, 200);
	assert_string_equal(b.r.body, "{\"slow\":true}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_pipeline),
		cmocka_unit_test(test_routing_errors),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_shutdown_drains_in_flight),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
