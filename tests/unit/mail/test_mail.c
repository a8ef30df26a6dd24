/*
 * Outbound mail: rendering and checks offline, then delivery to a real SMTP server
 * (tests/e2e/smtp_sink.py on aiosmtpd) in plain SMTP, STARTTLS and SMTPS.
 * The SMTP groups fail, not skip, when python3 with aiosmtpd is missing.
 */
#include "../test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>

#include "common/config.h"
#include "common/err.h"
#include "crypto/x509.h"
/* The module itself, to reach its static rendering functions. */
#include "mail/mail.c"

extern char **environ;

/* Generous: the machine running the tests may be loaded; these are not benchmarks. */
#define WAIT_MS 15000

struct sink {
	pid_t pid;
	unsigned short port;
	char *dir;
};

struct tls_fixture {
	struct sink sink;
	char *certdir;
	char trusted[PATH_MAX];     /* the sink's certificate */
	char other[PATH_MAX];       /* another self-signed certificate */
	char key[PATH_MAX];
};

static char python[PATH_MAX];

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

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    (do_listen && listen(fd, 16) != 0) ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port nothing listens on: connections are refused at once. */
static unsigned short
free_port(void)
{
	unsigned short port = 0;
	int fd = listen_loopback(&port, false);

	if (fd >= 0)
		close(fd);
	return port;
}

static bool
port_accepts(unsigned short port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

static int
run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The first python3 that imports aiosmtpd: COFFRE_TEST_PYTHON, then python3 on PATH, then
 * Debian's, which has python3-aiosmtpd even where PATH starts with another python3.
 */
static int
python_find(void)
{
	const char *cands[] = { getenv("COFFRE_TEST_PYTHON"), "python3", "/usr/bin/python3" };

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		char *argv[] = { (char *)cands[i], "-c", "import aiosmtpd", NULL };

		if (cands[i] == NULL || cands[i][0] == '\0')
			continue;
		if (run_quiet(argv) == 0) {
			snprintf(python, sizeof(python), "%s", cands[i]);
			return 0;
		}
	}
	fprintf(stderr, "test_mail: no python3 with aiosmtpd (apt-get install python3-aiosmtpd, "
	    "or set COFFRE_TEST_PYTHON)\n");
	return -1;
}

static void
sink_stop(struct sink *s)
{
	if (s->pid > 0) {
		int status;

		kill(s->pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
				s->pid = 0;
				break;
			}
			sleep_ms(50);
		}
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
		}
		s->pid = 0;
	}
	test_rmtree(s->dir);
	s->dir = NULL;
}

/* Starts smtp_sink.py on a free port; cert and key turn STARTTLS (or SMTPS) on. */
static int
sink_start(struct sink *s, const char *cert, const char *key, bool smtps)
{
	const char *src = getenv("COFFRE_TEST_SRC");
	char script[PATH_MAX], portstr[16];
	char *argv[16];
	size_t n = 0;
	pid_t parent = getpid();
	struct timespec t0;

	memset(s, 0, sizeof(*s));
	if (python[0] == '\0' && python_find() != 0)
		return -1;
	if (src == NULL) {
		fprintf(stderr, "test_mail: COFFRE_TEST_SRC is not set (run through ctest)\n");
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/e2e/smtp_sink.py", src);
	if ((s->dir = test_tmpdir()) == NULL || (s->port = free_port()) == 0)
		return -1;
	snprintf(portstr, sizeof(portstr), "%u", s->port);
	argv[n++] = python;
	argv[n++] = script;
	argv[n++] = "--port";
	argv[n++] = portstr;
	argv[n++] = "--dir";
	argv[n++] = s->dir;
	argv[n++] = "--lifetime";
	argv[n++] = "300";
	if (cert != NULL) {
		argv[n++] = "--tls-cert";
		argv[n++] = (char *)cert;
		argv[n++] = "--tls-key";
		argv[n++] = (char *)key;
		if (smtps)
			argv[n++] = "--smtps";
	}
	argv[n] = NULL;
	fflush(NULL);
	if ((s->pid = fork()) < 0)
		return -1;
	if (s->pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		/* The server must not outlive a test that crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (fd >= 0)
			dup2(fd, 1);
		execvp(python, argv);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < WAIT_MS) {
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr, "test_mail: smtp_sink.py exited (status %d)\n", status);
			s->pid = 0;
			return -1;
		}
		if (port_accepts(s->port))
			return 0;
		sleep_ms(50);
	}
	fprintf(stderr, "test_mail: smtp_sink.py did not listen on %u\n", s->port);
	return -1;
}

static int
sink_count(const struct sink *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Waits until the sink holds n messages at least; returns how many it holds. */
static int
sink_wait(const struct sink *s, int n, unsigned ms)
{
	struct timespec t0;
	int have;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((have = sink_count(s)) < n && ms_since(&t0) < ms)
		sleep_ms(20);
	return have;
}

/* Message number idx (from 1): its JSON summary, and the raw bytes when raw is set. */
static json_t *
sink_load(const struct sink *s, int idx, char **raw, size_t *rawlen)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%04d.json", s->dir, idx);
	j = json_load_file(path, 0, &jerr);
	assert_non_null(j);
	if (raw != NULL) {
		FILE *f;
		long len;

		snprintf(path, sizeof(path), "%s/%04d.eml", s->dir, idx);
		assert_non_null(f = fopen(path, "rb"));
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		assert_true((len = ftell(f)) >= 0);
		rewind(f);
		assert_non_null(*raw = malloc((size_t)len + 1));
		assert_int_equal(fread(*raw, 1, (size_t)len, f), (size_t)len);
		(*raw)[len] = '\0';
		*rawlen = (size_t)len;
		fclose(f);
	}
	return j;
}

static const char *
jstr(const json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v ? v : "(missing)";
}

/* A configuration with the defaults, then name/value pairs up to NULL. */
static struct config *
cfg_make(const char *name, ...)
{
	struct config *cfg = config_new();
	char err[256];
	va_list ap;

	assert_non_null(cfg);
	va_start(ap, name);
	for (const char *n = name; n != NULL; n = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (config_set(cfg, n, v, err, sizeof(err)) != 0)
			fail_msg("config_set %s: %s", n, err);
	}
	va_end(ap);
	return cfg;
}

static struct mailer *
mailer_for(unsigned short port, const char *name, ...)
{
	struct config *cfg = config_new();
	struct mailer *m;
	char url[64], err[256];
	va_list ap;
	int rc = 1;

	assert_non_null(cfg);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", port);
	assert_int_equal(config_set(cfg, "smtp.url", url, err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.from", "coffre@example.org", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "server.public_url", "https://vault.example.org",
	    err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.timeout", "10", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.retries", "0", err, sizeof(err)), 0);
	va_start(ap, name);
	for (const char *n = name; n != NULL; n = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (config_set(cfg, n, v, err, sizeof(err)) != 0)
			fail_msg("config_set %s: %s", n, err);
	}
	va_end(ap);
	m = mailer_new(cfg, &rc);
	config_free(cfg);
	assert_int_equal(rc, 0);
	assert_non_null(m);
	return m;
}

struct capture {
	int saved;
	char path[64];
};

static void
capture_start(struct capture *c)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "/tmp/coffre-mail-log-XXXXXX");
	assert_true((fd = mkstemp(c->path)) >= 0);
	fflush(stderr);
	assert_true((c->saved = dup(2)) >= 0);
	assert_true(dup2(fd, 2) >= 0);
	close(fd);
}

