#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"

uint64_t
time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t
time_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" into microseconds since the epoch. */
int
time_parse_utc(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p;
	long us = 0;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return ERR_INVALID;
	if (*p == '.') {
		char *end;
		us = strtol(p + 1, &end, 10);
		if (end - (p + 1) != 6 || us < 0)
			return ERR_INVALID;
		p = end;
	}
	if (strcmp(p, "Z") != 0)
		return ERR_INVALID;
	{
		/* strptime takes 2026-02-31 and timegm rolls it into March: refuse what does not
		 * come back unchanged. */
		struct tm back, want = tm;
		time_t t = timegm(&tm);
		if (gmtime_r(&t, &back) == NULL || back.tm_year != want.tm_year ||
		    back.tm_mon != want.tm_mon || back.tm_mday != want.tm_mday ||
		    back.tm_hour != want.tm_hour || back.tm_min != want.tm_min ||
		    back.tm_sec != want.tm_sec)
			return ERR_INVALID;
		*out = (int64_t)t * 1000000 + us;
	}
	return 0;
}
