/* timeutil.h: clocks. */
#ifndef COFFRE_TIMEUTIL_H
#define COFFRE_TIMEUTIL_H

#include <stdint.h>

/* Monotonic nanoseconds, for durations and deadlines. */
uint64_t time_mono_ns(void);
/* Wall-clock microseconds since the epoch (UTC). */
int64_t time_real_us(void);
/* Parses UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" into microseconds; ERR_INVALID otherwise. */
int time_parse_utc(const char *s, int64_t *out);

#endif