static char *
capture_end(struct capture *c)
{
	FILE *f;
	char *buf;
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	assert_non_null(buf = calloc(1, 65536));
	assert_non_null(f = fopen(c->path, "rb"));
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	unlink(c->path);
	return buf;
}

/* Quoted-printable to bytes, with CRLF turned into LF (RFC 2045 6.7). */
static size_t
qp_decode(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		if (in[i] == '=' && i + 2 < n && in[i + 1] == '\r' && in[i + 2] == '\n') {
			i += 3;
		} else if (in[i] == '=' && i + 2 < n) {
			char hex[3] = { in[i + 1], in[i + 2], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 3;
		} else if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n') {
			out[o++] = '\n';
			i += 2;
		} else {
			out[o++] = in[i++];
		}
	}
	return o;
}

/* Renders a message with fixed date and id; the caller frees. */
static char *
render(const char *subject, const char *body, size_t *len)
{
	struct mail_parts mp = { "Mon, 02 Jun 2025 10:00:00 +0000", "coffre@example.org",
		"alice@example.com", subject, "<00ff@example.org>", body };
	struct mail_buf b = { NULL, 0, 0 };
	char *out;

	mail_render(&b, &mp);
	assert_non_null(out = malloc(b.len + 1));
	*len = b.len;
	b = (struct mail_buf){ out, 0, *len };
	mail_render(&b, &mp);
	assert_int_equal(b.len, *len);
	out[*len] = '\0';
	return out;
}

static void
assert_crlf_only(const char *raw, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n')
			assert_true(i > 0 && raw[i - 1] == '\r');
		if (raw[i] == '\r')
			assert_true(i + 1 < len && raw[i + 1] == '\n');
	}
}

/* ---- offline ---- */

static void
test_address_valid(void **state)
{
	static const char *good[] = {
		"alice@example.com", "a@b.co", "o'brien@example.ie",
		"first.last+tag@sub.example.org",
		"x_y-z@xn--bcher-kva.example", "admin@localhost", "UPPER@EXAMPLE.COM",
		"a!#$%&*/=?^`{|}~@example.com", "a@1.example.com", "u@a-b.example",
	};
	static const char *bad[] = {
		"", "@", "alice", "alice@", "@example.com", "alice@@example.com", "a@b@c.com",
		"alice@example", "alice @example.com", "alice@exa mple.com", "\"al\"@example.com",
		"<alice@example.com>", "alice@example.com>", ".alice@example.com",
		"alice.@example.com", "al..ice@example.com", "alice@.example.com",
		"alice@example..com", "alice@example.com.", "alice@-example.com",
		"alice@example-.com", "alice@[127.0.0.1]", "alice@127.0.0.1", "alice@example.123",
		"a@b.c\r\nBcc: x@y.z", "a@b.c\nx", "al\tice@example.com", "alicé@example.com",
		"alice@exämple.com", "alice@example.com,bob@example.com", "a(b)@example.com",
		"a\\b@example.com", "a;b@example.com", "alice@exa_mple.com",
	};
	char buf[400];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!mail_address_valid(good[i]))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mail_address_valid(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	assert_false(mail_address_valid(NULL));
	/* Lengths: local part 64, label 63, whole address 254. */
	memset(buf, 'a', 64);
	snprintf(buf + 64, sizeof(buf) - 64, "@example.com");
	assert_true(mail_address_valid(buf));
	memset(buf, 'a', 65);
	snprintf(buf + 65, sizeof(buf) - 65, "@example.com");
	assert_false(mail_address_valid(buf));
	memcpy(buf, "a@", 2);
	memset(buf + 2, 'b', 63);
	snprintf(buf + 65, sizeof(buf) - 65, ".com");
	assert_true(mail_address_valid(buf));
	memset(buf + 2, 'b', 64);
	snprintf(buf + 66, sizeof(buf) - 66, ".com");
	assert_false(mail_address_valid(buf));
	/* "a@", three labels of 62 and their dots, one of 59, ".com": 254 bytes. */
	memset(buf, 'c', sizeof(buf));
	memcpy(buf, "a@", 2);
	for (int i = 0; i < 3; i++)
		buf[2 + 62 + 63 * i] = '.';
	snprintf(buf + 2 + 3 * 63 + 59, sizeof(buf) - 250, ".com");
	assert_int_equal(strlen(buf), 254);
	assert_true(mail_address_valid(buf));
	snprintf(buf + 2 + 3 * 63 + 59, sizeof(buf) - 250, "x.com");
	assert_int_equal(strlen(buf), 255);
	assert_false(mail_address_valid(buf));
}

