#include "../test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "audit/alerts.h"

#define SRV_MAX_REQS 256
#define SRV_HEAD_MAX 16384
#define SRV_BODY_MAX (1024 * 1024)
/* Generous: the machine running the tests may be loaded; these are not benchmarks. */
#define WAIT_MS 15000
#define PROMPT_MS 3000

struct req {
	char *body;
	char line[256];         /* request line */
	char event[160];
	char ctype[80];
	char ua[80];
};

/* A tiny HTTP/1.1 server on 127.0.0.1, one connection at a time, Connection: close. */
struct srv {
	int fd;
	unsigned short port;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	unsigned fail_first;    /* the first fail_first requests get fail_status */
	int fail_status, ok_status;
	size_t reply_body;      /* bytes of filler in each response body */
	size_t nreq;
	struct req reqs[SRV_MAX_REQS];
};

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
listen_loopback(unsigned short *port, bool do_listen)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port nothing listens on: connections are refused at once. */
static unsigned short
dead_port(void)
{
	unsigned short port;
	int fd = listen_loopback(&port, false);

	close(fd);
	return port;
}

static void
header_value(const char *head, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = strstr(head, "\r\n");

	out[0] = '\0';
	while (p != NULL && p[2] != '\0' && p[2] != '\r') {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (eol == NULL)
			return;
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (*v == ' ')
				v++;
			snprintf(out, outlen, "%.*s", (int)(eol - v), v);
			return;
		}
		p = eol;
	}
}

