#include "audit/alerts.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/curlx.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/worker.h"

/* Also spelled out in the error messages. */
#define ALERTS_HOOKS_MAX 16
#define ALERTS_PREFIXES_MAX 16
#define ALERTS_PREFIX_MAX 64
#define ALERTS_URL_MAX 2048
#define ALERTS_EVENT_MAX 128
#define ALERTS_BODY_MAX (64 * 1024)
#define ALERTS_RESPONSE_MAX (64 * 1024)
#define ALERTS_BACKOFF_CAP_MS 60000u
#define ALERTS_ORIGIN_MAX (sizeof("https://") + ALERTS_URL_MAX)
#define ALERTS_LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define ALERTS_ALNUM ALERTS_LOWER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

struct webhook {
	char *url;
	/* scheme://host[:port]: the only part of the URL that may be logged (tokens hide in it). */
	char origin[ALERTS_ORIGIN_MAX];
	bool loopback;
	size_t nprefixes;
	/* Trailing '*' removed: "" matches every event. */
	char *prefixes[ALERTS_PREFIXES_MAX];
};

struct alert {
	struct worker_node node;
	const struct webhook *hook;
	unsigned failures;
	size_t body_len;
	char *body;
	char event[ALERTS_EVENT_MAX + 1];
};

struct alerts {
	pthread_mutex_t lock;
	pthread_cond_t wake;    /* delivery thread: an alert was queued, or stop */
	pthread_cond_t done;    /* alerts_drain: an alert left the queue */
	/* The in-flight alert is out of the queue but still counted in pending. */
	struct worker_queue queue;
	size_t pending;
	/* Also read by the curl progress callback, without the lock, to abort a transfer. */
	atomic_bool stop;
	bool started;
	pthread_t thread;
	CURL *curl;             /* used by the delivery thread only */
	unsigned timeout_ms, retries, backoff_ms, queue_max;
	char *ca_file;
	size_t nhooks;
	struct webhook hooks[ALERTS_HOOKS_MAX];
	atomic_ullong sent, failed_attempts, dropped, given_up;
};

struct alerts_sink {
	size_t total;
	bool overflow;
};

