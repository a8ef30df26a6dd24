#include "mail/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/curlx.h"
#include "common/err.h"
#include "common/utf8.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/worker.h"

#define MAIL_BACKOFF_FIRST_MS 1000u
#define MAIL_BACKOFF_CAP_MS 300000u
/* RFC 5322 2.1.1: lines of at most 998 bytes; longer ones go quoted-printable. */
#define MAIL_LINE_MAX 998
#define MAIL_QP_LINE 76
/* Subject bytes per encoded-word: 56 base64 characters, so "Subject: " + word is 77. */
#define MAIL_WORD_BYTES 42
/* Headers with a 254-byte address twice and a 200-byte subject encoded stay far below. */
#define MAIL_HEAD_MAX 4096
/* A 64 KiB body grows at most fourfold (quoted-printable, soft breaks, CRLF). */
#define MAIL_MESSAGE_MAX (MAIL_HEAD_MAX + 4 * MAIL_BODY_MAX + 64)
#define MAIL_SHOWN_MAX (sizeof("x***@") + MAIL_DOMAIN_MAX)
#define MAIL_ORIGIN_MAX 600
#define MAIL_ATEXT "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" \
	"!#$%&'*+-/=?^_`{|}~"
#define MAIL_LDH "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

struct mail_msg {
	struct worker_node node;
	unsigned failures;
	size_t len;
	char *data;             /* sodium_malloc: the rendered message, one-time links and all */
	char rcpt[MAIL_ADDRESS_MAX + 1];
	char shown[MAIL_SHOWN_MAX];     /* the recipient as logs may show it */
};

struct mailer {
	bool enabled;
	bool sync;              /* lock and conditions initialised */
	pthread_mutex_t lock;
	pthread_cond_t wake;    /* delivery thread: a message was queued, or stop */
	pthread_cond_t done;    /* mailer_free: a message left the queue */
	/* The message in flight is out of the queue but still counted in pending. */
	struct worker_queue queue;
	size_t pending, pending_bytes;
	/* Also read by the curl progress callback, without the lock, to abort a transfer. */
	atomic_bool stop;
	bool started;
	pthread_t thread;
	CURL *curl;             /* the delivery thread's */
	char *url;              /* holds no credentials: those are refused in smtp.url */
	char origin[MAIL_ORIGIN_MAX];   /* scheme://host:port, for the logs */
	char from[MAIL_ADDRESS_MAX + 1];
	const char *from_domain;
	char *username;
	char *password;         /* sodium_malloc */
	size_t password_size;
	char *ca_file;
	long use_ssl;
	unsigned timeout_s, retries;
	atomic_long sent, failed, queued;
};

/* A rendering target; with p NULL it only measures. */
struct mail_buf {
	char *p;
	size_t len, cap;
};

struct mail_parts {
	const char *date, *from, *to, *subject, *msgid, *body;
};

struct mail_reader {
	const char *data;
	size_t len, off;
};

enum mail_cte { MAIL_CTE_7BIT, MAIL_CTE_8BIT, MAIL_CTE_QP };

/* Headers may not hold line breaks (injection); bodies may hold tabs and line breaks. */
static int
mail_check_text(const char *s, size_t len, bool body)
{
	return utf8_check(s, len, body ? UTF8_LINES : 0, NULL);
}

static bool
mail_local_valid(const char *s, size_t n)
{
	if (n == 0 || n > MAIL_LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (strchr(MAIL_ATEXT, s[i]) == NULL) {
			return false;
		}
	}
	return true;
}

/* LDH labels of 1..63, two at least, the last not all digits (no bare IPv4 either). */
static bool
mail_domain_valid(const char *s, size_t n)
{
	size_t i = 0, labels = 0;
	bool alpha = false;

	if (n == 0 || n > MAIL_DOMAIN_MAX)
		return false;
	if (n == 9 && strncasecmp(s, "localhost", 9) == 0)
		return true;
	for (;;) {
		size_t start = i;

		alpha = false;
		while (i < n && s[i] != '.') {
			if (strchr(MAIL_LDH, s[i]) == NULL)
				return false;
			if (s[i] < '0' || s[i] > '9')
				alpha = true;
			i++;
		}
		if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		labels++;
		if (i == n)
			break;
		i++;
	}
	return labels >= 2 && alpha;
}