static void
test_redact(void **state)
{
	char out[MAIL_SHOWN_MAX];

	(void)state;
	mail_redact("alice@example.com", out, sizeof(out));
	assert_string_equal(out, "a***@example.com");
	mail_redact("b@localhost", out, sizeof(out));
	assert_string_equal(out, "b***@localhost");
}

/* ASVS 5.2.3: input that reaches the mail system cannot inject SMTP or headers. */
static void
test_check_refuses(void **state)
{
	static const char *bad_subjects[] = {
		"Hi\r\nBcc: x@y.z", "Hi\nBcc: x@y.z", "Hi\rthere", "tab\there", "bell\a",
		"del\x7f", "c1\xc2\x85next", "ls\xe2\x80\xa8next", "bad\xff", "overlong\xc0\xaf",
		"surrogate\xed\xa0\x80", "cut\xc3",
	};
	char big[MAIL_BODY_MAX + 2];
	char subj[MAIL_SUBJECT_MAX + 2];

	(void)state;
	assert_int_equal(mail_check("a@b.c\r\nBcc: x@y.z", "s", "b"), ERR_INVALID);
	assert_int_equal(mail_check("a@b.co\r\nBcc: x@y.z", "s", "b"), ERR_INVALID);
	assert_int_equal(mail_check("not-an-address", "s", "b"), ERR_INVALID);
	assert_int_equal(mail_check(NULL, "s", "b"), ERR_INVALID);
	assert_int_equal(mail_check("a@b.co", NULL, "b"), ERR_INVALID);
	assert_int_equal(mail_check("a@b.co", "s", NULL), ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad_subjects) / sizeof(bad_subjects[0]); i++)
		if (mail_check("a@b.co", bad_subjects[i], "b") != ERR_INVALID)
			fail_msg("subject accepted: %zu", i);
	assert_int_equal(mail_check("a@b.co", "Invitation à coffre ✓ 🔑", "b"), 0);
	assert_int_equal(mail_check("a@b.co", "", ""), 0);
	/* Bodies may hold tabs and any line breaks, not other controls. */
	assert_int_equal(mail_check("a@b.co", "s", "a\tb\r\nc\nd\re"), 0);
	assert_int_equal(mail_check("a@b.co", "s", "esc\x1b[31m"), ERR_INVALID);
	assert_int_equal(mail_check("a@b.co", "s", "bad\xff"), ERR_INVALID);
	/* Limits. */
	memset(subj, 'x', MAIL_SUBJECT_MAX);
	subj[MAIL_SUBJECT_MAX] = '\0';
	assert_int_equal(mail_check("a@b.co", subj, "b"), 0);
	subj[MAIL_SUBJECT_MAX] = 'x';
	subj[MAIL_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(mail_check("a@b.co", subj, "b"), ERR_TOOBIG);
	memset(big, 'y', MAIL_BODY_MAX);
	big[MAIL_BODY_MAX] = '\0';
	assert_int_equal(mail_check("a@b.co", "s", big), 0);
	big[MAIL_BODY_MAX] = 'y';
	big[MAIL_BODY_MAX + 1] = '\0';
	assert_int_equal(mail_check("a@b.co", "s", big), ERR_TOOBIG);
	memset(big, 'a', 300);
	snprintf(big + 250, 20, "@example.com");
	assert_int_equal(mail_check(big, "s", "b"), ERR_TOOBIG);
}

static void
test_render_exact(void **state)
{
	size_t len;
	char *out = render("Hello", "line1\n.dot\r\n..two\rlast", &len);

	(void)state;
	assert_string_equal(out,
	    "Date: Mon, 02 Jun 2025 10:00:00 +0000\r\n"
	    "From: coffre@example.org\r\n"
	    "To: alice@example.com\r\n"
	    "Subject: Hello\r\n"
	    "Message-ID: <00ff@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    /* No dot-stuffing here: libcurl does it on the wire. */
	    "line1\r\n.dot\r\n..two\r\nlast\r\n");
	free(out);
	out = render("Hello", "été\n", &len);
	assert_non_null(strstr(out, "Content-Transfer-Encoding: 8bit\r\n"));
	assert_non_null(strstr(out, "\r\n\r\nété\r\n"));
	free(out);
	out = render("", "", &len);
	assert_non_null(strstr(out, "Subject: \r\n"));
	assert_int_equal(strcmp(out + len - 4, "\r\n\r\n"), 0);
	free(out);
}