static void
srv_send_all(int c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void
srv_handle(struct srv *s, int c)
{
	static char filler[8192];
	char head[SRV_HEAD_MAX + 1], resp[256], *hend = NULL, *body = NULL;
	size_t got = 0, have, clen;
	struct timeval tv = { 5, 0 };
	struct req r;
	int status;

	memset(&r, 0, sizeof(r));
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (hend == NULL) {
		ssize_t n;

		if (got == SRV_HEAD_MAX)
			return;
		if ((n = recv(c, head + got, SRV_HEAD_MAX - got, 0)) <= 0)
			return;
		got += (size_t)n;
		head[got] = '\0';
		hend = strstr(head, "\r\n\r\n");
	}
	hend[2] = '\0';
	snprintf(r.line, sizeof(r.line), "%.*s", (int)strcspn(head, "\r"), head);
	header_value(head, "X-Coffre-Event", r.event, sizeof(r.event));
	header_value(head, "Content-Type", r.ctype, sizeof(r.ctype));
	header_value(head, "User-Agent", r.ua, sizeof(r.ua));
	header_value(head, "Content-Length", resp, sizeof(resp));
	clen = strtoul(resp, NULL, 10);
	if (clen > SRV_BODY_MAX || (body = malloc(clen + 1)) == NULL)
		return;
	have = got - (size_t)(hend + 4 - head);
	if (have > clen)
		have = clen;
	memcpy(body, hend + 4, have);
	while (have < clen) {
		ssize_t n = recv(c, body + have, clen - have, 0);
		if (n <= 0) {
			free(body);
			return;
		}
		have += (size_t)n;
	}
	body[clen] = '\0';
	r.body = body;
	pthread_mutex_lock(&s->lock);
	status = s->nreq < s->fail_first ? s->fail_status : s->ok_status;
	if (s->nreq < SRV_MAX_REQS)
		s->reqs[s->nreq] = r;
	else
		free(r.body);
	s->nreq++;
	pthread_mutex_unlock(&s->lock);
	snprintf(resp, sizeof(resp),
	    "HTTP/1.1 %d Test\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status,
	    s->reply_body, status / 100 == 3 ? "Location: /elsewhere\r\n" : "");
	srv_send_all(c, resp, strlen(resp));
	memset(filler, 'x', sizeof(filler));
	for (size_t left = s->reply_body; left > 0;) {
		size_t n = left < sizeof(filler) ? left : sizeof(filler);
		ssize_t w = send(c, filler, n, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		left -= (size_t)w;
	}
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;

	for (;;) {
		struct pollfd pfd = { s->fd, POLLIN, 0 };
		bool stop;
		int c;

		pthread_mutex_lock(&s->lock);
		stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		srv_handle(s, c);
		close(c);
	}
	return NULL;
}

static struct srv *
srv_new(unsigned fail_first, int fail_status, int ok_status)
{
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->fail_first = fail_first;
	s->fail_status = fail_status;
	s->ok_status = ok_status;
	s->fd = listen_loopback(&s->port, true);
	pthread_mutex_init(&s->lock, NULL);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
	return s;
}

static void
srv_free(struct srv *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	close(s->fd);
	for (size_t i = 0; i < s->nreq && i < SRV_MAX_REQS; i++)
		free(s->reqs[i].body);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static size_t
srv_count(struct srv *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nreq;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Waits until the server has seen n requests or timeout_ms passed; returns the count. */
static size_t
srv_wait(struct srv *s, size_t n, unsigned timeout_ms)
{
	struct timespec t0;
	size_t got;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((got = srv_count(s)) < n && ms_since(&t0) < timeout_ms)
		sleep_ms(5);
	return got;
}

static struct alerts_stats
stats_of(const struct alerts *a)
{
	struct alerts_stats st;

	alerts_stats(a, &st);
	return st;
}

static void
test_empty_and_null(void **state)
{
	struct alerts_stats st;
	struct alerts *a;
	char err[128] = "x";
	json_t *p = json_pack("{s:s}", "k", "v");

	(void)state;
	alerts_free(NULL);
	alerts_notify(NULL, "auth.login.failed", p);
	assert_int_equal(alerts_drain(NULL, 10), 0);
	memset(&st, 0xff, sizeof(st));
	alerts_stats(NULL, &st);
	assert_true(st.sent == 0 && st.failed_attempts == 0 && st.dropped == 0 && st.given_up == 0);

	a = alerts_new("", NULL, err, sizeof(err));
	assert_non_null(a);
	assert_string_equal(err, "");
	alerts_notify(a, "auth.login.failed", p);
	assert_int_equal(alerts_drain(a, 0), 0);
	st = stats_of(a);
	assert_true(st.sent == 0 && st.failed_attempts == 0 && st.dropped == 0 && st.given_up == 0);
	alerts_free(a);
	a = alerts_new("   ", NULL, NULL, 0);
	assert_non_null(a);
	alerts_free(a);
	json_decref(p);
}

static void
test_spec_accepted(void **state)
{
	static const char *const good[] = {
		"https://hooks.example.com/services/T0/B0/xyz|*",
		"https://user:pass@example.com:8443/p?q=1|auth.,key.rotate,tenant.delete",
		"http://localhost:9/|auth.*",
		"HTTP://LocalHost:9/x|*",
		"http://[::1]:9/x|*",
		"http://127.1.2.3/|*",
		"http://127.0.0.1|*",
		"https://[2001:db8::1]/|*",
		"  https://a.example|a   https://b.example:1/x#frag|b_c.d9  ",
		"https://a.example|a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p",
	};
	struct alerts_options opt = { 100, 1, 10, 4, "/nonexistent/ca.pem" };
	char err[256], spec[16 * 32];
	struct alerts *a;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = alerts_new(good[i], i % 2 ? &opt : NULL, err, sizeof(err));
		if (a == NULL)
			fail_msg("refused %s: %s", good[i], err);
		alerts_free(a);
	}
	spec[0] = '\0';
	for (int i = 0; i < 16; i++)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec),
		    "https://h%d.example|*%s", i, i < 15 ? " " : "");
	a = alerts_new(spec, NULL, err, sizeof(err));
	assert_non_null(a);
	alerts_free(a);
}

static void
test_spec_refused(void **state)
{
	static const struct {
		const char *spec, *reason;
	} bad[] = {
		{ "http://example.com/hook?token=SECRET|*", "loopback" },
		{ "http://10.0.0.1/|*", "loopback" },
		{ "http://127.0.0.1.evil.com/|*", "loopback" },
		{ "http://localhost@evil.com/|*", "loopback" },
		{ "http://localhost.evil.com/|*", "loopback" },
		{ "http://0177.0.0.1/|*", "loopback" },
		{ "http://127.1/|*", "loopback" },
		{ "ftp://127.0.0.1/|*", "scheme" },
		{ "file:///etc/passwd|*", "scheme" },
		{ "//example.com/|*", "scheme" },
		{ "garbage", "expected URL|prefix" },
		{ "https://example.com/", "expected URL|prefix" },
		{ "|*", "empty URL" },
		{ "https://|*", "missing host" },
		{ "https://:443/|*", "missing host" },
		{ "https://user@/x|*", "missing host" },
		{ "https://a@b@127.0.0.1/|*", "more than one '@'" },
		{ "https://127.0.0.1:99999/|*", "port" },
		{ "https://example.com:/|*", "port" },
		{ "https://example.com:8a/|*", "port" },
		{ "https://exa%6dple.com/|*", "bad character" },
		{ "https://[::1/|*", "IPv6" },
		{ "https://exa\x01mple.com/|*", "control" },
		{ "https://example.com/\t|*", "control" },
		{ "https://ex\xc3\xa9mple.com/|*", "non-ASCII" },
		{ "https://example.com/|", "no prefixes" },
		{ "https://example.com/|AUTH", "a-z 0-9" },
		{ "https://example.com/|auth-login", "a-z 0-9" },
		{ "https://example.com/|a,,b", "empty prefix" },
		{ "https://example.com/|a,", "empty prefix" },
		{ "https://example.com/|a*b", "'*'" },
		{ "https://ok.example|* ftp://x|*", "webhook 2" },
	};
	char err[256], spec[4096];
	struct alerts *a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		a = alerts_new(bad[i].spec, NULL, err, sizeof(err));
		if (a != NULL)
			fail_msg("accepted bad spec #%zu", i);
		if (strstr(err, bad[i].reason) == NULL)
			fail_msg("spec #%zu: reason \"%s\" lacks \"%s\"", i, err, bad[i].reason);
		assert_null(strchr(err, '\n'));
		/* The reason must never quote the URL: it may carry a token. */
		assert_null(strstr(err, "SECRET"));
		assert_null(strstr(err, "example"));
	}

	/* 17 prefixes. */
	snprintf(spec, sizeof(spec), "https://a.example|a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
	assert_null(alerts_new(spec, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 16 prefixes"));
	/* A 65-character prefix. */
	snprintf(spec, sizeof(spec), "https://a.example|%065d", 0);
	assert_null(alerts_new(spec, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "longer than 64"));
	/* 17 webhooks. */
	spec[0] = '\0';
	for (int i = 0; i < 17; i++)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec),
		    "https://h%d.example|* ", i);
	assert_null(alerts_new(spec, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 16 webhooks"));
	/* A 2049-character URL. */
	memset(spec, 'a', sizeof(spec));
	memcpy(spec, "https://a.example/", 18);
	memcpy(spec + 2049, "|*", 3);
	assert_null(alerts_new(spec, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "longer than 2048"));
	/* The same URL one character shorter is fine. */
	memcpy(spec + 2048, "|*", 3);
	a = alerts_new(spec, NULL, err, sizeof(err));
	assert_non_null(a);
	alerts_free(a);
	/* A tiny error buffer is truncated, not overrun; NULL is fine too. */
	memset(err, 'z', sizeof(err));
	assert_null(alerts_new("garbage", NULL, err, 8));
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'z');
	assert_null(alerts_new("garbage", NULL, NULL, 0));
}

static void
test_delivers_matching_event(void **state)
{
	struct srv *s = srv_new(0, 0, 200);
	struct alerts_options opt = { 0 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[256], err[256];
	json_t *payload, *got;
	json_error_t jerr;

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/hook?token=s3cret|auth.*,key.rotate",
	    s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	payload = json_pack("{s:s, s:i, s:{s:b}}", "user", "alice", "n", 3, "ctx", "mfa", 1);
	assert_non_null(payload);
	alerts_notify(a, "tenant.delete", payload);
	alerts_notify(a, "auth", payload);
	alerts_notify(a, "auth.login.failed", payload);
	/* The payload is copied: the caller may drop it at once. */
	json_decref(payload);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	st = stats_of(a);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed_attempts, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.given_up, 0);
	/* Nothing else arrives later: the non-matching events were never queued. */
	sleep_ms(100);
	assert_int_equal(srv_count(s), 1);
	assert_string_equal(s->reqs[0].line, "POST /hook?token=s3cret HTTP/1.1");
	assert_string_equal(s->reqs[0].event, "auth.login.failed");
	assert_string_equal(s->reqs[0].ctype, "application/json");
	assert_string_equal(s->reqs[0].ua, "coffre-alerts");
	assert_string_equal(s->reqs[0].body, "{\"user\":\"alice\",\"n\":3,\"ctx\":{\"mfa\":true}}");
	got = json_loads(s->reqs[0].body, 0, &jerr);
	assert_non_null(got);
	json_decref(got);

	/* key.rotate matches its exact prefix; key.create does not. */
	payload = json_pack("{s:s}", "key", "k1");
	alerts_notify(a, "key.create", payload);
	alerts_notify(a, "key.rotate", payload);
	json_decref(payload);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	assert_int_equal(srv_count(s), 2);
	assert_string_equal(s->reqs[1].event, "key.rotate");
	assert_string_equal(s->reqs[1].body, "{\"key\":\"k1\"}");
	alerts_free(a);
	srv_free(s);
}

static void
test_retries_then_succeeds(void **state)
{
	struct srv *s = srv_new(2, 500, 204);
	struct alerts_options opt = { .backoff_ms = 20, .retries = 5 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];
	json_t *payload = json_pack("{s:s}", "tenant", "acme");

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|tenant.", s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	alerts_notify(a, "tenant.delete", payload);
	json_decref(payload);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	st = stats_of(a);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed_attempts, 2);
	assert_int_equal(st.given_up, 0);
	assert_int_equal(srv_count(s), 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(s->reqs[i].body, "{\"tenant\":\"acme\"}");
		assert_string_equal(s->reqs[i].event, "tenant.delete");
	}
	alerts_free(a);
	srv_free(s);
}

static void
test_gives_up(void **state)
{
	struct srv *s = srv_new(1000, 500, 204);
	struct alerts_options opt = { .backoff_ms = 10, .retries = 2 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];

	(void)state;
	snprintf(spec, sizeof(spec), "http://localhost:%u/|*", s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	alerts_notify(a, "auth.login.failed", NULL);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	st = stats_of(a);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.failed_attempts, 3);
	assert_int_equal(st.given_up, 1);
	assert_int_equal(srv_count(s), 3);
	/* A NULL payload is sent as an empty object. */
	assert_string_equal(s->reqs[0].body, "{}");
	alerts_free(a);
	srv_free(s);
}

static void
test_redirect_not_followed(void **state)
{
	struct srv *s = srv_new(1000, 302, 204);
	struct alerts_options opt = { .backoff_ms = 10, .retries = 1 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/hook|*", s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	alerts_notify(a, "auth.login.failed", NULL);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	st = stats_of(a);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.failed_attempts, 2);
	assert_int_equal(st.given_up, 1);
	sleep_ms(100);
	assert_int_equal(srv_count(s), 2);
	assert_string_equal(s->reqs[0].line, "POST /hook HTTP/1.1");
	assert_string_equal(s->reqs[1].line, "POST /hook HTTP/1.1");
	alerts_free(a);
	srv_free(s);
}

static void
test_large_response_is_bounded(void **state)
{
	struct srv *s = srv_new(0, 0, 200);
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];

	(void)state;
	s->reply_body = 1024 * 1024;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|*", s->port);
	a = alerts_new(spec, NULL, err, sizeof(err));
	assert_non_null(a);
	alerts_notify(a, "auth.login.failed", NULL);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	st = stats_of(a);
	/* Reading stopped early, but the webhook did answer 200: counted as sent, not retried. */
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed_attempts, 0);
	assert_int_equal(srv_count(s), 1);
	alerts_free(a);
	srv_free(s);
}

