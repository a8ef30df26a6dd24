#include "../test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "common/curlx.h"
#include "common/timeutil.h"

/* A loopback listener that never accepts nor answers: a transfer to it only waits. */
struct mute {
	int fd;
	char url[64];
};

static void
mute_open(struct mute *s, const char *scheme)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%u/", scheme, ntohs(sa.sin_port));
}

static CURL *
handle(const char *url, long timeout_ms)
{
	CURL *c;

	assert_int_equal(curlx_global_init(), CURLE_OK);
	assert_non_null(c = curl_easy_init());
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_PROXY, ""), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms), CURLE_OK);
	return c;
}

static void *
init_thread(void *arg)
{
	CURLcode *rc = arg;

	*rc = curlx_global_init();
	return NULL;
}

static void
test_global_init_once(void **state)
{
	pthread_t t[8];
	CURLcode rc[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, init_thread, &rc[i]), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(rc[i], CURLE_OK);
	}
	assert_int_equal(curlx_global_init(), CURLE_OK);
}

static void
test_protocols_refused_masks(void **state)
{
	CURL *c = handle("http://127.0.0.1:1/", 1000);

	(void)state;
	/* None, or a bit it does not know, would leave the set wider than meant. */
	assert_int_equal(curlx_set_protocols(c, 0), CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curlx_set_protocols(c, CURLPROTO_FTP), CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curlx_set_protocols(c, CURLPROTO_HTTPS | CURLPROTO_FILE),
	    CURLE_BAD_FUNCTION_ARGUMENT);
	assert_int_equal(curlx_set_protocols(c, CURLPROTO_ALL), CURLE_BAD_FUNCTION_ARGUMENT);
	curl_easy_cleanup(c);
}

static void
test_protocols_enforced(void **state)
{
	static const struct {
		long mask;
		const char *url;
		CURLcode want;
	} cases[] = {
		{ CURLPROTO_HTTPS | CURLPROTO_HTTP, "smtp://127.0.0.1:1/", CURLE_UNSUPPORTED_PROTOCOL },
		{ CURLPROTO_HTTPS | CURLPROTO_HTTP, "file:///etc/hostname", CURLE_UNSUPPORTED_PROTOCOL },
		{ CURLPROTO_HTTPS, "http://127.0.0.1:1/", CURLE_UNSUPPORTED_PROTOCOL },
		{ CURLPROTO_SMTP | CURLPROTO_SMTPS, "http://127.0.0.1:1/", CURLE_UNSUPPORTED_PROTOCOL },
		{ CURLPROTO_SMTP, "smtps://127.0.0.1:1/", CURLE_UNSUPPORTED_PROTOCOL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CURL *c = handle(cases[i].url, 5000);

		assert_int_equal(curlx_set_protocols(c, cases[i].mask), CURLE_OK);
		assert_int_equal(curl_easy_perform(c), cases[i].want);
		curl_easy_cleanup(c);
	}
}

/* Allowed protocols get through to the network: the (stopped) transfer is not refused. */
static void
test_protocols_allowed(void **state)
{
	static const struct {
		long mask;
		const char *scheme;
	} cases[] = {
		{ CURLPROTO_HTTPS | CURLPROTO_HTTP, "http" },
		{ CURLPROTO_HTTPS | CURLPROTO_HTTP, "https" },
		{ CURLPROTO_SMTP | CURLPROTO_SMTPS, "smtp" },
		{ CURLPROTO_SMTP | CURLPROTO_SMTPS, "smtps" },
	};
	atomic_bool stop;

	(void)state;
	atomic_init(&stop, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mute s;
		CURL *c;

		mute_open(&s, cases[i].scheme);
		c = handle(s.url, 5000);
		assert_int_equal(curlx_set_protocols(c, cases[i].mask), CURLE_OK);
		assert_int_equal(curlx_set_stop(c, &stop), CURLE_OK);
		assert_int_equal(curl_easy_perform(c), CURLE_ABORTED_BY_CALLBACK);
		curl_easy_cleanup(c);
		close(s.fd);
	}
}

static void *
stopper(void *arg)
{
	atomic_bool *stop = arg;
	struct timespec ts = { 0, 200 * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store(stop, true);
	return NULL;
}

static void
test_stop_aborts_transfer(void **state)
{
	struct mute s;
	atomic_bool stop;
	pthread_t t;
	uint64_t start;
	CURL *c;

	(void)state;
	mute_open(&s, "http");
	/* Not stopped: the silent peer is waited for until the timeout. */
	atomic_init(&stop, false);
	c = handle(s.url, 300);
	assert_int_equal(curlx_set_stop(c, &stop), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OPERATION_TIMEDOUT);
	curl_easy_cleanup(c);
	/* Stopped from another thread mid-transfer: aborted long before the 60 s timeout. */
	c = handle(s.url, 60000);
	assert_int_equal(curlx_set_stop(c, &stop), CURLE_OK);
	assert_int_equal(pthread_create(&t, NULL, stopper, &stop), 0);
	start = time_mono_ns();
	assert_int_equal(curl_easy_perform(c), CURLE_ABORTED_BY_CALLBACK);
	assert_true(time_mono_ns() - start < 10000 * 1000000ull);
	assert_true(atomic_load(&stop));
	assert_int_equal(pthread_join(t, NULL), 0);
	curl_easy_cleanup(c);
	close(s.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_init_once),
		cmocka_unit_test(test_protocols_refused_masks),
		cmocka_unit_test(test_protocols_enforced),
		cmocka_unit_test(test_protocols_allowed),
		cmocka_unit_test(test_stop_aborts_transfer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