static void alerts_reason(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
alerts_reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Strict dotted quad: "127.1" or "0177.0.0.1" mean other things to other parsers. */
static bool
alerts_ipv4_loopback(const char *host, size_t len)
{
	unsigned parts = 0, first = 0;
	size_t i = 0;

	while (i < len) {
		unsigned v = 0;
		size_t start = i;

		while (i < len && host[i] >= '0' && host[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(host[i++] - '0');
		if (i == start || v > 255 || (host[start] == '0' && i - start > 1))
			return false;
		if (parts++ == 0)
			first = v;
		if (i == len)
			break;
		if (host[i] != '.' || parts == 4)
			return false;
		i++;
		if (i == len)
			return false;
	}
	return parts == 4 && first == 127;
}

static bool
alerts_is_loopback(const char *host, size_t len)
{
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return true;
	if (len == 5 && memcmp(host, "[::1]", 5) == 0)
		return true;
	return alerts_ipv4_loopback(host, len);
}

/*
 * Checks url and fills h->origin and h->loopback. The URL is never copied into why: it may
 * carry a token.
 */
static int
alerts_parse_url(const char *url, struct webhook *h, char *why, size_t whylen)
{
	size_t len = strlen(url), schemelen, hostlen, portlen = 0, ats = 0;
	const char *scheme, *auth, *end, *host, *hend, *port = NULL;
	bool https;
	CURLU *cu = NULL;
	char *curlhost = NULL;
	const char *reason = NULL;
	int ret = ERR_INVALID;

	if (len == 0) {
		reason = "empty URL";
		goto out;
	}
	if (len > ALERTS_URL_MAX) {
		alerts_reason(why, whylen, "URL longer than %d characters", ALERTS_URL_MAX);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c < 0x20 || c == 0x7f) {
			reason = "control character in URL";
			goto out;
		}
		if (c == ' ' || c >= 0x80 || c == '\\') {
			reason = "space, backslash or non-ASCII character in URL";
			goto out;
		}
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		https = true;
		scheme = "https";
		schemelen = 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = false;
		scheme = "http";
		schemelen = 7;
	} else {
		reason = "scheme must be https:// (http:// only to a loopback host)";
		goto out;
	}
	auth = url + schemelen;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			ats++;
	/* Parsers disagree on which '@' ends the user part: allow only one. */
	if (ats > 1) {
		reason = "more than one '@' in the URL authority";
		goto out;
	}
	host = ats ? (const char *)memchr(auth, '@', (size_t)(end - auth)) + 1 : auth;
	if (host == end) {
		reason = "missing host in URL";
		goto out;
	}
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (hend == NULL || hend == host + 1) {
			reason = "bad IPv6 address in URL";
			goto out;
		}
		for (const char *p = host + 1; p < hend; p++)
			if (strchr("0123456789abcdefABCDEF:.", *p) == NULL) {
				reason = "bad IPv6 address in URL";
				goto out;
			}
		hend++;
	} else {
		hend = host;
		while (hend < end && *hend != ':') {
			if (strchr(ALERTS_ALNUM ".-_", *hend) == NULL) {
				reason = "bad character in URL host";
				goto out;
			}
			hend++;
		}
		if (hend == host) {
			reason = "missing host in URL";
			goto out;
		}
	}
	hostlen = (size_t)(hend - host);
	if (hend < end) {
		unsigned long v = 0;

		if (*hend != ':') {
			reason = "bad URL authority";
			goto out;
		}
		port = hend + 1;
		portlen = (size_t)(end - port);
		for (size_t i = 0; i < portlen && portlen <= 5; i++) {
			if (port[i] < '0' || port[i] > '9') {
				v = 0;
				break;
			}
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (portlen == 0 || portlen > 5 || v == 0 || v > 65535) {
			reason = "bad port in URL";
			goto out;
		}
	}
	h->loopback = alerts_is_loopback(host, hostlen);
	if (!https && !h->loopback) {
		reason = "http:// is allowed only to a loopback host; use https://";
		goto out;
	}
	/* What curl will connect to must be what was checked above. */
	if ((cu = curl_url()) == NULL) {
		reason = "out of memory";
		ret = ERR_NOMEM;
		goto out;
	}
	if (curl_url_set(cu, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(cu, CURLUPART_HOST, &curlhost, 0) != CURLUE_OK ||
	    strlen(curlhost) != hostlen || strncasecmp(curlhost, host, hostlen) != 0) {
		reason = "URL not understood by libcurl";
		goto out;
	}
	snprintf(h->origin, sizeof(h->origin), "%s://%.*s%s%.*s", scheme, (int)hostlen, host,
	    port ? ":" : "", (int)portlen, port ? port : "");
	ret = 0;
out:
	if (reason != NULL)
		alerts_reason(why, whylen, "%s", reason);
	curl_free(curlhost);
	curl_url_cleanup(cu);
	return ret;
}

static int
alerts_parse_prefixes(const char *list, size_t len, struct webhook *h, char *why, size_t whylen)
{
	const char *p = list, *end = list + len, *reason = NULL;

	if (len == 0)
		reason = "no prefixes after '|'";
	while (reason == NULL && p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *pend = comma ? comma : end;
		size_t plen = (size_t)(pend - p);

		if (plen == 0)
			reason = "empty prefix";
		else if (plen > ALERTS_PREFIX_MAX)
			reason = "prefix longer than 64 characters";
		/* The prefix ends at ',', ' ' or NUL, none in the set: strspn stops there. */
		else if (strspn(p, ALERTS_LOWER_DIGITS "._*") < plen)
			reason = "prefixes may contain only a-z 0-9 . _ *";
		else if (memchr(p, '*', plen) != NULL && memchr(p, '*', plen) != pend - 1)
			reason = "'*' is allowed only at the end of a prefix";
		else if (h->nprefixes == ALERTS_PREFIXES_MAX)
			reason = "more than 16 prefixes";
		if (reason != NULL)
			break;
		if (p[plen - 1] == '*')
			plen--;
		if ((h->prefixes[h->nprefixes] = strndup(p, plen)) == NULL) {
			alerts_reason(why, whylen, "out of memory");
			return ERR_NOMEM;
		}
		h->nprefixes++;
		p = pend + 1;
	}
	if (reason != NULL) {
		alerts_reason(why, whylen, "%s", reason);
		return ERR_INVALID;
	}
	return 0;
}

static int
alerts_parse_spec(struct alerts *a, const char *spec, char *err, size_t errlen)
{
	const char *p = spec;
	char why[160];
	int ret;

	for (;;) {
		const char *tok, *bar;
		size_t toklen;
		struct webhook *h;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		tok = p;
		toklen = strcspn(tok, " ");
		p = tok + toklen;
		if (a->nhooks == ALERTS_HOOKS_MAX) {
			alerts_reason(err, errlen, "alerts: more than 16 webhooks");
			return ERR_INVALID;
		}
		h = &a->hooks[a->nhooks++];
		why[0] = '\0';
		if ((bar = memchr(tok, '|', toklen)) == NULL) {
			snprintf(why, sizeof(why), "expected URL|prefix,prefix,...");
			ret = ERR_INVALID;
		} else if ((h->url = strndup(tok, (size_t)(bar - tok))) == NULL) {
			snprintf(why, sizeof(why), "out of memory");
			ret = ERR_NOMEM;
		} else if ((ret = alerts_parse_url(h->url, h, why, sizeof(why))) == 0) {
			ret = alerts_parse_prefixes(bar + 1, (size_t)(tok + toklen - bar - 1), h,
			    why, sizeof(why));
		}
		if (ret != 0) {
			alerts_reason(err, errlen, "alerts: webhook %zu: %s", a->nhooks, why);
			return ret;
		}
	}
}

static bool
alerts_event_ok(const char *event)
{
	size_t len;

	if (event == NULL || (len = strlen(event)) == 0 || len > ALERTS_EVENT_MAX)
		return false;
	/* The name goes into an HTTP header: nothing that could end or extend it. */
	return strspn(event, ALERTS_ALNUM "._-") == len;
}

static bool
alerts_match(const struct webhook *h, const char *event)
{
	for (size_t i = 0; i < h->nprefixes; i++)
		if (strncmp(event, h->prefixes[i], strlen(h->prefixes[i])) == 0)
			return true;
	return false;
}

static void
alerts_alert_free(struct alert *al)
{
	if (al == NULL)
		return;
	free(al->body);
	free(al);
}

static void
alerts_count_drop(struct alerts *a, unsigned long long n, const char *why)
{
	unsigned long long before = atomic_fetch_add(&a->dropped, n), after = before + n;

	/* Once per power of two: a flood must not turn into a flood of log lines. */
	for (unsigned long long d = 1; d != 0 && d <= after; d <<= 1)
		if (d > before) {
			log_warnx("alerts: %s: alert dropped (%llu dropped so far)", why, after);
			break;
		}
}

void
alerts_notify(struct alerts *a, const char *event, const json_t *payload)
{
	struct alert *fresh[ALERTS_HOOKS_MAX];
	size_t nfresh = 0, nmatch = 0, queued = 0, len;
	char *body = NULL;

	if (a == NULL || a->nhooks == 0)
		return;
	if (!alerts_event_ok(event)) {
		alerts_count_drop(a, 1, "invalid event name");
		return;
	}
	for (size_t i = 0; i < a->nhooks; i++)
		if (alerts_match(&a->hooks[i], event))
			nmatch++;
	if (nmatch == 0)
		return;
	/* Serialised here so the delivery thread never touches the caller's json_t. */
	body = payload ? json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("{}");
	if (body == NULL) {
		alerts_count_drop(a, nmatch, "cannot serialise payload");
		return;
	}
	if ((len = strlen(body)) > ALERTS_BODY_MAX) {
		free(body);
		alerts_count_drop(a, nmatch, "payload larger than 64 KiB");
		return;
	}
	/* Allocations stay outside the lock: notify must not stall behind another notify. */
	for (size_t i = 0; i < a->nhooks; i++) {
		struct alert *al;

		if (!alerts_match(&a->hooks[i], event))
			continue;
		if ((al = calloc(1, sizeof(*al))) == NULL)
			continue;
		if ((al->body = malloc(len + 1)) == NULL) {
			free(al);
			continue;
		}
		memcpy(al->body, body, len + 1);
		al->hook = &a->hooks[i];
		al->body_len = len;
		memcpy(al->event, event, strlen(event) + 1);
		fresh[nfresh++] = al;
	}
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < nfresh; i++) {
		if (a->pending >= a->queue_max || atomic_load(&a->stop))
			break;
		fresh[i]->node.due_ns = 0;
		worker_queue_append(&a->queue, &fresh[i]->node);
		a->pending++;
		queued++;
	}
	if (queued > 0)
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	for (size_t i = queued; i < nfresh; i++)
		alerts_alert_free(fresh[i]);
	free(body);
	if (queued < nfresh)
		alerts_count_drop(a, nfresh - queued, "queue full");
	if (nfresh < nmatch)
		alerts_count_drop(a, nmatch - nfresh, "out of memory");
}

static size_t
alerts_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct alerts_sink *sink = arg;
	size_t n = size * nmemb;

	(void)ptr;
	if (n > ALERTS_RESPONSE_MAX - sink->total) {
		sink->overflow = true;
		return 0;
	}
	sink->total += n;
	return n;
}

/* Returns 0 when the webhook answered 2xx; *rc and *status tell what happened otherwise. */
static int
alerts_post(struct alerts *a, const struct alert *al, CURLcode *rc, long *status)
{
	CURL *c = a->curl;
	const struct webhook *h = al->hook;
	struct curl_slist *hdrs = NULL, *tmp;
	struct alerts_sink sink = { 0, false };
	char evhdr[sizeof("X-Coffre-Event: ") + ALERTS_EVENT_MAX];
	/* "Expect:" turns off 100-continue: one round trip, and simple receivers work. */
	const char *lines[] = { "Content-Type: application/json", evhdr, "Expect:" };
	int ret = ERR_IO;

	*status = 0;
	*rc = CURLE_OUT_OF_MEMORY;
	snprintf(evhdr, sizeof(evhdr), "X-Coffre-Event: %s", al->event);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if ((tmp = curl_slist_append(hdrs, lines[i])) == NULL) {
			ret = ERR_NOMEM;
			goto out;
		}
		hdrs = tmp;
	}
	/* Reset drops the previous alert's options but keeps the connection cache. */
	curl_easy_reset(c);
	if ((*rc = curl_easy_setopt(c, CURLOPT_URL, h->url)) != CURLE_OK ||
	    (*rc = curlx_set_protocols(c, CURLPROTO_HTTPS | CURLPROTO_HTTP)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
	    (a->ca_file && (*rc = curl_easy_setopt(c, CURLOPT_CAINFO, a->ca_file)) != CURLE_OK) ||
	    /* A proxy from the environment has no business relaying to our own loopback. */
	    (h->loopback && (*rc = curl_easy_setopt(c, CURLOPT_PROXY, "")) != CURLE_OK) ||
	    (*rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->timeout_ms)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)a->timeout_ms)) !=
	    CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_POST, 1L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, al->body)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)al->body_len)) !=
	    CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_USERAGENT, "coffre-alerts")) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, alerts_discard)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink)) != CURLE_OK ||
	    /* Lets alerts_free abort a transfer stuck on a slow webhook. */
	    (*rc = curlx_set_stop(c, &a->stop)) != CURLE_OK)
		goto out;
	*rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	/* A 2xx with an oversized body was still received: sending again would duplicate it. */
	if ((*rc == CURLE_OK || (*rc == CURLE_WRITE_ERROR && sink.overflow)) &&
	    *status >= 200 && *status <= 299)
		ret = 0;