/* Each encoded-word decodes to whole characters, lines stay within 78 characters. */
static void
test_render_subject_words(void **state)
{
	/* Two-byte and four-byte characters fill the 200 bytes; 42 splits neither evenly. */
	char accents[MAIL_SUBJECT_MAX + 1] = "", keys[MAIL_SUBJECT_MAX + 1] = "";
	const char *subjects[] = {
		"Invitation à coffre", accents, keys, "looks =?like?= an encoded word",
		"A plain ASCII subject that is a little too long to fit on one line, folded",
	};

	(void)state;
	for (int i = 0; i < MAIL_SUBJECT_MAX / 2; i++)
		strcat(accents, "é");
	for (int i = 0; i < MAIL_SUBJECT_MAX / 4; i++)
		strcat(keys, "🔑");
	for (size_t s = 0; s < sizeof(subjects) / sizeof(subjects[0]); s++) {
		size_t len, dlen = 0;
		char *out = render(subjects[s], "b", &len), *line, *end;
		char decoded[MAIL_SUBJECT_MAX + 1];

		bool first = true;

		line = strstr(out, "Subject: ") + 9;
		for (;;) {
			unsigned char bin[64];
			size_t binlen;
			const char *b64, *q;

			end = strstr(line, "\r\n");
			/* "Subject: " on the first line, one space of folding on the others. */
			assert_true((size_t)(end - line) + (first ? 9 : 1) <= 78);
			first = false;
			assert_memory_equal(line, "=?UTF-8?B?", 10);
			b64 = line + 10;
			q = strstr(b64, "?=");
			assert_true(q == end - 2);
			assert_int_equal(sodium_base642bin(bin, sizeof(bin), b64, (size_t)(q - b64),
			    NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
			assert_true(binlen <= MAIL_WORD_BYTES);
			/* Whole characters: each word is valid UTF-8 on its own. */
			assert_int_equal(mail_check_text((const char *)bin, binlen, false), 0);
			memcpy(decoded + dlen, bin, binlen);
			dlen += binlen;
			if (end[2] != ' ')
				break;
			line = end + 3;
		}
		decoded[dlen] = '\0';
		assert_string_equal(decoded, subjects[s]);
		free(out);
	}
}

static void
test_render_qp(void **state)
{
	char body[4000], *out, *dec, *p;
	size_t len, dlen, n = 0;

	(void)state;
	n += (size_t)sprintf(body + n, "short line\n");
	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(body + n, "%s", i % 3 == 0 ? "é" : i % 3 == 1 ? "= " : "x");
	n += (size_t)sprintf(body + n, "trailing space \n\ttab\n.dot line\n%s", "end");
	out = render("s", body, &len);
	assert_non_null(strstr(out, "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_crlf_only(out, len);
	p = strstr(out, "\r\n\r\n") + 4;
	for (char *l = p; *l; l = strstr(l, "\r\n") + 2)
		assert_true(strstr(l, "\r\n") - l <= 76);
	assert_non_null(strstr(p, "trailing space=20\r\n"));
	assert_non_null(dec = malloc(len));
	dlen = qp_decode(p, strlen(p), dec);
	dec[dlen] = '\0';
	assert_int_equal(dlen, n + 1);
	assert_memory_equal(dec, body, n);
	assert_int_equal(dec[n], '\n');
	free(dec);
	free(out);
}

static void
test_date_and_backoff(void **state)
{
	char d[64];

	(void)state;
	mail_format_date(0, d, sizeof(d));
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	mail_format_date(1700000000, d, sizeof(d));
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_int_equal(mail_delay_ms(1), 1000);
	assert_int_equal(mail_delay_ms(2), 2000);
	assert_int_equal(mail_delay_ms(3), 4000);
	assert_int_equal(mail_delay_ms(20), MAIL_BACKOFF_CAP_MS);
}

static void
test_config_refused(void **state)
{
	static const char *bad_urls[] = {
		"http://127.0.0.1:25", "https://mail.example.com", "ftp://x", "mail.example.com:25",
		"smtp://user:secret@mail.example.com", "smtp://user@mail.example.com",
		"smtp://mail.example.com:25?x=1", "smtp://mail.example.com#f", "smtp://",
		"smtp://mail example.com", "smtp://mail.example.com:99999",
	};
	struct config *cfg;
	struct mailer *m;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		cfg = cfg_make("smtp.url", bad_urls[i], NULL);
		rc = 0;
		m = mailer_new(cfg, &rc);
		if (m != NULL || rc != ERR_CONFIG)
			fail_msg("accepted smtp.url %s (rc %d)", bad_urls[i], rc);
		config_free(cfg);
	}
	cfg = cfg_make("smtp.url", "smtp://127.0.0.1:25", "smtp.from", "not an address", NULL);
	assert_null(mailer_new(cfg, &rc));
	assert_int_equal(rc, ERR_CONFIG);
	config_free(cfg);
	cfg = cfg_make("smtp.url", "smtp://127.0.0.1:25", "smtp.ca_file", "/nonexistent/ca.pem",
	    NULL);
	assert_null(mailer_new(cfg, &rc));
	assert_int_equal(rc, ERR_CONFIG);
	config_free(cfg);
	assert_null(mailer_new(NULL, &rc));
	assert_int_equal(rc, ERR_INVALID);
}

/* The EHLO name comes from server.public_url when it is a DNS name. */
static void
test_config_url(void **state)
{
	static const struct { const char *url, *pub, *want, *origin; long ssl; } cases[] = {
		{ "smtp://127.0.0.1:2525", "https://vault.example.org:8443/x",
		  "smtp://127.0.0.1:2525/vault.example.org", "smtp://127.0.0.1:2525",
		  CURLUSESSL_TRY },
		{ "smtp://127.0.0.1:2525", "https://127.0.0.1:8443", "smtp://127.0.0.1:2525/",
		  "smtp://127.0.0.1:2525", CURLUSESSL_TRY },
		{ "SMTPS://mail.example.com", "https://vault.example.org",
		  "smtps://mail.example.com/vault.example.org", "smtps://mail.example.com:465",
		  CURLUSESSL_ALL },
		{ "smtp://mail.example.com/mine.example.net", "https://vault.example.org",
		  "smtp://mail.example.com/mine.example.net", "smtp://mail.example.com:25",
		  CURLUSESSL_TRY },
	};
	struct config *cfg;
	struct mailer *m;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = cfg_make("smtp.url", cases[i].url, "server.public_url", cases[i].pub, NULL);
		assert_non_null(m = mailer_new(cfg, &rc));
		assert_int_equal(rc, 0);
		assert_true(mailer_enabled(m));
		assert_string_equal(m->url, cases[i].want);
		assert_string_equal(m->origin, cases[i].origin);
		assert_int_equal(m->use_ssl, cases[i].ssl);
		mailer_free(m, 0);
		config_free(cfg);
	}
	/* require_tls, and credentials, insist on TLS. */
	cfg = cfg_make("smtp.url", "smtp://127.0.0.1:25", "smtp.require_tls", "true", NULL);
	assert_non_null(m = mailer_new(cfg, &rc));
	assert_int_equal(m->use_ssl, CURLUSESSL_ALL);
	mailer_free(m, 0);
	config_free(cfg);
	cfg = cfg_make("smtp.url", "smtp://127.0.0.1:25", "smtp.username", "coffre",
	    "smtp.password", "hunter2", NULL);
	assert_non_null(m = mailer_new(cfg, &rc));
	assert_int_equal(m->use_ssl, CURLUSESSL_ALL);
	assert_string_equal(m->password, "hunter2");
	mailer_free(m, 0);
	config_free(cfg);
}

/* Without smtp.url nothing is sent and the log names neither the body nor the address. */
static void
test_disabled(void **state)
{
	struct config *cfg = cfg_make(NULL);
	struct mailer *m;
	struct capture cap;
	char *log;
	long sent = -1, failed = -1, queued = -1;
	int rc = 1;

	(void)state;
	assert_non_null(m = mailer_new(cfg, &rc));
	assert_int_equal(rc, 0);
	assert_false(mailer_enabled(m));
	assert_false(mailer_enabled(NULL));
	capture_start(&cap);
	assert_int_equal(mailer_send(m, "alice@example.com", "Invitation à coffre",
	    "Open https://vault.example.org/invite#SECRETTOKEN"), ERR_NOTFOUND);
	assert_int_equal(mailer_send_now(m, "bob@example.net", "Password reset",
	    "https://vault.example.org/reset#SECRETTOKEN2"), ERR_NOTFOUND);
	assert_int_equal(mailer_send(NULL, "carol@example.com", "Lockout", "x"), ERR_NOTFOUND);
	/* Arguments are still checked first. */
	assert_int_equal(mailer_send(m, "a@b.c\r\nBcc: x@y.z", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send_now(m, "alice@example.com", "s\r\nBcc: x@y.z", "b"),
	    ERR_INVALID);
	log = capture_end(&cap);
	assert_non_null(strstr(log, "mail not configured: \"Invitation à coffre\" to "
	    "a***@example.com not sent"));
	assert_non_null(strstr(log, "\"Password reset\" to b***@example.net not sent"));
	assert_non_null(strstr(log, "c***@example.com"));
	assert_null(strstr(log, "SECRETTOKEN"));
	assert_null(strstr(log, "alice@"));
	assert_null(strstr(log, "bob@"));
	assert_null(strstr(log, "Bcc"));
	free(log);
	mailer_stats(m, &sent, &failed, &queued);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 0);
	assert_int_equal(queued, 0);
	mailer_stats(NULL, &sent, NULL, NULL);
	assert_int_equal(sent, 0);
	mailer_free(m, 5);
	mailer_free(NULL, 0);
	config_free(cfg);
}

/* ---- plain SMTP against the sink ---- */

static int
smtp_setup(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (s == NULL || sink_start(s, NULL, NULL, false) != 0) {
		if (s != NULL)
			sink_stop(s);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int
smtp_teardown(void **state)
{
	struct sink *s = *state;

	if (s != NULL)
		sink_stop(s);
	free(s);
	return 0;
}

static const char BODY[] =
    "Bonjour Alice,\n"
    "\n"
    "Vous êtes invitée à rejoindre coffre.\n"
    ".hidden line\n"
    "..two dots\n"
    ".\n"
    "After a lone dot.\n"
    "https://vault.example.org/invite#t=SECRET\n";

static void
test_send_now_delivers(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, NULL);
	int before = sink_count(s);
	char *raw, *p, hex[33];
	size_t rawlen;
	json_t *j;
	long sent, failed, queued;
	char day[4], mon[4];
	int dd, yy, hh, mi, ss;

	assert_int_equal(mailer_send_now(m, "alice@example.com", "Invitation à coffre", BODY), 0);
	/* The server wrote the message before it answered 250. */
	assert_int_equal(sink_count(s), before + 1);
	j = sink_load(s, before + 1, &raw, &rawlen);
	assert_string_equal(jstr(j, "mail_from"), "coffre@example.org");
	assert_int_equal(json_array_size(json_object_get(j, "rcpt_tos")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "rcpt_tos"), 0)),
	    "alice@example.com");
	assert_string_equal(jstr(j, "helo"), "vault.example.org");
	assert_true(json_is_false(json_object_get(j, "tls")));
	assert_string_equal(jstr(j, "from"), "coffre@example.org");
	assert_string_equal(jstr(j, "to"), "alice@example.com");
	assert_string_equal(jstr(j, "subject"), "Invitation à coffre");
	assert_string_equal(jstr(j, "content_type"), "text/plain");
	assert_string_equal(jstr(j, "charset"), "utf-8");
	assert_string_equal(jstr(j, "cte"), "8bit");
	/* Dots arrive as written: stuffed once by libcurl, unstuffed once by the server. */
	assert_string_equal(jstr(j, "body"), BODY);
	assert_int_equal(json_array_size(json_object_get(j, "defects")), 0);
	assert_crlf_only(raw, rawlen);
	assert_non_null(strstr(raw,
	    "\r\n.hidden line\r\n..two dots\r\n.\r\nAfter a lone dot.\r\n"));
	assert_non_null(strstr(raw, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(raw, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(raw, "\r\nSubject: =?UTF-8?B?"));
	assert_int_equal(sscanf(raw, "Date: %3s, %2d %3s %4d %2d:%2d:%2d +0000\r\n", day, &dd, mon,
	    &yy, &hh, &mi, &ss), 7);
	assert_true(yy >= 2024);
	assert_non_null(p = strstr(raw, "\r\nMessage-ID: <"));
	assert_int_equal(sscanf(p, "\r\nMessage-ID: <%32[0-9a-f]@", hex), 1);
	assert_int_equal(strlen(hex), 32);
	assert_memory_equal(p + 15 + 32, "@example.org>\r\n", 15);
	mailer_stats(m, &sent, &failed, &queued);
	assert_int_equal(sent, 1);
	assert_int_equal(failed, 0);
	assert_int_equal(queued, 0);
	json_decref(j);
	free(raw);
	mailer_free(m, 0);
}

static void
test_send_queued(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, NULL);
	int before = sink_count(s);
	struct timespec t0;
	json_t *j;
	long sent = 0, queued = -1;

	assert_int_equal(mailer_send(m, "bob@example.net", "Réinitialisation du mot de passe",
	    "https://vault.example.org/reset#abc\n"), 0);
	assert_int_equal(sink_wait(s, before + 1, WAIT_MS), before + 1);
	j = sink_load(s, before + 1, NULL, NULL);
	assert_string_equal(jstr(j, "to"), "bob@example.net");
	assert_string_equal(jstr(j, "subject"), "Réinitialisation du mot de passe");
	assert_string_equal(jstr(j, "body"), "https://vault.example.org/reset#abc\n");
	assert_string_equal(jstr(j, "cte"), "7bit");
	json_decref(j);
	/* The counter follows the server's answer. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((mailer_stats(m, &sent, NULL, &queued), sent < 1 || queued != 0) &&
	    ms_since(&t0) < WAIT_MS)
		sleep_ms(20);
	assert_int_equal(sent, 1);
	assert_int_equal(queued, 0);
	mailer_free(m, 5);
}

/* Three queued messages all go out before mailer_free returns. */
static void
test_free_drains(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, NULL);
	int before = sink_count(s);

	for (int i = 0; i < 3; i++)
		assert_int_equal(mailer_send(m, "drain@example.com", "Drain", "x\n"), 0);
	mailer_free(m, 30);
	assert_int_equal(sink_count(s), before + 3);
}

/* ASVS 5.2.3: recipients and subjects cannot carry SMTP commands or extra headers. */
static void
test_injection_refused(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, NULL);
	int before = sink_count(s);
	json_t *j;

	assert_int_equal(mailer_send_now(m, "a@b.c\r\nBcc: x@y.z", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send(m, "a@b.c\r\nBcc: x@y.z", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send(m, "a@example.com>\r\nRCPT TO:<x@y.z", "s", "b"),
	    ERR_INVALID);
	assert_int_equal(mailer_send_now(m, "alice@example.com", "Hi\r\nBcc: x@y.z", "b"),
	    ERR_INVALID);
	assert_int_equal(mailer_send(m, "alice@example.com", "Hi\nBcc: x@y.z", "b"),
	    ERR_INVALID);
	assert_int_equal(mailer_send(m, "alice@example.com", "Hi\rBcc: x@y.z", "b"),
	    ERR_INVALID);
	assert_int_equal(mailer_send(m, "alice@example.com", "s", "b\x1b]8;;"), ERR_INVALID);
	/* What does arrive next is the marker: nothing was sent in between. */
	assert_int_equal(mailer_send_now(m, "marker@example.com", "Marker", "m\n"), 0);
	assert_int_equal(sink_count(s), before + 1);
	j = sink_load(s, before + 1, NULL, NULL);
	assert_string_equal(jstr(j, "subject"), "Marker");
	json_decref(j);
	mailer_free(m, 5);
	assert_int_equal(sink_count(s), before + 1);
}

static void
test_invalid_refused(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, NULL);
	int before = sink_count(s);
	char big[MAIL_BODY_MAX + 2], addr[300];
	long sent, failed, queued;

	assert_int_equal(mailer_send(m, "not-an-address", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send_now(m, "alice@localhost.", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send(m, "\"quoted\"@example.com", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send(m, "<alice@example.com>", "s", "b"), ERR_INVALID);
	assert_int_equal(mailer_send(m, NULL, "s", "b"), ERR_INVALID);
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	addr[10] = '@';
	assert_int_equal(mailer_send(m, addr, "s", "b"), ERR_TOOBIG);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mailer_send(m, "alice@example.com", "s", big), ERR_TOOBIG);
	big[MAIL_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(mailer_send_now(m, "alice@example.com", big, "b"), ERR_TOOBIG);
	mailer_stats(m, &sent, &failed, &queued);
	assert_int_equal(sent + failed + queued, 0);
	mailer_free(m, 5);
	assert_int_equal(sink_count(s), before);
}

/* The largest body, with lines over 998 bytes, arrives intact (quoted-printable). */
static void
test_big_body(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, NULL);
	int before = sink_count(s);
	char *body = malloc(MAIL_BODY_MAX + 1), *raw;
	size_t n = 0, rawlen;
	json_t *j;

	assert_non_null(body);
	/* Lines of about 1300 bytes, then one that starts with a dot. */
	while (n + 1400 < MAIL_BODY_MAX) {
		static const char *parts[] = { "é", "= ", "x", "🔑", ". " };
		for (int k = 0; k < 600; k++) {
			memcpy(body + n, parts[k % 5], strlen(parts[k % 5]));
			n += strlen(parts[k % 5]);
		}
		memcpy(body + n, "\n.dot\n", 6);
		n += 6;
	}
	memset(body + n, 'w', MAIL_BODY_MAX - n);
	body[MAIL_BODY_MAX - 1] = '\n';
	body[MAIL_BODY_MAX] = '\0';
	assert_int_equal(mailer_send_now(m, "big@example.com", "Big", body), 0);
	j = sink_load(s, before + 1, &raw, &rawlen);
	assert_string_equal(jstr(j, "cte"), "quoted-printable");
	assert_string_equal(jstr(j, "body"), body);
	assert_int_equal(json_array_size(json_object_get(j, "defects")), 0);
	assert_crlf_only(raw, rawlen);
	for (char *l = raw; *l; l = strstr(l, "\r\n") + 2)
		assert_true(strstr(l, "\r\n") - l <= MAIL_LINE_MAX);
	json_decref(j);
	free(raw);
	free(body);
	mailer_free(m, 5);
}

/* Without STARTTLS on offer, smtp.require_tls (or credentials) refuses to send. */
static void
test_require_tls_refused(void **state)
{
	struct sink *s = *state;
	struct mailer *m = mailer_for(s->port, "smtp.require_tls", "true", "smtp.retries", "3",
	    NULL);
	int before = sink_count(s);
	struct capture cap;
	long sent, failed;
	char *log;

	capture_start(&cap);
	assert_int_equal(mailer_send_now(m, "alice@example.com", "s", "b"), ERR_TLS);
	log = capture_end(&cap);
	/* Not retried: the answer would be the same. */
	assert_non_null(strstr(log,
	    "giving up on the message to a***@example.com after 1 attempt ("));
	assert_null(strstr(log, "retrying"));
	free(log);
	mailer_stats(m, &sent, &failed, NULL);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 1);
	mailer_free(m, 0);
	m = mailer_for(s->port, "smtp.username", "coffre", "smtp.password", "hunter2", NULL);
	assert_int_equal(mailer_send_now(m, "alice@example.com", "s", "b"), ERR_TLS);
	mailer_free(m, 0);
	assert_int_equal(sink_count(s), before);
}

/* ---- no server ---- */

static void
test_unreachable(void **state)
{
	unsigned short port = free_port();
	struct mailer *m = mailer_for(port, "smtp.retries", "1", "smtp.timeout", "5", NULL);
	struct timespec t0;
	struct capture cap;
	long sent, failed, queued;
	double ms;
	char *log;

	(void)state;
	capture_start(&cap);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mailer_send_now(m, "alice@example.com", "s", "secret body"), ERR_IO);
	ms = ms_since(&t0);
	/* Two attempts one second apart, each refused at once. */
	assert_true(ms >= 900 && ms < 5000);
	mailer_stats(m, &sent, &failed, &queued);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 1);
	assert_int_equal(mailer_send(m, "bob@example.net", "s", "secret body"), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((mailer_stats(m, &sent, &failed, &queued), failed < 2) && ms_since(&t0) < WAIT_MS)
		sleep_ms(20);
	assert_int_equal(failed, 2);
	assert_int_equal(sent, 0);
	assert_int_equal(queued, 0);
	mailer_free(m, 0);
	log = capture_end(&cap);
	assert_non_null(strstr(log,
	    "giving up on the message to a***@example.com after 2 attempts"));
	assert_non_null(strstr(log,
	    "giving up on the message to b***@example.net after 2 attempts"));
	assert_non_null(strstr(log, "retrying in 1000 ms"));
	assert_null(strstr(log, "alice@"));
	assert_null(strstr(log, "secret body"));
	free(log);
}

/* A server that accepts connections but never speaks: the queue fills, shutdown aborts. */
static void
test_queue_full_and_abort(void **state)
{
	unsigned short port;
	int lfd = listen_loopback(&port, true);
	struct mailer *m;
	struct timespec t0;
	long sent, failed, queued;
	int rc;

	(void)state;
	assert_true(lfd >= 0);
	m = mailer_for(port, "smtp.timeout", "60", NULL);
	for (int i = 0; i < MAIL_QUEUE_MAX; i++) {
		if ((rc = mailer_send(m, "q@example.com", "Queued", "body\n")) != 0)
			fail_msg("send %d: %d", i, rc);
	}
	assert_int_equal(mailer_send(m, "q@example.com", "Queued", "body\n"), ERR_BUSY);
	mailer_stats(m, &sent, &failed, &queued);
	assert_int_equal(queued, MAIL_QUEUE_MAX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mailer_free(m, 1);
	/* The grace second, then the stalled transfer is aborted, not waited for. */
	assert_true(ms_since(&t0) < 5000);
	close(lfd);
}

/* ---- TLS ---- */

static int
tls_setup_mode(void **state, bool smtps)
{
	struct tls_fixture *fx = calloc(1, sizeof(*fx));
	char key2[PATH_MAX];

	if (fx == NULL || sodium_init() < 0 || (fx->certdir = test_tmpdir()) == NULL)
		goto fail;
	snprintf(fx->key, sizeof(fx->key), "%s/key.pem", fx->certdir);
	snprintf(fx->trusted, sizeof(fx->trusted), "%s/cert.pem", fx->certdir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", fx->certdir);
	snprintf(fx->other, sizeof(fx->other), "%s/other.pem", fx->certdir);
	if (x509_create_selfsigned(fx->key, fx->trusted) != 0 ||
	    x509_create_selfsigned(key2, fx->other) != 0)
		goto fail;
	if (sink_start(&fx->sink, fx->trusted, fx->key, smtps) != 0)
		goto fail;
	*state = fx;
	return 0;
fail:
	if (fx != NULL) {
		sink_stop(&fx->sink);
		test_rmtree(fx->certdir);
	}
	free(fx);
	return -1;
}

static int
starttls_setup(void **state)
{
	return tls_setup_mode(state, false);
}

static int
smtps_setup(void **state)
{
	return tls_setup_mode(state, true);
}

static int
tls_teardown(void **state)
{
	struct tls_fixture *fx = *state;

	if (fx != NULL) {
		sink_stop(&fx->sink);
		test_rmtree(fx->certdir);
	}
	free(fx);
	return 0;
}

static struct mailer *
tls_mailer(const struct tls_fixture *fx, const char *ca, const char *require, bool smtps)
{
	struct config *cfg = config_new();
	struct mailer *m;
	char url[64], err[256];
	int rc = 1;

	assert_non_null(cfg);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u", smtps ? "smtps" : "smtp", fx->sink.port);
	assert_int_equal(config_set(cfg, "smtp.url", url, err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.from", "coffre@example.org", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.timeout", "10", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.retries", "2", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "smtp.require_tls", require, err, sizeof(err)), 0);
	if (ca != NULL)
		assert_int_equal(config_set(cfg, "smtp.ca_file", ca, err, sizeof(err)), 0);
	assert_non_null(m = mailer_new(cfg, &rc));
	assert_int_equal(rc, 0);
	config_free(cfg);
	return m;
}

/* ASVS 9.2.1: the SMTP server's certificate is verified against smtp.ca_file. */
static void
tls_check(void **state, bool smtps)
{
	struct tls_fixture *fx = *state;
	struct mailer *m;
	int before = sink_count(&fx->sink);
	struct timespec t0;
	struct capture cap;
	json_t *j;
	long sent, failed;
	char *log;

	for (int req = 0; req < 2; req++) {
		m = tls_mailer(fx, fx->trusted, req ? "true" : "false", smtps);
		assert_int_equal(mailer_send_now(m, "tls@example.com", "Über TLS", BODY), 0);
		before++;
		assert_int_equal(sink_count(&fx->sink), before);
		j = sink_load(&fx->sink, before, NULL, NULL);
		assert_true(json_is_true(json_object_get(j, "tls")));
		assert_string_equal(jstr(j, "subject"), "Über TLS");
		assert_string_equal(jstr(j, "body"), BODY);
		json_decref(j);
		mailer_free(m, 0);
	}
	/* Another CA, or the system's store: refused at once, nothing sent, not retried. */
	for (int i = 0; i < 2; i++) {
		m = tls_mailer(fx, i == 0 ? fx->other : NULL, "false", smtps);
		capture_start(&cap);
		assert_int_equal(mailer_send_now(m, "tls@example.com", "s", "b"), ERR_TLS);
		log = capture_end(&cap);
		assert_non_null(strstr(log, "after 1 attempt ("));
		assert_null(strstr(log, "retrying"));
		free(log);
		mailer_stats(m, &sent, &failed, NULL);
		assert_int_equal(sent, 0);
		assert_int_equal(failed, 1);
		/* The queued path reaches the same verdict. */
		assert_int_equal(mailer_send(m, "tls@example.com", "s", "b"), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while ((mailer_stats(m, &sent, &failed, NULL), failed < 2) &&
		    ms_since(&t0) < WAIT_MS)
			sleep_ms(20);
		assert_int_equal(failed, 2);
		mailer_free(m, 0);
	}
	assert_int_equal(sink_count(&fx->sink), before);
}

static void
test_starttls_verified(void **state)
{
	tls_check(state, false);
}

static void
test_smtps_verified(void **state)
{
	tls_check(state, true);
}

int
main(void)
{
	const struct CMUnitTest offline[] = {
		cmocka_unit_test(test_address_valid),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_render_subject_words),
		cmocka_unit_test(test_render_qp),
		cmocka_unit_test(test_date_and_backoff),
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_config_url),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_queue_full_and_abort),
	};
	const struct CMUnitTest smtp[] = {
		cmocka_unit_test(test_send_now_delivers),
		cmocka_unit_test(test_send_queued),
		cmocka_unit_test(test_free_drains),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_invalid_refused),
		cmocka_unit_test(test_big_body),
		cmocka_unit_test(test_require_tls_refused),
	};
	const struct CMUnitTest starttls[] = {
		cmocka_unit_test(test_starttls_verified),
	};
	const struct CMUnitTest smtps[] = {
		cmocka_unit_test(test_smtps_verified),
	};
	int failed = 0;

	if (sodium_init() < 0)
		return 1;
	failed += cmocka_run_group_tests(offline, NULL, NULL);
	failed += cmocka_run_group_tests(smtp, smtp_setup, smtp_teardown);
	failed += cmocka_run_group_tests(starttls, starttls_setup, tls_teardown);
	failed += cmocka_run_group_tests(smtps, smtps_setup, tls_teardown);
	return failed != 0;
}