int
mail_address_valid(const char *addr)
{
	const char *at;
	size_t len;

	if (addr == NULL || (len = strnlen(addr, MAIL_ADDRESS_MAX + 1)) > MAIL_ADDRESS_MAX)
		return 0;
	if ((at = strchr(addr, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	return mail_local_valid(addr, (size_t)(at - addr)) &&
	    mail_domain_valid(at + 1, len - (size_t)(at - addr) - 1);
}

/* First character, "***@" and the domain: enough to tell recipients apart in a log. */
static void
mail_redact(const char *addr, char *out, size_t outlen)
{
	const char *at = strrchr(addr, '@');

	snprintf(out, outlen, "%c***@%s", addr[0], at ? at + 1 : "?");
}

static int
mail_check(const char *to, const char *subject, const char *body)
{
	size_t len;

	if (to == NULL || subject == NULL || body == NULL)
		return ERR_INVALID;
	if (strnlen(to, MAIL_ADDRESS_MAX + 1) > MAIL_ADDRESS_MAX)
		return ERR_TOOBIG;
	if (!mail_address_valid(to))
		return ERR_INVALID;
	if ((len = strnlen(subject, MAIL_SUBJECT_MAX + 1)) > MAIL_SUBJECT_MAX)
		return ERR_TOOBIG;
	if (mail_check_text(subject, len, false) != 0)
		return ERR_INVALID;
	if ((len = strnlen(body, MAIL_BODY_MAX + 1)) > MAIL_BODY_MAX)
		return ERR_TOOBIG;
	return mail_check_text(body, len, true);
}

static void
mail_put(struct mail_buf *b, const char *s, size_t n)
{
	if (b->p != NULL && b->len <= b->cap && n <= b->cap - b->len)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
mail_puts(struct mail_buf *b, const char *s)
{
	mail_put(b, s, strlen(s));
}

static void
mail_put_header(struct mail_buf *b, const char *name, const char *value)
{
	mail_puts(b, name);
	mail_put(b, ": ", 2);
	mail_puts(b, value);
	mail_put(b, "\r\n", 2);
}

/* Readers would decode "=?" in a plain subject; long ones are folded as encoded-words. */
static bool
mail_subject_plain(const char *s)
{
	size_t n = strlen(s);

	if (sizeof("Subject: ") - 1 + n > 78 || strstr(s, "=?") != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* RFC 2047 B encoding, one encoded-word per line, each holding whole characters (5). */
static void
mail_put_subject(struct mail_buf *b, const char *s)
{
	char b64[sodium_base64_ENCODED_LEN(MAIL_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t n = strlen(s);

	mail_puts(b, "Subject: ");
	if (mail_subject_plain(s)) {
		mail_put(b, s, n);
		mail_put(b, "\r\n", 2);
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t k = n - i > MAIL_WORD_BYTES ? MAIL_WORD_BYTES : n - i;

		while (i + k < n && k > 1 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, k,
		    sodium_base64_VARIANT_ORIGINAL);
		if (i > 0)
			mail_put(b, "\r\n ", 3);
		mail_puts(b, "=?UTF-8?B?");
		mail_puts(b, b64);
		mail_puts(b, "?=");
		i += k;
	}
	mail_put(b, "\r\n", 2);
}

/* Lines end at CRLF, LF or a lone CR. */
static enum mail_cte
mail_body_cte(const char *body)
{
	size_t line = 0;
	bool high = false;

	for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			line = 0;
			continue;
		}
		if (*p >= 0x80)
			high = true;
		if (++line > MAIL_LINE_MAX)
			return MAIL_CTE_QP;
	}
	return high ? MAIL_CTE_8BIT : MAIL_CTE_7BIT;
}

/* Line breaks become CRLF. Dots at line starts stay single: libcurl stuffs them itself. */
static void
mail_put_body_plain(struct mail_buf *b, const char *body)
{
	const char *p = body;

	while (*p) {
		size_t n = strcspn(p, "\r\n");

		mail_put(b, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		p++;
		mail_put(b, "\r\n", 2);
	}
	if (p > body && p[-1] != '\n' && p[-1] != '\r')
		mail_put(b, "\r\n", 2);
}

/* RFC 2045 6.7: encoded lines of at most 76 characters, soft breaks included. */
static void
mail_put_body_qp(struct mail_buf *b, const char *body)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)body;
	size_t col = 0;

	while (*p) {
		char tok[3];
		size_t tn = 1;
		bool eol;

		if (*p == '\r' || *p == '\n') {
			if (p[0] == '\r' && p[1] == '\n')
				p++;
			p++;
			mail_put(b, "\r\n", 2);
			col = 0;
			continue;
		}
		eol = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
		/* Whitespace ending a line is encoded: transports may strip it. */
		if ((*p >= 33 && *p <= 126 && *p != '=') || ((*p == ' ' || *p == '\t') && !eol)) {
			tok[0] = (char)*p;
		} else {
			tok[0] = '=';
			tok[1] = hex[*p >> 4];
			tok[2] = hex[*p & 15];
			tn = 3;
		}
		if (col + tn > MAIL_QP_LINE - 1) {
			mail_put(b, "=\r\n", 3);
			col = 0;
		}
		mail_put(b, tok, tn);
		col += tn;
		p++;
	}
	if (col > 0)
		mail_put(b, "\r\n", 2);
}

static void
mail_render(struct mail_buf *b, const struct mail_parts *mp)
{
	static const char *const ctes[] = { "7bit", "8bit", "quoted-printable" };
	enum mail_cte cte = mail_body_cte(mp->body);

	mail_put_header(b, "Date", mp->date);
	mail_put_header(b, "From", mp->from);
	mail_put_header(b, "To", mp->to);
	mail_put_subject(b, mp->subject);
	mail_put_header(b, "Message-ID", mp->msgid);
	mail_put_header(b, "MIME-Version", "1.0");
	mail_put_header(b, "Content-Type", "text/plain; charset=utf-8");
	mail_put_header(b, "Content-Transfer-Encoding", ctes[cte]);
	mail_put_header(b, "Auto-Submitted", "auto-generated");
	mail_put(b, "\r\n", 2);
	if (cte == MAIL_CTE_QP)
		mail_put_body_qp(b, mp->body);
	else
		mail_put_body_plain(b, mp->body);
}

/* RFC 5322 3.3, in UTC and English whatever the locale. */
static void
mail_format_date(time_t t, char *out, size_t outlen)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, outlen, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
	    tm.tm_mday % 100, months[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000,
	    tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
}

static void
mail_msg_free(struct mail_msg *msg)
{
	if (msg == NULL)
		return;
	if (msg->data != NULL) {
		sodium_memzero(msg->data, msg->len);
		sodium_free(msg->data);
	}
	free(msg);
}

/* Checks the arguments and renders the message; handles the disabled mailer. */
static int
mail_prepare(const struct mailer *m, const char *to, const char *subject, const char *body,
    struct mail_msg **res)
{
	struct mail_msg *msg = NULL;
	struct mail_buf b = { NULL, 0, 0 };
	struct mail_parts mp;
	unsigned char rnd[16];
	char shown[MAIL_SHOWN_MAX], date[64], hex[2 * sizeof(rnd) + 1];
	char msgid[sizeof(hex) + MAIL_DOMAIN_MAX + 4];
	int ret;

	*res = NULL;
	if ((ret = mail_check(to, subject, body)) != 0)
		return ret;
	mail_redact(to, shown, sizeof(shown));
	if (m == NULL || !m->enabled) {
		/* The body is not logged: it carries one-time links. */
		log_warnx("mail not configured: \"%s\" to %s not sent", subject, shown);
		return ERR_NOTFOUND;
	}
	mail_format_date(time(NULL), date, sizeof(date));
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(msgid, sizeof(msgid), "<%s@%s>", hex, m->from_domain);
	mp = (struct mail_parts){ date, m->from, to, subject, msgid, body };
	mail_render(&b, &mp);
	if (b.len > MAIL_MESSAGE_MAX)
		return ERR_TOOBIG;
	if ((msg = calloc(1, sizeof(*msg))) == NULL ||
	    (msg->data = sodium_malloc(b.len)) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	b = (struct mail_buf){ msg->data, 0, b.len };
	mail_render(&b, &mp);
	if (b.len != b.cap) {
		ret = ERR_INTERNAL;
		goto out;
	}
	msg->len = b.len;
	snprintf(msg->rcpt, sizeof(msg->rcpt), "%s", to);
	memcpy(msg->shown, shown, sizeof(shown));
	*res = msg;
	msg = NULL;
	ret = 0;
out:
	mail_msg_free(msg);
	return ret;
}

static size_t
mail_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct mail_reader *r = arg;
	size_t n = size * nitems, left = r->len - r->off;

	if (n > left)
		n = left;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return n;
}

static bool
mail_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return true;
	default:
		return false;
	}
}

/* Another attempt would meet the same answer: a 5xx, a refused login, an untrusted peer. */
static bool
mail_permanent(CURLcode rc, long code)
{
	if (code >= 500 && code <= 599)
		return true;
	/* A handshake may fail on a network hiccup; a verification failure will not pass. */
	if (mail_tls_error(rc))
		return rc != CURLE_SSL_CONNECT_ERROR;
	return rc == CURLE_LOGIN_DENIED || rc == CURLE_UNSUPPORTED_PROTOCOL ||
	    rc == CURLE_URL_MALFORMAT;
}

/* One SMTP transaction; *rc and *code (the last SMTP reply) tell what happened. */
static int
mail_post(struct mailer *m, CURL *c, const struct mail_msg *msg, CURLcode *rc, long *code)
{
	struct curl_slist *rcpt = NULL;
	struct mail_reader rd = { msg->data, msg->len, 0 };
	char to[MAIL_ADDRESS_MAX + 3], from[MAIL_ADDRESS_MAX + 3];
	int ret = ERR_IO;

	*code = 0;
	*rc = CURLE_OUT_OF_MEMORY;
	snprintf(to, sizeof(to), "<%s>", msg->rcpt);
	snprintf(from, sizeof(from), "<%s>", m->from);
	if ((rcpt = curl_slist_append(NULL, to)) == NULL)
		return ERR_NOMEM;
	curl_easy_reset(c);
	if ((*rc = curl_easy_setopt(c, CURLOPT_URL, m->url)) != CURLE_OK ||
	    (*rc = curlx_set_protocols(c, CURLPROTO_SMTP | CURLPROTO_SMTPS)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    /* An HTTP proxy from the environment is not meant for mail. */
	    (*rc = curl_easy_setopt(c, CURLOPT_PROXY, "")) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_USE_SSL, m->use_ssl)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
	    (m->ca_file != NULL &&
	    ((*rc = curl_easy_setopt(c, CURLOPT_CAINFO, m->ca_file)) != CURLE_OK ||
	    /* smtp.ca_file replaces the system's store rather than adding to it. */
	    (*rc = curl_easy_setopt(c, CURLOPT_CAPATH, (char *)NULL)) != CURLE_OK)) ||
	    (m->username != NULL &&
	    ((*rc = curl_easy_setopt(c, CURLOPT_USERNAME, m->username)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_PASSWORD, m->password)) != CURLE_OK)) ||
	    (*rc = curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)m->timeout_s)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)m->timeout_s)) != CURLE_OK ||
	    /* A fresh connection per message: no idle session to find dead later. */
	    (*rc = curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, from)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_READDATA, &rd)) != CURLE_OK ||
	    (*rc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len)) !=
	    CURLE_OK ||
	    /* Lets mailer_free abort a transfer stuck on a slow server. */
	    (*rc = curlx_set_stop(c, &m->stop)) != CURLE_OK)
		goto out;
	*rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	if (*rc == CURLE_OK)
		ret = 0;
	else if (mail_tls_error(*rc))
		ret = ERR_TLS;