out:
	/* The handle must not keep a pointer to the list freed below. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_slist_free_all(hdrs);
	return ret;
}

/* Makes one attempt; returns true when al is finished with (sent or given up). */
static bool
alerts_attempt(struct alerts *a, struct alert *al)
{
	CURLcode rc;
	long status;
	unsigned delay;
	char what[96];

	if (alerts_post(a, al, &rc, &status) == 0) {
		atomic_fetch_add(&a->sent, 1);
		log_debug("alerts: %s: event %s delivered (HTTP %ld)", al->hook->origin, al->event,
		    status);
		return true;
	}
	if (atomic_load(&a->stop))
		return true;
	atomic_fetch_add(&a->failed_attempts, 1);
	al->failures++;
	/* curl_easy_strerror, not the error buffer: the latter may quote the URL. */
	if (rc == CURLE_OK)
		snprintf(what, sizeof(what), "HTTP %ld", status);
	else
		snprintf(what, sizeof(what), "%s", curl_easy_strerror(rc));
	if (al->failures > a->retries) {
		atomic_fetch_add(&a->given_up, 1);
		log_warnx("alerts: %s: event %s: giving up after %u attempts (%s)",
		    al->hook->origin, al->event, al->failures, what);
		return true;
	}
	delay = worker_backoff_ms(a->backoff_ms, ALERTS_BACKOFF_CAP_MS, al->failures);
	al->node.due_ns = time_mono_ns() + (uint64_t)delay * 1000000u;
	log_warnx("alerts: %s: event %s: attempt %u failed (%s), retrying in %u ms",
	    al->hook->origin, al->event, al->failures, what, delay);
	return false;
}

