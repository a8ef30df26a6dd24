#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

int
log_set_level_name(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			log_level = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void log_line(enum log_level level, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* One line per call, written with one fprintf under a lock so threads do not interleave. */
static void
log_line(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char msg[2048], stamp[32];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Control characters would let a value forge log lines. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03ldZ %s %s%s%s\n", stamp, ts.tv_nsec / 1000000,
	    log_names[level], msg, suffix ? ": " : "", suffix ? suffix : "");
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	if (log_enabled(level))
		log_line(level, NULL, fmt, ap);
}

void
log_warn(const char *fmt, ...)
{
	char ebuf[128];
	const char *e;
	int saved = errno;
	va_list ap;

	if (!log_enabled(LOG_LEVEL_WARN))
		return;
	e = strerror_r(saved, ebuf, sizeof(ebuf));
	va_start(ap, fmt);
	log_line(LOG_LEVEL_WARN, e, fmt, ap);
	va_end(ap);
	errno = saved;
}

#define LOG_DEFINE(name, level)                 \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		if (!log_enabled(level))        \
			return;                 \
		va_start(ap, fmt);              \
		log_line(level, NULL, fmt, ap); \
		va_end(ap);                     \
	}

LOG_DEFINE(log_warnx, LOG_LEVEL_WARN)
LOG_DEFINE(log_error, LOG_LEVEL_ERROR)
LOG_DEFINE(log_info, LOG_LEVEL_INFO)
LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAIL);
}
