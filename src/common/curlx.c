#include "common/curlx.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const struct {
	long bit;
	const char *name;
} curlx_protocols[] = {
	{ CURLPROTO_HTTP, "http" },
	{ CURLPROTO_HTTPS, "https" },
	{ CURLPROTO_SMTP, "smtp" },
	{ CURLPROTO_SMTPS, "smtps" },
};

static pthread_once_t curlx_once = PTHREAD_ONCE_INIT;
static CURLcode curlx_status = CURLE_FAILED_INIT;

static void
curlx_init(void)
{
	curlx_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode
curlx_global_init(void)
{
	/* curl_global_init itself is not thread-safe in every libcurl version. */
	pthread_once(&curlx_once, curlx_init);
	return curlx_status;
}

CURLcode
curlx_set_protocols(CURL *c, long mask)
{
	char names[sizeof("http,https,smtp,smtps")] = "";
	long known = 0;

	for (size_t i = 0; i < sizeof(curlx_protocols) / sizeof(curlx_protocols[0]); i++) {
		if ((mask & curlx_protocols[i].bit) == 0)
			continue;
		known |= curlx_protocols[i].bit;
		/* Cannot truncate: names holds every entry of the table. */
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
		    names[0] ? "," : "", curlx_protocols[i].name);
	}
	/* Fails closed: an unknown bit must not widen the set or empty it to "all". */
	if (known == 0 || known != mask)
		return CURLE_BAD_FUNCTION_ARGUMENT;
#if LIBCURL_VERSION_NUM >= 0x075500
	return curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, names);
#else
	return curl_easy_setopt(c, CURLOPT_PROTOCOLS, mask);
#endif
}

static int
curlx_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	atomic_bool *stop = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(stop) ? 1 : 0;
}

CURLcode
curlx_set_stop(CURL *c, atomic_bool *stop)
{
	CURLcode rc;

	/* The progress callback is the hook libcurl calls often, even on a silent peer. */
	if ((rc = curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, curlx_progress)) != CURLE_OK)
		return rc;
	return curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
}