static void
test_dead_webhook_does_not_block(void **state)
{
	struct srv *s = srv_new(0, 0, 204);
	struct alerts_options opt = { .backoff_ms = 10000, .retries = 3 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[256], err[256];
	struct timespec t0, t1;
	double notify_ms;

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/dead|* http://127.0.0.1:%u/live|*",
	    dead_port(), s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 5; i++) {
		json_t *p = json_pack("{s:i}", "i", i);
		alerts_notify(a, "auth.login.failed", p);
		json_decref(p);
	}
	notify_ms = ms_since(&t0);
	assert_true(notify_ms < 1000);
	/* Each dead alert now sleeps 10 s in backoff; the live ones must not wait for that. */
	assert_int_equal(srv_wait(s, 5, WAIT_MS), 5);
	assert_true(ms_since(&t0) < 8000);
	for (int i = 0; i < 5; i++) {
		char want[32];
		snprintf(want, sizeof(want), "{\"i\":%d}", i);
		assert_string_equal(s->reqs[i].body, want);
		assert_string_equal(s->reqs[i].line, "POST /live HTTP/1.1");
	}
	/* The server records a request before answering it: wait for the last answer too. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	do {
		st = stats_of(a);
		sleep_ms(5);
	} while (st.sent < 5 && ms_since(&t1) < WAIT_MS);
	assert_int_equal(st.sent, 5);
	/* The dead ones are still pending, waiting for their retry. */
	assert_int_equal(alerts_drain(a, 50), 5);
	st = stats_of(a);
	assert_true(st.failed_attempts >= 5);
	assert_int_equal(st.given_up, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alerts_free(a);
	assert_true(ms_since(&t1) < PROMPT_MS);
	srv_free(s);
}

static void
test_queue_overflow(void **state)
{
	struct srv *s = srv_new(1000, 500, 204);
	struct alerts_options opt = { .backoff_ms = 10000, .queue_max = 2 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];
	struct timespec t0;

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|*", s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 5; i++)
		alerts_notify(a, "key.rotate", NULL);
	assert_true(ms_since(&t0) < 1000);
	st = stats_of(a);
	assert_int_equal(st.dropped, 3);
	/* The two queued ones wait 10 s between attempts: still pending. */
	assert_int_equal(alerts_drain(a, 50), 2);
	alerts_free(a);
	srv_free(s);
}

static void
test_free_during_backoff(void **state)
{
	struct srv *s = srv_new(1000, 500, 204);
	struct alerts_options opt = { .backoff_ms = 60000 };
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];
	struct timespec t0;

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|*", s->port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	alerts_notify(a, "tenant.delete", NULL);
	assert_int_equal(srv_wait(s, 1, WAIT_MS), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		st = stats_of(a);
		sleep_ms(5);
	} while (st.failed_attempts == 0 && ms_since(&t0) < WAIT_MS);
	assert_int_equal(st.failed_attempts, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alerts_free(a);
	assert_true(ms_since(&t0) < PROMPT_MS);
	srv_free(s);
}

static void
test_free_during_hung_attempt(void **state)
{
	struct alerts_options opt = { .timeout_ms = 60000 };
	unsigned short port;
	int fd = listen_loopback(&port, true);
	struct alerts *a;
	char spec[128], err[256];
	struct timespec t0;

	(void)state;
	/* The kernel accepts the connection, nobody ever answers. */
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|*", port);
	a = alerts_new(spec, &opt, err, sizeof(err));
	assert_non_null(a);
	alerts_notify(a, "tenant.delete", NULL);
	sleep_ms(300);
	assert_int_equal(alerts_drain(a, 0), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alerts_free(a);
	assert_true(ms_since(&t0) < PROMPT_MS);
	close(fd);
}

#define NOTIFIERS 4
#define PER_NOTIFIER 25

struct notifier_arg {
	struct alerts *a;
	int k;
};

static void *
notifier(void *arg)
{
	const struct notifier_arg *na = arg;

	for (int i = 0; i < PER_NOTIFIER; i++) {
		char event[32];
		json_t *p = json_pack("{s:i, s:i}", "k", na->k, "i", i);
		snprintf(event, sizeof(event), "auth.t%d", na->k);
		alerts_notify(na->a, event, p);
		json_decref(p);
	}
	return NULL;
}

static void
test_concurrent_notify(void **state)
{
	struct srv *s = srv_new(0, 0, 204);
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256];
	pthread_t th[NOTIFIERS];
	struct notifier_arg args[NOTIFIERS];
	bool seen[NOTIFIERS][PER_NOTIFIER];

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|*", s->port);
	a = alerts_new(spec, NULL, err, sizeof(err));
	assert_non_null(a);
	for (int k = 0; k < NOTIFIERS; k++) {
		args[k].a = a;
		args[k].k = k;
		assert_int_equal(pthread_create(&th[k], NULL, notifier, &args[k]), 0);
	}
	for (int k = 0; k < NOTIFIERS; k++)
		pthread_join(th[k], NULL);
	assert_int_equal(alerts_drain(a, 60000), 0);
	st = stats_of(a);
	assert_int_equal(st.sent, NOTIFIERS * PER_NOTIFIER);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(srv_count(s), NOTIFIERS * PER_NOTIFIER);
	memset(seen, 0, sizeof(seen));
	for (int r = 0; r < NOTIFIERS * PER_NOTIFIER; r++) {
		json_error_t jerr;
		json_t *j = json_loads(s->reqs[r].body, 0, &jerr);
		int k = -1, i = -1;
		char want[32];

		assert_non_null(j);
		assert_int_equal(json_unpack(j, "{s:i, s:i}", "k", &k, "i", &i), 0);
		json_decref(j);
		assert_true(k >= 0 && k < NOTIFIERS && i >= 0 && i < PER_NOTIFIER);
		assert_false(seen[k][i]);
		seen[k][i] = true;
		snprintf(want, sizeof(want), "auth.t%d", k);
		assert_string_equal(s->reqs[r].event, want);
	}
	alerts_free(a);
	srv_free(s);
}

static void
test_bad_event_or_payload_dropped(void **state)
{
	struct srv *s = srv_new(0, 0, 204);
	struct alerts_stats st;
	struct alerts *a;
	char spec[128], err[256], longname[130], *big;
	json_t *p;

	(void)state;
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%u/|*", s->port);
	a = alerts_new(spec, NULL, err, sizeof(err));
	assert_non_null(a);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	alerts_notify(a, NULL, NULL);
	alerts_notify(a, "", NULL);
	alerts_notify(a, "auth\r\nX-Evil: 1", NULL);
	alerts_notify(a, "auth login", NULL);
	alerts_notify(a, longname, NULL);
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'b', 69999);
	big[69999] = '\0';
	p = json_pack("{s:s}", "blob", big);
	free(big);
	alerts_notify(a, "auth.big", p);
	json_decref(p);
	longname[128] = '\0';
	alerts_notify(a, longname, NULL);
	assert_int_equal(alerts_drain(a, WAIT_MS), 0);
	st = stats_of(a);
	assert_int_equal(st.dropped, 6);
	assert_int_equal(st.sent, 1);
	assert_int_equal(srv_count(s), 1);
	assert_string_equal(s->reqs[0].event, longname);
	alerts_free(a);
	srv_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_spec_accepted),
		cmocka_unit_test(test_spec_refused),
		cmocka_unit_test(test_delivers_matching_event),
		cmocka_unit_test(test_retries_then_succeeds),
		cmocka_unit_test(test_gives_up),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_large_response_is_bounded),
		cmocka_unit_test(test_dead_webhook_does_not_block),
		cmocka_unit_test(test_queue_overflow),
		cmocka_unit_test(test_free_during_backoff),
		cmocka_unit_test(test_free_during_hung_attempt),
		cmocka_unit_test(test_concurrent_notify),
		cmocka_unit_test(test_bad_event_or_payload_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
