/* timeutil.h: clocks. */
#ifndef COFFRE_TIMEUTIL_H
#define COFFRE_TIMEUTIL_H

#include <stdint.h>

/* Monotonic nanoseconds, for durations and deadlines. */
uint64_t time_mono_ns(void);
/* Wall-clock microseconds since the epoch (UTC). */
int64_t time_real_us(void);

#endif