static void *
alerts_main(void *arg)
{
	struct alerts *a = arg;
	struct worker_node *n;

	pthread_mutex_lock(&a->lock);
	while ((n = worker_queue_wait(&a->queue, &a->wake, &a->lock, &a->stop)) != NULL) {
		struct alert *al = WORKER_ITEM(n, struct alert, node);
		bool finished;

		pthread_mutex_unlock(&a->lock);
		finished = alerts_attempt(a, al);
		pthread_mutex_lock(&a->lock);
		if (finished) {
			alerts_alert_free(al);
			a->pending--;
			pthread_cond_broadcast(&a->done);
		} else {
			worker_queue_append(&a->queue, &al->node);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static int
alerts_sync_init(struct alerts *a)
{
	if (pthread_mutex_init(&a->lock, NULL) != 0)
		return ERR_INTERNAL;
	if (worker_cond_init(&a->wake) != 0) {
		pthread_mutex_destroy(&a->lock);
		return ERR_INTERNAL;
	}
	if (worker_cond_init(&a->done) != 0) {
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		return ERR_INTERNAL;
	}
	return 0;
}

struct alerts *
alerts_new(const char *spec, const struct alerts_options *opt, char *err, size_t errlen)
{
	struct alerts *a;
	CURLcode rc;

	alerts_reason(err, errlen, "alerts: out of memory");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if (alerts_sync_init(a) != 0) {
		alerts_reason(err, errlen, "alerts: cannot initialise locks");
		free(a);
		return NULL;
	}
	atomic_init(&a->stop, false);
	atomic_init(&a->sent, 0);
	atomic_init(&a->failed_attempts, 0);
	atomic_init(&a->dropped, 0);
	atomic_init(&a->given_up, 0);
	a->timeout_ms = opt && opt->timeout_ms ? opt->timeout_ms : 5000;
	a->retries = opt && opt->retries ? opt->retries : 5;
	a->backoff_ms = opt && opt->backoff_ms ? opt->backoff_ms : 500;
	if (a->backoff_ms > ALERTS_BACKOFF_CAP_MS)
		a->backoff_ms = ALERTS_BACKOFF_CAP_MS;
	a->queue_max = opt && opt->queue_max ? opt->queue_max : 1024;
	if (opt && opt->ca_file && (a->ca_file = strdup(opt->ca_file)) == NULL)
		goto fail;
	/* Also needed before parsing: the URL check asks libcurl's own parser. */
	if ((rc = curlx_global_init()) != CURLE_OK) {
		alerts_reason(err, errlen, "alerts: libcurl initialisation failed: %s",
		    curl_easy_strerror(rc));
		goto fail;
	}
	if (alerts_parse_spec(a, spec ? spec : "", err, errlen) != 0)
		goto fail;
	if (a->nhooks == 0) {
		alerts_reason(err, errlen, "%s", "");
		return a;
	}
	if ((a->curl = curl_easy_init()) == NULL) {
		alerts_reason(err, errlen, "alerts: cannot create a libcurl handle");
		goto fail;
	}
	if (worker_start(&a->thread, alerts_main, a) != 0) {
		alerts_reason(err, errlen, "alerts: cannot start the delivery thread");
		goto fail;
	}
	a->started = true;
	alerts_reason(err, errlen, "%s", "");
	return a;
fail:
	alerts_free(a);
	return NULL;
}

int
alerts_drain(struct alerts *a, unsigned timeout_ms)
{
	uint64_t deadline;
	size_t n;

	if (a == NULL)
		return 0;
	deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	pthread_mutex_lock(&a->lock);
	while (a->pending > 0 && !atomic_load(&a->stop))
		if (worker_cond_wait(&a->done, &a->lock, deadline) == ETIMEDOUT)
			break;
	n = a->pending;
	pthread_mutex_unlock(&a->lock);
	return n > INT_MAX ? INT_MAX : (int)n;
}

void
alerts_free(struct alerts *a)
{
	struct worker_node *n;
	size_t lost = 0;

	if (a == NULL)
		return;
	/* Without a thread nothing was ever queued. */
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		/* Read under the lock: counts the alert in flight, which is about to be aborted. */
		lost = a->pending;
		atomic_store(&a->stop, true);
		pthread_cond_broadcast(&a->wake);
		pthread_cond_broadcast(&a->done);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	while ((n = worker_queue_pop(&a->queue)) != NULL)
		alerts_alert_free(WORKER_ITEM(n, struct alert, node));
	if (lost > 0)
		log_info("alerts: %zu alerts not delivered at shutdown", lost);
	curl_easy_cleanup(a->curl);
	for (size_t i = 0; i < a->nhooks; i++) {
		free(a->hooks[i].url);
		for (size_t j = 0; j < a->hooks[i].nprefixes; j++)
			free(a->hooks[i].prefixes[j]);
	}
	free(a->ca_file);
	pthread_cond_destroy(&a->done);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void
alerts_stats(const struct alerts *a, struct alerts_stats *out)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (a == NULL)
		return;
	out->sent = atomic_load(&a->sent);
	out->failed_attempts = atomic_load(&a->failed_attempts);
	out->dropped = atomic_load(&a->dropped);
	out->given_up = atomic_load(&a->given_up);
}