out:
	/* The handle must keep no pointer to the list and reader about to go. */
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_easy_setopt(c, CURLOPT_READDATA, (void *)NULL);
	curl_slist_free_all(rcpt);
	return ret;
}

static unsigned
mail_delay_ms(unsigned failures)
{
	return worker_backoff_ms(MAIL_BACKOFF_FIRST_MS, MAIL_BACKOFF_CAP_MS, failures);
}

/*
 * One attempt at msg. Returns 0 when the server took it; otherwise the error, with
 * *delay_ms the wait before the next attempt, or 0 when msg is given up (or stopping).
 */
static int
mail_attempt(struct mailer *m, CURL *c, struct mail_msg *msg, unsigned *delay_ms)
{
	CURLcode rc;
	long code;
	char what[128];
	int ret;

	*delay_ms = 0;
	if ((ret = mail_post(m, c, msg, &rc, &code)) == 0) {
		atomic_fetch_add(&m->sent, 1);
		log_info("mail: %s: message to %s accepted", m->origin, msg->shown);
		return 0;
	}
	if (atomic_load(&m->stop))
		return ret;
	msg->failures++;
	/* curl_easy_strerror, not the error buffer: the latter may quote the server. */
	if (code > 0)
		snprintf(what, sizeof(what), "%s, SMTP %ld", curl_easy_strerror(rc), code);
	else
		snprintf(what, sizeof(what), "%s", curl_easy_strerror(rc));
	if (mail_permanent(rc, code) || msg->failures > m->retries) {
		atomic_fetch_add(&m->failed, 1);
		log_warnx("mail: %s: giving up on the message to %s after %u attempt%s (%s)",
		    m->origin, msg->shown, msg->failures, msg->failures == 1 ? "" : "s", what);
		return ret;
	}
	*delay_ms = mail_delay_ms(msg->failures);
	log_warnx("mail: %s: attempt %u for the message to %s failed (%s), retrying in %u ms",
	    m->origin, msg->failures, msg->shown, what, *delay_ms);
	return ret;
}

static void *
mail_main(void *arg)
{
	struct mailer *m = arg;
	struct worker_node *n;

	pthread_mutex_lock(&m->lock);
	while ((n = worker_queue_wait(&m->queue, &m->wake, &m->lock, &m->stop)) != NULL) {
		struct mail_msg *msg = WORKER_ITEM(n, struct mail_msg, node);
		unsigned delay_ms;

		pthread_mutex_unlock(&m->lock);
		(void)mail_attempt(m, m->curl, msg, &delay_ms);
		pthread_mutex_lock(&m->lock);
		if (delay_ms > 0 && !atomic_load(&m->stop)) {
			msg->node.due_ns = time_mono_ns() + (uint64_t)delay_ms * 1000000u;
			worker_queue_append(&m->queue, &msg->node);
			continue;
		}
		m->pending--;
		m->pending_bytes -= msg->len;
		atomic_store(&m->queued, (long)m->pending);
		mail_msg_free(msg);
		pthread_cond_broadcast(&m->done);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static int
mail_sync_init(struct mailer *m)
{
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		return ERR_INTERNAL;
	if (worker_cond_init(&m->wake) != 0) {
		pthread_mutex_destroy(&m->lock);
		return ERR_INTERNAL;
	}
	if (worker_cond_init(&m->done) != 0) {
		pthread_cond_destroy(&m->wake);
		pthread_mutex_destroy(&m->lock);
		return ERR_INTERNAL;
	}
	m->sync = true;
	return 0;
}

/* A DNS name coffre may give in EHLO; an address or anything odd leaves libcurl's default. */
static bool
mail_ehlo_name(const char *public_url, char *out, size_t outlen)
{
	CURLU *u;
	char *host = NULL;
	bool ok = false;

	if ((u = curl_url()) == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, public_url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    mail_domain_valid(host, strlen(host)) && strlen(host) < outlen) {
		snprintf(out, outlen, "%s", host);
		ok = true;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* Checks smtp.url and sets m->url (with the EHLO name as its path) and m->origin. */
static int
mail_parse_url(struct mailer *m, const char *url, const char *public_url)
{
	CURLU *u = NULL;
	char *part = NULL, *host = NULL, *port = NULL, *full = NULL;
	char ehlo[MAIL_DOMAIN_MAX + 2];
	const char *why = NULL;
	bool smtps;
	int ret = ERR_CONFIG;

	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			why = "spaces, controls and non-ASCII characters are not allowed";
			goto out;
		}
	if (strncasecmp(url, "smtp://", 7) == 0) {
		smtps = false;
	} else if (strncasecmp(url, "smtps://", 8) == 0) {
		smtps = true;
	} else {
		why = "the scheme must be smtp:// (STARTTLS) or smtps://";
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		ret = ERR_NOMEM;
		why = "out of memory";
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		why = "not understood by libcurl";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_OPTIONS, &part, 0) == CURLUE_OK) {
		/* Secrets in a URL end up in logs and process listings. */
		why = "credentials go in smtp.username and smtp.password, not in the URL";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		why = "no query or fragment is allowed";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
		why = "no host";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		why = "bad port";
		goto out;
	}
	/* The path names coffre in EHLO; libcurl would otherwise use the machine's name. */
	if (curl_url_get(u, CURLUPART_PATH, &part, 0) == CURLUE_OK &&
	    (part[0] == '\0' || strcmp(part, "/") == 0) && mail_ehlo_name(public_url, ehlo + 1,
	    sizeof(ehlo) - 1)) {
		ehlo[0] = '/';
		if (curl_url_set(u, CURLUPART_PATH, ehlo, 0) != CURLUE_OK) {
			why = "cannot set the EHLO name";
			goto out;
		}
	}
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
	    (m->url = strdup(full)) == NULL) {
		ret = ERR_NOMEM;
		why = "out of memory";
		goto out;
	}
	snprintf(m->origin, sizeof(m->origin), "%s://%s:%s", smtps ? "smtps" : "smtp", host,
	    port);
	m->use_ssl = smtps ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY;
	ret = 0;
out:
	if (why != NULL)
		log_error("mail: smtp.url: %s", why);
	curl_free(part);
	curl_free(host);
	curl_free(port);
	curl_free(full);
	curl_url_cleanup(u);
	return ret;
}

static int
mail_configure(struct mailer *m, const struct config *cfg)
{
	const char *from = config_str(cfg, "smtp.from");
	const char *user = config_str(cfg, "smtp.username");
	const char *pass = config_str(cfg, "smtp.password");
	const char *ca = config_str(cfg, "smtp.ca_file");
	int ret;

	if ((ret = mail_parse_url(m, config_str(cfg, "smtp.url"),
	    config_str(cfg, "server.public_url"))) != 0)
		return ret;
	if (!mail_address_valid(from)) {
		log_error("mail: smtp.from: not a valid address");
		return ERR_CONFIG;
	}
	snprintf(m->from, sizeof(m->from), "%s", from);
	m->from_domain = strchr(m->from, '@') + 1;
	if (ca[0] != '\0') {
		if (access(ca, R_OK) != 0) {
			log_warn("mail: smtp.ca_file: cannot read %s", ca);
			return ERR_CONFIG;
		}
		if ((m->ca_file = strdup(ca)) == NULL)
			return ERR_NOMEM;
	}
	if (user[0] != '\0') {
		m->password_size = strlen(pass) + 1;
		if ((m->username = strdup(user)) == NULL ||
		    (m->password = sodium_malloc(m->password_size)) == NULL)
			return ERR_NOMEM;
		memcpy(m->password, pass, m->password_size);
	}
	/* Credentials are never sent in the clear, whatever smtp.require_tls says. */
	if (config_bool(cfg, "smtp.require_tls") || m->username != NULL)
		m->use_ssl = CURLUSESSL_ALL;
	m->timeout_s = (unsigned)config_int(cfg, "smtp.timeout");
	m->retries = (unsigned)config_int(cfg, "smtp.retries");
	return 0;
}

struct mailer *
mailer_new(const struct config *cfg, int *err)
{
	struct mailer *m = NULL;
	CURLcode rc;
	int ret = ERR_NOMEM;

	if (cfg == NULL) {
		ret = ERR_INVALID;
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto out;
	atomic_init(&m->stop, false);
	atomic_init(&m->sent, 0);
	atomic_init(&m->failed, 0);
	atomic_init(&m->queued, 0);
	if (config_str(cfg, "smtp.url")[0] == '\0') {
		ret = 0;
		goto out;
	}
	m->enabled = true;
	if (sodium_init() < 0) {
		ret = ERR_CRYPTO;
		goto out;
	}
	/* Also needed before parsing: the URL check asks libcurl's own parser. */
	if ((rc = curlx_global_init()) != CURLE_OK) {
		log_error("mail: libcurl initialisation failed: %s", curl_easy_strerror(rc));
		ret = ERR_INTERNAL;
		goto out;
	}
	if ((ret = mail_configure(m, cfg)) != 0)
		goto out;
	if ((ret = mail_sync_init(m)) != 0)
		goto out;
	if ((m->curl = curl_easy_init()) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	if ((ret = worker_start(&m->thread, mail_main, m)) != 0)
		goto out;
	m->started = true;
out:
	if (err != NULL)
		*err = ret;
	if (ret != 0) {
		mailer_free(m, 0);
		m = NULL;
	}
	return m;
}

int
mailer_enabled(const struct mailer *m)
{
	return m != NULL && m->enabled;
}

int
mailer_send(struct mailer *m, const char *to, const char *subject, const char *body)
{
	struct mail_msg *msg = NULL;
	int ret;

	if ((ret = mail_prepare(m, to, subject, body, &msg)) != 0)
		return ret;
	ret = ERR_BUSY;
	pthread_mutex_lock(&m->lock);
	if (!atomic_load(&m->stop) && m->pending < MAIL_QUEUE_MAX &&
	    msg->len <= MAIL_QUEUE_BYTES_MAX - m->pending_bytes) {
		msg->node.due_ns = 0;
		worker_queue_append(&m->queue, &msg->node);
		m->pending++;
		m->pending_bytes += msg->len;
		atomic_store(&m->queued, (long)m->pending);
		pthread_cond_signal(&m->wake);
		msg = NULL;
		ret = 0;
	}
	pthread_mutex_unlock(&m->lock);
	if (ret != 0)
		log_warnx("mail: queue full: message to %s not queued", msg->shown);
	mail_msg_free(msg);
	return ret;
}

static void
mail_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
mailer_send_now(struct mailer *m, const char *to, const char *subject, const char *body)
{
	struct mail_msg *msg = NULL;
	CURL *c = NULL;
	unsigned delay_ms;
	int ret;

	if ((ret = mail_prepare(m, to, subject, body, &msg)) != 0)
		return ret;
	/* A handle of its own: the delivery thread's is not to be shared. */
	if ((c = curl_easy_init()) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	while ((ret = mail_attempt(m, c, msg, &delay_ms)) != 0 && delay_ms > 0)
		mail_sleep_ms(delay_ms);
out:
	curl_easy_cleanup(c);
	mail_msg_free(msg);
	return ret;
}

void
mailer_free(struct mailer *m, unsigned grace_s)
{
	struct worker_node *n;
	size_t lost = 0;

	if (m == NULL)
		return;
	/* Without a thread nothing was ever queued. */
	if (m->started) {
		uint64_t deadline = time_mono_ns() + (uint64_t)grace_s * 1000000000u;

		pthread_mutex_lock(&m->lock);
		while (m->pending > 0)
			if (worker_cond_wait(&m->done, &m->lock, deadline) == ETIMEDOUT)
				break;
		/* Counts the message in flight, which is about to be aborted. */
		lost = m->pending;
		atomic_store(&m->stop, true);
		pthread_cond_broadcast(&m->wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	while ((n = worker_queue_pop(&m->queue)) != NULL)
		mail_msg_free(WORKER_ITEM(n, struct mail_msg, node));
	if (lost > 0)
		log_warnx("mail: %zu message%s not sent at shutdown", lost, lost == 1 ? "" : "s");
	curl_easy_cleanup(m->curl);
	free(m->url);
	free(m->username);
	if (m->password != NULL) {
		sodium_memzero(m->password, m->password_size);
		sodium_free(m->password);
	}
	free(m->ca_file);
	if (m->sync) {
		pthread_cond_destroy(&m->done);
		pthread_cond_destroy(&m->wake);
		pthread_mutex_destroy(&m->lock);
	}
	free(m);
}

void
mailer_stats(const struct mailer *m, long *sent, long *failed, long *queued)
{
	if (sent != NULL)
		*sent = m ? atomic_load(&m->sent) : 0;
	if (failed != NULL)
		*failed = m ? atomic_load(&m->failed) : 0;
	if (queued != NULL)
		*queued = m ? atomic_load(&m->queued) : 0;
}
